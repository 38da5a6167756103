"""Polling end to end against a real HTTP server: store, conditional GET, faults."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from monitor.app import build_pipeline, build_service
from monitor.classify import RuleSet, load_rules
from monitor.classify.stage import Pipeline
from monitor.config.schema import Config
from monitor.model import Classification, PollOutcome, StoredItem
from monitor.model import Item as ItemRecord
from monitor.store.db import Database, Session
from monitor.store.tables import Classification as ClassificationRow
from monitor.store.tables import Feed, Item, ItemSource
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).parent / "data" / "feeds"
FORMATS = [
    "rss20.xml",
    "rss10.rdf",
    "atom.xml",
    "jsonfeed.json",
    "rss20_euc-kr.xml",
    "rss20_shift_jis.xml",
]


def make_config(feeds: dict[str, str], **fetch: object) -> Config:
    return Config.model_validate(
        {"feeds": [{"name": n, "url": u} for n, u in feeds.items()], "fetch": fetch}
    )


def poll(db: Database, config: Config) -> dict[str, PollOutcome]:
    async def cycle() -> list[PollOutcome]:
        service = build_service(config, db, None)
        try:
            return await service.poll_once(force=True)
        finally:
            await service.close()

    return {o.feed: o for o in asyncio.run(cycle())}


def feed_row(db: Database, name: str) -> Feed:
    with db.session() as session:
        row = session.scalar(select(Feed).where(Feed.name == name))
        assert row is not None
        return row


def stored_items(db: Database) -> list[Item]:
    with db.session() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


@pytest.fixture
def fixture_server() -> Iterator[FeedServer]:
    with FeedServer(FIXTURES) as server:
        yield server


@pytest.mark.parametrize("fixture", FORMATS)
def test_each_format_is_fetched_and_stored_with_its_fields(
    db: Database, fixture_server: FeedServer, fixture: str
) -> None:
    expected = json.loads((FIXTURES / f"{fixture}.expected.json").read_text())
    outcome = poll(db, make_config({"f": fixture_server.url("/" + fixture)}))["f"]
    assert outcome.status == "new" and outcome.error is None
    rows = {row.guid: row for row in stored_items(db)}
    assert len(rows) == len(expected["items"])
    for want in expected["items"]:
        row = rows[want["guid"]]
        assert row.url == want["url"]
        assert row.title == want["title"]
        assert row.language == want["language"]
        assert row.content_hash == want["content_hash"]
        if want["published"] != expected["fetched"]:  # else: no date, fetch time stands in
            assert row.published == datetime.fromisoformat(want["published"])
        assert row.source == "f"


def test_second_poll_is_conditional_and_only_new_items_are_stored(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/news.xml", (FIXTURES / "rss20.xml").read_bytes())
    config = make_config({"news": feed_server.url("/news.xml")})
    first = poll(db, config)["news"]
    assert first.new == first.fetched > 2

    again = poll(db, config)["news"]
    last = feed_server.requests_to("/news.xml")[-1]
    assert "if-none-match" in last.headers or "if-modified-since" in last.headers
    assert again.status == "not_modified" and again.new == 0
    assert len(stored_items(db)) == first.new

    text = (FIXTURES / "rss20.xml").read_text(encoding="utf-8")
    extra = "".join(
        f"<item><title>New story {n}</title><link>https://news.example.org/new-{n}</link>"
        f'<guid isPermaLink="false">new-{n}</guid>'
        f"<description>Fresh text number {n} about Seoul and Tokyo.</description></item>"
        for n in (1, 2)
    )
    feed_server.put("/news.xml", text.replace("</channel>", extra + "</channel>"))
    third = poll(db, config)["news"]
    assert third.new == 2
    assert {r.guid for r in stored_items(db)} >= {"new-1", "new-2"}
    assert len(stored_items(db)) == first.new + 2


def test_same_article_in_two_feeds_is_stored_once_with_both_sources(
    db: Database, fixture_server: FeedServer
) -> None:
    url = fixture_server.url("/rss20.xml")
    outcomes = poll(db, make_config({"a": url, "b": url + "?copy=1"}))
    assert outcomes["a"].new + outcomes["b"].new == outcomes["a"].fetched
    with db.session() as session:
        sources = session.execute(select(ItemSource.item_id, ItemSource.feed_id)).all()
    assert len(sources) == 2 * outcomes["a"].fetched
    assert len({item for item, _ in sources}) == outcomes["a"].fetched


FAULTS = {
    "server-error": ("/status/500", "500"),
    "not-found": ("/status/404", "404"),
    "rate-limited": ("/status/429?retry-after=3600", "429"),
    "timeout": ("/slow?delay=3", "timeout"),
    "redirect-loop": ("/redirect-loop", "redirect"),
    "oversized": ("/huge", "cap"),
    "html-page": ("/html", "HTML"),
    "empty-body": ("/empty", "empty"),
    "not-xml": ("/garbage.xml", "well-formed"),
}


def test_faults_are_recorded_and_do_not_stop_the_cycle(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/good.xml", (FIXTURES / "rss20.xml").read_bytes())
    feed_server.put("/garbage.xml", b"<?xml version='1.0'?><rss><channel><<<>>> nothing here")
    feeds = {name: feed_server.url(path) for name, (path, _) in FAULTS.items()}
    feeds["refused"] = "http://127.0.0.1:9/feed.xml"
    feeds["good"] = feed_server.url("/good.xml")
    config = make_config(feeds, read_timeout="1s", max_body="64KiB")
    before = datetime.now(UTC)
    outcomes = poll(db, config)

    assert outcomes["good"].status == "new"
    for name, (_, reason) in {**FAULTS, "refused": ("", "refused")}.items():
        assert outcomes[name].status == "error", name
        row = feed_row(db, name)
        assert row.consecutive_errors == 1, name
        assert row.last_error and reason.lower() in row.last_error.lower(), (name, row.last_error)
        assert row.next_due is not None and row.next_due > before
    rate_limited = feed_row(db, "rate-limited")
    assert rate_limited.next_due is not None
    assert rate_limited.next_due >= before + timedelta(seconds=3600)


def test_permanent_redirect_updates_the_stored_url(db: Database, feed_server: FeedServer) -> None:
    feed_server.put("/new-home.xml", (FIXTURES / "rss20.xml").read_bytes())
    poll(db, make_config({"moved": feed_server.url("/moved/new-home.xml")}))
    assert feed_row(db, "moved").fetch_url == feed_server.url("/new-home.xml")
    poll(db, make_config({"temp": feed_server.url("/temp/new-home.xml")}))
    assert feed_row(db, "temp").fetch_url == feed_server.url("/temp/new-home.xml")


def test_repeated_failures_mark_a_feed_failing_and_success_resets(
    db: Database, feed_server: FeedServer
) -> None:
    config = make_config({"flaky": feed_server.url("/flaky.xml")}, failing_after=2)
    for _ in range(2):
        poll(db, config)
    row = feed_row(db, "flaky")
    assert row.failing and row.consecutive_errors == 2
    feed_server.put("/flaky.xml", (FIXTURES / "atom.xml").read_bytes())
    poll(db, config)
    row = feed_row(db, "flaky")
    assert not row.failing and row.consecutive_errors == 0 and row.last_success is not None


def test_malformed_feed_is_salvaged_with_a_recorded_warning(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put(
        "/broken.xml",
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><title>Seoul &amp; Tokyo talk</title><link>https://e.test/1</link></item>"
        b"<item><title>Half an item & broken</title></channel>",
    )
    outcome = poll(db, make_config({"broken": feed_server.url("/broken.xml")}))["broken"]
    assert outcome.status == "new" and outcome.new >= 1
    row = feed_row(db, "broken")
    assert row.last_warning and row.consecutive_errors == 0
    assert "Seoul & Tokyo talk" in {item.title for item in stored_items(db)}


class FailingStages:
    """The stages after the store: fail on items whose title holds ``poison`` (on every
    call), and on the first ``transient`` calls whatever the items; else classify them
    with no watch (every item irrelevant, marked classified)."""

    def __init__(self, poison: str = "", transient: int = 0) -> None:
        self.poison, self.transient = poison, transient
        self.calls: list[list[str]] = []
        self.inner = Pipeline([])

    def process(
        self,
        session: Session,
        items: list[StoredItem],
        now: datetime,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] | None = None,
    ) -> None:
        self.calls.append([s.item.title for s in items])
        if len(self.calls) <= self.transient:
            raise RuntimeError("database hiccup")
        if self.poison and any(self.poison in s.item.title for s in items):
            raise ValueError("poison item")
        self.inner.process(session, items, now, verdicts)


def poll_with(db: Database, config: Config, stages: FailingStages) -> dict[str, PollOutcome]:
    async def cycle() -> list[PollOutcome]:
        service = build_service(config, db, None)
        service.poller.processor = stages
        try:
            return await service.poll_once(force=True)
        finally:
            await service.close()

    return {o.feed: o for o in asyncio.run(cycle())}


def rss_items(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://e.test/{i}</link></item>"
        for i, t in enumerate(titles)
    )
    return f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()


def test_items_whose_processing_failed_are_recorded_and_retried(
    db: Database, feed_server: FeedServer
) -> None:
    """The stages fail on the job's first run (no savepoint: the job fails) and on its
    careful run (in a savepoint: recorded); the retry after the cycle classifies them."""
    feed_server.put("/flaky.xml", rss_items("one", "two", "three"))
    stages = FailingStages(transient=2)
    outcome = poll_with(db, make_config({"flaky": feed_server.url("/flaky.xml")}), stages)
    assert outcome["flaky"].new == 3
    assert outcome["flaky"].warning and "processing 3 new items failed" in outcome["flaky"].warning
    assert "RuntimeError: database hiccup" in (feed_row(db, "flaky").last_warning or "")
    assert [sorted(call) for call in stages.calls] == [["one", "three", "two"]] * 3
    assert all(item.classified is not None for item in stored_items(db))


def test_a_failure_of_the_stages_once_is_retried_at_once(
    db: Database, feed_server: FeedServer
) -> None:
    feed_server.put("/flaky.xml", rss_items("one", "two", "three"))
    stages = FailingStages(transient=1)
    outcome = poll_with(db, make_config({"flaky": feed_server.url("/flaky.xml")}), stages)
    assert outcome["flaky"].new == 3 and outcome["flaky"].warning is None
    assert [sorted(call) for call in stages.calls] == [["one", "three", "two"]] * 2
    assert len(stored_items(db)) == 3
    assert all(item.classified is not None for item in stored_items(db))


def test_a_poll_with_news_takes_no_savepoint(db: Database, feed_server: FeedServer) -> None:
    """The common path stores and processes a feed's items without a savepoint (each
    costs two statements and the session's bookkeeping); only a careful run takes them."""
    from sqlalchemy import event

    feed_server.put("/a.xml", rss_items("one", "two"))
    feed_server.put("/b.xml", rss_items("one", "two", "three"))  # the first two: sources
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        stages = FailingStages()
        config = make_config({"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")})
        outcome = poll_with(db, config, stages)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert outcome["a"].new + outcome["b"].new == 3
    assert sorted(title for call in stages.calls for title in call) == ["one", "three", "two"]
    assert any(s.startswith("INSERT INTO items") for s in statements)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_a_poison_item_does_not_hold_back_the_others(db: Database, feed_server: FeedServer) -> None:
    feed_server.put("/mixed.xml", rss_items("fine", "POISON here", "also fine"))
    stages = FailingStages(poison="POISON")
    poll_with(db, make_config({"mixed": feed_server.url("/mixed.xml")}), stages)
    unclassified = [item.title for item in stored_items(db) if item.classified is None]
    assert unclassified == ["POISON here"]
    assert len(stored_items(db)) == 3
    # the next cycle tries the poison item again (and only it)
    stages.calls.clear()
    poll_with(db, make_config({"mixed": feed_server.url("/mixed.xml")}), stages)
    assert ["POISON here"] in stages.calls
    assert all(call == ["POISON here"] for call in stages.calls)


