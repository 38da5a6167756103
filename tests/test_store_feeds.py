"""Feed rows follow the config: ``sync_feeds`` adds, restarts, retires and revives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.store.db import Database
from monitor.store.feeds import record_polled, sync_feeds
from monitor.store.tables import Feed

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = START + timedelta(hours=1)


def feeds(db: Database) -> dict[str, Feed]:
    with db.session() as session:
        rows = {f.name: f for f in session.scalars(select(Feed))}
        session.expunge_all()
        return rows


def sync(db: Database, pairs: list[tuple[str, str]], now: datetime) -> None:
    with db.session() as session:
        sync_feeds(session, pairs, now)


def polled(db: Database, name: str) -> None:
    """The feed was fetched: it has an ETag and Last-Modified, and is due later."""
    with db.session() as session:
        feed = session.scalars(select(Feed).where(Feed.name == name)).one()
        record_polled(
            session,
            feed.id,
            "",
            now=START,
            next_due=START + timedelta(days=1),
            etag='"v1"',
            last_modified="Sun, 01 Mar 2026 11:00:00 GMT",
        )


def test_new_feeds_are_added_due_now(db: Database) -> None:
    sync(db, [("a", "http://127.0.0.1:9/a.xml"), ("b", "http://127.0.0.1:9/b.xml")], START)

    rows = feeds(db)
    assert sorted(rows) == ["a", "b"]
    assert rows["a"].fetch_url == "http://127.0.0.1:9/a.xml"
    assert rows["a"].active and rows["b"].active
    assert rows["a"].next_due is not None
    assert rows["a"].next_due.replace(tzinfo=UTC) == START


def test_a_changed_url_starts_over_without_the_old_etag(db: Database) -> None:
    sync(db, [("a", "http://127.0.0.1:9/a.xml"), ("b", "http://127.0.0.1:9/b.xml")], START)
    polled(db, "a")
    polled(db, "b")

    sync(db, [("a", "http://127.0.0.1:9/new-a.xml"), ("b", "http://127.0.0.1:9/b.xml")], LATER)

    a, b = feeds(db)["a"], feeds(db)["b"]
    assert (a.url, a.fetch_url) == ("http://127.0.0.1:9/new-a.xml",) * 2
    assert (a.etag, a.last_modified) == (None, None)
    assert a.next_due is not None and a.next_due.replace(tzinfo=UTC) == LATER
    assert b.etag == '"v1"'  # an unchanged feed keeps what it knew
    assert b.next_due is not None and b.next_due.replace(tzinfo=UTC) > LATER


def test_a_feed_left_out_is_retired_and_comes_back_as_it_was(db: Database) -> None:
    both = [("a", "http://127.0.0.1:9/a.xml"), ("b", "http://127.0.0.1:9/b.xml")]
    sync(db, both, START)
    polled(db, "b")

    sync(db, both[:1], LATER)
    assert {n: f.active for n, f in feeds(db).items()} == {"a": True, "b": False}

    sync(db, both, LATER)
    b = feeds(db)["b"]
    assert b.active
    assert b.etag == '"v1"'
