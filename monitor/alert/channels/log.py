"""The log channel: alerts written to stmon's own log, for trying stmon out."""

from __future__ import annotations

import logging

from monitor.alert.channels.base import DeliveryReceipt
from monitor.alert.message import AlertMessage
from monitor.alert.text import format_local
from monitor.config.channels import LogChannel

log = logging.getLogger(__name__)
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class LogSender:
    """Writes each alert as one key=value log line at the configured level."""

    def __init__(self, name: str, config: LogChannel) -> None:
        self.name = name
        self.config = config

    async def send(self, msg: AlertMessage) -> DeliveryReceipt:
        level = _LEVELS.get(self.config.level, logging.ERROR)
        url = msg.sources[0].url if msg.sources else ""
        log.log(
            level,
            "alert channel=%s kind=%s event=%s type=%s first_seen=%r items=%d "
            "headline=%r url=%s key=%s",
            self.name,
            msg.kind,
            msg.event_id,
            msg.event_type,
            format_local(msg.first_seen, self.config.zone),
            len(msg.items),
            msg.headline,
            url,
            msg.idempotency_key,
        )
        return DeliveryReceipt(detail=f"logged at {self.config.level.upper()} by {log.name}")
