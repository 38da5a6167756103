"""Source health and service health.

Source health: each feed's rhythm is the median gap between the publication times of
its most recent items (times later than when the item was seen count as seen; equal
times count once). A feed is flagged **failing** when its fetches have failed
``failing_after`` times in a row, and **quiet** when, at its last successful poll, it
had brought nothing new for longer than ``max(quiet_factor × rhythm, quiet_floor)``.
Silence is measured up to the last success, not to now, so a monitor that was stopped
does not call every feed quiet. A feed with fewer than ``min_items`` items is still
**learning** and is never called quiet. Each problem spell has an episode id (when the
silence began, or the last success before the failures), so it alerts once.

Service health (``/healthz``) fails when no feed has succeeded for ``no_success_for``
(after a grace period of the same length from start), when an alert due for delivery
has waited longer than ``outbox_stuck_after``, if ``include_sources`` while any feed
is flagged, and while a background task waits to restart or crashed lately
(``monitor.service.tasks``); it also shows why the last config reload was refused.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from monitor.alert.message import AlertMessage, notice
from monitor.alert.route import message_to_dict
from monitor.config.service import HealthzSettings, ServiceSettings, SourceHealthSettings
from monitor.config.types import format_duration
from monitor.errors import MonitorError
from monitor.model import StoredFeed
from monitor.service.tasks import Tasks
from monitor.store.db import Database, Session
from monitor.store.feeds import active_feeds
from monitor.store.outbox import add_alert, known_keys
from monitor.store.status import (
    active_feed_count,
    alerts_by_status,
    dead_alerts_since,
    events_since,
    last_success,
    oldest_due_alert,
    recent_item_times,
)

HealthState = Literal["ok", "learning", "error", "failing", "quiet"]
KEY_MAX = 120


DEAD_ALERT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One active feed's health. ``flagged`` feeds are failing or quiet."""

    feed: str
    state: HealthState
    reason: str = ""
    rhythm: float | None = None  # median seconds between items
    quiet_after: float | None = None  # seconds of silence that make it quiet
    last_item: datetime | None = None  # when it last brought an item new to it
    last_success: datetime | None = None
    errors: int = 0
    episode: str = ""  # identifies the current problem spell

    @property
    def flagged(self) -> bool:
        return self.state in ("failing", "quiet")


def learn_rhythm(times: Sequence[datetime]) -> float | None:
    """The median gap in seconds between distinct times, or None with fewer than two."""
    distinct = sorted(set(times))
    gaps = [(b - a).total_seconds() for a, b in pairwise(distinct)]
    return statistics.median(gaps) if gaps else None


def source_health(
    session: Session, now: datetime, settings: SourceHealthSettings
) -> list[FeedHealth]:
    """The health of every active feed, by name."""
    history = recent_item_times(session, settings.history)
    return [
        feed_health(feed, history.get(feed.id, []), now, settings) for feed in active_feeds(session)
    ]


def feed_health(
    feed: StoredFeed,
    items: Sequence[tuple[datetime, datetime]],
    now: datetime,
    settings: SourceHealthSettings,
) -> FeedHealth:
    """One feed's health from its row and its recent (published, seen) pairs."""
    health = FeedHealth(
        feed=feed.name, state="error" if feed.consecutive_errors else "ok",
        last_success=feed.last_success, errors=feed.consecutive_errors,
        last_item=max((seen for _, seen in items), default=None),
        rhythm=learn_rhythm([min(published, seen) for published, seen in items]),
    )  # fmt: skip
    if feed.failing:
        reason = f"{feed.consecutive_errors} failed polls in a row: {feed.last_error or '?'}"
        episode = f"failing:{_stamp(feed.last_success)}"
        return replace(health, state="failing", reason=reason, episode=episode)
    rhythm, last_item = health.rhythm, health.last_item
    if rhythm is None or last_item is None or len(items) < settings.min_items:
        state: HealthState = "error" if feed.consecutive_errors else "learning"
        return replace(health, state=state, reason=f"{len(items)} items so far")
    quiet_after = max(settings.quiet_factor * rhythm, settings.quiet_floor.total_seconds())
    health = replace(health, quiet_after=quiet_after, reason=f"usually every {_human(rhythm)}")
    silent = ((feed.last_success or now) - last_item).total_seconds()
    if silent <= quiet_after:
        return health
    reason = (
        f"nothing new for {_human(silent)} (usually every {_human(rhythm)}, "
        f"quiet after {_human(quiet_after)})"
    )
    return replace(health, state="quiet", reason=reason, episode=f"quiet:{_stamp(last_item)}")


def _stamp(when: datetime | None) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ") if when else "never"


def _human(seconds: float) -> str:
    step = 3600 if seconds >= 3 * 3600 else (60 if seconds >= 120 else 1)
    return format_duration(timedelta(seconds=max(step, round(seconds / step) * step)))


# --- source_health alerts --------------------------------------------------------------


def alert_key(health: FeedHealth, channel: str) -> str:
    """One key per feed, episode and channel, so one problem spell alerts once."""
    key = f"source:{health.feed}:{health.episode}:{channel}"
    if len(key) <= KEY_MAX:
        return key
    return "source:" + hashlib.sha256(key.encode()).hexdigest()


