"""A running monitor: the parts ``monitor.app`` wired, and what runs them.

``Service.poll_once`` is one cycle (``stmon poll --once``); ``Service.run`` is the
daemon's lifetime: the scheduler, the delivery worker, supervision (/healthz,
/metrics, sd_notify) and reload, until SIGTERM or SIGINT; ``Service.apply`` swaps in a
reloaded config with the builders of the ``Composer`` it was given.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from monitor.alert.outbox import DeliveryWorker
from monitor.classify.stage import Pipeline
from monitor.config.schema import Config
from monitor.log import log_event
from monitor.model import PollOutcome
from monitor.poll.poller import FeedSpec, Poller
from monitor.store.db import Database
from monitor.store.feeds import active_feeds
from monitor.store.feeds import sync_feeds as sync_feed_rows
from monitor.store.instances import set_instance_state

if TYPE_CHECKING:  # the daemon's parts, imported when it starts (not by `poll --once`)
    from monitor.metrics import Metrics
    from monitor.schedule import FeedScheduler
    from monitor.service.reload import ConfigReloader
    from monitor.service.supervise import Supervisor

log = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Background(Protocol):
    """A server the daemon runs beside its own work (the web pages)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Composer:
    """The builders a reloaded config goes through (``monitor.app`` provides them), and
    the optional web server the daemon starts."""

    pipeline: Callable[[Config], Pipeline]
    worker: Callable[[Config, Database, httpx.AsyncClient], DeliveryWorker]
    specs: Callable[[Config], list[FeedSpec]]
    web: Callable[[Service], Background | None] = lambda _service: None


def sync_feeds(db: Database, config: Config, *, keep_others: bool = False) -> None:
    """Make the feed rows match the config's feeds (``keep_others``: add them only)."""
    feeds = [(f.name, str(f.url)) for f in config.feeds]
    with db.session() as session:
        sync_feed_rows(session, feeds, datetime.now(UTC), keep_others=keep_others)


@dataclass
class Service:
    """The parts of a running monitor, wired together."""

    config: Config
    db: Database
    client: httpx.AsyncClient
    poller: Poller
    worker: DeliveryWorker
    metrics: Metrics | None  # None: nothing serves them (``poll --once``)
    compose: Composer
    specs: list[FeedSpec] = field(default_factory=list)
    scheduler: FeedScheduler | None = None
    supervisor: Supervisor | None = None
    config_error: str | None = None

    def reloader(self, config_path: Path) -> ConfigReloader:
        from monitor.service.reload import ConfigReloader

        return ConfigReloader(
            config_path,
            self.config,
            prepare=self.compose.pipeline,
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
        sync_feeds(self.db, config)
        self.specs = self.compose.specs(config)
        if self.scheduler is not None:
            self.scheduler.update(self.specs)
        self.poller.processor = pipeline
        fresh = self.compose.worker(config, self.db, self.client)
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
        from monitor.service.tasks import Tasks
        from monitor.store.instances import Membership

        if self.metrics is None:
            raise RuntimeError("a service built without metrics cannot run")
        metrics = self.metrics
        web = self.compose.web(self)
        if web is not None:  # first: a port taken is a config error before anything runs
            await web.start()
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
        keeper = Tasks(metrics)
        self.supervisor = Supervisor(
            self.db,
            self.config.service,
            metrics,
            config_error=lambda: self.config_error,
            tasks=keeper,
        )
        await self.supervisor.start()
        supervisor = self.supervisor
        tasks = [  # each restarted after a crash (monitor.service.tasks), shown by /healthz
            keeper.start("delivery", lambda: self.worker.run(stop), stop),
            keeper.start("supervise", lambda: supervisor.run(stop), stop),
        ]
        if config_path is not None:
            reloader = self.reloader(config_path)
            loop.add_signal_handler(signal.SIGHUP, reloader.reload, "SIGHUP")
            tasks.append(keeper.start("watch-config", lambda: reloader.watch(stop), stop))
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
            if web is not None:
                await web.close()
            await self.scheduler.shutdown(grace=10.0)
            stop.set()
            await asyncio.wait(tasks, timeout=10.0)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await membership.leave()
        log_event(log, logging.INFO, "stopped")
