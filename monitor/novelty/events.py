"""Events: the reports of one batch of items placed in events, and the news they make.

``Placer.place`` puts each ``Report`` (one routed label of one item; see
``monitor.novelty.stage`` for the order and the rules of placement) in an event of its watch
and type: the event covering its story, an event with the same actors within the
window, or a new one; and says what is news of it (``EventNews``).

**One batch.** The items of one call are placed in order, with what is known
of events read once per call (candidate events per watch and type over the batch's
time span; events already covering the stories it joins) and kept current in memory
as events open and grow; coverage links are written with one insert at the end,
before the news is handed on. The result is that of placing the items one by one.

**Race-free.** ``Event.key`` is ``watch|type|actors|time bucket|n``: the insert is
``ON CONFLICT DO NOTHING`` and then the row is read; a row that is not this happening
(a date conflict) moves on to ``n + 1``. Two writers opening the same event in the same
bucket end with one event and one ``new``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.config.schema import NoveltySettings
from monitor.errors import StoreError
from monitor.log import log_event
from monitor.model import Label
from monitor.novelty.cues import Happening, transition
from monitor.novelty.dates import When
from monitor.novelty.dedup import StoryMatch
from monitor.store.db import Session
from monitor.store.events import EventRows
from monitor.store.events import StageEvent as EventRow

log = logging.getLogger(__name__)

MAX_KEYS = 50
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


@dataclass(frozen=True, slots=True)
class Report:
    """One label of one item, to be placed in an event."""

    item_id: int
    watch: str
    label: Label
    headline: str
    at: datetime
    now: datetime
    cues: Happening
    story: StoryMatch
    backlog: bool
    origin: str | None = None  # the announced type whose event this later state moves on
    announces: bool = False  # the type announces a meeting with a lifecycle

    @property
    def event_type(self) -> str:
        return self.label.event_type

    @property
    def family(self) -> str:
        """The type of the events this report is placed in: a lifecycle's announced type
        for its later states (a held summit is the announced summit, held)."""
        return self.origin or self.label.event_type


class Known:
    """The events one batch can meet, read once and kept current as the batch changes them.

    ``by_type`` holds, per watch and type, every event whose coverage overlaps the batch's
    time span (± the window), loaded on first use; ``by_story`` the events covering each
    story that items of the batch joined. Events opened, joined or found by key are added.
    """

    def __init__(self, session: Session, window: timedelta, reports: Sequence[Report]) -> None:
        self.store = EventRows(session)
        self.window = window
        self.lo = min(r.at for r in reports) - window
        self.hi = max(r.at for r in reports) + window
        self.by_type: dict[tuple[str, str], dict[int, EventRow]] = {}
        self.around_by_type: dict[tuple[str, str], dict[int, EventRow]] = {}
        self.by_story: dict[int, dict[int, EventRow]] = {}
        self.links: dict[tuple[int, int], datetime] = {}  # (event, item) -> added, in order
        self.states: list[tuple[int, str, str | None, int, datetime]] = []  # history rows
        self._load_stories({r.story.story_id for r in reports if r.story.joined})

    def _load_stories(self, story_ids: set[int]) -> None:
        for story_id, event in self.store.of_stories(story_ids):
            self.by_story.setdefault(story_id, {})[event.id] = event

    def story_event(self, r: Report, event_type: str | None) -> EventRow | None:
        """The first event of this watch (and type) that covers an item of the story."""
        events = self.by_story.get(r.story.story_id, {}).values()
        return min(
            (e for e in events if e.watch == r.watch and event_type in (None, e.event_type)),
            key=lambda e: e.id,
            default=None,
        )

    def candidates(self, r: Report, event_type: str) -> list[EventRow]:
        """Events of this watch, type and actors whose coverage is within the window of
        the item's time: the latest coverage first (ties: the oldest event)."""
        key = (r.watch, event_type)
        if key not in self.by_type:
            found = self.store.near(r.watch, event_type, self.lo, self.hi)
            self.by_type[key] = {e.id: e for e in found}
        lo, hi = r.at - self.window, r.at + self.window
        found = [
            e
            for e in sorted(self.by_type[key].values(), key=lambda e: e.id)
            if e.first_seen <= hi and e.last_seen >= lo and tuple(e.actors) == r.cues.actors
        ]
        return sorted(found, key=lambda e: e.last_seen, reverse=True)  # stable: id order kept

    def around(self, r: Report, event_type: str, horizon: timedelta) -> list[EventRow]:
        """Events of this watch, type and actors whose coverage lies within ``horizon`` of
        the batch (a lifecycle's longer reach), in id order."""
        key = (r.watch, event_type)
        if key not in self.around_by_type:
            lo, hi = self.lo - horizon, self.hi + horizon
            found = self.store.near(r.watch, event_type, lo, hi)
            self.around_by_type[key] = {e.id: e for e in found}
            for event in self.by_type.get(key, {}).values():  # the rows this batch changed
                self.around_by_type[key][event.id] = event
        events = sorted(self.around_by_type[key].values(), key=lambda e: e.id)
        return [e for e in events if tuple(e.actors) == r.cues.actors]

    def add(self, event: EventRow) -> None:
        for known in (self.by_type, self.around_by_type):
            if (events := known.get((event.watch, event.event_type))) is not None:
                events[event.id] = event

    def link(self, event: EventRow, r: Report) -> None:
        self.links.setdefault((event.id, r.item_id), r.now)
        self.by_story.setdefault(r.story.story_id, {})[event.id] = event
        self.add(event)

    def write_links(self) -> None:
        """The coverage links and state history of the batch, in the order they were made,
        with one insert each."""
        self.store.add_coverage([(e, i, at) for (e, i), at in self.links.items()])
        self.links.clear()
        self.store.add_states(self.states)
        self.states.clear()