def source_message(health: FeedHealth, key: str, now: datetime) -> AlertMessage:
    what = "is failing" if health.state == "failing" else "has gone quiet"
    return notice(
        "health",
        key,
        event_type="source_health",
        state=health.state,
        headline=f"Feed '{health.feed}' {what}",
        summary=f"Feed '{health.feed}' {what}: {health.reason}. "
        "See `stmon status`; alerts from this feed may be missing meanwhile.",
        at=now,
    )


def queue_source_alerts(
    session: Session, health: Sequence[FeedHealth], channels: Sequence[str], now: datetime
) -> int:
    """Add a ``source_health`` outbox row per flagged feed and channel; returns how many
    were new (an episode already alerted adds nothing)."""
    wanted = {alert_key(h, c): (h, c) for h in health if h.flagged for c in channels}
    known = known_keys(session, wanted)
    for key, (one, channel) in wanted.items():
        if key in known:
            continue
        payload = message_to_dict(source_message(one, key, now), alert_id=key, key=key)
        add_alert(  # ON CONFLICT DO NOTHING: a second instance cannot add it twice
            session, key=key, channel=channel, kind="source_health", delivery="immediate",
            payload=payload, event_id=None, next_attempt=now, now=now,
        )  # fmt: skip
    return len(wanted) - len(known)


# --- service health (/healthz) and the status line -------------------------------------


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "failing", "reasons": self.reasons,
                **self.details}  # fmt: skip


def check_service(
    session: Session,
    now: datetime,
    settings: HealthzSettings,
    *,
    started: datetime,
    sources: Sequence[FeedHealth] = (),
) -> HealthReport:
    """Is the monitor doing its job? (``sources`` only count with ``include_sources``.)"""
    reasons: list[str] = []
    feeds = active_feed_count(session)
    latest = last_success(session)
    limit = settings.no_success_for
    if feeds and (latest is None or now - latest > limit) and now - started > limit:
        since = f"since {latest.isoformat()}" if latest else "since start"
        reasons.append(f"no feed fetched successfully for over {format_duration(limit)} ({since})")
    due = oldest_due_alert(session, now)
    waited = (now - due[1]).total_seconds() if due else 0.0
    if due and waited > settings.outbox_stuck_after.total_seconds():
        reasons.append(f"outbox stuck: an alert to '{due[0]}' has waited {_human(waited)}")
    dead = dead_alerts_since(session, now - DEAD_ALERT_WINDOW)
    reasons += [f"alerting is failing: {n} alert(s) to '{ch}' gave up in 24h" for ch, n in dead]
    flagged = [s for s in sources if s.flagged]
    if settings.include_sources:
        reasons += [f"feed '{s.feed}' is {s.state}: {s.reason}" for s in flagged]
    details = {
        "feeds": feeds, "last_success": latest.isoformat() if latest else None,
        "oldest_due_alert_seconds": round(waited),
        "flagged_feeds": {s.feed: s.state for s in flagged},
    }  # fmt: skip
    return HealthReport(not reasons, reasons, details)


class SourceWatch:
    """The daemon's view of source health: ``refresh`` every few minutes (it learns every
    feed's rhythm and queues source_health alerts to ``alert_channels``); ``report``
    answers /healthz cheaply from the store and the last refresh. Both block: call them
    in a thread (``asyncio.to_thread``)."""

    def __init__(
        self,
        db: Database,
        settings: ServiceSettings,
        *,
        started: datetime,
        tasks: Tasks | None = None,
        config_error: Callable[[], str | None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.started = started
        self.tasks = tasks
        self.config_error = config_error or (lambda: None)
        self.sources: list[FeedHealth] = []
        self.status = ""

    def refresh(self, now: datetime | None = None) -> str:
        """Recompute source health and queue alerts; returns the status line."""
        now = now or datetime.now(UTC)
        channels = self.settings.source_health.alert_channels
        with self.db.session() as session:
            self.sources = source_health(session, now, self.settings.source_health)
            queue_source_alerts(session, self.sources, channels, now)
            self.status = status_line(session, now, self.sources)
        return self.status

    def report(self, now: datetime | None = None) -> HealthReport:
        """The service's health, with the background tasks' and the last reload's; when
        the store cannot answer, a failing report that still says those."""
        now = now or datetime.now(UTC)
        try:
            with self.db.session() as session:
                report = check_service(session, now, self.settings.healthz,
                                       started=self.started, sources=self.sources)  # fmt: skip
        except MonitorError as exc:
            report = HealthReport(False, [f"health check failed: {exc}"])
        reasons, details = list(report.reasons), dict(report.details)
        if self.tasks is not None:
            reasons += self.tasks.problems(now)
            details["tasks"] = self.tasks.to_dict()
        error = self.config_error()
        if error:
            details["config_error"] = error
        return HealthReport(not reasons, reasons, details)


def status_line(session: Session, now: datetime, sources: Sequence[FeedHealth]) -> str:
    """One line for sd_notify STATUS and logs: feeds, events, alerts at a glance."""
    failing = sum(1 for s in sources if s.state == "failing")
    quiet = sum(1 for s in sources if s.state == "quiet")
    events = events_since(session, now - timedelta(days=1))
    queued = alerts_by_status(session, ("pending", "dead"))
    return (
        f"{len(sources)} feeds ({failing} failing, {quiet} quiet); {events or 0} events in 24h; "
        f"alerts: {queued.get('pending', 0)} pending, {queued.get('dead', 0)} dead"
    )
