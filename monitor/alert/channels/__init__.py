"""Alert channels: one class per channel type, built from config by :func:`make_channel`.

Each implements :class:`~monitor.alert.channels.base.Channel`: ``await send(msg)``
returns a :class:`DeliveryReceipt` holding what the server said, or raises
``DeliveryError`` (``permanent`` when a retry cannot help, ``retry_after`` when
the server asked for a delay).
"""

from __future__ import annotations

import httpx

from monitor.alert.channels.base import Channel, DeliveryReceipt
from monitor.alert.channels.email import EmailSender
from monitor.alert.channels.log import LogSender
from monitor.alert.channels.webhook import WebhookSender, sign, verify_signature
from monitor.config.channels import ChannelConfig, EmailChannel, LogChannel, WebhookChannel

__all__ = [
    "Channel",
    "DeliveryReceipt",
    "EmailSender",
    "LogSender",
    "WebhookSender",
    "make_channel",
    "sign",
    "verify_signature",
]


def make_channel(
    name: str, config: ChannelConfig, *, client: httpx.AsyncClient | None = None
) -> Channel:
    """The channel for ``config``; webhooks share ``client`` when one is given."""
    if isinstance(config, EmailChannel):
        return EmailSender(name, config)
    if isinstance(config, WebhookChannel):
        return WebhookSender(name, config, client=client)
    if isinstance(config, LogChannel):
        return LogSender(name, config)
    raise TypeError(f"unknown channel config {type(config).__name__}")
