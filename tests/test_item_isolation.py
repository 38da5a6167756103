"""A bad item fails alone, a failing feed fails alone, a failed processing is retried.

Items are built here directly (not through normalisation, which cleans text), so the
store meets the values a database refuses: a lone surrogate (no UTF-8 for it, on every
backend) and a NUL byte (PostgreSQL's text cannot hold one). Failing parts the code
cannot foresee are real SQLite triggers that refuse a write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from monitor.app import build_service
from monitor.config.schema import Config
from monitor.config.service import HealthzSettings, SourceHealthSettings
from monitor.model import PollOutcome
from monitor.service.health import check_service, source_health
from monitor.store.db import Database
from monitor.store.items import add_items
from monitor.store.tables import Alert, Feed, ItemSource
from monitor.store.tables import Item as ItemRow
from tests.support.feedserver import FeedServer
from tests.support.items import WHEN as NOW
from tests.support.items import wire_item as item
from tests.support.novelty_data import ensure_feed

RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"


def test_a_refused_value_fails_the_batch_and_only_its_item_when_careful(db: Database) -> None:
    """The plain insert fails as a whole; with ``skipped``, each item has its own savepoint:
    the refused ones are left out with a reason (their GUIDs not recorded: read again next
    time) and their siblings are stored."""
    postgres = db.engine.dialect.name == "postgresql"
    items = [
        item(1),
        item(2, title="Lone \ud800 surrogate"),
        item(3),
        item(4, summary="A NUL \x00 byte"),
        item(5),
    ]
    with db.session() as session:
        feed = ensure_feed(session, "wire", NOW)
        with pytest.raises(Exception, match=r"surrogate|NUL|encode"):
            with session.begin_nested():
                add_items(session, feed, items, NOW)
        skipped: list[str] = []
        stored = add_items(session, feed, items, NOW, skipped=skipped)
    refused = {"guid-2", "guid-4"} if postgres else {"guid-2"}
    assert {s.item.guid for s in stored} == {i.guid for i in items} - refused
    assert len(skipped) == len(refused)
    assert all(any(g in reason for reason in skipped) for g in refused)
    assert "UnicodeEncodeError" in next(r for r in skipped if "guid-2" in r)
    with db.session() as session:
        guids = set(session.scalars(select(ItemSource.guid)))
        titles = set(session.scalars(select(ItemRow.title)))
    assert guids == {i.guid for i in items} - refused
    assert "Title 1" in titles and "Title 5" in titles
    with db.session() as session:  # the same document again: the refused are tried again
        again: list[str] = []
        assert add_items(session, feed, items, NOW, skipped=again) == []
        assert len(again) == len(refused)


# --- through the poller, against a feed server ---------------------------------------------


SUMMIT = (
    "South Korean President Yoon Suk Yeol and Japanese Prime Minister Fumio Kishida will hold "
    "a summit in Tokyo next week, the presidential office said on Monday."
)


def rss(*titles: str, body: str = "More text follows here.") -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>https://news.example/{i}</link>"
        f"<guid>g-{i}</guid><description>{t}. {body}</description></item>"
        for i, t in enumerate(titles)
    )
    return f"<rss version='2.0'><channel><title>t</title>{entries}</channel></rss>".encode()


def config(db_url: str, feeds: dict[str, str], **extra: object) -> Config:
    return Config.model_validate(
        {
            "storage": {"url": db_url},
            "feeds": [{"name": n, "url": u} for n, u in feeds.items()],
            **extra,
        }
    )


def poll(db: Database, cfg: Config, metrics: list[str] | None = None) -> dict[str, PollOutcome]:
    """One `poll --once` cycle; ``metrics`` gets the /metrics text afterwards."""

    async def cycle() -> list[PollOutcome]:
        service = build_service(cfg, db, None, defer_rules=True)
        try:
            return await service.poll_once(force=True)
        finally:
            await service.close()
            if metrics is not None and service.metrics is not None:
                metrics.append(service.metrics.render().decode())

    return {o.feed: o for o in asyncio.run(cycle())}


def execute(db: Database, *statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_an_item_the_store_refuses_is_skipped_and_its_siblings_are_stored(
    sqlite_url: str, feed_server: FeedServer
) -> None:
    from tests.support.service_store import migrated

    db = migrated(sqlite_url)
    execute(
        db,
        "CREATE TRIGGER refuse_item BEFORE INSERT ON items WHEN NEW.title LIKE '%refused%'"
        " BEGIN SELECT RAISE(ABORT, 'this item is refused'); END",
    )
    feed_server.put("/mixed.xml", rss("first", "a refused one", "third"))
    outcome = poll(db, config(sqlite_url, {"mixed": feed_server.url("/mixed.xml")}))["mixed"]
    assert outcome.status == "new" and outcome.new == 2 and outcome.skipped == 1
    assert outcome.warning and "1 entries skipped" in outcome.warning
    assert "this item is refused" in outcome.warning and "g-1" in outcome.warning
    with db.session() as session:
        assert set(session.scalars(select(ItemRow.title))) == {"first", "third"}
        row = session.scalar(select(Feed).where(Feed.name == "mixed"))
        assert row is not None and row.consecutive_errors == 0
        assert row.last_warning and "this item is refused" in row.last_warning
    db.dispose()


def test_an_unexpected_failure_is_that_feeds_alone(
    sqlite_url: str, feed_server: FeedServer
) -> None:
    """The store refuses one feed's outcome (no code path expects that): the feed's poll
    fails and is recorded as failing, with backoff; its sibling is stored."""
    from tests.support.service_store import migrated

    db = migrated(sqlite_url)
    feed_server.put("/a.xml", rss("alpha one", "alpha two"))
    feed_server.put("/b.xml", rss("beta one"))
    cfg = config(
        sqlite_url,
        {"refused": feed_server.url("/a.xml"), "sibling": feed_server.url("/b.xml")},
        fetch={"failing_after": 1},
    )
    execute(
        db,
        "CREATE TRIGGER refuse_outcome BEFORE UPDATE OF last_success ON feeds"
        " WHEN NEW.name = 'refused' BEGIN SELECT RAISE(ABORT, 'no outcome for you'); END",
    )
    metrics: list[str] = []
    outcomes = poll(db, cfg, metrics)
    assert outcomes["sibling"].status == "new" and outcomes["sibling"].new == 1
    assert outcomes["refused"].status == "error"
    assert "no outcome for you" in (outcomes["refused"].error or "")
    with db.session() as session:
        rows = {f.name: f for f in session.scalars(select(Feed))}
        titles = set(session.scalars(select(ItemRow.title)))
    assert titles == {"beta one"}
    refused = rows["refused"]
    assert refused.failing and refused.consecutive_errors == 1
    assert refused.last_error and "IntegrityError: no outcome for you" in refused.last_error
    assert refused.next_due is not None and refused.next_due.replace(tzinfo=UTC) > NOW
    [scraped] = metrics
    assert 'stmon_fetches_total{outcome="error"} 1.0' in scraped
    assert 'stmon_fetches_total{outcome="new"} 1.0' in scraped
    assert 'stmon_feeds{state="failing"} 1.0' in scraped
    now = datetime.now(UTC)
    with db.session() as session:
        sources = source_health(session, now, SourceHealthSettings())
        report = check_service(
            session, now, HealthzSettings(include_sources=True), started=now, sources=sources
        )
    assert not report.ok
    assert any("'refused' is failing" in r and "no outcome for you" in r for r in report.reasons)
    db.dispose()


def test_items_whose_processing_failed_are_classified_and_alerted_afterwards(
    sqlite_url: str, feed_server: FeedServer
) -> None:
    """A real failure in the stages after the store (the database refuses the
    classifications while a row of ``hold`` exists): the items stay stored, unclassified,
    and the next cycle classifies them, opens the event and sends its alert."""
    from tests.support.service_store import migrated

    db = migrated(sqlite_url)
    execute(
        db,
        "CREATE TABLE hold (reason TEXT)",
        "INSERT INTO hold VALUES ('disk hiccup')",
        "CREATE TRIGGER hold_verdicts BEFORE UPDATE OF classified ON items"
        " WHEN EXISTS (SELECT 1 FROM hold) BEGIN SELECT RAISE(ABORT, 'disk hiccup'); END",
    )
    title = "Yoon and Kishida to hold summit in Tokyo next week"
    feed_server.put("/news.xml", rss(title, body=SUMMIT))
    cfg = config(
        sqlite_url,
        {"news": feed_server.url("/news.xml")},
        watches=[{"name": "st", "rules": str(RULES),
                  "routes": [{"types": ["*"], "channels": ["desk"]}]}],
        channels={"desk": {"type": "log"}},
    )  # fmt: skip
    first = poll(db, cfg)["news"]
    assert first.new == 1 and first.warning and "disk hiccup" in first.warning
    with db.session() as session:
        assert session.scalar(select(ItemRow.classified)) is None
        assert session.scalars(select(Alert)).all() == []
    execute(db, "DELETE FROM hold")
    again = poll(db, cfg)["news"]
    assert again.new == 0
    with db.session() as session:
        assert session.scalar(select(ItemRow.classified)) is not None
        assert session.scalar(select(ItemRow.relevant)) is True
        alerts = session.scalars(select(Alert)).all()
    assert [(a.channel, a.status) for a in alerts] == [("desk", "sent")]
    db.dispose()
