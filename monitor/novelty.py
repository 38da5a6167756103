"""Novelty: one story per text, one event per happening, news only when something changed.

``NoveltyStage.handle`` runs in the transaction that stored and classified the items.
For each new item, oldest id first:

1. **Story.** ``dedup.NearDuplicates`` puts the item in the story of its nearest
   earlier copy within the window (MinHash/LSH), or starts a new story.
2. **Events.** Each label whose type the watch routes somewhere (any route, immediate
   or digest; ``"*"`` routes every type; a watch without routes opens no events) is
   placed in an event of that watch and type, first match wins:

   a. the event already covering another item of the same story (a reprint is always
      coverage of what its first copy reported);
   b. an event with the same actors (see ``monitor.happening``) whose coverage lies
      within the window of the item's time, unless both give a date and the dates
      differ (the foreign ministers' call next month is another event);
   c. otherwise a new event. A ``summit_held`` event is linked (``parent_id``) to the
      announced summit of the same actors within the window, which becomes held.

   Text similarity between different outlets' reports of one happening is too low to
   decide anything (they share names, not sentences), so "similar text" is the story
   test of (a); (b) rests on type, actors, time and date.
3. **News** for the alert stage (``on_news``, same transaction), as ``EventNews``:
   ``new`` when an event opens; ``state_change`` when an item moves an event along
   announced → held / postponed / cancelled (``monitor.happening.transition``), or when
   a held summit opens with an announced one as parent (``parent_uid``); ``update``
   when a reprint of covered text brings a type its story had no event for, only with
   ``alert_updates`` (otherwise that event opens with ``alerting`` False). Coverage
   that changes nothing is not news: the tenth report that a summit will happen.

**Backlog.** An item published more than ``backlog_age`` before it was stored gets its
story and joins or opens events like any other, but every event it opens has
``alerting`` False and nothing it does is news. Fresh coverage that later joins such an
event is not news either (the happening was known before); a fresh state change is.

**Race-free.** ``Event.key`` is ``watch|type|actors|time bucket|n``: the insert is
``ON CONFLICT DO NOTHING`` and then the row is read; a row that is not this happening
(a date conflict) moves on to ``n + 1``. Two writers opening the same event in the same
bucket end with one event and one ``new``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor import happening
from monitor.config.schema import NoveltySettings, WatchConfig
from monitor.dedup import NearDuplicates, StoryMatch, item_time
from monitor.errors import StoreError
from monitor.log import log_event
from monitor.model import Label
from monitor.process import Classified
from monitor.store.tables import Event, EventItem, Item

log = logging.getLogger(__name__)

MAX_KEYS = 50
PREDECESSORS = {"summit_held": "summit_announced"}
OPEN_STATES = ("announced", "postponed", "reported")


@dataclass(frozen=True, slots=True)
class EventNews:
    """Something the alert stage may tell the user about."""

    kind: str  # "new" | "state_change" | "update"
    event_id: int
    event_uid: str
    watch: str
    event_type: str
    state: str
    score: float
    item_id: int
    parent_uid: str | None = None


NewsHandler = Callable[[Session, list[EventNews], datetime], None]


def event_types(watches: Sequence[WatchConfig]) -> dict[str, frozenset[str] | None]:
    """Per watch, the types that open events (None: all of them)."""
    result: dict[str, frozenset[str] | None] = {}
    for watch in watches:
        types = {t for route in watch.routes for t in route.types}
        result[watch.name] = None if "*" in types else frozenset(types)
    return result


@dataclass(frozen=True, slots=True)
class _Report:
    """One label of one item, to be placed in an event."""

    item_id: int
    watch: str
    label: Label
    headline: str
    at: datetime
    now: datetime
    cues: happening.Happening
    story: StoryMatch
    backlog: bool

    @property
    def event_type(self) -> str:
        return self.label.event_type


class NoveltyStage:
    """``process.NextStage``: stories, events and news for newly stored items."""

    def __init__(
        self,
        settings: NoveltySettings,
        watches: Sequence[WatchConfig],
        on_news: NewsHandler | None = None,
    ) -> None:
        self.settings = settings
        self.types = event_types(watches)
        self.on_news = on_news
        self.dedup = NearDuplicates(settings.threshold, settings.window)

    def handle(self, session: Session, items: Sequence[Classified], now: datetime) -> None:
        self.process(session, items, now)

    def process(
        self, session: Session, items: Sequence[Classified], now: datetime
    ) -> list[EventNews]:
        """Stories and events for ``items``; the news is handed to ``on_news`` and returned."""
        news: list[EventNews] = []
        for classified in sorted(items, key=lambda c: c.stored.id):
            news.extend(self._item(session, classified, now))
        if news and self.on_news is not None:
            self.on_news(session, news, now)
        return news

    def _item(self, session: Session, classified: Classified, now: datetime) -> list[EventNews]:
        stored, item = classified.stored, classified.stored.item
        at = item_time(item.published, now)
        story = self.dedup.assign_story(session, stored.id, f"{item.title}\n{item.text}", at, now)
        backlog = item.published < now - self.settings.backlog_age
        news: list[EventNews] = []
        for watch, verdict in sorted(classified.verdicts.items()):
            wanted = self.types.get(watch, frozenset())
            for label in verdict.labels:
                if wanted is not None and label.event_type not in wanted:
                    continue
                cues = happening.read(label.event_type, label.tense, item.title, item.text)
                report = _Report(stored.id, watch, label, item.title, at, now, cues, story, backlog)
                if (found := self._place(session, report)) is not None:
                    news.append(found)
        return news

    def _place(self, session: Session, r: _Report) -> EventNews | None:
        event = self._story_event(session, r, same_type=True) if r.story.joined else None
        if event is None:
            event = self._matching_event(session, r)
        if event is not None:
            return self._join(session, event, r)
        return self._open(session, r)

    # --- finding ----------------------------------------------------------------------

    def _story_event(self, session: Session, r: _Report, *, same_type: bool) -> Event | None:
        """An event of this watch (and type) that already covers an item of this story."""
        query = (
            select(Event)
            .join(EventItem, EventItem.event_id == Event.id)
            .join(Item, Item.id == EventItem.item_id)
            .where(Item.story_id == r.story.story_id, Event.watch == r.watch)
            .order_by(Event.id)
            .limit(1)
        )
        if same_type:
            query = query.where(Event.event_type == r.event_type)
        return session.scalar(query)

    def _candidates(self, session: Session, r: _Report, event_type: str) -> list[Event]:
        window = self.settings.window
        query = (
            select(Event)
            .where(
                Event.watch == r.watch,
                Event.event_type == event_type,
                Event.first_seen <= r.at + window,
                Event.last_seen >= r.at - window,
            )
            .order_by(Event.last_seen.desc(), Event.id)
        )
        return [e for e in session.scalars(query) if tuple(e.actors) == r.cues.actors]

    def _matching_event(self, session: Session, r: _Report) -> Event | None:
        for event in self._candidates(session, r, r.event_type):
            if _same_date(event, r):
                return event
        return None

    def _predecessor(self, session: Session, r: _Report) -> Event | None:
        earlier = PREDECESSORS.get(r.event_type)
        if earlier is None:
            return None
        for event in self._candidates(session, r, earlier):
            if event.state in OPEN_STATES and event.first_seen <= r.at:
                return event
        return None

    # --- changing ---------------------------------------------------------------------

    def _join(self, session: Session, event: Event, r: _Report) -> EventNews | None:
        _link(session, event.id, r)
        event.first_seen = min(event.first_seen, r.at)
        event.last_seen = max(event.last_seen, r.at)
        event.score = max(event.score, r.label.score)
        event.when_text = event.when_text or r.cues.when_text
        event.place = event.place or r.cues.place
        state, is_news = happening.transition(event.state, r.cues.state)
        if state != event.state:
            log_event(log, logging.INFO, "event_state", uid=event.uid, state=state,
                      was=event.state, item=r.item_id)  # fmt: skip
            event.state = state
        if not is_news or r.backlog:
            return None
        event.alerting = True
        return _news("state_change", event, r, None)

    def _open(self, session: Session, r: _Report) -> EventNews | None:
        parent = self._predecessor(session, r)
        reprint_of = self._story_event(session, r, same_type=False) if r.story.joined else None
        kind = "update" if reprint_of else ("state_change" if parent else "new")
        alerting = not r.backlog and (kind != "update" or self.settings.alert_updates)
        event, created = self._create(session, r, parent or reprint_of, alerting)
        if not created:
            return self._join(session, event, r)
        if parent is not None:
            parent.state = happening.transition(parent.state, r.cues.state)[0]
        log_event(log, logging.INFO, "event_opened", uid=event.uid, watch=r.watch,
                  type=r.event_type, state=event.state, kind=kind, alerting=alerting,
                  item=r.item_id)  # fmt: skip
        if not alerting:
            return None
        linked = parent or reprint_of
        return _news(kind, event, r, linked.uid if linked is not None else None)

    def _create(
        self, session: Session, r: _Report, parent: Event | None, alerting: bool
    ) -> tuple[Event, bool]:
        """Insert the event (race-free), or find the same happening another writer opened."""
        bucket = int(r.at.timestamp() // self.settings.window.total_seconds())
        base = "|".join((r.watch, r.event_type, "+".join(r.cues.actors), str(bucket)))
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        for n in range(MAX_KEYS):
            key = _event_key(base, n)
            values = _event_values(key, r, parent, alerting)
            new_id = session.execute(
                insert(Event).values(**values).on_conflict_do_nothing(index_elements=["key"])
                .returning(Event.id)
            ).scalar()  # fmt: skip
            if new_id is not None:
                event = session.get(Event, new_id)
                assert event is not None
                _link(session, event.id, r)
                return event, True
            existing = session.scalar(select(Event).where(Event.key == key))
            if existing is not None and _same_date(existing, r):
                return existing, False
        raise StoreError(f"no free event key for '{base}' after {MAX_KEYS} tries")


def _same_date(event: Event, r: _Report) -> bool:
    return event.when_text is None or r.cues.when_text in (None, event.when_text)


def _event_key(base: str, n: int) -> str:
    key = f"{base}|{n}"
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _event_values(key: str, r: _Report, parent: Event | None, alerting: bool) -> dict[str, Any]:
    return {
        "uid": "ev-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16],
        "key": key,
        "watch": r.watch,
        "event_type": r.event_type,
        "state": r.cues.state,
        "actors": list(r.cues.actors),
        "place": r.cues.place,
        "when_text": r.cues.when_text,
        "headline": r.headline[:1000],
        "score": r.label.score,
        "alerting": alerting,
        "parent_id": parent.id if parent is not None else None,
        "first_seen": r.at,
        "last_seen": r.at,
    }


def _link(session: Session, event_id: int, r: _Report) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(EventItem)
        .values(event_id=event_id, item_id=r.item_id, added=r.now)
        .on_conflict_do_nothing(index_elements=["event_id", "item_id"])
    )


def _news(kind: str, event: Event, r: _Report, parent_uid: str | None) -> EventNews:
    return EventNews(
        kind=kind,
        event_id=event.id,
        event_uid=event.uid,
        watch=event.watch,
        event_type=event.event_type,
        state=event.state,
        score=r.label.score,
        item_id=r.item_id,
        parent_uid=parent_uid,
    )
