"""The store's writer thread: jobs queued together commit together; a bad job fails alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.db import Database
from monitor.store.feeds import sync_feeds
from monitor.store.tables import Feed
from monitor.store.writer import StoreWriter

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_feed(name: str) -> Callable[[Session], int]:
    def job(session: Session) -> int:
        sync_feeds(session, [(name, f"http://127.0.0.1:9/{name}.xml")], NOW)
        return len(name)

    return job


def feed_names(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Feed.name)))


def test_jobs_queued_while_the_writer_is_busy_share_one_transaction(db: Database) -> None:
    writer = StoreWriter(db)
    release = threading.Event()
    transactions: list[int] = []

    def blocker(session: Session) -> None:
        release.wait(10)

    def count(session: Session) -> int:
        transactions.append(id(session))
        return session.scalar(select(func.count()).select_from(Feed)) or 0

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(writer.run(blocker))
        await asyncio.sleep(0.05)  # the writer is now inside ``blocker``
        queued = [asyncio.ensure_future(writer.run(count)) for _ in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        await first
        return list(await asyncio.gather(*queued))

    try:
        results = asyncio.run(scenario())
    finally:
        writer.close()
    assert results == [0] * 5
    assert len(set(transactions)) == 1  # the five queued jobs ran in one session


def test_a_failing_job_fails_alone_and_the_others_commit(db: Database) -> None:
    writer = StoreWriter(db)
    release = threading.Event()

    def blocker(session: Session) -> None:
        release.wait(10)

    def broken(session: Session) -> None:
        sync_feeds(session, [("half-done", "http://127.0.0.1:9/x.xml")], NOW)
        raise ValueError("bad job")

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(writer.run(blocker))
        await asyncio.sleep(0.05)
        jobs = [
            asyncio.ensure_future(writer.run(add_feed("a"))),
            asyncio.ensure_future(writer.run(broken)),
            asyncio.ensure_future(writer.run(add_feed("bb"))),
        ]
        await asyncio.sleep(0.05)
        release.set()
        await first
        return list(await asyncio.gather(*jobs, return_exceptions=True))

    try:
        first, failed, third = asyncio.run(scenario())
    finally:
        writer.close()
    assert (first, third) == (1, 2)
    assert isinstance(failed, ValueError)
    assert feed_names(db) == {"a", "bb"}  # nothing of the failed job was kept


def test_close_finishes_the_queued_jobs(db: Database) -> None:
    writer = StoreWriter(db)

    async def scenario() -> object:
        return await writer.run(add_feed("kept"))

    assert asyncio.run(scenario()) == 4
    writer.close()
    assert feed_names(db) == {"kept"}


def test_a_batch_storing_items_waits_for_more_jobs_and_a_light_one_does_not(
    db: Database,
) -> None:
    writer = StoreWriter(db, linger=1.0)
    sessions: list[Session] = []

    def record(session: Session) -> None:
        sessions.append(session)  # (kept alive: each session's identity stays its own)

    async def two_jobs(first_weight: int) -> None:
        first = asyncio.ensure_future(writer.run(record, weight=first_weight))
        await asyncio.sleep(0.3)  # the writer is idle, or lingering after a heavy job
        await asyncio.gather(first, writer.run(record))

    try:
        asyncio.run(two_jobs(first_weight=11))  # a feed's 50 new items
        asyncio.run(two_jobs(first_weight=1))  # a 304's outcome
    finally:
        writer.close()
    heavy_pair, light_pair = sessions[:2], sessions[2:]
    assert heavy_pair[0] is heavy_pair[1]  # one transaction
    assert light_pair[0] is not light_pair[1]  # committed at once, then the next
