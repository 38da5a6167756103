"""Events: happenings in the world and the items that cover them (``events``,
``event_items``).

The novelty stage works through ``EventRows``, at the driver: it reads the events a
batch can meet (``of_stories``, ``near``), opens new ones race-free (``open``: ``ON
CONFLICT DO NOTHING`` on the event key, then ``by_key``), and records coverage with one
insert (``add_coverage``) and the states events entered, with the article that moved
them (``add_states``). It changes the rows it was given (``StageEvent``: state, times,
score) in place; ``EventRows`` writes the changed columns before its next statement, in
the same transaction, as a session's autoflush would (the stage loads no ORM rows of
events: a batch costs a few statements, not SQLAlchemy's per-row and per-query work).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, Float, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from monitor.store.driver import Driver
from monitor.store.tables import Classification, EventItem, EventState, Item
from monitor.store.tables import Event as EventRow

__all__ = [
    "EventFilter",
    "EventRow",
    "EventRows",
    "StageEvent",
    "coverage",
    "dated_events",
    "event_evidence",
    "event_facets",
    "event_opened",
    "event_timeline",
    "recent_events",
    "search_events",
]


STAGE_COLUMNS = (
    "id", "uid", "watch", "event_type", "state", "actors", "place", "when_text", "when_start",
    "when_end", "headline", "score", "alerting", "parent_id", "first_seen", "last_seen",
)  # fmt: skip
CHANGING = (
    "state", "place", "when_text", "when_start", "when_end", "score", "alerting", "first_seen",
    "last_seen",
)  # fmt: skip


@dataclass(slots=True, eq=False)
class StageEvent:
    """An event row as the novelty stage reads and changes it (``EventRows`` writes the
    changed columns back; ``written``: their values as the store holds them)."""

    id: int
    uid: str
    watch: str
    event_type: str
    state: str
    actors: list[str]
    place: str | None
    when_text: str | None
    when_start: date | None
    when_end: date | None
    headline: str
    score: float
    alerting: bool
    parent_id: int | None
    first_seen: datetime
    last_seen: datetime
    written: tuple[Any, ...] = ()

    def changing(self) -> tuple[Any, ...]:
        return (self.state, self.place, self.when_text, self.when_start, self.when_end,
                self.score, self.alerting, self.first_seen, self.last_seen)  # fmt: skip


class EventRows:
    """The events of one session's transaction, for the novelty stage, at the driver (no
    ORM work: a statement per question, not per row).

    Each event is read once (``rows``, by id: a later read gives the same ``StageEvent``,
    with the changes made to it); changes are written (``write``: one executemany UPDATE
    of the changed columns per set of them) before each later statement, as a session's
    autoflush does, and by ``add_coverage``, so every read sees them."""

    def __init__(self, session: Session) -> None:
        self._sql = Driver(session)
        dialect = self._sql.dialect
        table = EventRow.__table__.c
        self._read = [_reader(table[name].type, dialect) for name in STAGE_COLUMNS]
        self._bind = {name: self._sql.value(table[name].type) for name in STAGE_COLUMNS}
        self._select = f"SELECT {', '.join(f'e.{name}' for name in STAGE_COLUMNS)} FROM events e"
        self.rows: dict[int, StageEvent] = {}

    def of_stories(self, story_ids: Iterable[int]) -> list[tuple[int, StageEvent]]:
        """(story id, event) for each event covering an item of these stories."""
        wanted = sorted(set(story_ids))
        sql = self._sql
        found: dict[tuple[int, int], StageEvent] = {}
        for start in range(0, len(wanted), Driver.PARAMS):
            chunk = wanted[start : start + Driver.PARAMS]
            query = (
                f"SELECT DISTINCT i.story_id, ei.event_id FROM items i JOIN event_items ei"
                f" ON ei.item_id = i.id WHERE i.story_id IN ({sql.marks(len(chunk))})"
            )
            pairs = self._run(query, chunk)
            ids = sorted({event_id for _, event_id in pairs} - self.rows.keys())
            if ids:
                self._events(f" WHERE e.id IN ({sql.marks(len(ids))})", ids)
            for story_id, event_id in pairs:
                found[story_id, event_id] = self.rows[event_id]
        return [(story_id, event) for (story_id, _), event in found.items()]

    def near(self, watch: str, event_type: str, lo: datetime, hi: datetime) -> list[StageEvent]:
        """Events of ``watch`` and ``event_type`` whose coverage overlaps ``lo`` to ``hi``."""
        mark, bind = self._sql.mark, self._bind
        where = (
            f" WHERE e.watch = {mark} AND e.event_type = {mark} AND e.first_seen <= {mark}"
            f" AND e.last_seen >= {mark}"
        )
        return self._events(where, [watch, event_type, bind["first_seen"](hi),
                                    bind["last_seen"](lo)])  # fmt: skip

    def by_key(self, key: str) -> StageEvent | None:
        found = self._events(f" WHERE e.key = {self._sql.mark}", [key])
        return found[0] if found else None

    def open(
        self,
        key: str,
        *,
        watch: str,
        event_type: str,
        state: str,
        actors: Sequence[str],
        place: str | None,
        when: tuple[str, date, date] | None,
        headline: str,
        score: float,
        alerting: bool,
        parent_id: int | None,
        at: datetime,
    ) -> StageEvent | None:
        """Insert the event under ``key``, first and last seen ``at``; None if another writer
        (or an earlier item) has that key already (then see ``by_key``)."""
        values: dict[str, Any] = {
            "uid": event_uid(key), "watch": watch, "event_type": event_type, "state": state,
            "actors": list(actors), "place": place, "when_text": when[0] if when else None,
            "when_start": when[1] if when else None, "when_end": when[2] if when else None,
            "headline": headline[:1000], "score": score, "alerting": alerting,
            "parent_id": parent_id, "first_seen": at, "last_seen": at,
        }  # fmt: skip
        self.write()
        names = ["key", *values]
        row = [key, *(self._bind[name](value) for name, value in values.items())]
        tail = " ON CONFLICT (key) DO NOTHING RETURNING id"
        inserted = self._sql.insert("events", names, [row], tail)
        if not inserted:
            return None
        event = StageEvent(id=inserted[0][0], **values)
        event.written = event.changing()
        self.rows[event.id] = event
        return event

    def write(self) -> None:
        """The changes made to the events read: per set of changed columns, one UPDATE."""
        changed: dict[tuple[str, ...], list[list[Any]]] = {}
        for event_id in sorted(self.rows):
            event = self.rows[event_id]
            now = event.changing()
            if now == event.written:
                continue
            names = tuple(n for n, a, b in zip(CHANGING, now, event.written, strict=True) if a != b)
            values = [self._bind[n](getattr(event, n)) for n in names]
            changed.setdefault(names, []).append([*values, event_id])
            event.written = now
        mark = self._sql.mark
        for names, rows in changed.items():
            columns = ", ".join(f"{name} = {mark}" for name in names)
            self._sql.connection.exec_driver_sql(
                f"UPDATE events SET {columns} WHERE id = {mark}", [tuple(r) for r in rows]
            )

    def add_coverage(self, links: Sequence[tuple[int, int, datetime]]) -> None:
        """Coverage links, (event id, item id, added), in this order, with one insert (the
        changes to events are written first)."""
        self.write()
        if not links:
            return
        added = self._sql.value(EventItem.added.type)
        rows = [(event_id, item_id, added(at)) for event_id, item_id, at in links]
        tail = " ON CONFLICT (event_id, item_id) DO NOTHING"
        self._sql.insert("event_items", ("event_id", "item_id", "added"), rows, tail)

    def add_states(self, rows: Sequence[tuple[int, str, str | None, int, datetime]]) -> None:
        """States events entered, (event id, state, previous state or None, item id, at),
        with one insert."""
        if not rows:
            return
        at = self._sql.value(EventState.at.type)
        values = [(event_id, state, was, item_id, at(when)) for event_id, state, was, item_id,
                  when in rows]  # fmt: skip
        self._sql.insert("event_states", ("event_id", "state", "was", "item_id", "at"), values)

    def _run(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.write()
        return self._sql.run(query, params)

    def _events(self, where: str, params: Sequence[Any]) -> list[StageEvent]:
        """The events a query selects, each as the one ``StageEvent`` of its id."""
        found = []
        for raw in self._run(self._select + where, params):
            event_id = raw[0]
            event = self.rows.get(event_id)
            if event is None:
                values = dict(zip(STAGE_COLUMNS, (read(v) for read, v in zip(self._read, raw,
                                                                            strict=True)),
                                  strict=True))  # fmt: skip
                event = self.rows[event_id] = StageEvent(**values)
                event.written = event.changing()
            found.append(event)
        return found


def _reader(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """A column type's conversion of what the driver returns to Python values. (A float
    column needs none: both drivers return floats; PostgreSQL's numeric processors would
    want the column's type code from the cursor.)"""
    if isinstance(type_, Float) and not type_.asdecimal:
        return _same
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def event_uid(key: str) -> str:
    """The stable id shown to users of the event with this key."""
    return "ev-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _states(session: Session, event: EventRow) -> list[dict[str, Any]]:
    rows = session.execute(
        select(EventState, Item.source, Item.title, Item.url)
        .outerjoin(Item, Item.id == EventState.item_id)
        .where(EventState.event_id == event.id)
        .order_by(EventState.at, EventState.id)
    )
    return [
        {"at": s.at, "state": s.state, "was": s.was, "item": s.item_id, "source": source,
         "title": title, "url": url}
        for s, source, title, url in rows
    ]  # fmt: skip


