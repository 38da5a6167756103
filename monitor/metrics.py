"""Prometheus metrics: counters the pipeline feeds, gauges read from the store at scrape time.

The daemon owns one :class:`Metrics` (its own ``CollectorRegistry``, never the global
one). The pipeline calls the ``record_*`` methods as work happens; what the store
already knows (outbox depth, each feed's last success) is read when ``/metrics`` is
scraped, so it is right after a restart and forgets removed feeds by itself.

=========================================================  ==================================
``stmon_fetches_total{outcome}``                           polls: new, unchanged,
                                                           not_modified, error, skipped
``stmon_fetch_duration_seconds``                           histogram of poll durations
``stmon_items_total{result}``                              entries: new | duplicate |
                                                           skipped (unreadable or refused)
``stmon_classifications_total{event_type}``                types assigned to new items
``stmon_events_total{event_type}``                         new events
``stmon_alerts_total{channel,outcome}``                    sent | retry | dead
``stmon_processing_failures_total``                        batches whose stages failed
                                                           after the store (retried)
``stmon_config_reloads_total{result}``                     ok | failed
``stmon_outbox_alerts{channel,status}``                    pending / digest rows (store)
``stmon_outbox_oldest_due_seconds``                        wait of the oldest due alert
``stmon_feed_last_success_timestamp_seconds{feed}``        per active feed (store)
``stmon_feeds{state}``                                     ok | error | failing (store)
``stmon_store_up``                                         1 if the store answered the scrape
=========================================================  ==================================
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

from monitor.model import PollOutcome

FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The daemon's metrics. Every ``record_*`` method is cheap and thread-safe."""

    def __init__(self, collectors: Iterable[Collector] = ()) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter("stmon_fetches", "Feed polls by outcome.", ["outcome"], registry=r)
        self.fetch_seconds = Histogram(
            "stmon_fetch_duration_seconds", "Time to poll one feed (fetch to store).",
            buckets=FETCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.items = Counter(
            "stmon_items",
            "Feed entries: new (stored now), duplicate (already known) or skipped (unreadable"
            " or refused by the store).",
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
        self.processing_failures = Counter(
            "stmon_processing_failures",
            "Batches of new items whose classification, novelty or routing failed (retried).",
            registry=r,
        )
        self.reloads = Counter(
            "stmon_config_reloads", "Config reloads (ok, failed).", ["result"], registry=r
        )
        self.task_crashes = Counter(
            "stmon_task_crashes",
            "Crashes of the daemon's background tasks (each restarted).",
            ["task"],
            registry=r,
        )
        for collector in collectors:
            r.register(collector)

    def record_fetch(self, outcome: str, seconds: float) -> None:
        """One poll ended with ``outcome`` (a PollOutcome.status) after ``seconds``."""
        self.fetches.labels(outcome).inc()
        self.fetch_seconds.observe(max(seconds, 0.0))

    def record_items(self, new: int, duplicate: int, skipped: int = 0) -> None:
        """Entries of one fetched document: ``new`` stored now, ``duplicate`` already known,
        ``skipped`` left out (unreadable, or refused by the store)."""
        for result, count in (("new", new), ("duplicate", duplicate), ("skipped", skipped)):
            if count > 0:
                self.items.labels(result).inc(count)

    def record_poll(self, outcome: PollOutcome, seconds: float) -> None:
        """record_fetch and record_items from one PollOutcome."""
        self.record_fetch(outcome.status, seconds)
        known = max(outcome.fetched - outcome.new - outcome.skipped, 0)
        self.record_items(outcome.new, known, outcome.skipped)

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

    def record_processing_failure(self) -> None:
        """The stages after the store failed on a batch of new items (they are retried)."""
        self.processing_failures.inc()

    def record_task_crash(self, task: str) -> None:
        """A background task (delivery, watch-config, supervise) crashed; it restarts."""
        self.task_crashes.labels(task).inc()

    def record_reload(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()

    def render(self) -> bytes:
        """The text exposition format (blocking: it may read the store)."""
        return generate_latest(self.registry)
