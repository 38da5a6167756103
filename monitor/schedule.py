"""The scheduler: one APScheduler job per feed; all state lives in the store.

Jobs are rebuilt from the config at every start (MemoryJobStore, nothing pickled).
Each job fires at its feed's interval with jitter, so feeds do not fire together;
``coalesce=True`` and ``max_instances=1`` keep a slow feed from piling up; the
``misfire_grace_time`` of a job is its feed's interval, so a run that is late (a busy
loop, a suspended machine) still happens once instead of being silently dropped.
After each run the job's next fire time is moved to the feed row's ``next_due`` when
that is later (backoff, Retry-After, TTL); at start, overdue feeds run at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.clock import utcnow
from monitor.log import log_event
from monitor.poll.poller import FeedSpec, Poller
from monitor.store.db import Database
from monitor.store.feeds import active_feeds

log = logging.getLogger(__name__)


RETRY_JOB = "stmon:retry-unprocessed"  # runs the stages again on items whose processing failed
RETRY_EVERY = 300  # seconds


class FeedScheduler:
    def __init__(
        self,
        poller: Poller,
        db: Database,
        *,
        jitter: float = 0.1,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.poller = poller
        self.db = db
        self.jitter = jitter
        self.clock = clock or utcnow
        self.rng = rng or random.Random()
        self.specs: dict[str, FeedSpec] = {}
        self.in_flight: set[asyncio.Task[object]] = set()
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )
        self.scheduler.add_listener(
            self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    def start(self, specs: Iterable[FeedSpec]) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.poller.retry_unprocessed,
            IntervalTrigger(seconds=RETRY_EVERY),
            id=RETRY_JOB,
            name=RETRY_JOB,
            misfire_grace_time=RETRY_EVERY,
        )
        self.update(specs)

    def update(self, specs: Iterable[FeedSpec]) -> None:
        """Make the jobs match ``specs``: add new feeds, drop removed ones, retime changed."""
        wanted = {spec.name: spec for spec in specs}
        due = self._due_times()
        for name in set(self.specs) - set(wanted):
            self.scheduler.remove_job(name)
            log_event(log, logging.INFO, "job_removed", feed=name)
        for name, spec in wanted.items():
            old = self.specs.get(name)
            if old == spec:
                continue
            if old is not None:
                self.scheduler.remove_job(name)
            self.scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=spec.interval, jitter=spec.interval * self.jitter),
                id=name,
                name=name,
                args=[name],
                misfire_grace_time=max(1, int(spec.interval)),
                next_run_time=self._first_run(due.get(name)),
            )
        self.specs = wanted

    def _due_times(self) -> dict[str, datetime | None]:
        with self.db.session() as session:
            return {f.name: f.next_due for f in active_feeds(session)}

    def _first_run(self, next_due: datetime | None) -> datetime:
        """Overdue feeds run now (spread over a few seconds); others when due."""
        now = self.clock()
        if next_due is None or next_due <= now:
            return now + timedelta(seconds=self.rng.uniform(0, 5))
        return next_due

    async def _run(self, name: str) -> None:
        spec = self.specs.get(name)
        if spec is None:
            return
        task = asyncio.current_task()
        assert task is not None
        self.in_flight.add(task)
        try:
            outcome = await self.poller.poll(spec)
        finally:
            self.in_flight.discard(task)
        job = self.scheduler.get_job(name)
        if job is None or outcome.next_due is None or job.next_run_time is None:
            return
        if outcome.next_due > job.next_run_time:  # backoff, Retry-After, TTL
            job.modify(next_run_time=outcome.next_due)

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            log_event(
                log,
                logging.ERROR,
                "job_failed",
                feed=event.job_id,
                error=repr(event.exception),
                traceback=event.traceback,
            )
        elif event.code == EVENT_JOB_MISSED:
            log_event(
                log,
                logging.WARNING,
                "job_missed",
                feed=event.job_id,
                scheduled=str(event.scheduled_run_time),
            )
        else:
            log_event(log, logging.WARNING, "job_still_running", feed=event.job_id)

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop taking new work; let in-flight polls finish within ``grace`` s, then cancel.

        The scheduler is paused first: its executor cancels running jobs at shutdown, so
        shutting it down before the wait would cut every poll short.
        """
        self.scheduler.pause()
        pending = set(self.in_flight)
        if pending:
            log_event(log, logging.INFO, "shutdown_waiting", in_flight=len(pending))
            _done, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)
                log_event(log, logging.WARNING, "shutdown_cancelled", polls=len(late))
        self.scheduler.shutdown(wait=False)