def event_opened(session: Session, event_id: int) -> tuple[str, datetime]:
    """(uid, first seen) of an event (read from the store: the novelty stage writes its
    changes there, not to ORM rows)."""
    row = session.execute(
        select(EventRow.uid, EventRow.first_seen).where(EventRow.id == event_id)
    ).one()
    return row.uid, row.first_seen


def event_lines(session: Session, event_ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """Per event id: (uid, headline, the date it takes place or "") of each event."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(EventRow.id, EventRow.uid, EventRow.headline, EventRow.when_text).where(
            EventRow.id.in_(sorted(set(event_ids)))
        )
    )
    return {event_id: (uid, headline, when or "") for event_id, uid, headline, when in rows}


def coverage(session: Session, event_id: int, limit: int) -> list[tuple[str, str, str]]:
    """(source, title, url) of the first ``limit`` items covering the event, in order."""
    rows = session.execute(
        select(Item.source, Item.title, Item.url)
        .join(EventItem, EventItem.item_id == Item.id)
        .where(EventItem.event_id == event_id)
        .order_by(EventItem.added)
        .limit(limit)
    )
    return [(source, title, url) for source, title, url in rows]


# --- for `stmon events` ---------------------------------------------------------------


def _event_record(event: EventRow, articles: int, sources: int) -> dict[str, Any]:
    return {
        "id": event.id,
        "uid": event.uid,
        "watch": event.watch,
        "type": event.event_type,
        "state": event.state,
        "actors": list(event.actors),
        "when": event.when_text,
        "place": event.place,
        "headline": event.headline,
        "score": event.score,
        "alerting": event.alerting,
        "first_seen": event.first_seen,
        "last_seen": event.last_seen,
        "articles": articles,
        "sources": sources,
    }


def recent_events(session: Session, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Events seen since ``since``, newest first, at most ``limit``, with their articles and
    sources counted."""
    counts = (
        select(
            EventItem.event_id,
            func.count(EventItem.item_id).label("articles"),
            func.count(func.distinct(Item.source)).label("sources"),
        )
        .join(Item, Item.id == EventItem.item_id)
        .group_by(EventItem.event_id)
        .subquery()
    )
    query = (
        select(EventRow, counts.c.articles, counts.c.sources)
        .outerjoin(counts, counts.c.event_id == EventRow.id)
        .where(EventRow.last_seen >= since)
        .order_by(EventRow.first_seen.desc(), EventRow.id.desc())
        .limit(max(limit, 0))
    )
    return [_event_record(e, a or 0, s or 0) for e, a, s in session.execute(query)]


def dated_events(session: Session, since: date | None) -> list[dict[str, Any]]:
    """Events with a date they take place (ending after ``since``), soonest first, each
    with how many times its state changed (``changes``) and when last (``changed``)."""
    changes = (
        select(
            EventState.event_id,
            func.count(EventState.id).label("n"),
            func.max(EventState.at).label("last"),
        )
        .group_by(EventState.event_id)
        .subquery()
    )
    query = (
        select(EventRow, changes.c.n, changes.c.last)
        .outerjoin(changes, changes.c.event_id == EventRow.id)
        .where(EventRow.when_start.is_not(None), EventRow.when_end.is_not(None))
        .order_by(EventRow.when_start, EventRow.id)
    )
    if since is not None:
        query = query.where(EventRow.when_end > since)
    return [
        {"uid": e.uid, "watch": e.watch, "type": e.event_type, "state": e.state,
         "actors": list(e.actors), "place": e.place, "when": e.when_text,
         "start": e.when_start, "end": e.when_end, "headline": e.headline,
         "changes": max((n or 1) - 1, 0), "changed": last or e.first_seen}
        for e, n, last in session.execute(query)
    ]  # fmt: skip


def _find_event(session: Session, ident: str) -> EventRow | None:
    match = EventRow.uid == ident
    if ident.isascii() and ident.isdigit() and int(ident) < 2**63:  # a row id as well
        return session.scalar(select(EventRow).where(or_(match, EventRow.id == int(ident))))
    return session.scalar(select(EventRow).where(match))


def _timeline(session: Session, event: EventRow) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Item, EventItem.added)
        .join(EventItem, EventItem.item_id == Item.id)
        .where(EventItem.event_id == event.id)
        .order_by(Item.published, Item.id)
    )
    return [
        {"item": item.id, "published": item.published, "added": added, "source": item.source,
         "story": item.story_id, "title": item.title, "url": item.url}
        for item, added in rows
    ]  # fmt: skip


