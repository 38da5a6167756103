"""The daemon's own upkeep: systemd notifications, the watchdog, /metrics and /healthz.

``Supervisor`` tells systemd READY once the monitor runs, keeps STATUS current (feeds,
events, alerts at a glance, any config error and any crashed task), pings the watchdog
only after the database answered, and serves the optional HTTP endpoint on 127.0.0.1.
The daemon's background tasks themselves are kept running by ``monitor.service.tasks``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from monitor.config.service import ServiceSettings
from monitor.errors import MonitorError
from monitor.log import log_event
from monitor.metrics import Metrics
from monitor.service.health import SourceWatch
from monitor.service.http import Endpoint
from monitor.service.systemd import Notifier, watchdog_interval
from monitor.service.tasks import Tasks
from monitor.store.db import Database

log = logging.getLogger(__name__)
STATUS_EVERY = 300.0


class Supervisor:
    def __init__(
        self,
        db: Database,
        settings: ServiceSettings,
        metrics: Metrics,
        *,
        config_error: Callable[[], str | None],
        tasks: Tasks | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self.config_error = config_error
        self.tasks = tasks
        self.notifier = Notifier()
        self.watch = SourceWatch(
            db, settings, started=datetime.now(UTC), tasks=tasks, config_error=config_error
        )
        self.endpoint: Endpoint | None = None

    async def start(self) -> None:
        if self.settings.metrics.enabled:
            host, port = self.settings.metrics.address
            self.endpoint = Endpoint(self.metrics, self.watch.report, host, port)
            await self.endpoint.start()
            log_event(log, logging.INFO, "endpoint_listening", host=host, port=self.endpoint.port)
        self.notifier.ready(await self.status())

    async def status(self) -> str:
        line = await asyncio.to_thread(self.watch.refresh)
        error = self.config_error()
        if error:
            line += f"; config error (running on the last good config): {error.splitlines()[0]}"
        crashed = self.tasks.problems(datetime.now(UTC)) if self.tasks is not None else []
        if crashed:
            line += "; " + "; ".join(crashed)
        return line

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh STATUS every few minutes and feed the watchdog until ``stop``."""
        interval = watchdog_interval()
        tick = min(STATUS_EVERY, interval / 2) if interval else STATUS_EVERY
        last_status = asyncio.get_running_loop().time()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick)
            except TimeoutError:
                pass
            if stop.is_set():
                break
            if interval and await asyncio.to_thread(self._database_answers):
                self.notifier.watchdog()
            now = asyncio.get_running_loop().time()
            if now - last_status >= STATUS_EVERY:
                self.notifier.status(await self.status())
                last_status = now

    def _database_answers(self) -> bool:
        try:
            self.db.ping()
        except Exception as exc:  # any driver error means: do not tell systemd we are well
            log_event(log, logging.ERROR, "watchdog_skipped", reason=str(exc))
            return False
        return True

    def reloading(self) -> None:
        self.notifier.reloading()

    async def reloaded(self, ok: bool) -> None:
        """Count a reload and tell systemd READY with a fresh STATUS (if the store answers:
        otherwise READY alone, and the next STATUS comes with the next refresh)."""
        self.metrics.record_reload(ok)
        try:
            line = await self.status()
        except MonitorError as exc:
            log_event(log, logging.WARNING, "status_failed", error=str(exc))
            line = ""
        self.notifier.ready(line)

    async def close(self) -> None:
        self.notifier.stopping()
        if self.endpoint is not None:
            await self.endpoint.close()
