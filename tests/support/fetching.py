"""Fetch settings for tests: those the config's defaults give, with some changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monitor.config import schema
from monitor.fetch.client import FetchSettings

DEFAULTS = FetchSettings.from_config(schema.FetchSettings())


def fetch_settings(**changes: Any) -> FetchSettings:
    return replace(DEFAULTS, **changes)
