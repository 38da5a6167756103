"""The daemon's background tasks, kept running: a task that crashes is started again.

``Tasks.keep(name, run, stop)`` runs ``run()`` until ``stop`` is set. When it raises
(or returns while the daemon is not stopping), the crash is logged with its traceback,
counted (``stmon_task_crashes_total``), remembered for /healthz, and the task is
started again after a backoff (1 s, doubling up to a minute; back to 1 s once it ran
for ten minutes). /healthz fails while a task waits to restart and for
``CRASH_WINDOW`` after its last crash, naming the task and the error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.log import log_event

if TYPE_CHECKING:
    from monitor.metrics import Metrics

log = logging.getLogger(__name__)
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
HEALTHY_AFTER = 600.0  # seconds of running that reset the restart delay
CRASH_WINDOW = timedelta(minutes=15)


@dataclass
class TaskState:
    """What /healthz says about one background task."""

    name: str
    running: bool = False
    crashes: int = 0
    last_error: str = ""
    last_crash: datetime | None = None
    restart_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "crashes": self.crashes,
            "last_error": self.last_error or None,
            "last_crash": self.last_crash.isoformat() if self.last_crash else None,
        }


class Tasks:
    """The background tasks of one daemon and what became of them."""

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.metrics = metrics
        self.clock = clock
        self.first_delay, self.max_delay = first_delay, max_delay
        self.states: dict[str, TaskState] = {}

    def start(
        self, name: str, run: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> asyncio.Task[None]:
        """``keep(name, run, stop)`` as an asyncio task named ``name``."""
        return asyncio.create_task(self.keep(name, run, stop), name=name)

    async def keep(
        self, name: str, run: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> None:
        """Run ``run()`` until ``stop`` is set, starting it again whenever it crashes."""
        state = self.states.setdefault(name, TaskState(name))
        loop = asyncio.get_running_loop()
        delay = self.first_delay
        while not stop.is_set():
            state.running, state.restart_at = True, None
            began = loop.time()
            try:
                await run()
            except Exception as exc:  # any crash: recorded below, and the task restarts
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.error("task_crashed task=%s error=%s", name, error, exc_info=exc)
            else:
                if stop.is_set():
                    break
                error = "ended while the daemon was running"
            if loop.time() - began >= HEALTHY_AFTER:
                delay = self.first_delay
            self._crashed(state, error, delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, self.max_delay)
        state.running, state.restart_at = False, None

    def _crashed(self, state: TaskState, error: str, delay: float) -> None:
        now = self.clock()
        state.running = False
        state.crashes += 1
        state.last_error, state.last_crash = error[:2000], now
        state.restart_at = now + timedelta(seconds=delay)
        if self.metrics is not None:
            self.metrics.record_task_crash(state.name)
        log_event(
            log,
            logging.ERROR,
            "task_restarting",
            task=state.name,
            crashes=state.crashes,
            restart_in=delay,
            error=error,
        )

    def problems(self, now: datetime) -> list[str]:
        """/healthz reasons: tasks waiting to restart, or that crashed lately."""
        out = []
        for state in self.states.values():
            if state.last_crash is None:
                continue
            if state.restart_at is not None:
                out.append(f"task '{state.name}' crashed ({state.last_error}) and waits to restart")
            elif now - state.last_crash <= CRASH_WINDOW:
                out.append(
                    f"task '{state.name}' crashed {state.crashes} time(s), last at "
                    f"{state.last_crash.isoformat()} ({state.last_error}); restarted"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {name: state.to_dict() for name, state in sorted(self.states.items())}
