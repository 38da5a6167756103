"""Named queries and commands on the store: the only place stages touch SQL.

Reads are questions (``feed_by_name``, ``due_feeds``), writes are commands
(``sync_feeds``, ``record_polled``, ``add_items``). ``add_items`` returns only the
rows inserted now, and only those go on to classification and novelty.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Dialect, Select, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from monitor.model import Item, StoredItem
from monitor.store.driver import Driver
from monitor.store.tables import Alert as AlertRow
from monitor.store.tables import Feed, ItemSource
from monitor.store.tables import Instance as InstanceRow
from monitor.store.tables import Item as ItemRow

GUID_MAX = 500


class FeedKey(Protocol):
    """A feed row, or anything naming one: its id and name."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def item_key(item: Item) -> str:
    """The identity of an article: its canonical URL, or its GUID when it has no link."""
    return url_key(item.url if item.url else "guid:" + item.guid)


def guid_key(guid: str) -> str:
    """GUIDs are stored as given unless they are very long; then as a hash."""
    if len(guid) <= GUID_MAX:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode("utf-8")).hexdigest()


# --- feeds -------------------------------------------------------------------------------


def sync_feeds(session: Session, feeds: Sequence[tuple[str, str]], now: datetime) -> None:
    """Make the feed rows match the config: (name, url) pairs; others become inactive.

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
    gone = [n for n, (_, active) in rows.items() if n not in wanted and active]
    for names, active in ((back, True), (gone, False)):
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            session.execute(update(Feed).where(Feed.name.in_(chunk)).values(active=active))


_FEED_STATES = select(Feed.name, Feed.url, Feed.active)


def feed_by_name(session: Session, name: str) -> Feed | None:
    return session.scalar(select(Feed).where(Feed.name == name))


def active_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).where(Feed.active).order_by(Feed.name)))


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
    """A successful poll of the feed, as one UPDATE by id, ending ``owner``'s lease on it.

    At the driver (``Driver``): for a feed that answered 304 this is all the store work
    of its poll, and SQLAlchemy's statement machinery would cost more than the UPDATE.
    """
    sql = Driver(session)
    at = _time_value(sql.dialect)
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
    params: list[Any] = [at(now), at(now), at(next_due), False, warning, owner]
    if etag is not None or last_modified is not None:
        sets += ["etag = {m}", "last_modified = {m}"]
        params += [etag, last_modified]
    if fetch_url:
        sets.append("fetch_url = {m}")
        params.append(fetch_url)
    if new_items:
        sets.append("last_new_item = {m}")
        params.append(at(now))
    statement = f"UPDATE feeds SET {', '.join(sets)} WHERE id = {{m}}".format(m=sql.mark)
    sql.run(statement, [*params, feed_id])


@lru_cache(maxsize=4)
def _time_value(dialect: Dialect) -> Callable[[Any], Any]:
    """How a dialect's driver is given a timestamp column's value."""
    return Driver.value_for(Feed.last_fetch.type, dialect)


def record_failure(
    session: Session,
    feed: Feed,
    *,
    now: datetime,
    next_due: datetime,
    error: str,
    failing_after: int,
) -> None:
    feed.last_fetch = now
    feed.next_due = next_due
    feed.consecutive_errors += 1
    feed.last_error = error[:2000]
    feed.failing = feed.consecutive_errors >= failing_after


# --- items -------------------------------------------------------------------------------


def dialect_insert(session: Session) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_nothing``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # (imported already by a PostgreSQL engine)

        return postgresql.insert
    return sqlite.insert


def add_items(
    session: Session, feed: FeedKey, items: Sequence[Item], now: datetime
) -> list[StoredItem]:
    """Store a feed's items; returns only those stored for the first time.

    An item this feed gave before (same GUID) is skipped. An item another feed already
    brought (same canonical URL, or same content hash) is not stored again, but this
    feed is recorded as one of its sources. Race-free: inserts use ON CONFLICT DO NOTHING.
    """
    if not items:
        return []
    guids = {guid_key(item.guid) for item in items}
    seen = set(
        session.scalars(
            select(ItemSource.guid).where(ItemSource.feed_id == feed.id, ItemSource.guid.in_(guids))
        )
    )
    fresh: dict[str, Item] = {}
    for item in items:
        if guid_key(item.guid) not in seen:
            fresh.setdefault(item_key(item), item)
    if not fresh:
        return []
    hashes = {item.content_hash for item in fresh.values()}
    known: dict[str, int] = {}  # url_key or "hash:<content hash>" -> item id
    for row_id, key, content_hash in session.execute(
        select(ItemRow.id, ItemRow.url_key, ItemRow.content_hash).where(
            ItemRow.url_key.in_(fresh.keys()) | ItemRow.content_hash.in_(hashes)
        )
    ):
        known[key] = row_id
        known.setdefault("hash:" + content_hash, row_id)
    same_text: dict[str, str] = {}  # content hash -> url_key of its first copy in this batch
    candidates: dict[str, Item] = {}
    for key, item in fresh.items():
        if key in known or "hash:" + item.content_hash in known:
            continue
        if same_text.setdefault(item.content_hash, key) == key:
            candidates[key] = item
    stored: list[StoredItem] = []
    sql = Driver(session)  # driver-level statements: no per-row SQLAlchemy work
    if candidates:
        values = _item_values(sql)
        # in key order: concurrent writers then take the unique-index locks in one
        # order, so two instances storing the same story cannot deadlock (PostgreSQL)
        rows = sql.insert(
            "items",
            _ITEM_COLUMNS,
            [values(candidates[key], feed.id, key) for key in sorted(candidates)],
            " ON CONFLICT (url_key) DO NOTHING RETURNING id, url_key",
        )
        for row_id, key in rows:
            item = candidates[key]
            known[key] = known["hash:" + item.content_hash] = row_id
            stored.append(StoredItem(id=row_id, feed=feed.name, item=item))
        lost = [key for key in candidates if key not in known]  # another writer was first
        if lost:
            found = session.execute(
                select(ItemRow.url_key, ItemRow.id).where(ItemRow.url_key.in_(lost))
            )
            known.update({key: row_id for key, row_id in found})
    seen_at = sql.value(ItemSource.seen.type)(now)
    sources = [
        (
            known.get(key) or known["hash:" + item.content_hash],
            feed.id,
            guid_key(item.guid),
            seen_at,
        )
        for key, item in fresh.items()
    ]
    sql.insert(
        "item_sources",
        ("item_id", "feed_id", "guid", "seen"),
        sources,
        " ON CONFLICT (feed_id, guid) DO NOTHING",
    )
    stored.sort(key=lambda s: s.id)
    return stored


_ITEM_COLUMNS = (
    "feed_id", "source", "url", "url_key", "guid", "title", "summary", "content", "author",
    "published", "fetched", "language", "content_hash", "minhash",
)  # fmt: skip


def _item_values(sql: Driver) -> Callable[[Item, int, str], tuple[Any, ...]]:
    """An item's row of driver values, in the order of ``_ITEM_COLUMNS``."""
    when, blob = sql.value(ItemRow.published.type), sql.value(ItemRow.minhash.type)

    def values(item: Item, feed_id: int, key: str) -> tuple[Any, ...]:
        return (
            feed_id, item.source, item.url, key, item.guid, item.title, item.summary,
            item.content, item.author, when(item.published), when(item.fetched), item.language,
            item.content_hash, blob(item.minhash) if item.minhash else None,
        )  # fmt: skip

    return values


