"""Alert channels: one class per channel type, built from config by :func:`make_channel`.

Each implements :class:`~monitor.alert.channels.base.Channel`: ``await send(msg)``
returns a :class:`DeliveryReceipt` holding what the server said, or raises
``DeliveryError`` (``permanent`` when a retry cannot help, ``retry_after`` when
the server asked for a delay).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from monitor.alert.channels.base import Channel, DeliveryReceipt
from monitor.config.channels import ChannelConfig, EmailChannel, LogChannel, WebhookChannel

if TYPE_CHECKING:
    import httpx

    from monitor.alert.channels.email import EmailSender
    from monitor.alert.channels.log import LogSender
    from monitor.alert.channels.webhook import WebhookSender, sign, verify_signature

# Each channel's module (and what it renders with: Jinja2, smtplib) is imported on first use.
_LAZY = {
    "EmailSender": "email",
    "LogSender": "log",
    "WebhookSender": "webhook",
    "sign": "webhook",
    "verify_signature": "webhook",
}

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
        from monitor.alert.channels.email import EmailSender

        return EmailSender(name, config)
    if isinstance(config, WebhookChannel):
        from monitor.alert.channels.webhook import WebhookSender

        return WebhookSender(name, config, client=client)
    if isinstance(config, LogChannel):
        from monitor.alert.channels.log import LogSender

        return LogSender(name, config)
    raise TypeError(f"unknown channel config {type(config).__name__}")


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
