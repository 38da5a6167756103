"""The alert record handed to rendering and channels, and the words for event types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

AlertKind = Literal["event", "update", "digest", "storm", "test", "health"]

# one entry per event-type id of event-types.md; the ids are the contract
EVENT_TYPE_LABELS: dict[str, str] = {
    "summit_announced": "Summit announced",
    "summit_held": "Summit held",
    "leaders_call": "Leaders' call",
    "ministerial_talks": "Ministerial talks",
    "official_exchange": "Official exchange",
    "trilateral": "Trilateral cooperation",
    "security_defense": "Security and defence",
    "economy_trade": "Economy and trade",
    "historical_issue": "Historical issue",
    "territorial_dispute": "Territorial dispute",
    "people_exchange": "People-to-people exchange",
    "anniversary": "Anniversary",
    "political_change": "Political change",
    "commentary": "Commentary",
}


def label_for(event_type: str) -> str:
    """The event type in words; unknown ids read as their id with spaces."""
    return EVENT_TYPE_LABELS.get(event_type) or event_type.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class SourceLink:
    """One article behind an event: the feed's name, the article title and its link."""

    name: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class EventLine:
    """One event an alert's article touches: its id, type, state, headline and date."""

    event_id: str
    event_type: str
    state: str
    headline: str
    when: str = ""  # the date the event takes place, when an article states it

    @property
    def type_label(self) -> str:
        return label_for(self.event_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertMessage:
    """Everything a channel needs to say about one alert.

    ``kind`` is ``event`` (a new event), ``update`` (news on a known one),
    ``digest`` / ``storm`` (a summary whose ``items`` are the folded alerts),
    ``test`` (``stmon alerts test``) or ``health`` (alerting itself is failing).
    ``first_seen`` is stored in UTC; channels show it in their own timezone.
    ``events`` lists every event the article opened or changed, the alert's own first
    (an article touching several events makes one alert per channel, led by the most
    specific one); ``when`` is the date the event takes place, if known.
    ``event_type_label`` defaults to the words of :data:`EVENT_TYPE_LABELS` (pass
    ``event_type_label=""`` to ``dataclasses.replace`` when changing ``event_type``).
    """

    alert_id: str
    idempotency_key: str
    kind: AlertKind
    event_id: str
    event_type: str
    headline: str
    first_seen: datetime
    summary: str = ""
    state: str = "announced"
    event_type_label: str = ""
    evidence: Sequence[str] = ()
    sources: Sequence[SourceLink] = ()
    score: float = 0.0
    items: Sequence[AlertMessage] = field(default_factory=tuple)
    events: Sequence[EventLine] = field(default_factory=tuple)
    when: str = ""

    def __post_init__(self) -> None:
        if self.first_seen.tzinfo is None:
            raise ValueError("first_seen must be timezone-aware")
        object.__setattr__(self, "first_seen", self.first_seen.astimezone(UTC))
        if not self.event_type_label:
            object.__setattr__(self, "event_type_label", label_for(self.event_type))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "events", tuple(self.events))


def notice(
    kind: AlertKind,
    key: str,
    *,
    event_type: str,
    headline: str,
    at: datetime,
    summary: str = "",
    items: Sequence[AlertMessage] = (),
    state: str = "",
) -> AlertMessage:
    """A message stmon writes itself (digest, storm, health, test), not about an event:
    ``key`` is both its alert id and its idempotency key."""
    return AlertMessage(
        alert_id=key,
        idempotency_key=key,
        kind=kind,
        event_id="",
        event_type=event_type,
        state=state,
        headline=headline,
        summary=summary,
        first_seen=at,
        items=items,
    )


def sample_message(now: datetime) -> AlertMessage:
    """A harmless sample alert for ``stmon alerts test CHANNEL``."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return AlertMessage(
        alert_id=f"test-{stamp}",
        idempotency_key=f"stmon-test-{stamp}",
        kind="test",
        event_id="test",
        event_type="summit_announced",
        state="test",
        headline="Test alert from stmon: this channel works",
        summary=(
            "This is a sample alert sent by `stmon alerts test`. Real alerts look like this: "
            "the event type, a headline, a short summary, why it matched and the sources."
        ),
        evidence=["sent on request to check the channel"],
        sources=[SourceLink("stmon", "stmon documentation", "https://github.com/stmon/stmon")],
        first_seen=now,
        score=1.0,
    )
