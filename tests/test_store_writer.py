"""The store's writer thread: jobs queued together commit together; a bad job fails alone.

No test here waits for time to pass: the writer's queue is one the test watches
(``WatchedJobs``), so a test knows when jobs are waiting and when the writer waits for
more, and a job that blocks the writer holds it until the test releases it. The
timeouts below only keep a broken writer from hanging the run.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.db import Database
from monitor.store.feeds import sync_feeds
from monitor.store.tables import Feed
from monitor.store.writer import StoreWriter

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUARD = 10.0  # seconds before a wait that should end at once counts as a hang


class WatchedJobs(queue.SimpleQueue):  # type: ignore[type-arg]
    """The writer's job queue, watched: how many jobs wait, and each timed wait for more."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.lingers: list[float] = []  # the timeouts of the writer's waits for more jobs

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        with self.changed:
            self.changed.notify_all()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if block and timeout is not None:
            with self.changed:
                self.lingers.append(timeout)
                self.changed.notify_all()
        return super().get(block, timeout)

    def until(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, GUARD)

    async def waiting(self, count: int) -> None:
        """Return once ``count`` jobs wait in the queue (the event loop runs meanwhile)."""
        assert await asyncio.to_thread(self.until, lambda: self.qsize() == count)


class Blocker:
    """A job that holds the writer thread until released."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, session: Session) -> None:
        self.inside.set()
        self.release.wait()

    async def entered(self) -> None:
        assert await asyncio.to_thread(self.inside.wait, GUARD)


def add_feed(name: str) -> Callable[[Session], int]:
    def job(session: Session) -> int:
        sync_feeds(session, [(name, f"http://127.0.0.1:9/{name}.xml")], NOW)
        return len(name)

    return job


def feed_names(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Feed.name)))


def one_batch(
    writer: StoreWriter,
    jobs: WatchedJobs,
    make: Callable[[], list[Awaitable[Any]]],
    *,
    return_exceptions: bool = False,
) -> list[Any]:
    """The results of the jobs ``make`` hands the writer while a first job holds it, so
    that all of them wait in the queue when it lets go (one batch); the writer is closed."""
    blocker = Blocker()

    async def scenario() -> list[Any]:
        first = asyncio.ensure_future(writer.run(blocker))
        await blocker.entered()
        batch = [asyncio.ensure_future(job) for job in make()]
        await jobs.waiting(len(batch))
        blocker.release.set()
        await first
        return list(await asyncio.gather(*batch, return_exceptions=return_exceptions))

    try:
        return asyncio.run(scenario())
    finally:
        blocker.release.set()
        writer.close()


def test_jobs_queued_while_the_writer_is_busy_share_one_transaction(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs)
    transactions: list[int] = []

    def count(session: Session) -> int:
        transactions.append(id(session))
        return session.scalar(select(func.count()).select_from(Feed)) or 0

    results = one_batch(writer, jobs, lambda: [writer.run(count) for _ in range(5)])
    assert results == [0] * 5
    assert len(set(transactions)) == 1  # the five queued jobs ran in one session


def test_a_failing_job_fails_alone_and_the_others_commit(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs)

    def broken(session: Session) -> None:
        sync_feeds(session, [("half-done", "http://127.0.0.1:9/x.xml")], NOW)
        raise ValueError("bad job")

    first, failed, third = one_batch(  # the three are one batch
        writer,
        jobs,
        lambda: [writer.run(add_feed("a")), writer.run(broken), writer.run(add_feed("bb"))],
        return_exceptions=True,
    )
    assert (first, third) == (1, 2)
    assert isinstance(failed, ValueError)
    assert feed_names(db) == {"a", "bb"}  # nothing of the failed job was kept


def test_close_finishes_the_queued_jobs(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs)
    blocker = Blocker()

    async def scenario() -> object:
        first = asyncio.ensure_future(writer.run(blocker))
        await blocker.entered()
        kept = asyncio.ensure_future(writer.run(add_feed("kept")))
        await jobs.waiting(1)
        closing = asyncio.ensure_future(asyncio.to_thread(writer.close))
        await jobs.waiting(2)  # the job, then close's stop sign
        blocker.release.set()
        await closing
        await first
        return await kept

    try:
        assert asyncio.run(scenario()) == 4
    finally:
        blocker.release.set()
        writer.close()
    assert feed_names(db) == {"kept"}


def test_a_batch_storing_items_waits_for_more_jobs(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs, linger=3600.0, max_batch=12)
    sessions: list[Session] = []

    def record(session: Session) -> None:
        sessions.append(session)  # (kept alive: each session's identity stays its own)

    async def scenario() -> None:
        heavy = asyncio.ensure_future(writer.run(record, weight=11))  # a feed's new items
        assert await asyncio.to_thread(jobs.until, lambda: bool(jobs.lingers))
        light = writer.run(record)  # a 304's outcome: the batch is full, it commits
        await asyncio.wait_for(asyncio.gather(heavy, light), GUARD)

    try:
        asyncio.run(scenario())
    finally:
        writer.close()
    assert jobs.lingers == [pytest.approx(3600.0, abs=GUARD)]  # it waited for more ...
    assert len(sessions) == 2 and sessions[0] is sessions[1]  # ... and both shared one commit


def test_a_batch_of_light_jobs_waits_its_own_shorter_time_for_more(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs, linger=3600.0, light_linger=1800.0, max_batch=2)
    sessions: list[Session] = []

    def record(session: Session) -> None:
        sessions.append(session)

    async def scenario() -> None:
        first = asyncio.ensure_future(writer.run(record))  # a claim, a 304's outcome
        assert await asyncio.to_thread(jobs.until, lambda: bool(jobs.lingers))
        second = writer.run(record)  # the batch is full: it commits
        await asyncio.wait_for(asyncio.gather(first, second), GUARD)

    try:
        asyncio.run(scenario())
    finally:
        writer.close()
    assert jobs.lingers == [pytest.approx(1800.0, abs=GUARD)]  # the light wait, not 3600
    assert len(sessions) == 2 and sessions[0] is sessions[1]


def test_without_a_light_linger_a_batch_of_light_jobs_commits_at_once(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs, linger=3600.0, light_linger=0.0)
    sessions: list[Session] = []

    def record(session: Session) -> None:
        sessions.append(session)

    async def scenario() -> None:
        for _ in range(2):
            await asyncio.wait_for(writer.run(record), GUARD)

    try:
        asyncio.run(scenario())
    finally:
        writer.close()
    assert jobs.lingers == []
    assert len(sessions) == 2 and sessions[0] is not sessions[1]


class Together:
    """A ``run_together`` function: records each call's arguments; each result is the
    name's length; a name "bad" fails the call it is in."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, session: Session, names: list[str]) -> list[int]:
        self.calls.append(list(names))
        sync_feeds(session, [(n, f"http://127.0.0.1:9/{n}.xml") for n in names], NOW)
        if "bad" in names:
            raise ValueError("bad name")
        return [len(n) for n in names]


