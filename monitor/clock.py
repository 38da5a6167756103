"""The time, in one place: every part that needs "now" takes a clock (a function that
returns an aware UTC datetime), ``utcnow`` by default, so tests can pass a fixed one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
