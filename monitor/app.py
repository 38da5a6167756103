"""Composition root: config → store → fetcher → poller → pipeline → delivery.

The builders here wire the parts together; ``Service`` holds them and also runs them:
a one-off cycle (``poll_once``), the daemon's lifetime (``run``: scheduler, delivery,
supervision, reload) and swapping in a reloaded config (``apply``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from monitor.alert.outbox import DeliverySettings, DeliveryWorker
from monitor.classify.stage import Pipeline, WatchRules
from monitor.config.schema import Config, FeedConfig
from monitor.fetch.client import Fetcher, FetchSettings, make_client
from monitor.log import log_event
from monitor.model import PollOutcome
from monitor.poll.poller import FeedSpec, Poller, PollSettings
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import active_feeds
from monitor.store.feeds import sync_feeds as sync_feed_rows
from monitor.store.instances import set_instance_state

if TYPE_CHECKING:  # the daemon's parts, imported when it starts (not by `poll --once`)
    from monitor.metrics import Metrics
    from monitor.novelty.events import EventNews
    from monitor.schedule import FeedScheduler
    from monitor.service.reload import ConfigReloader
    from monitor.service.supervise import Supervisor
    from monitor.store.db import Session

log = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def feed_specs(config: Config) -> list[FeedSpec]:
    default = config.fetch.interval.total_seconds()
    return [
        FeedSpec(f.name, str(f.url), (f.interval.total_seconds() if f.interval else default))
        for f in config.feeds
        if f.enabled
    ]


def build_pipeline(config: Config) -> Pipeline:
    """classify → novelty → alert routing, for every watch.

    Compiles every watch's rules first (a ConfigError names the rules file and line).
    """
    if not config.watches:
        return Pipeline([])
    from monitor.alert.route import Router
    from monitor.classify import load_rules
    from monitor.novelty.stage import NoveltyStage

    watches = [
        WatchRules(w.name, load_rules(w.rules), frozenset(f.name for f in config.feeds_of(w)))
        for w in config.watches
    ]
    pipeline = Pipeline(watches)
    router = Router(config.watches, config.channels)

    def on_news(session: Session, news: list[EventNews], now: datetime) -> None:
        router.enqueue(session, news, now)
        if pipeline.metrics is not None:
            for one in news:
                if one.kind == "new":
                    pipeline.metrics.record_event(one.event_type)

    pipeline.next_stage = NoveltyStage(
        settings=config.novelty, watches=config.watches, on_news=on_news
    )
    return pipeline


def delivery_worker(config: Config, db: Database, client: httpx.AsyncClient) -> DeliveryWorker:
    """The outbox worker with one channel object per enabled channel."""
    from monitor.alert.channels import make_channel

    enabled = {name: c for name, c in config.channels.items() if c.enabled}
    channels = {name: make_channel(name, c, client=client) for name, c in enabled.items()}
    a = config.alerts
    settings = DeliverySettings(
        max_attempts=a.max_attempts,
        retry_delay=a.retry_delay.total_seconds(),
        max_delay=a.max_delay.total_seconds(),
    )
    return DeliveryWorker(db, channels, enabled, settings=settings, instance=INSTANCE)


def parse_workers() -> int:
    """Parser processes for a one-off cycle (``poll --once``): one per core beyond the
    first (the poller's own process needs one core to fetch and store), at most two;
    none on a single core. The daemon parses in its own process: its polls are spread
    over each feed's interval, and a parser process would hold ~27 MB for good."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(2, (cores or 1) - 1))


def open_database(url: str) -> Database:
    """Open the store and refuse an outdated schema (SchemaOutdated says what to run)."""
    db = Database(url)
    try:
        migrate.ensure_current(db.engine)
    except BaseException:
        db.dispose()
        raise
    return db


def sync_feeds(db: Database, feeds: Sequence[FeedConfig | FeedSpec]) -> None:
    with db.session() as session:
        sync_feed_rows(session, [(f.name, str(f.url)) for f in feeds], datetime.now(UTC))


@dataclass
class Service:
    """The parts of a running monitor, wired together."""

    config: Config
    db: Database
    client: httpx.AsyncClient
    poller: Poller
    worker: DeliveryWorker
    metrics: Metrics | None  # None: nothing serves them (``poll --once``)
    specs: list[FeedSpec] = field(default_factory=list)
    scheduler: FeedScheduler | None = None
    supervisor: Supervisor | None = None
    config_error: str | None = None

    @classmethod
    def build(
        cls,
        config: Config,
        db: Database,
        pipeline: Pipeline | None,
        *,
        parse_workers: int = 0,
        defer_rules: bool = False,
        with_metrics: bool = True,
    ) -> Service:
        """The parts, wired. With ``defer_rules`` (and no ``pipeline``), the watches'
        rules are compiled by the poller when a first feed has a document to store
        (``build_pipeline``; a cycle of 304s does without them). Without ``with_metrics``
        nothing is counted for ``/metrics`` (and prometheus_client is not loaded); such a
        service cannot ``run``."""
        settings = FetchSettings.from_config(config.fetch)
        client = make_client(settings)
        fetcher = Fetcher(client, settings)
        metrics = None
        if with_metrics:
            from monitor.service.metrics import store_metrics

            metrics = store_metrics(db)
        worker = delivery_worker(config, db, client)
        worker.metrics = metrics
        if pipeline is not None:
            pipeline.metrics = metrics

        def deferred() -> Pipeline:
            built = build_pipeline(config)
            built.metrics = metrics
            return built

        poller = Poller(
            db,
            fetcher,
            processor=pipeline,
            settings=PollSettings(
                failing_after=config.fetch.failing_after,
                max_backoff=config.fetch.max_backoff.total_seconds(),
            ),
            on_new_items=lambda _outcome: worker.wake.set(),
            metrics=metrics,
            parse_workers=parse_workers,
            minhash=bool(config.watches) and (defer_rules or pipeline is not None),  # novelty
            build_processor=deferred if defer_rules and pipeline is None else None,
        )
        specs = feed_specs(config)
        sync_feeds(db, config.feeds)
        return cls(config, db, client, poller, worker, metrics, specs)

    def reloader(self, config_path: Path) -> ConfigReloader:
        from monitor.service.reload import ConfigReloader

        return ConfigReloader(
            config_path,
            self.config,
            prepare=build_pipeline,
            apply=self.apply,
            report=self.report_config_error,
        )

    def apply(self, config: Config, pipeline: object) -> None:
        """Swap in a validated config: feeds, intervals, rules, routes and channels."""
        assert isinstance(pipeline, Pipeline)
        pipeline.metrics = self.metrics
        if config.fetch != self.config.fetch or config.storage != self.config.storage:
            log_event(
                log,
                logging.WARNING,
                "restart_needed",
                reason="fetch: and storage: settings take effect at the next start",
            )
        sync_feeds(self.db, config.feeds)
        self.specs = feed_specs(config)
        if self.scheduler is not None:
            self.scheduler.update(self.specs)
        self.poller.processor = pipeline
        fresh = delivery_worker(config, self.db, self.client)
        if self.supervisor is not None:
            self.supervisor.settings = config.service
        self.worker.channels, self.worker.configs = fresh.channels, fresh.configs
        self.worker.settings = fresh.settings
        self.config = config

    def report_config_error(self, error: str | None) -> None:
        self.config_error = error
        with self.db.session() as session:
            set_instance_state(session, INSTANCE, config_error=error)
        if self.supervisor is not None:
            asyncio.get_running_loop().create_task(self.supervisor.reloaded(error is None))

    async def close(self) -> None:
        await self.client.aclose()
        await self.poller.aclose()

    async def poll_once(self, *, force: bool = False) -> list[PollOutcome]:
        """Poll every feed that is due (all of them with ``force``), then send what is due."""
        specs = self.specs if force else self._due(self.specs)
        # four times the fetch concurrency: fetches never wait for a slot while others are
        # parsed or wait for the store (whose batches linger), and no more documents than
        # that are held at once
        in_flight = 4 * self.config.fetch.concurrency
        outcomes = await self.poller.poll_many(specs, in_flight=in_flight)
        await self.worker.deliver_due()
        return outcomes

    def _due(self, specs: list[FeedSpec]) -> list[FeedSpec]:
        now = datetime.now(UTC)
        with self.db.session() as session:
            due = {f.name for f in active_feeds(session) if not f.next_due or f.next_due <= now}
        return [s for s in specs if s.name in due]

    async def run(self, config_path: Path | None = None) -> None:
        """Run until SIGTERM or SIGINT; then stop taking work and finish in-flight polls.

        With ``config_path``, SIGHUP or an edit of the config or a rules file reloads it.
        """
        from monitor.schedule import FeedScheduler
        from monitor.service.supervise import Supervisor
        from monitor.store.instances import Membership

        if self.metrics is None:
            raise RuntimeError("a service built without metrics cannot run")
        metrics = self.metrics
        membership = Membership(self.db, INSTANCE)
        await membership.join()  # on SQLite, refuses a second instance on the same file
        self.poller.owner, self.poller.due_only = INSTANCE, True
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.scheduler = FeedScheduler(self.poller, self.db, jitter=self.config.fetch.jitter)
        self.scheduler.start(self.specs)
        if self.db.engine.dialect.name == "sqlite":  # one instance per file: old leases are ours
            self.worker.release_claims()
        self.supervisor = Supervisor(
            self.db, self.config.service, metrics, config_error=lambda: self.config_error
        )
        await self.supervisor.start()
        tasks = [
            asyncio.create_task(self.worker.run(stop), name="delivery"),
            asyncio.create_task(self.supervisor.run(stop), name="supervise"),
        ]
        if config_path is not None:
            reloader = self.reloader(config_path)
            loop.add_signal_handler(signal.SIGHUP, reloader.reload, "SIGHUP")
            tasks.append(asyncio.create_task(reloader.watch(stop), name="watch-config"))
        log_event(
            log,
            logging.INFO,
            "started",
            feeds=len(self.specs),
            channels=len(self.worker.channels),
            db=self.db.engine.url.render_as_string(),
        )
        try:
            await stop.wait()
        finally:
            log_event(log, logging.INFO, "stopping")
            await self.supervisor.close()
            await self.scheduler.shutdown(grace=10.0)
            stop.set()
            await asyncio.wait(tasks, timeout=10.0)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await membership.leave()
        log_event(log, logging.INFO, "stopped")