RULES = Path(__file__).parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
STORIES = [
    ("Lee and Ishiba hold summit in Tokyo", "President Lee Jae-myung and Prime Minister "
     "Shigeru Ishiba held a summit in Tokyo on Saturday, the two leaders said."),
    ("Seoul and Tokyo foreign ministers to meet next week", "South Korean Foreign Minister "
     "Cho Hyun will meet Japanese Foreign Minister Takeshi Iwaya in Seoul next week."),
    ("Weather", "Rain in the afternoon."),
]  # fmt: skip


def story_feed(stories: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://news.example.org/{n}</link>"
        f"<guid>g{n}</guid><description>{d}</description></item>"
        for n, (t, d) in enumerate(stories)
    )
    return f"<rss version='2.0'><channel><title>n</title>{items}</channel></rss>".encode()


@pytest.mark.parametrize("workers", [0, 1])
def test_a_parser_process_classifies_new_items_as_the_poller_would(
    db: Database, feed_server: FeedServer, workers: int
) -> None:
    """With a parser process, the items are classified there (with the watch's rules) and
    known entries are left out before the store; what is stored is the same: each item's
    relevance and labels as the rules give them here, and only new items."""
    feed_server.put("/news.xml", story_feed(STORIES[:2]))
    config = Config.model_validate(
        {
            "feeds": [{"name": "news", "url": feed_server.url("/news.xml")}],
            "watches": [{"name": "st", "rules": str(RULES), "feeds": "all"}],
        }
    )

    def cycle() -> PollOutcome:
        async def run() -> list[PollOutcome]:
            service = build_service(config, db, build_pipeline(config), parse_workers=workers)
            try:
                return await service.poll_once(force=True)
            finally:
                await service.close()

        return asyncio.run(run())[0]

    first = cycle()
    feed_server.put("/news.xml", story_feed(STORIES))
    second = cycle()
    assert (first.fetched, first.new, second.fetched, second.new) == (2, 2, 3, 1)
    rules = load_rules(RULES)
    with db.session() as session:
        rows = list(session.scalars(select(Item).order_by(Item.id)))
        labels = {
            (item_id, event_type)
            for item_id, event_type in session.execute(
                select(ClassificationRow.item_id, ClassificationRow.event_type)
            )
        }
    assert [r.title for r in rows] == [t for t, _ in STORIES]
    want = set()
    for row in rows:
        verdict = rules.classify(row.title, row.summary)
        assert row.relevant == verdict.relevant and row.classified is not None
        want |= {(row.id, label.event_type) for label in verdict.labels}
    assert labels == want and want


