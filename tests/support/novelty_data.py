"""Builders for novelty tests: items, gold-label verdicts, seed pages cut into articles."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from monitor.classify import load_rules
from monitor.config.schema import NoveltySettings, Route, WatchConfig
from monitor.model import Classification, Classified, EventKnowledge, Item, Label, StoredItem
from monitor.novelty.stage import EventNews, NoveltyStage
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, sync_feeds
from monitor.store.items import add_items
from monitor.store.tables import (
    Alert,
    Base,
    Event,
    EventItem,
    Feed,
    ItemSource,
    Story,
    StoryBand,
)
from monitor.store.tables import Classification as ClassificationRow
from monitor.store.tables import Item as ItemRow

WATCH = "seoul-tokyo"
ALERT_TYPES = (
    "summit_announced",
    "summit_held",
    "leaders_call",
    "ministerial_talks",
    "trilateral",
    "territorial_dispute",
    "historical_issue",
    "security_defense",
    "economy_trade",
)
DIGEST_TYPES = ("official_exchange", "people_exchange", "anniversary", "political_change")
TENSE = {"summit_announced": "future", "summit_held": "past"}
T0 = datetime(2025, 6, 1, tzinfo=UTC)
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "config" / "rules" / "seoul-tokyo.yaml"


@lru_cache(maxsize=1)
def shipped_events() -> EventKnowledge:
    """The event knowledge of the shipped rules file (its ``events:`` section)."""
    return load_rules(SHIPPED_RULES).events


def watch_config(
    types: Sequence[str] = ALERT_TYPES, digest: Sequence[str] = DIGEST_TYPES
) -> WatchConfig:
    routes = [Route(types=tuple(types), channels=("console",))]
    if digest:
        routes.append(Route(types=tuple(digest), channels=("console",), delivery="digest"))
    return WatchConfig(name=WATCH, rules=Path("rules.yaml"), routes=tuple(routes))


def stage(
    on_news: object = None, *, backlog: timedelta = timedelta(hours=48), **settings: object
) -> NoveltyStage:
    return NoveltyStage(
        settings=NoveltySettings.model_validate({"backlog_age": backlog, **settings}),
        watches=[watch_config()],
        on_news=on_news,  # type: ignore[arg-type]
        knowledge={WATCH: shipped_events()},
    )


def make_item(
    title: str, text: str, *, published: datetime, source: str = "Test Wire", key: str = ""
) -> Item:
    ident = hashlib.sha256(f"{source}|{title}|{text}|{key}".encode()).hexdigest()
    return Item(
        source=source,
        url=f"https://{source.lower().replace(' ', '-')}.example/{ident[:16]}",
        guid=ident[:24],
        title=title,
        summary="",
        content=text,
        author=None,
        published=published,
        fetched=published,
        language="en",
        content_hash=hashlib.sha256(f"{source}|{title}|{text}".encode()).hexdigest(),
    )


def verdict(
    *types: str, score: float = 0.9, tense: dict[str, str | None] | None = None
) -> Classification:
    tenses = {**TENSE, **(tense or {})}
    labels = tuple(Label(t, score, (), tenses.get(t)) for t in types)
    return Classification(relevant=bool(types), labels=labels, scores={t: score for t in types})


def ensure_feed(session: Session, name: str, now: datetime) -> Feed:
    feed = feed_by_name(session, name)
    if feed is None:
        sync_feeds(session, [(name, f"https://{name}.example/feed")], now)
        feed = feed_by_name(session, name)
    assert feed is not None
    return feed


def ingest(
    db: Database,
    novelty: NoveltyStage,
    batch: Iterable[tuple[Item, Classification]],
    now: datetime,
    feed: str = "wire",
) -> tuple[list[StoredItem], list[EventNews]]:
    """Store items like a poll does and run the novelty stage in the same transaction."""
    pairs = list(batch)
    verdicts = {item.guid: c for item, c in pairs}
    with db.session() as session:
        row = ensure_feed(session, feed, now)
        stored = add_items(session, row, [item for item, _ in pairs], now)
        classified = [Classified(s, {WATCH: verdicts[s.item.guid]}) for s in stored]
        news = novelty.process(session, classified, now)
    return stored, news


def clear(db: Database) -> None:
    with db.session() as session:
        session.execute(update(ItemRow).values(story_id=None))
        session.execute(update(Story).values(first_item_id=None))
        tables: list[type[Base]] = [
            Alert,
            EventItem,
            Event,
            StoryBand,
            ClassificationRow,
            ItemSource,
            ItemRow,
            Story,
            Feed,
        ]
        for table in tables:
            session.execute(delete(table))


def stories_by_url(db: Database) -> dict[str, int | None]:
    with db.session() as session:
        return {url: sid for url, sid in session.execute(select(ItemRow.url, ItemRow.story_id))}


def events_by_url(db: Database) -> list[tuple[Event, set[str]]]:
    with db.session() as session:
        events = list(session.scalars(select(Event).order_by(Event.id)))
        result = []
        for event in events:
            urls = set(
                session.scalars(
                    select(ItemRow.url)
                    .join(EventItem, EventItem.item_id == ItemRow.id)
                    .where(EventItem.event_id == event.id)
                )
            )
            result.append((event, urls))
        return result


# --- the shared seeds ------------------------------------------------------------------

# The seed articles' publication dates (from their pages; the corpus lacks some)
PUBLISHED = {
    "seed-001": "2025-08-13",
    "seed-002": "2025-07-24",
    "seed-003": "2025-06-16",
    "seed-004": "2025-05-30",
    "seed-005": "2025-06-23",
    "seed-006": "2025-06-15",
    "seed-007": "2025-06-10",
    "seed-008": "2025-06-09",
    "seed-009": "2025-06-09",
    "seed-010": "2025-06-05",
    "seed-011": "2025-06-05",
    "seed-012": "2025-06-21",
    "seed-013": "2025-06-21",
    "seed-014": "2025-06-20",
    "seed-015": "2025-06-17",
    "seed-016": "2025-06-18",
    "seed-017": "2025-06-18",
    "seed-018": "2025-06-18",
}
CALL_REPORTS = {"seed-007", "seed-008", "seed-009"}  # Yomiuri, Asahi, Jiji on the June 9 call


@dataclass(frozen=True)
class Seed:
    id: str
    title: str
    text: str
    source: str
    labels: tuple[str, ...]


def seed_articles(shared: Path) -> dict[str, Seed]:
    result = {}
    for line in (
        (shared / "corpus" / "seed-articles.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        if line.strip():
            d = json.loads(line)
            result[d["id"]] = Seed(d["id"], d["title"], d["text"], d["source"], tuple(d["labels"]))
    return result


@dataclass(frozen=True)
class PageArticle:
    """One article as an aggregator page shows it, with the page's text around it."""

    page: str
    title: str
    text: str


def page_articles(path: Path) -> list[PageArticle]:
    """Cut a seed page into articles: the page's lead story and every listed story.

    Listing pages give: source, age, section, title, then the text on one line. Article
    pages give: the title, a byline, the text and page furniture; under "Related
    Articles" each story shows its title twice, source, age, title again and a teaser.
    """
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    articles = []
    if "Related Articles" in lines:
        related = lines.index("Related Articles")
        title = lines[1]
        body = lines[3:related]  # byline, text, furniture up to the comments box
        articles.append(PageArticle(path.name, title, "\n".join(body)))
        i = related + 1
        while i + 1 < len(lines):
            if lines[i] == lines[i + 1]:
                title = lines[i]
                j = i + 2
                while j < len(lines) and len(lines[j]) < 200:
                    j += 1
                if j < len(lines):
                    articles.append(PageArticle(path.name, title, "\n".join(lines[i + 2 : j + 1])))
                i = j + 1
            else:
                i += 1
        return articles
    start = 1  # after the page heading
    for i, line in enumerate(lines):
        if len(line) > 300 and i > 0:
            articles.append(PageArticle(path.name, lines[i - 1], "\n".join(lines[start : i + 1])))
            start = i + 1
    return articles
