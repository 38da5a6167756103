"""Items: stored articles, the feeds that carried them, and their classifications
(``items``, ``item_sources``, ``classifications``).

``add_items`` returns only the rows inserted now, and only those go on to
classification and novelty; ``record_verdicts`` writes what the classifier made of them
(an item's relevance goes in with its row when the verdicts came with the item).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, selectinload

from monitor.model import Claim, Item, Label, StoredItem, guid_key
from monitor.store.db import DatabaseError, error_text
from monitor.store.driver import Driver
from monitor.store.tables import Classification as ClassificationRow
from monitor.store.tables import Feed, ItemSource
from monitor.store.tables import Item as ItemRow

Relevance = Callable[[Item], bool | None]  # an item's relevance, when already known


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def item_key(item: Item) -> str:
    """The identity of an article: its canonical URL, or its GUID when it has no link."""
    return url_key(item.url if item.url else "guid:" + item.guid)


def add_items(
    session: Session,
    feed: Claim,
    items: Sequence[Item],
    now: datetime,
    *,
    skipped: list[str] | None = None,
    relevance: Relevance | None = None,
) -> list[StoredItem]:
    """Store a feed's items; returns only those stored for the first time.

    An item this feed gave before (same GUID) is skipped. An item another feed already
    brought (same canonical URL, or same content hash) is not stored again, but this
    feed is recorded as one of its sources. Race-free: inserts use ON CONFLICT DO NOTHING.

    The items go in with one statement per few hundred, so one value the database or its
    driver refuses (a NUL byte on PostgreSQL, a lone surrogate) fails them all. Given
    ``skipped``, each item goes in in its own savepoint (``Session.begin_nested``)
    instead: an item that fails is left out, its GUID not recorded (it is read again the
    next time), and the reason is appended to ``skipped``. Callers do so only after the
    plain call failed, so the common path pays for no savepoint.

    Given ``relevance``, an item whose relevance it knows (not None: the verdicts came
    with it) goes in with its ``relevant`` and ``classified`` (``now``) columns set, and
    its ``StoredItem.relevant`` says so: no update of the row once it is classified
    (``record_verdicts``). The others go in unclassified, as without ``relevance``.
    """
    return store_items(session, [(feed, items, relevance)], now, skipped=skipped)[0]


def store_items(
    session: Session,
    feeds: Sequence[tuple[Claim, Sequence[Item], Relevance | None]],
    now: datetime,
    *,
    skipped: list[str] | None = None,
) -> list[list[StoredItem]]:
    """:func:`add_items` for several feeds, ``(feed, items, relevance)`` each, with the
    statements of one: what each feed stored for the first time, in the order of
    ``feeds``. The rows are those of adding each feed's items in turn: an item that a
    feed earlier in ``feeds`` brings (same canonical URL or content hash) is stored once,
    for that feed, and the later feeds become its sources."""
    out: list[list[StoredItem]] = [[] for _ in feeds]
    keyed: list[list[tuple[str, str, Item]]] = []  # per feed: (url key, GUID key, item)
    for _, items, _ in feeds:
        keys: list[tuple[str, str, Item]] = []
        for item in items:
            try:
                keys.append((item_key(item), guid_key(item.guid), item))
            except UnicodeEncodeError as exc:  # a lone surrogate in the URL or the GUID
                if skipped is None:
                    raise
                skipped.append(_skip_reason(item, exc))
        keyed.append(keys)
    if not any(keyed):
        return out
    sql = Driver(session)  # driver-level statements: no per-row SQLAlchemy work
    seen = set(  # (feed id, GUID key) of the entries each feed gave before
        sql.rows_in_union(
            [
                (f"SELECT feed_id, guid FROM item_sources WHERE feed_id = {sql.mark} "
                 "AND guid IN ({values})", sorted({guid for _, guid, _ in keys}), [feed.id])
                for (feed, _, _), keys in zip(feeds, keyed, strict=True)
                if keys
            ]
        )
    )  # fmt: skip
    fresh: list[dict[str, tuple[str, Item]]] = []  # per feed: url key -> (GUID key, item)
    for (feed, _, _), keys in zip(feeds, keyed, strict=True):
        new: dict[str, tuple[str, Item]] = {}
        for key, guid, item in keys:
            if (feed.id, guid) not in seen:
                new.setdefault(key, (guid, item))
        fresh.append(new)
    if not any(fresh):
        return out
    urls = sorted({key for new in fresh for key in new})
    hashes = sorted({item.content_hash for new in fresh for _, item in new.values()})
    known: dict[str, int] = {}  # url_key or "hash:<content hash>" -> item id
    found = sql.rows_in_union(  # one statement: by URL key or by content hash
        [
            ("SELECT id, url_key, content_hash FROM items WHERE url_key IN ({values})", urls, ()),
            ("SELECT id, url_key, content_hash FROM items WHERE content_hash IN ({values})",
             hashes, ()),
        ]
    )  # fmt: skip
    for row_id, key, content_hash in sorted(set(found)):  # a hash's oldest copy first
        known[key] = row_id
        known.setdefault("hash:" + content_hash, row_id)
    same_text: dict[str, str] = {}  # content hash -> url_key of its first copy in this batch
    candidates: dict[str, tuple[int, Item]] = {}  # url key -> (index of its feed, item)
    for n, new in enumerate(fresh):
        for key, (_, item) in new.items():
            if key in known or "hash:" + item.content_hash in known or key in candidates:
                continue  # (in candidates: a feed before this one brings it)
            if same_text.setdefault(item.content_hash, key) == key:
                candidates[key] = (n, item)
    if candidates:
        values = _item_values(sql, now)
        marks = {key: (feeds[n][2] or _unknown)(item) for key, (n, item) in candidates.items()}
        # in key order: concurrent writers then take the unique-index locks in one
        # order, so two instances storing the same story cannot deadlock (PostgreSQL)
        order = sorted(candidates)
        rows = _insert(
            session,
            sql,
            "items",
            _ITEM_COLUMNS,
            [values(candidates[k][1], feeds[candidates[k][0]][0].id, k, marks[k]) for k in order],
            " ON CONFLICT (url_key) DO NOTHING RETURNING id, url_key",
            [candidates[key][1] for key in order],
            skipped,
        )
        for row_id, key in rows:
            n, item = candidates[key]
            known[key] = known["hash:" + item.content_hash] = row_id
            out[n].append(StoredItem(row_id, feeds[n][0].name, item, marks[key]))
        lost = [key for key in candidates if key not in known]  # another writer was first
        if lost:
            winners = sql.rows_in("SELECT url_key, id FROM items WHERE url_key IN ({values})", lost)
            known.update({key: row_id for key, row_id in winners})
    seen_at = sql.value(ItemSource.seen.type)(now)
    sources: list[tuple[Any, ...]] = []
    sourced: list[Item] = []
    for (feed, _, _), new in zip(feeds, fresh, strict=True):
        for key, (guid, item) in new.items():
            item_id = known.get(key) or known.get("hash:" + item.content_hash)
            if item_id is not None:  # (None: its item was skipped)
                sources.append((item_id, feed.id, guid, seen_at))
                sourced.append(item)
    _insert(
        session,
        sql,
        "item_sources",
        ("item_id", "feed_id", "guid", "seen"),
        sources,
        " ON CONFLICT (feed_id, guid) DO NOTHING",
        sourced,
        skipped,
    )
    for stored in out:
        stored.sort(key=lambda s: s.id)
    return out


# what a database or its driver raises for a value it refuses
REFUSED = (DatabaseError, ValueError, OverflowError)


def _insert(
    session: Session,
    sql: Driver,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    tail: str,
    items: Sequence[Item],
    skipped: list[str] | None,
) -> list[tuple[Any, ...]]:
    """``Driver.insert`` of ``rows`` (one per item of ``items``): all at once, or, given
    ``skipped``, each in its own savepoint, leaving out (with the reason) those refused."""
    if skipped is None:
        return sql.insert(table, columns, rows, tail)
    found: list[tuple[Any, ...]] = []
    for row, item in zip(rows, items, strict=True):
        try:
            with session.begin_nested():
                found.extend(sql.insert(table, columns, [row], tail))
        except REFUSED as exc:
            skipped.append(_skip_reason(item, exc))
    return found


def _skip_reason(item: Item, exc: BaseException) -> str:
    return f"entry {item.guid[:80]!r} not stored: {error_text(exc)}"


_ITEM_COLUMNS = (
    "feed_id", "source", "url", "url_key", "guid", "title", "summary", "content", "author",
    "published", "fetched", "language", "content_hash", "minhash", "relevant", "classified",
)  # fmt: skip


def _unknown(item: Item) -> bool | None:
    return None


def _item_values(
    sql: Driver, now: datetime
) -> Callable[[Item, int, str, bool | None], tuple[Any, ...]]:
    """An item's row of driver values, in the order of ``_ITEM_COLUMNS``; given its
    relevance (not None), the row is stored classified at ``now``."""
    when, blob = sql.value(ItemRow.published.type), sql.value(ItemRow.minhash.type)
    flag, classified = sql.value(ItemRow.relevant.type), when(now)

    def values(item: Item, feed_id: int, key: str, relevant: bool | None) -> tuple[Any, ...]:
        return (
            feed_id, item.source, item.url, key, item.guid, item.title, item.summary,
            item.content, item.author, when(item.published), when(item.fetched), item.language,
            item.content_hash, blob(item.minhash) if item.minhash else None,
            None if relevant is None else flag(relevant),
            None if relevant is None else classified,
        )  # fmt: skip

    return values


def recent_items(
    session: Session,
    *,
    feed: str | None = None,
    since: datetime | None = None,
    relevant: bool | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """The newest stored items (first stored from ``feed``, published ``since``, of this
    relevance), at most ``limit``, each with the event types it was given."""
    query = _newest_items(feed=feed, since=since, relevant=relevant).limit(max(limit, 0))
    return [_item_record(row) for row in session.scalars(query)]


TEXT_BATCH = 1000  # rows fetched at a time by newest_texts


def newest_texts(session: Session, limit: int) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) of the newest ``limit`` stored items, newest first, fetched
    ``TEXT_BATCH`` rows at a time (only the columns needed)."""
    query = (
        select(ItemRow.id, ItemRow.title, ItemRow.content, ItemRow.summary)
        .order_by(ItemRow.published.desc(), ItemRow.id.desc())
        .limit(max(limit, 0))
        .execution_options(yield_per=TEXT_BATCH)
    )
    for row in session.execute(query):
        yield str(row.id), row.title, row.content or row.summary


