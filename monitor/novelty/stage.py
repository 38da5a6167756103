"""Novelty: one story per text, one event per happening, news only when something changed.

``NoveltyStage.handle`` runs in the transaction that stored and classified the items.
For each new item that a watch found relevant (it passed the watch's topic gate and
reached a type's threshold), oldest id first:

1. **Story.** ``dedup.NearDuplicates`` puts the item in the story of its nearest
   earlier copy within the window (MinHash/LSH), or starts a new story. Items no watch
   found relevant get no story, signature or band keys: stories only serve to place
   labels in events, and near-duplicate work on every item of a feed would be spent on
   text nobody is alerted about (exact copies, by URL or content hash, are still folded
   for every item when it is stored: ``store.items.add_items``).
2. **Events.** Each label whose type the watch routes somewhere (any route, immediate
   or digest; ``"*"`` routes every type; a watch without routes opens no events) is
   placed in an event of that watch and type, first match wins:

   a. the event already covering another item of the same story (a reprint is always
      coverage of what its first copy reported);
   b. an event with the same actors (see ``monitor.novelty.cues``) whose coverage lies
      within the window of the item's time, unless both give a date and the dates
      differ (the foreign ministers' call next month is another event);
   c. for a type that reports a later state of an announced meeting (the rules'
      ``events.lifecycle``: announced → held / postponed / cancelled), the announced
      event of the same actors, unless the dates differ, still announced or postponed
      and last covered within ``announced_window`` (30 days): it moves along, and stays
      one event. Such types are placed in events of the announced type (a held summit
      is the announced summit, held: (a) and (b) look there too), and an announcement
      read after the news of its meeting joins the meeting held, postponed or cancelled
      within ``announced_window`` after it, so the order of reading does not matter;
   d. otherwise a new event.

   Text similarity between different outlets' reports of one happening is too low to
   decide anything (they share names, not sentences), so "similar text" is the story
   test of (a); (b) rests on type, actors, time and date.
3. **News** for the alert stage (``on_news``, same transaction), as ``EventNews``:
   ``new`` when an event opens; ``state_change`` when an item moves an event along
   announced → held / postponed / cancelled (``monitor.novelty.cues.transition``); ``update``
   when a reprint of covered text brings a type its story had no event for, only with
   ``alert_updates`` (otherwise that event opens with ``alerting`` False). Coverage
   that changes nothing is not news: the tenth report that a summit will happen.

**Backlog.** An item published more than ``backlog_age`` before it was stored gets its
story and joins or opens events like any other, but every event it opens has
``alerting`` False and nothing it does is news. Fresh coverage that later joins such an
event is not news either (the happening was known before); a fresh state change is.

**One batch** of items is placed in one pass, and **race-free**: two writers opening
the same event end with one event and one ``new`` (``monitor.novelty.events`` says how).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from monitor.config.schema import NoveltySettings, WatchConfig
from monitor.model import Classified, EventKnowledge
from monitor.novelty.cues import read as read_cues
from monitor.novelty.dedup import ItemText, NearDuplicates, StoryMatch, item_time
from monitor.novelty.events import EventNews, Placer, Report
from monitor.novelty.minhash import story_text
from monitor.store.db import Session

__all__ = ["EventNews", "NewsHandler", "NoveltyStage", "event_types"]

NO_KNOWLEDGE = EventKnowledge()
NewsHandler = Callable[[Session, list[EventNews], datetime], None]


def event_types(watches: Sequence[WatchConfig]) -> dict[str, frozenset[str] | None]:
    """Per watch, the types that open events (None: all of them)."""
    result: dict[str, frozenset[str] | None] = {}
    for watch in watches:
        types = {t for route in watch.routes for t in route.types}
        result[watch.name] = None if "*" in types else frozenset(types)
    return result


class NoveltyStage:
    """``process.NextStage``: stories, events and news for newly stored items."""

    def __init__(
        self,
        settings: NoveltySettings,
        watches: Sequence[WatchConfig],
        on_news: NewsHandler | None = None,
        knowledge: Mapping[str, EventKnowledge] | None = None,
    ) -> None:
        self.settings = settings
        self.knowledge = dict(knowledge or {})
        self.types = event_types(watches)
        self.on_news = on_news
        self.dedup = NearDuplicates(settings.threshold, settings.window)

    def handle(self, session: Session, items: Sequence[Classified], now: datetime) -> None:
        self.process(session, items, now)

    def process(
        self, session: Session, items: Sequence[Classified], now: datetime
    ) -> list[EventNews]:
        """Stories and events for ``items``; the news is handed to ``on_news`` and returned."""
        ordered = sorted((c for c in items if _relevant(c)), key=lambda c: c.stored.id)
        texts = [
            ItemText(c.stored.id, story_text(c.stored.item.title, c.stored.item.text),
                     item_time(c.stored.item.published, now), c.stored.item.minhash)
            for c in ordered
        ]  # fmt: skip
        stories = self.dedup.assign_stories(session, texts, now)
        reports = [
            report
            for classified, story in zip(ordered, stories, strict=True)
            for report in self._reports(classified, story, now)
        ]
        news: list[EventNews] = []
        if reports:
            placer = Placer(session, self.settings, reports)
            news = [found for r in reports if (found := placer.place(r)) is not None]
            placer.write_links()
        if news and self.on_news is not None:
            self.on_news(session, news, now)
        return news

    def _reports(self, classified: Classified, story: StoryMatch, now: datetime) -> list[Report]:
        """The labels of an item that its watches route, each with what the item says."""
        item = classified.stored.item
        at = item_time(item.published, now)
        backlog = item.published < now - self.settings.backlog_age
        reports = []
        for watch, verdict in sorted(classified.verdicts.items()):
            wanted = self.types.get(watch, frozenset())
            known = self.knowledge.get(watch, NO_KNOWLEDGE)
            for label in verdict.labels:
                if wanted is not None and label.event_type not in wanted:
                    continue
                cues = read_cues(known, label.event_type, label.tense, item.title, item.text,
                                 item.published.date())  # fmt: skip
                origin = known.later.get(label.event_type, (None, ""))[0]
                announces = label.event_type in known.announced
                reports.append(
                    Report(classified.stored.id, watch, label, item.title, at, now, cues, story,
                           backlog, origin, announces)
                )  # fmt: skip
        return reports


def _relevant(classified: Classified) -> bool:
    """Whether any watch found the item relevant (only those get a story)."""
    return any(verdict.relevant for verdict in classified.verdicts.values())
