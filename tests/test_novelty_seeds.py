"""The shared seeds end to end: stories, events and alerts from real reports and pages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.classify import load_rules
from monitor.classify.stage import Pipeline, WatchRules
from monitor.model import Item
from monitor.novelty.stage import EventNews, NoveltyStage
from monitor.store.db import Database
from monitor.store.items import add_items
from monitor.store.tables import Item as ItemRow
from tests.support.novelty_data import (
    CALL_REPORTS,
    PUBLISHED,
    WATCH,
    Seed,
    clear,
    ensure_feed,
    events_by_url,
    ingest,
    make_item,
    page_articles,
    seed_articles,
    stage,
    stories_by_url,
    verdict,
    watch_config,
)

BOILERPLATE = "\n\nDownload our app today from your preferred app store and start exploring."


def published(seed_id: str, hours: float = 6) -> datetime:
    day = datetime.fromisoformat(PUBLISHED[seed_id]).replace(tzinfo=UTC)
    return day + timedelta(hours=hours + int(seed_id[-3:]) / 10)


def seed_item(seed: Seed, **changes: str) -> Item:
    return make_item(
        changes.get("title", seed.title),
        changes.get("text", seed.text),
        published=published(seed.id),
        source=changes.get("source", seed.source),
    )


@pytest.fixture(scope="module")
def seeds(shared_dir: Path) -> dict[str, Seed]:
    return seed_articles(shared_dir)


def by_time(seeds: dict[str, Seed]) -> list[Seed]:
    return sorted(seeds.values(), key=lambda s: published(s.id))


class Recorder:
    def __init__(self) -> None:
        self.news: list[EventNews] = []

    def __call__(self, session: Session, news: list[EventNews], now: datetime) -> None:
        self.news.extend(news)


# --- with the labels of the corpus --------------------------------------------------------


def test_gold_labels_give_one_call_event_and_separate_summit_events(
    db: Database, seeds: dict[str, Seed]
) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    items = {}
    for seed in by_time(seeds):
        items[seed.id] = item = seed_item(seed)
        ingest(db, novelty, [(item, verdict(*seed.labels))], item.published + timedelta(minutes=30))
    owner = {item.url: seed_id for seed_id, item in items.items()}
    found = [(event, {owner[u] for u in urls}) for event, urls in events_by_url(db)]

    [(call, call_items)] = [(e, ids) for e, ids in found if e.event_type == "leaders_call"]
    assert call_items == CALL_REPORTS
    assert call.actors == ["KR:president", "JP:prime_minister"]

    announced_aug = next(
        e for e, ids in found if "seed-001" in ids and e.event_type == "summit_announced"
    )
    # the June summit, announced and then held, is one event (events.lifecycle)
    [(held, held_items)] = [(e, ids) for e, ids in found if "seed-015" in ids]
    assert held.event_type == "summit_announced" and held.state == "held"
    assert "seed-011" in held_items
    assert announced_aug.id != held.id
    assert announced_aug.state == "announced" and announced_aug.when_text == "2025-08-23"
    assert announced_aug.place == "Tokyo"
    assert not any(e.event_type == "summit_held" for e, _ in found)

    kinds = {(n.event_uid, n.kind) for n in recorder.news}
    assert (call.uid, "new") in kinds and (announced_aug.uid, "new") in kinds
    assert (held.uid, "state_change") in kinds
    per_event = Counter((n.event_uid, n.kind) for n in recorder.news)
    assert per_event.most_common(1)[0][1] == 1


# --- with the shipped rules ----------------------------------------------------------------


def pipeline(repo_dir: Path, recorder: Recorder) -> Pipeline:
    rules = load_rules(repo_dir / "config" / "rules" / "seoul-tokyo.yaml")
    novelty = NoveltyStage(
        settings=stage().settings,
        watches=[watch_config()],
        on_news=recorder,
        knowledge={WATCH: rules.events},
    )
    return Pipeline([WatchRules(WATCH, rules, frozenset({"corpus", "pages"}))], next_stage=novelty)


def run(db: Database, pipe: Pipeline, feed: str, items: list[Item], now: datetime) -> None:
    with db.session() as session:
        stored = add_items(session, ensure_feed(session, feed, now), items, now)
        pipe.process(session, stored, now)


def relevant_by_url(db: Database) -> dict[str, bool]:
    with db.session() as session:
        return {url: bool(r) for url, r in session.execute(select(ItemRow.url, ItemRow.relevant))}


def test_shipped_rules_on_seed_articles_and_pages(
    db: Database, seeds: dict[str, Seed], shared_dir: Path, repo_dir: Path
) -> None:
    """Articles arrive one by one; then the aggregator pages repeat them (a day later)."""
    recorder = Recorder()
    pipe = pipeline(repo_dir, recorder)
    items = {}
    for seed in by_time(seeds):
        items[seed.id] = item = seed_item(seed)
        run(db, pipe, "corpus", [item], item.published + timedelta(minutes=30))
    alerts_before = len(recorder.news)
    owner = {item.url: seed_id for seed_id, item in items.items()}
    pages = [a for p in sorted((shared_dir / "seeds").iterdir()) for a in page_articles(p)]
    for article in pages:
        seed = next(s for s in seeds.values() if s.title == article.title)
        page_item = make_item(
            article.title,
            article.text,
            published=published(seed.id, 20),
            source=f"Daily8 {article.page}",
        )
        owner[page_item.url] = seed.id
        run(db, pipe, "pages", [page_item], page_item.published + timedelta(minutes=5))

    stories: dict[int | None, set[str]] = {}
    relevant = relevant_by_url(db)
    for url, story in stories_by_url(db).items():
        assert (story is not None) == relevant[url], url  # only relevant items get stories
        stories.setdefault(story, set()).add(owner[url])
    stories.pop(None, None)
    assert all(len(ids) == 1 for ids in stories.values())  # no two seeds merged
    # every relevant page copy joined its article's story
    assert len(stories) == len({owner[u] for u, r in relevant.items() if r})
    assert len(recorder.news) == alerts_before  # page copies bring no news

    found = [(event, {owner[u] for u in urls}) for event, urls in events_by_url(db)]
    calls = [ids for e, ids in found if e.event_type == "leaders_call"]
    assert len(calls) == 1 and calls[0] <= CALL_REPORTS
    first = {e.id for e, ids in found if "seed-001" in ids and e.event_type == "summit_announced"}
    held = {e.id for e, ids in found if "seed-015" in ids and e.state == "held"}
    assert len(first) == 1 and len(held) == 1 and first != held
    assert Counter((n.event_uid, n.kind) for n in recorder.news).most_common(1)[0][1] == 1


# --- property: order and repetition do not matter ---------------------------------------------

PROPERTY_SEEDS = (
    "seed-001",
    "seed-002",
    "seed-007",
    "seed-008",
    "seed-009",
    "seed-011",
    "seed-015",
    "seed-018",
)
VARIANTS = ("original", "reprint", "copy")
NOW = datetime(2025, 9, 1, tzinfo=UTC)


def variant(seed: Seed, kind: str) -> Item:
    if kind == "reprint":  # new headline, page furniture around the same text
        return seed_item(
            seed,
            title=f"Update from {seed.source}: {seed.title.split(',')[0]}",
            text=seed.text + BOILERPLATE,
            source="Aggregator",
        )
    if kind == "copy":  # the same text again from another feed, under a new URL
        return make_item(
            seed.title, seed.text, published=published(seed.id), source=seed.source, key="copy"
        )
    return seed_item(seed)


def feed_all(
    db: Database, seeds: dict[str, Seed], order: list[tuple[str, str]], batch: int
) -> tuple[dict[str, set[str]], set[tuple[str, frozenset[str]]], list[EventNews]]:
    recorder = Recorder()
    novelty = stage(recorder, backlog=timedelta(days=365))
    owner: dict[str, str] = {}
    pairs = []
    for seed_id, kind in order:
        item = variant(seeds[seed_id], kind)
        owner[item.url] = seed_id
        pairs.append((item, verdict(*seeds[seed_id].labels)))
    for start in range(0, len(pairs), batch):
        ingest(db, novelty, pairs[start : start + batch], NOW, feed=f"feed{start % 3}")
    stories: dict[str, set[str]] = {}
    for url, story in stories_by_url(db).items():
        stories.setdefault(str(story), set()).add(owner[url])
    events = {(e.event_type, frozenset(owner[u] for u in urls)) for e, urls in events_by_url(db)}
    return stories, events, recorder.news


@pytest.fixture
def baseline(
    db: Database, seeds: dict[str, Seed]
) -> tuple[set[frozenset[str]], set[tuple[str, frozenset[str]]]]:
    order = sorted(((s, "original") for s in PROPERTY_SEEDS), key=lambda p: published(p[0]))
    stories, events, news = feed_all(db, seeds, order, batch=1)
    clear(db)
    assert len(events) >= 6 and len(news) == len({(n.event_uid, n.kind) for n in news})
    return {frozenset(ids) for ids in stories.values()}, events


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(PROPERTY_SEEDS), st.sampled_from(VARIANTS)),
        min_size=1,
        max_size=20,
    ),
    order=st.randoms(use_true_random=False),
    batch=st.integers(min_value=1, max_value=6),
)
def test_refeeding_in_any_order_gives_the_same_stories_events_and_one_alert_each(
    db: Database,
    seeds: dict[str, Seed],
    baseline: tuple[set[frozenset[str]], set[tuple[str, frozenset[str]]]],
    picks: list[tuple[str, str]],
    order: object,
    batch: int,
) -> None:
    everything = [(s, "original") for s in PROPERTY_SEEDS] + picks
    order.shuffle(everything)  # type: ignore[attr-defined]
    try:
        stories, events, news = feed_all(db, seeds, everything, batch)
    finally:
        clear(db)
    base_stories, base_events = baseline
    assert {frozenset(ids) for ids in stories.values()} == base_stories
    assert events == base_events
    announced = Counter(n.event_uid for n in news if n.kind in ("new", "update"))
    assert all(count == 1 for count in announced.values())
    assert len(announced) <= len(events)
