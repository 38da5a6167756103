"""Small text helpers shared by email templates and webhook presets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from monitor.alert.message import AlertMessage


def format_local(when: datetime, zone: ZoneInfo) -> str:
    """``2025-06-01 18:30 KST (UTC+09:00)``: a time as the reader's clock shows it."""
    local = when.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def safe_url(url: str) -> str:
    """The URL if it is http(s), else ``#``: feed links must not run script."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return "#"
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else "#"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def group_items(items: Iterable[AlertMessage]) -> list[tuple[str, list[AlertMessage]]]:
    """Items grouped by event type in words, groups in order of first appearance."""
    groups: dict[str, list[AlertMessage]] = {}
    for item in items:
        groups.setdefault(item.event_type_label, []).append(item)
    return list(groups.items())
