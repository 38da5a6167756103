"""Prometheus metrics: counters the pipeline feeds, gauges read from the store at scrape time.

The daemon owns one :class:`Metrics` (its own ``CollectorRegistry``, never the global
one). The pipeline calls the ``record_*`` methods as work happens; what the store
already knows (outbox depth, each feed's last success) is read when ``/metrics`` is
scraped, so it is right after a restart and forgets removed feeds by itself.

=========================================================  ==================================
``stmon_fetches_total{outcome}``                           polls: new, unchanged,
                                                           not_modified, error, skipped
``stmon_fetch_duration_seconds``                           histogram of poll durations
``stmon_items_total{result}``                              entries: new | duplicate
``stmon_classifications_total{event_type}``                types assigned to new items
``stmon_events_total{event_type}``                         new events
``stmon_alerts_total{channel,outcome}``                    sent | retry | dead
``stmon_config_reloads_total{result}``                     ok | failed
``stmon_outbox_alerts{channel,status}``                    pending / digest rows (store)
``stmon_outbox_oldest_due_seconds``                        wait of the oldest due alert
``stmon_feed_last_success_timestamp_seconds{feed}``        per active feed (store)
``stmon_feeds{state}``                                     ok | error | failing (store)
``stmon_store_up``                                         1 if the store answered the scrape
=========================================================  ==================================
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select

from monitor.model import PollOutcome
from monitor.store.db import Database
from monitor.store.tables import Alert, Feed

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
QUEUED = ("pending", "digest")


class Metrics:
    """The daemon's metrics. Every ``record_*`` method is cheap and thread-safe."""

    def __init__(
        self, db: Database | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter("stmon_fetches", "Feed polls by outcome.", ["outcome"], registry=r)
        self.fetch_seconds = Histogram(
            "stmon_fetch_duration_seconds", "Time to poll one feed (fetch to store).",
            buckets=FETCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.items = Counter(
            "stmon_items", "Feed entries: new (stored now) or duplicate (already known).",
            ["result"], registry=r,
        )  # fmt: skip
        self.classifications = Counter(
            "stmon_classifications", "Event types assigned to new items.", ["event_type"],
            registry=r,
        )  # fmt: skip
        self.events = Counter("stmon_events", "New events.", ["event_type"], registry=r)
        self.alerts = Counter(
            "stmon_alerts", "Alert deliveries by channel and outcome (sent, retry, dead).",
            ["channel", "outcome"], registry=r,
        )  # fmt: skip
        self.reloads = Counter(
            "stmon_config_reloads", "Config reloads (ok, failed).", ["result"], registry=r
        )
        if db is not None:
            r.register(StoreCollector(db, clock or (lambda: datetime.now(UTC))))

    def record_fetch(self, outcome: str, seconds: float) -> None:
        """One poll ended with ``outcome`` (a PollOutcome.status) after ``seconds``."""
        self.fetches.labels(outcome).inc()
        self.fetch_seconds.observe(max(seconds, 0.0))

    def record_items(self, new: int, duplicate: int) -> None:
        """Entries of one fetched document: ``new`` stored now, ``duplicate`` already known."""
        if new > 0:
            self.items.labels("new").inc(new)
        if duplicate > 0:
            self.items.labels("duplicate").inc(duplicate)

    def record_poll(self, outcome: PollOutcome, seconds: float) -> None:
        """record_fetch and record_items from one PollOutcome."""
        self.record_fetch(outcome.status, seconds)
        self.record_items(outcome.new, max(outcome.fetched - outcome.new, 0))

    def record_classification(self, types: Iterable[str]) -> None:
        """The event types assigned to one new item (none when it is irrelevant)."""
        for event_type in types:
            self.classifications.labels(event_type).inc()

    def record_event(self, event_type: str) -> None:
        """A new event was opened."""
        self.events.labels(event_type).inc()

    def record_alert(self, channel: str, outcome: str) -> None:
        """A delivery attempt to ``channel`` ended ``sent``, ``retry`` or ``dead``."""
        self.alerts.labels(channel, outcome).inc()

    def record_reload(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()

    def render(self) -> bytes:
        """The text exposition format (blocking: it may read the store)."""
        return generate_latest(self.registry)


class StoreCollector:
    """Gauges read from the store at each scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        up = GaugeMetricFamily("stmon_store_up", "1 if the store answered this scrape.")
        try:
            self._fill(families)
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics_store_failed error=%s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from families
        yield up

    def _families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("stmon_outbox_alerts", "Alerts waiting in the outbox.",
                              labels=["channel", "status"]),
            GaugeMetricFamily("stmon_outbox_oldest_due_seconds",
                              "How long the oldest due pending alert has waited (0 if none)."),
            GaugeMetricFamily("stmon_feed_last_success_timestamp_seconds",
                              "Unix time of each active feed's last successful poll.",
                              labels=["feed"]),
            GaugeMetricFamily("stmon_feeds", "Active feeds by state.", labels=["state"]),
        ]  # fmt: skip

    def _fill(self, families: list[GaugeMetricFamily]) -> None:
        outbox, oldest, last_success, feeds = families
        now = self.clock()
        with self.db.session() as session:
            for channel, status, count in session.execute(
                select(Alert.channel, Alert.status, func.count())
                .where(Alert.status.in_(QUEUED))
                .group_by(Alert.channel, Alert.status)
            ):
                outbox.add_metric([channel, status], count)
            due = session.scalar(
                select(func.min(Alert.next_attempt)).where(
                    Alert.status == "pending", Alert.next_attempt <= now
                )
            )
            oldest.add_metric([], (now - due).total_seconds() if due else 0.0)
            states = {"ok": 0, "error": 0, "failing": 0}
            for feed in session.scalars(select(Feed).where(Feed.active).order_by(Feed.name)):
                if feed.last_success is not None:
                    last_success.add_metric([feed.name], feed.last_success.timestamp())
                state = (
                    "failing" if feed.failing else ("error" if feed.consecutive_errors else "ok")
                )
                states[state] += 1
        for state, count in states.items():
            feeds.add_metric([state], count)
