"""Feeds: the configured feeds and their fetch state (``feeds``).

``sync_feeds`` makes the rows match the config; a poll ends with ``record_polled`` (or
``record_polls`` for several) or ``record_failure`` (each one UPDATE by id, ending the
poller's lease on the feed).
Leases themselves are taken and released in ``monitor.store.leases``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, select, update
from sqlalchemy.orm import Session

from monitor.model import StoredFeed
from monitor.store.driver import Driver, dialect_insert
from monitor.store.tables import Feed


def sync_feeds(
    session: Session, feeds: Sequence[tuple[str, str]], now: datetime, *, keep_others: bool = False
) -> None:
    """Make the feed rows match the config: (name, url) pairs; others become inactive,
    unless ``keep_others`` (a poll of feeds given on the command line adds them only).

    A feed whose configured URL changed starts over with that URL (no stale ETag).
    New rows are inserted with ON CONFLICT DO NOTHING: instances starting together
    on one database may all add the same feeds.
    """
    rows = {name: (url, active) for name, url, active in session.execute(_FEED_STATES)}
    wanted = dict(feeds)
    new = [
        {"name": name, "url": url, "fetch_url": url, "created": now, "next_due": now}
        for name, url in wanted.items()
        if name not in rows
    ]
    if new:
        insert = dialect_insert(session)(Feed).on_conflict_do_nothing(index_elements=["name"])
        session.execute(insert, new)
    for name, url in wanted.items():  # a new URL: start over, with no stale ETag
        if name in rows and rows[name][0] != url:
            restart = {"url": url, "fetch_url": url, "etag": None, "last_modified": None}
            session.execute(
                update(Feed).where(Feed.name == name).values(**restart, next_due=now, active=True)
            )
    back = [n for n, u in wanted.items() if n in rows and rows[n] == (u, False)]
    gone = [] if keep_others else [n for n, (_, a) in rows.items() if n not in wanted and a]
    for names, active in ((back, True), (gone, False)):
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            session.execute(update(Feed).where(Feed.name.in_(chunk)).values(active=active))


_FEED_STATES = select(Feed.name, Feed.url, Feed.active)


def feed_by_name(session: Session, name: str) -> Feed | None:
    """The feed's row, for tests and tools that read and set its columns."""
    return session.scalar(select(Feed).where(Feed.name == name))


def active_feeds(session: Session) -> list[StoredFeed]:
    """The feeds still in the config, by name."""
    rows = session.execute(select(*_STORED_FEED).where(Feed.active).order_by(Feed.name))
    return [StoredFeed(*tuple(row)) for row in rows]


_STORED_FEED = (
    Feed.id, Feed.name, Feed.url, Feed.fetch_url, Feed.next_due, Feed.last_success,
    Feed.consecutive_errors, Feed.failing, Feed.last_error, Feed.last_warning,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Polled:
    """A successful poll of a feed, for ``record_polls``."""

    feed_id: int
    next_due: datetime
    etag: str | None
    last_modified: str | None
    fetch_url: str | None = None
    warning: str | None = None
    new_items: int = 0


def record_polled(
    session: Session,
    feed_id: int,
    owner: str,
    *,
    now: datetime,
    next_due: datetime,
    etag: str | None,
    last_modified: str | None,
    fetch_url: str | None = None,
    warning: str | None = None,
    new_items: int = 0,
) -> None:
    """A successful poll of the feed, as one UPDATE by id, ending ``owner``'s lease on it."""
    polled = Polled(feed_id, next_due, etag, last_modified, fetch_url, warning, new_items)
    record_polls(session, owner, now, [polled])


def record_polls(session: Session, owner: str, now: datetime, polls: Sequence[Polled]) -> None:
    """Successful polls of several feeds at ``now``, each ending ``owner``'s lease on its
    feed: one UPDATE by id each, the polls that set the same columns in one statement
    (``executemany``: a cycle of 304s records its feeds' outcomes a batch at a time).

    At the driver (``Driver``): for a feed that answered 304 this is all the store work
    of its poll, and SQLAlchemy's statement machinery would cost more than the UPDATE.
    """
    sql = Driver(session)
    at = _time_value(sql.dialect)
    alike: dict[tuple[bool, bool, bool], list[list[Any]]] = {}
    for poll in polls:
        params: list[Any] = [at(now), at(now), at(poll.next_due), False, poll.warning, owner]
        validators = poll.etag is not None or poll.last_modified is not None
        if validators:
            params += [poll.etag, poll.last_modified]
        if poll.fetch_url:
            params.append(poll.fetch_url)
        if poll.new_items:
            params.append(at(now))
        shape = (validators, bool(poll.fetch_url), bool(poll.new_items))
        alike.setdefault(shape, []).append([*params, poll.feed_id])
    for (validators, moved, news), rows in alike.items():
        sets = [
            "last_fetch = {m}",
            "last_success = {m}",
            "next_due = {m}",
            "consecutive_errors = 0",
            "failing = {m}",
            "last_error = NULL",
            "last_warning = {m}",
            "lease_until = CASE WHEN lease_owner = {m} THEN NULL ELSE lease_until END",
        ]
        if validators:
            sets += ["etag = {m}", "last_modified = {m}"]
        if moved:
            sets.append("fetch_url = {m}")
        if news:
            sets.append("last_new_item = {m}")
        statement = f"UPDATE feeds SET {', '.join(sets)} WHERE id = {{m}}".format(m=sql.mark)
        sql.run_many(statement, rows)


@lru_cache(maxsize=4)
def _time_value(dialect: Dialect) -> Callable[[Any], Any]:
    """How a dialect's driver is given a timestamp column's value."""
    return Driver.value_for(Feed.last_fetch.type, dialect)


def errors_in_a_row(session: Session, feed_id: int) -> tuple[int, str | None]:
    """The feed's failed polls in a row, and who holds its lease (before a failure)."""
    row = session.execute(
        select(Feed.consecutive_errors, Feed.lease_owner).where(Feed.id == feed_id)
    ).one()
    return int(row[0] or 0), row[1]


def record_failure(
    session: Session,
    feed_id: int,
    *,
    errors: int,
    now: datetime,
    next_due: datetime,
    error: str,
    failing_after: int,
    release: bool = False,
) -> bool:
    """A failed poll: the feed has now failed ``errors`` times in a row (one UPDATE by id);
    with ``release``, the poller's lease on it ends. Returns whether it is now failing."""
    failing = errors >= failing_after
    values: dict[str, Any] = {
        "last_fetch": now,
        "next_due": next_due,
        "consecutive_errors": errors,
        "last_error": error[:2000],
        "failing": failing,
    }
    if release:
        values["lease_until"] = None
    session.execute(update(Feed).where(Feed.id == feed_id).values(**values))
    return failing
