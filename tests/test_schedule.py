"""The scheduler: overdue feeds run at once, others wait for their due time, a server's
Retry-After moves the next run, a feed still being polled is not polled again, jobs
follow config changes.

No test waits for time to pass. Where the scheduler decides a time, it does so on the
clock it is given (a fixed one here). Where APScheduler fires jobs (it reads the wall
clock itself), the jobs are made due now (no start-up spread) and the tests wait for
APScheduler's job events; a poll that must still be running is held by a gate the test
opens. The timeouts below only keep a broken scheduler from hanging the run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    JobEvent,
    JobExecutionEvent,
)
from sqlalchemy import update

from monitor.fetch.client import Fetcher, make_client
from monitor.poll.poller import FeedSpec, Poller, PollOutcome
from monitor.schedule import RETRY_JOB, FeedScheduler
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, sync_feeds
from monitor.store.tables import Feed
from tests.support.feedserver import FeedServer
from tests.support.fetching import fetch_settings

FIXTURES = Path(__file__).parent / "data" / "feeds"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUARD = 10.0  # seconds before a wait that should end at once counts as a hang


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


def register(db: Database, specs: list[FeedSpec], due: dict[str, datetime]) -> None:
    with db.session() as session:
        sync_feeds(session, [(s.name, s.url) for s in specs], T0)
        for name, when in due.items():
            session.execute(update(Feed).where(Feed.name == name).values(next_due=when))


class NoSpread(random.Random):
    """Overdue feeds start at once instead of being spread over the first seconds."""

    def uniform(self, a: float, b: float) -> float:
        return a


class GatedPoller(Poller):
    """Polls as usual once the test opens ``gate``; counts the polls running at once."""

    def __init__(self, db: Database, fetcher: Fetcher) -> None:
        super().__init__(db, fetcher)
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.running = self.peak = 0

    async def poll(self, spec: FeedSpec) -> PollOutcome:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.started.set()
        try:
            await self.gate.wait()
            return await super().poll(spec)
        finally:
            self.running -= 1


class JobEvents:
    """APScheduler's events about the jobs, for the test to wait on."""

    def __init__(self, scheduler: FeedScheduler) -> None:
        self.events: list[JobEvent] = []
        self._changed = asyncio.Event()
        mask = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES
        scheduler.scheduler.add_listener(self._record, mask)

    def _record(self, event: JobEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def seen(self, code: int, job: str) -> bool:
        for event in self.events:
            if event.job_id == job and event.code == EVENT_JOB_ERROR and code != EVENT_JOB_ERROR:
                assert isinstance(event, JobExecutionEvent)
                raise AssertionError(f"job {job} failed: {event.exception!r}")
        return any(e.code == code and e.job_id == job for e in self.events)

    async def wait(self, code: int, job: str) -> None:
        async def until_seen() -> None:
            while not self.seen(code, job):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until_seen(), GUARD)


@asynccontextmanager
async def running(
    db: Database, specs: list[FeedSpec], *, gated: bool = False
) -> AsyncIterator[tuple[FeedScheduler, JobEvents, Poller]]:
    """A started scheduler with a real poller (its first runs not spread), shut down after."""
    settings = fetch_settings(read_timeout=2)
    client = make_client(settings)
    fetcher = Fetcher(client, settings)
    poller = GatedPoller(db, fetcher) if gated else Poller(db, fetcher)
    scheduler = FeedScheduler(poller, db, rng=NoSpread())
    events = JobEvents(scheduler)
    scheduler.start(specs)
    try:
        yield scheduler, events, poller
    finally:
        if isinstance(poller, GatedPoller):
            poller.gate.set()
        await scheduler.shutdown(grace=GUARD)
        await client.aclose()
        poller.close()


def test_overdue_and_new_feeds_start_within_seconds_and_others_at_their_due_time(
    db: Database,
) -> None:
    specs = [FeedSpec(name, f"http://127.0.0.1:9/{name}.xml", 3600.0) for name in "abcd"]
    register(db, specs, {"a": T0 - timedelta(hours=2), "b": T0, "d": T0 + timedelta(hours=1)})
    client = make_client(fetch_settings())
    poller = Poller(db, Fetcher(client, fetch_settings()))
    scheduler = FeedScheduler(poller, db, clock=lambda: T0, rng=random.Random(1))
    try:
        scheduler.update(specs)  # not started: the jobs are only planned
        first = {job.id: job.next_run_time for job in scheduler.scheduler.get_jobs()}
    finally:
        poller.close()
        asyncio.run(client.aclose())
    assert first["d"] == T0 + timedelta(hours=1)  # not due yet: at its due time
    soon = [first["a"], first["b"], first["c"]]  # overdue, due now, never polled
    assert all(T0 <= when <= T0 + timedelta(seconds=5) for when in soon)
    assert len(set(soon)) == 3  # spread, not all at one instant


