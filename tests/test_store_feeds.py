"""Feed rows follow the config: ``sync_feeds`` adds, restarts, retires and revives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from monitor.store.db import Database
from monitor.store.feeds import Polled, record_polled, record_polls, sync_feeds
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


def test_polls_recorded_together_set_each_feed_s_own_columns(db: Database) -> None:
    """``record_polls``: the polls that set the same columns go in one statement, each
    row getting its own values; a poll sets only the columns it has."""
    names = ["a", "b", "c", "d"]
    sync(db, [(n, f"http://127.0.0.1:9/{n}.xml") for n in names], START)
    polled(db, "d")  # it has an ETag already, which a 304 without validators keeps
    ids = {name: feed.id for name, feed in feeds(db).items()}
    statements: list[tuple[str, bool]] = []

    def seen(
        conn: object, cursor: object, sql: str, params: object, ctx: object, many: bool
    ) -> None:
        statements.append((sql, many))

    polls = [
        Polled(ids["a"], LATER + timedelta(minutes=1), '"a1"', None),
        Polled(ids["b"], LATER + timedelta(minutes=2), '"b1"', "Sun, 01 Mar 2026 12:00:00 GMT"),
        Polled(ids["c"], LATER + timedelta(minutes=3), None, None, "http://127.0.0.1:9/moved.xml",
               "salvaged", new_items=2),
        Polled(ids["d"], LATER + timedelta(minutes=4), None, None),
    ]  # fmt: skip
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.session() as session:
            record_polls(session, "", LATER, polls)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    updates = [(sql, many) for sql, many in statements if sql.startswith("UPDATE feeds")]
    assert sorted(many for _, many in updates) == [False, False, True]  # a and b together
    rows = feeds(db)
    for n, name in enumerate(names, start=1):
        feed = rows[name]
        assert feed.next_due is not None
        assert feed.next_due.replace(tzinfo=UTC) == LATER + timedelta(minutes=n)
        assert feed.last_success is not None and feed.last_success.replace(tzinfo=UTC) == LATER
    assert (rows["a"].etag, rows["a"].last_modified) == ('"a1"', None)
    assert (rows["b"].etag, rows["b"].last_modified) == ('"b1"', "Sun, 01 Mar 2026 12:00:00 GMT")
    assert rows["c"].fetch_url == "http://127.0.0.1:9/moved.xml"
    assert rows["c"].last_warning == "salvaged" and rows["c"].last_new_item is not None
    assert rows["a"].last_new_item is None and rows["a"].fetch_url == "http://127.0.0.1:9/a.xml"
    assert rows["d"].etag == '"v1"'
