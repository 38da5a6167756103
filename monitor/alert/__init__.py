"""Alerts: the record handed to channels, its rendering, and the channels that send it."""
