"""Sample alert records for rendering, channel and outbox tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from monitor.alert.message import AlertMessage, SourceLink

FIRST_SEEN = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)  # 18:30 in Seoul
HOSTILE = '<script>alert("x")</script> & <!channel> @everyone **bold** [x](javascript:1)'


def make_message(**overrides: Any) -> AlertMessage:
    """A realistic event alert; any field can be overridden."""
    if "event_type" in overrides:
        overrides.setdefault("event_type_label", "")  # recomputed from the new type
    base = AlertMessage(
        alert_id="a-1",
        idempotency_key="stmon-a-1",
        kind="event",
        event_id="ev-20250601-summit",
        event_type="summit_announced",
        state="announced",
        headline="Lee and Ishiba to meet in Tokyo next month",
        summary="South Korea's president will visit Tokyo for talks with Japan's prime minister.",
        evidence=["'will meet' near 'Ishiba' in the title", "source: Yonhap (weight 1.0)"],
        sources=[
            SourceLink("yonhap", "Lee to visit Tokyo for summit", "https://en.yna.co.kr/view/1"),
            SourceLink("kyodo", "Ishiba, Lee to hold talks", "https://english.kyodonews.net/2"),
        ],
        first_seen=FIRST_SEEN,
        score=0.87,
    )
    return replace(base, **overrides)


def make_digest(items: list[AlertMessage], **overrides: Any) -> AlertMessage:
    """A digest folding ``items``."""
    base = AlertMessage(
        alert_id="d-1",
        idempotency_key="stmon-d-1",
        kind="digest",
        event_id="",
        event_type="digest",
        headline="Hourly digest",
        first_seen=FIRST_SEEN,
        items=items,
    )
    return replace(base, **overrides)