@pytest.mark.parametrize("batch_fails", [False, True], ids=["batch", "batch-fails"])
def test_the_feeds_of_a_cycle_read_their_recent_guids_together(
    db: Database, feed_server: FeedServer, batch_fails: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The feeds polled in one cycle read the GUIDs they gave lately (which the parser
    process leaves out) with one statement, when the first of them has a document; when
    that read fails, each feed reads its own and the cycle goes on."""
    names = ["a", "b", "c"]
    for name in names:
        feed_server.put(f"/{name}.xml", story_feed(STORIES[:2]))
    config = Config.model_validate(
        {
            "feeds": [{"name": n, "url": feed_server.url(f"/{n}.xml")} for n in names],
            "watches": [{"name": "st", "rules": str(RULES), "feeds": "all"}],
        }
    )
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if "FROM item_sources WHERE feed_id" in sql and "ORDER BY id DESC" in sql:
            seen.append(sql)
            if batch_fails and "UNION ALL" in sql:
                raise RuntimeError("the batch read failed")

    def cycle() -> list[PollOutcome]:
        async def run() -> list[PollOutcome]:
            service = build_service(config, db, build_pipeline(config), parse_workers=1)
            try:
                return await service.poll_once(force=True)
            finally:
                await service.close()

        return asyncio.run(run())

    cycle()
    for name in names:
        feed_server.put(f"/{name}.xml", story_feed(STORIES))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with caplog.at_level(logging.WARNING, logger="monitor.poll.poller"):
            second = cycle()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statuses = sorted((o.status, o.fetched, o.new) for o in second)  # the new story, once
    assert statuses == [("new", 3, 1), ("unchanged", 3, 0), ("unchanged", 3, 0)]
    together = [sql for sql in seen if sql.count("UNION ALL") == len(names) - 1]
    assert len(together) == 1
    assert len(seen) == (1 + len(names) if batch_fails else 1)
    failed = [r for r in caplog.records if "recent_guids_failed" in r.getMessage()]
    assert len(failed) == (1 if batch_fails else 0)
    seen.clear()  # a cycle of 304s parses nothing: it reads no GUIDs
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        third = cycle()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [o.status for o in third] == ["not_modified"] * 3 and not seen


class ClassifyingFailingStages(FailingStages):
    """``FailingStages`` that let the parser processes classify (a ``Classifier``), so
    items come with their verdicts and are stored with their relevance."""

    def __init__(self, inner: Pipeline, transient: int) -> None:
        super().__init__(transient=transient)
        self.inner = inner
        self.marked: list[list[bool | None]] = []  # each call's items: relevance stored

    def rules_for(self, feed: str) -> tuple[tuple[str, RuleSet], ...]:
        return self.inner.rules_for(feed)

    def relevance(
        self,
        feed: str,
        item: ItemRecord,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]],
    ) -> bool | None:
        return self.inner.relevance(feed, item, verdicts)

    def process(
        self,
        session: Session,
        items: list[StoredItem],
        now: datetime,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] | None = None,
    ) -> None:
        self.marked.append([s.relevant for s in items])
        super().process(session, items, now, verdicts)


def test_items_stored_with_their_verdict_are_unmarked_when_processing_fails(
    db: Database, feed_server: FeedServer
) -> None:
    """Items stored with the relevance the parser process gave are left unclassified again
    when the stages after the store fail, so the retry finds and classifies them."""
    feed_server.put("/news.xml", story_feed(STORIES))
    config = Config.model_validate(
        {
            "feeds": [{"name": "news", "url": feed_server.url("/news.xml")}],
            "watches": [{"name": "st", "rules": str(RULES), "feeds": "all"}],
        }
    )
    stages = ClassifyingFailingStages(build_pipeline(config), transient=2)

    async def cycle() -> list[PollOutcome]:
        service = build_service(config, db, None, parse_workers=1)
        service.poller.processor = stages
        try:
            return await service.poll_once(force=True)
        finally:
            await service.close()

    outcome = asyncio.run(cycle())[0]
    assert outcome.new == 3 and "processing 3 new items failed" in (outcome.warning or "")
    # stored with their relevance (two relevant, one not) on the job's first run and on
    # its careful run, then found again unclassified
    marked = [[False, True, True]] * 2 + [[None] * 3]
    assert [sorted(m, key=str) for m in stages.marked] == marked
    rules = load_rules(RULES)
    for row in stored_items(db):
        assert row.classified is not None
        assert row.relevant == rules.classify(row.title, row.summary).relevant