def _newest_items(
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


def _item_record(row: ItemRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source,
        "url": row.url,
        "guid": row.guid,
        "title": row.title,
        "summary": row.summary,
        "author": row.author,
        "published": row.published,
        "fetched": row.fetched,
        "language": row.language,
        "content_hash": row.content_hash,
        "relevant": row.relevant,
        "types": sorted(c.event_type for c in row.classifications),
    }


def item_counts(session: Session) -> dict[int, int]:
    """Items per feed id (each feed that carried an item counts it)."""
    rows = session.execute(select(ItemSource.feed_id, func.count()).group_by(ItemSource.feed_id))
    return {feed_id: count for feed_id, count in rows}


def mark_classified(session: Session, item_id: int, relevant: bool, now: datetime) -> None:
    session.execute(
        update(ItemRow).where(ItemRow.id == item_id).values(relevant=relevant, classified=now)
    )


def record_verdicts(
    session: Session,
    labels: Sequence[tuple[int, Label]],
    marks: Sequence[tuple[int, bool]],
    now: datetime,
) -> None:
    """The classifier's verdicts on a batch: (item id, label) pairs, one classification
    row each (one insert), and the relevance of the items not stored with theirs,
    ``marks`` of (item id, relevant) (one executemany update)."""
    if not labels and not marks:
        return
    sql = Driver(session)  # at the driver: no per-row SQLAlchemy work
    if labels:
        evidence = sql.value(ClassificationRow.evidence.type)
        rows = [(item_id, label.event_type, label.score, label.tense, evidence(_evidence(label)))
                for item_id, label in labels]  # fmt: skip
        sql.insert("classifications", _LABEL_COLUMNS, rows)
    if marks:
        when, flag = sql.value(ItemRow.classified.type)(now), sql.value(ItemRow.relevant.type)
        sql.connection.exec_driver_sql(
            f"UPDATE items SET relevant = {sql.mark}, classified = {sql.mark}"
            f" WHERE id = {sql.mark}",
            [(flag(relevant), when, item_id) for item_id, relevant in marks],
        )


def unmark_items(session: Session, ids: Sequence[int]) -> None:
    """Leave the items unclassified again (``relevant`` and ``classified`` NULL): they
    were stored classified, but the stages after the store failed on them, and
    ``unprocessed_items`` must find them."""
    for start in range(0, len(ids), Driver.PARAMS):
        chunk = ids[start : start + Driver.PARAMS]
        session.execute(
            update(ItemRow)
            .where(ItemRow.id.in_(chunk))
            .values(relevant=None, classified=None)
            .execution_options(synchronize_session=False)
        )


_LABEL_COLUMNS = ("item_id", "event_type", "score", "tense", "evidence")


def _evidence(label: Label) -> list[dict[str, object]]:
    return [
        {"rule": e.rule, "term": e.term, "where": e.where, "weight": e.weight,
         "snippet": e.snippet}
        for e in label.evidence
    ]  # fmt: skip


def unprocessed_items(session: Session, since: datetime, limit: int) -> list[StoredItem]:
    """Items stored since ``since`` whose processing did not complete (never classified:
    the stages after the store failed on them), oldest first, with their signatures.

    In the order of the partial index ``ix_items_unclassified`` (``fetched``, then id):
    the database reads only the unclassified items. In id order, SQLite read the whole
    table instead (after every ``poll --once`` cycle and every few minutes in the daemon:
    ~20 ms at 26,000 items, growing with the store)."""
    rows = session.execute(
        select(ItemRow, Feed.name)
        .join(Feed, Feed.id == ItemRow.feed_id)
        .where(ItemRow.classified.is_(None), ItemRow.fetched >= since)
        .order_by(ItemRow.fetched, ItemRow.id)
        .limit(limit)
    ).all()
    return [StoredItem(row.id, feed, _item(row, row.minhash)) for row, feed in rows]


def _item(row: ItemRow, minhash: bytes | None = None) -> Item:
    return Item(
        source=row.source, url=row.url, guid=row.guid, title=row.title, summary=row.summary,
        content=row.content, author=row.author, published=row.published, fetched=row.fetched,
        language=row.language, content_hash=row.content_hash, minhash=minhash,
    )  # fmt: skip


def item_by_id(session: Session, item_id: int) -> Item | None:
    """A stored item as the stages know it (without its signature)."""
    row = session.get(ItemRow, item_id)
    return None if row is None else _item(row)


def evidence_of(session: Session, item_id: int, event_type: str) -> list[dict[str, Any]]:
    """Why the item was given ``event_type``: its evidence, as stored (none: [])."""
    evidence = session.scalar(
        select(ClassificationRow.evidence).where(
            ClassificationRow.item_id == item_id, ClassificationRow.event_type == event_type
        )
    )
    return list(evidence or [])


def export_items(
    session: Session, since: datetime, relevant: bool
) -> Generator[dict[str, Any], None, None]:
    """Items published since ``since``, oldest first, with their event types, read as
    they are taken (a server-side cursor on PostgreSQL): a caller that stops early closes
    the iterator (``contextlib.closing``), which closes the cursor."""
    query = (
        select(ItemRow, Feed.name)
        .outerjoin(Feed, Feed.id == ItemRow.feed_id)
        .where(ItemRow.published >= since)
        .order_by(ItemRow.published, ItemRow.id)
        .options(selectinload(ItemRow.classifications))
        .execution_options(yield_per=500)
    )
    if relevant:
        query = query.where(ItemRow.relevant.is_(True))
    with session.execute(query) as rows:
        for item, feed in rows:
            yield {
                "id": item.id,
                "published": item.published.isoformat(),
                "fetched": item.fetched.isoformat(),
                "feed": feed,
                "source": item.source,
                "language": item.language,
                "relevant": item.relevant,
                "types": sorted(c.event_type for c in item.classifications),
                "title": item.title,
                "url": item.url,
                "summary": item.summary,
            }


RECENT_CHUNK = 100  # feeds per statement of ``recent_guids`` (SQLite: 500 SELECTs at most)


def recent_guids(
    session: Session, feed_ids: Sequence[int], limit: int
) -> dict[int, frozenset[str]]:
    """For each of the feeds ``feed_ids``, the GUID keys (``guid_key``) of the newest
    ``limit`` items it gave: what its next document most likely repeats. A hint for
    leaving known entries out early; ``add_items`` decides what is new whatever the hint
    says. One statement per ``RECENT_CHUNK`` feeds (each feed's newest rows through the
    ``(feed_id, guid)`` index, as a statement for that feed alone would read them);
    a feed that gave nothing yet has an empty set."""
    sql = Driver(session)  # no SQLAlchemy statement work
    newest = (
        "SELECT feed_id, guid FROM (SELECT feed_id, guid FROM item_sources "
        "WHERE feed_id = {m} ORDER BY id DESC LIMIT {m}) AS r{n}"
    )
    found: dict[int, set[str]] = {feed: set() for feed in feed_ids}
    feeds = list(found)
    for start in range(0, len(feeds), RECENT_CHUNK):
        chunk = feeds[start : start + RECENT_CHUNK]
        statement = " UNION ALL ".join(newest.format(m=sql.mark, n=n) for n in range(len(chunk)))
        for feed, guid in sql.run(statement, [v for one in chunk for v in (one, limit)]):
            found[feed].add(guid)
    return {feed: frozenset(guids) for feed, guids in found.items()}
