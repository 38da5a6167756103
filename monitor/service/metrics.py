"""The store's side of /metrics: gauges read from the database at each scrape.

``store_metrics`` is the daemon's :class:`monitor.metrics.Metrics` with a
:class:`StoreCollector` registered (see ``monitor.metrics`` for every metric).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric

from monitor.clock import utcnow
from monitor.metrics import Metrics
from monitor.store.db import Database
from monitor.store.feeds import active_feeds
from monitor.store.status import first_due_attempt, queued_by_channel

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
QUEUED = ("pending", "digest")


def store_metrics(db: Database, *, clock: Callable[[], datetime] | None = None) -> Metrics:
    """The daemon's metrics: the pipeline's counters and the store's gauges."""
    return Metrics([StoreCollector(db, clock or utcnow)])


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
            for channel, status, count in queued_by_channel(session, QUEUED):
                outbox.add_metric([channel, status], count)
            due = first_due_attempt(session, now)
            oldest.add_metric([], (now - due).total_seconds() if due else 0.0)
            states = {"ok": 0, "error": 0, "failing": 0}
            for feed in active_feeds(session):
                if feed.last_success is not None:
                    last_success.add_metric([feed.name], feed.last_success.timestamp())
                state = (
                    "failing" if feed.failing else ("error" if feed.consecutive_errors else "ok")
                )
                states[state] += 1
        for state, count in states.items():
            feeds.add_metric([state], count)