def items_query(
    *, feed: str | None = None, since: datetime | None = None, relevant: bool | None = None
) -> Select[ItemRow]:
    query = select(ItemRow).order_by(ItemRow.published.desc(), ItemRow.id.desc())
    if feed is not None:
        query = query.join(Feed, Feed.id == ItemRow.feed_id).where(Feed.name == feed)
    if since is not None:
        query = query.where(ItemRow.published >= since)
    if relevant is not None:
        query = query.where(ItemRow.relevant.is_(relevant))
    return query


def item_counts(session: Session) -> dict[int, int]:
    """Items per feed id (each feed that carried an item counts it)."""
    rows = session.execute(select(ItemSource.feed_id, func.count()).group_by(ItemSource.feed_id))
    return {feed_id: count for feed_id, count in rows}


def mark_classified(session: Session, item_id: int, relevant: bool, now: datetime) -> None:
    session.execute(
        update(ItemRow).where(ItemRow.id == item_id).values(relevant=relevant, classified=now)
    )


# --- alerts (the outbox) ---------------------------------------------------------------


def add_alert(
    session: Session,
    *,
    key: str,
    channel: str,
    kind: str,
    delivery: str,
    payload: dict[str, Any],
    event_id: int | None,
    next_attempt: datetime,
    now: datetime,
    status: str | None = None,
) -> int:
    """Insert one outbox row unless its idempotency key exists; returns 1 if inserted."""
    result = session.execute(
        dialect_insert(session)(AlertRow)
        .values(
            idempotency_key=key,
            event_id=event_id,
            channel=channel,
            kind=kind,
            delivery=delivery,
            payload=payload,
            status=status or ("pending" if delivery == "immediate" else "digest"),
            attempts=0,
            next_attempt=next_attempt,
            created=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(AlertRow.id)
    )
    return len(result.all())


def set_instance_state(
    session: Session, instance: str, *, status: str | None = None, config_error: str | None
) -> None:
    """Record an instance's status line and config error (no-op if it is not registered)."""
    values: dict[str, Any] = {"config_error": config_error}
    if status is not None:
        values["status"] = status
    session.execute(update(InstanceRow).where(InstanceRow.id == instance).values(**values))


def outbox_by_channel(session: Session) -> dict[str, dict[str, int]]:
    """Alerts per channel and status (pending, sent, dead, …)."""
    out: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(AlertRow.channel, AlertRow.status, func.count()).group_by(
            AlertRow.channel, AlertRow.status
        )
    )
    for channel, status, count in rows:
        out.setdefault(channel, {})[status] = count
    return dict(sorted(out.items()))


def config_errors(session: Session) -> list[str]:
    """Config errors that running instances reported after a failed reload."""
    rows = session.scalars(
        select(InstanceRow.config_error).where(InstanceRow.config_error.is_not(None))
    )
    return [row for row in rows if row]