def event_timeline(
    session: Session, ident: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The event with uid (or numeric id) ``ident`` as a record (with its parent's uid and
    its state history, ``states``: each state with the article that moved it there), and
    its coverage, oldest first; None if there is no such event."""
    event = _find_event(session, ident)
    if event is None:
        return None
    parent = session.get(EventRow, event.parent_id) if event.parent_id else None
    items = _timeline(session, event)
    record = _event_record(event, len(items), len({c["source"] for c in items}))
    record["parent"] = parent.uid if parent is not None else None
    record["states"] = _states(session, event)
    return record, items


# --- for the web pages ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What the events page asks for; None (or "") means any."""

    watch: str | None = None
    event_type: str | None = None
    state: str | None = None
    language: str | None = None  # some covering article is in this language
    since: datetime | None = None  # first seen at or after
    until: datetime | None = None  # first seen before
    text: str | None = None  # in the headline (case-insensitive substring)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_events(
    session: Session, wanted: EventFilter, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """Events matching ``wanted``, newest first (``limit`` from ``offset``), as records with
    their articles and sources counted."""
    query = select(EventRow)
    for column, value in (
        (EventRow.watch, wanted.watch),
        (EventRow.event_type, wanted.event_type),
        (EventRow.state, wanted.state),
    ):
        if value:
            query = query.where(column == value)
    if wanted.since is not None:
        query = query.where(EventRow.first_seen >= wanted.since)
    if wanted.until is not None:
        query = query.where(EventRow.first_seen < wanted.until)
    if wanted.text:
        query = query.where(EventRow.headline.ilike(_like_pattern(wanted.text), escape="\\"))
    if wanted.language:
        covered = (
            select(EventItem.id)
            .join(Item, Item.id == EventItem.item_id)
            .where(EventItem.event_id == EventRow.id, Item.language == wanted.language)
        )
        query = query.where(exists(covered))
    query = query.order_by(EventRow.first_seen.desc(), EventRow.id.desc())
    events = list(session.scalars(query.limit(max(limit, 0)).offset(max(offset, 0))))
    counts = _coverage_counts(session, [e.id for e in events])
    return [_event_record(e, *counts.get(e.id, (0, 0))) for e in events]


def _coverage_counts(session: Session, event_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(articles, sources) of each of these events."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(
            EventItem.event_id,
            func.count(EventItem.item_id),
            func.count(func.distinct(Item.source)),
        )
        .join(Item, Item.id == EventItem.item_id)
        .where(EventItem.event_id.in_(event_ids))
        .group_by(EventItem.event_id)
    )
    return {event_id: (articles, sources) for event_id, articles, sources in rows}


def event_facets(session: Session) -> dict[str, list[str]]:
    """The values the events page can filter by: watches, types and states of the
    stored events, and the languages of the stored articles."""

    def distinct(column: Any) -> list[str]:
        return sorted(v for v in session.scalars(select(column).distinct()) if v)

    return {
        "watch": distinct(EventRow.watch),
        "type": distinct(EventRow.event_type),
        "state": distinct(EventRow.state),
        "language": distinct(Item.language),
    }


def event_evidence(
    session: Session, event_id: int, event_type: str
) -> dict[int, tuple[float, list[dict[str, Any]]]]:
    """(score, evidence) of ``event_type`` on each article covering the event, by item id."""
    rows = session.execute(
        select(Classification.item_id, Classification.score, Classification.evidence)
        .join(EventItem, EventItem.item_id == Classification.item_id)
        .where(EventItem.event_id == event_id, Classification.event_type == event_type)
    )
    return {item_id: (score, list(evidence or [])) for item_id, score, evidence in rows}