class Placer:
    """Places the reports of one batch in events, one after the other."""

    def __init__(self, session: Session, settings: NoveltySettings, reports: Sequence[Report]):
        self.settings = settings
        self.known = Known(session, settings.window, reports)

    def write_links(self) -> None:
        self.known.write_links()

    def place(self, r: Report) -> EventNews | None:
        event = self.known.story_event(r, r.family) if r.story.joined else None
        if event is None:
            event = self._matching_event(r)
        if event is None and r.origin is not None:
            event = self._announced_event(r)
        if event is None and r.announces:
            event = self._later_event(r)
        if event is not None:
            return self._join(event, r)
        return self._open(r)

    # --- finding ----------------------------------------------------------------------

    def _matching_event(self, r: Report) -> EventRow | None:
        return next((e for e in self.known.candidates(r, r.family) if _same_date(e, r)), None)

    def _announced_event(self, r: Report) -> EventRow | None:
        """The announced meeting a report of its later state moves along (lifecycle): one
        still announced or postponed whose last coverage is within ``announced_window``."""
        horizon = self.settings.announced_window
        waiting = [
            e
            for e in self.known.around(r, r.family, horizon)
            if e.state in OPEN_STATES
            and e.first_seen <= r.at
            and e.last_seen >= r.at - horizon
            and _same_date(e, r)
        ]
        return max(waiting, key=lambda e: e.last_seen, default=None)

    def _later_event(self, r: Report) -> EventRow | None:
        """For an announcement read after the news of its meeting (feeds are not read in
        publication order): the meeting first reported (held or cancelled) within
        ``announced_window`` after it."""
        horizon = self.settings.announced_window
        later = [
            e
            for e in self.known.around(r, r.family, horizon)
            if e.state not in OPEN_STATES
            and r.at < e.first_seen <= r.at + horizon
            and _same_date(e, r)
        ]
        return min(later, key=lambda e: e.first_seen, default=None)

    # --- changing ---------------------------------------------------------------------

    def _join(self, event: EventRow, r: Report) -> EventNews | None:
        self.known.link(event, r)
        if r.at < event.first_seen:  # (unchanged columns are left alone: no ORM work)
            event.first_seen = r.at
        if r.at > event.last_seen:
            event.last_seen = r.at
        if r.label.score > event.score:
            event.score = r.label.score
        if r.cues.when is not None and _narrows(event, r.cues.when):
            _set_when(event, r.cues.when)
        if not event.place and r.cues.place:
            event.place = r.cues.place
        state, is_news = transition(event.state, r.cues.state)
        if state != event.state:
            log_event(log, logging.INFO, "event_state", uid=event.uid, state=state,
                      was=event.state, item=r.item_id)  # fmt: skip
            self.known.states.append((event.id, state, event.state, r.item_id, r.at))
            event.state = state
        if not is_news or r.backlog:
            return None
        event.alerting = True
        return _news("state_change", event, r, None)

    def _open(self, r: Report) -> EventNews | None:
        reprint_of = self.known.story_event(r, None) if r.story.joined else None
        kind = "update" if reprint_of else "new"
        alerting = not r.backlog and (kind != "update" or self.settings.alert_updates)
        event, created = self._create(r, reprint_of, alerting)
        if not created:
            return self._join(event, r)
        log_event(log, logging.INFO, "event_opened", uid=event.uid, watch=r.watch,
                  type=r.event_type, state=event.state, kind=kind, alerting=alerting,
                  item=r.item_id)  # fmt: skip
        if not alerting:
            return None
        return _news(kind, event, r, reprint_of.uid if reprint_of is not None else None)

    def _create(self, r: Report, parent: EventRow | None, alerting: bool) -> tuple[EventRow, bool]:
        """Insert the event (race-free), or find the same happening another writer opened."""
        bucket = int(r.at.timestamp() // self.settings.window.total_seconds())
        base = "|".join((r.watch, r.family, "+".join(r.cues.actors), str(bucket)))
        for n in range(MAX_KEYS):
            key = _event_key(base, n)
            event = self.known.store.open(
                key, watch=r.watch, event_type=r.family, state=r.cues.state,
                actors=r.cues.actors, place=r.cues.place, when=_when_columns(r.cues.when),
                headline=r.headline, score=r.label.score, alerting=alerting,
                parent_id=parent.id if parent is not None else None, at=r.at,
            )  # fmt: skip
            if event is not None:
                self.known.link(event, r)
                self.known.states.append((event.id, event.state, None, r.item_id, r.at))
                return event, True
            existing = self.known.store.by_key(key)
            if existing is not None and _same_date(existing, r):
                self.known.add(existing)
                return existing, False
        raise StoreError(f"no free event key for '{base}' after {MAX_KEYS} tries")


def _event_when(event: EventRow) -> When | None:
    if event.when_start is None or event.when_end is None:
        return None
    return When(event.when_start, event.when_end, event.when_text or "")


def _same_date(event: EventRow, r: Report) -> bool:
    """Unless both give a date and the dates cannot be the same days."""
    known = _event_when(event)
    return known is None or r.cues.when is None or known.overlaps(r.cues.when)


def _narrows(event: EventRow, when: When) -> bool:
    """Whether ``when`` says more than the event knows ("Aug. 23" after "next month")."""
    known = _event_when(event)
    return known is None or (when.within(known) and when != known)


def _set_when(event: EventRow, when: When) -> None:
    event.when_text, event.when_start, event.when_end = when.text, when.start, when.end


def _when_columns(when: When | None) -> tuple[str, date, date] | None:
    return None if when is None else (when.text, when.start, when.end)


def _event_key(base: str, n: int) -> str:
    key = f"{base}|{n}"
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _news(kind: str, event: EventRow, r: Report, parent_uid: str | None) -> EventNews:
    return EventNews(
        kind=kind,
        event_id=event.id,
        event_uid=event.uid,
        watch=event.watch,
        event_type=r.event_type,
        state=event.state,
        score=r.label.score,
        item_id=r.item_id,
        parent_uid=parent_uid,
    )