def test_jobs_run_together_make_one_call_and_share_its_results(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs)
    together = Together()
    results = one_batch(
        writer,
        jobs,
        lambda: [
            writer.run_together(together, "a"),
            writer.run(add_feed("other")),
            writer.run_together(together, "bbb"),
            writer.run_together(together, "cc"),
        ],
    )
    assert results == [1, 5, 3, 2]
    assert together.calls == [["a", "bbb", "cc"]]
    assert feed_names(db) == {"a", "bbb", "cc", "other"}


def test_a_failing_call_together_runs_again_one_job_at_a_time(db: Database) -> None:
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs)
    together = Together()
    kept, failed = one_batch(
        writer,
        jobs,
        lambda: [writer.run_together(together, n) for n in ("a", "bad")],
        return_exceptions=True,
    )
    assert kept == 1 and isinstance(failed, ValueError)
    assert together.calls == [["a", "bad"], ["a"], ["bad"]]
    assert feed_names(db) == {"a"}


def test_jobs_run_together_keep_their_weight(db: Database) -> None:
    """A ``run_together`` job's weight counts towards ``max_batch`` as a ``run`` job's
    does: jobs heavier together than a batch holds are called in two batches."""
    jobs = WatchedJobs()
    writer = StoreWriter(db, jobs=jobs, max_batch=4)
    together = Together()
    names = ("a", "bb", "ccc")
    results = one_batch(
        writer, jobs, lambda: [writer.run_together(together, n, weight=3) for n in names]
    )
    assert results == [1, 2, 3]
    assert together.calls == [["a", "bb"], ["ccc"]]  # 3 + 3 units: the batch is full
