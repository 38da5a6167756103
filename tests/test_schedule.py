"""The scheduler against a real feed server: overdue feeds run at once, others wait for
their due time, a server's Retry-After moves the next run, jobs follow config changes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from monitor.fetch.client import Fetcher, make_client
from monitor.poll.poller import FeedSpec, Poller
from monitor.schedule import RETRY_JOB, FeedScheduler
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, sync_feeds
from monitor.store.tables import Feed
from tests.support.feedserver import FeedServer
from tests.support.fetching import fetch_settings

FIXTURES = Path(__file__).parent / "data" / "feeds"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


def register(db: Database, specs: list[FeedSpec], due: dict[str, datetime]) -> None:
    with db.session() as session:
        sync_feeds(session, [(s.name, s.url) for s in specs], datetime.now(UTC))
        for name, when in due.items():
            session.execute(update(Feed).where(Feed.name == name).values(next_due=when))


async def run_for(db: Database, specs: list[FeedSpec], seconds: float) -> FeedScheduler:
    settings = fetch_settings(read_timeout=2)
    client = make_client(settings)
    poller = Poller(db, Fetcher(client, settings))
    scheduler = FeedScheduler(poller, db, rng=random.Random(1))
    scheduler.start(specs)
    try:
        await asyncio.sleep(seconds)
    finally:
        await scheduler.shutdown(grace=2)
        await client.aclose()
        poller.close()
    return scheduler


def test_overdue_feeds_run_promptly_and_future_ones_wait(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/a.xml", (FIXTURES / "rss20.xml").read_bytes())
    feed_server.put("/b.xml", (FIXTURES / "atom.xml").read_bytes())
    specs = [
        FeedSpec("overdue", feed_server.url("/a.xml"), 3600.0),
        FeedSpec("later", feed_server.url("/b.xml"), 3600.0),
    ]
    now = datetime.now(UTC)
    register(db, specs, {"overdue": now - timedelta(hours=2), "later": now + timedelta(hours=1)})
    asyncio.run(run_for(db, specs, 7))
    assert feed_server.hits("/a.xml") == 1
    assert feed_server.hits("/b.xml") == 0


def test_retry_after_moves_the_next_run_and_slow_feeds_do_not_pile_up(
    db: Database, feed_server: FeedServer
) -> None:
    specs = [
        FeedSpec("limited", feed_server.url("/status/429?retry-after=3600"), 1.0),
        FeedSpec("slow", feed_server.url("/slow/plain.xml?delay=1.5"), 1.0),
    ]
    feed_server.put("/plain.xml", (FIXTURES / "atom.xml").read_bytes())  # no TTL
    register(db, specs, {})

    async def scenario() -> tuple[datetime | None, datetime | None]:
        await run_for(db, specs, 8)
        with db.session() as session:
            row = feed_by_name(session, "limited")
            assert row is not None
            return row.next_due, row.last_fetch

    next_due, last_fetch = asyncio.run(scenario())
    assert feed_server.hits("/status/429") == 1  # a 1 s interval, but the server said an hour
    assert next_due is not None and last_fetch is not None
    assert next_due - last_fetch >= timedelta(seconds=3600)
    assert feed_server.hits("/slow/plain.xml") >= 2  # it ran again and again ...
    assert feed_server.peak_concurrency("/slow/plain.xml") == 1  # ... but never twice at once


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