def test_an_overdue_feed_is_polled_at_once_and_a_later_one_is_not(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/a.xml", (FIXTURES / "rss20.xml").read_bytes())
    feed_server.put("/b.xml", (FIXTURES / "atom.xml").read_bytes())
    specs = [
        FeedSpec("overdue", feed_server.url("/a.xml"), 3600.0),
        FeedSpec("later", feed_server.url("/b.xml"), 3600.0),
    ]
    now = datetime.now(UTC)  # APScheduler fires on the wall clock
    register(db, specs, {"overdue": now - timedelta(hours=2), "later": now + timedelta(hours=1)})

    async def scenario() -> datetime | None:
        async with running(db, specs) as (scheduler, events, _):
            await events.wait(EVENT_JOB_EXECUTED, "overdue")
            later = scheduler.scheduler.get_job("later")
            return later.next_run_time if later else None

    later_run = asyncio.run(scenario())
    assert feed_server.hits("/a.xml") == 1
    assert feed_server.hits("/b.xml") == 0
    assert later_run is not None and later_run >= now + timedelta(hours=1)


def test_retry_after_moves_the_next_run(db: Database, feed_server: FeedServer) -> None:
    specs = [FeedSpec("limited", feed_server.url("/status/429?retry-after=3600"), 1.0)]
    register(db, specs, {})

    async def scenario() -> tuple[datetime | None, datetime | None, datetime | None]:
        async with running(db, specs) as (scheduler, events, _):
            await events.wait(EVENT_JOB_EXECUTED, "limited")
            job = scheduler.scheduler.get_job("limited")
            next_run = job.next_run_time if job else None
        with db.session() as session:
            row = feed_by_name(session, "limited")
            assert row is not None
            return next_run, row.next_due, row.last_fetch

    next_run, next_due, last_fetch = asyncio.run(scenario())
    assert feed_server.hits("/status/429") == 1
    assert next_due is not None and last_fetch is not None and next_run is not None
    assert next_due - last_fetch >= timedelta(seconds=3600)  # the server said an hour ...
    assert next_run >= next_due  # ... so the job waits that long, not its 1 s interval


def test_a_feed_still_being_polled_is_not_polled_again(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/slow.xml", (FIXTURES / "atom.xml").read_bytes())
    specs = [FeedSpec("slow", feed_server.url("/slow.xml"), 1.0)]
    register(db, specs, {})

    async def scenario() -> int:
        async with running(db, specs, gated=True) as (scheduler, events, poller):
            assert isinstance(poller, GatedPoller)
            await asyncio.wait_for(poller.started.wait(), GUARD)
            # its interval has passed while the first poll still runs:
            scheduler.scheduler.modify_job("slow", next_run_time=datetime.now(UTC))
            await events.wait(EVENT_JOB_MAX_INSTANCES, "slow")  # skipped, not run twice
            poller.gate.set()
            await events.wait(EVENT_JOB_EXECUTED, "slow")
            return poller.peak

    assert asyncio.run(scenario()) == 1
    assert feed_server.hits("/slow.xml") == 1


def test_update_adds_and_removes_jobs(db: Database, feed_server: FeedServer) -> None:
    feed_server.put("/a.xml", (FIXTURES / "rss20.xml").read_bytes())
    a = FeedSpec("a", feed_server.url("/a.xml"), 3600.0)
    b = FeedSpec("b", feed_server.url("/a.xml?b"), 3600.0)
    register(db, [a, b], {})

    async def scenario() -> set[str]:
        settings = fetch_settings()
        client = make_client(settings)
        poller = Poller(db, Fetcher(client, settings))
        scheduler = FeedScheduler(poller, db)
        scheduler.start([a])
        scheduler.update([b])
        jobs = {job.id for job in scheduler.scheduler.get_jobs()}
        await scheduler.shutdown(grace=1)
        await client.aclose()
        poller.close()
        return jobs

    assert asyncio.run(scenario()) == {"b", RETRY_JOB}  # feeds, and the retry of failed items
