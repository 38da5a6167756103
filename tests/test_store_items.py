"""Items stored with their verdict: when the parser processes classified the items, the
insert writes each one's relevance and classified time, and the classifier updates only
the rows stored without them (the writer classified those itself)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from monitor.classify import load_rules
from monitor.classify.stage import Pipeline, WatchRules
from monitor.model import Classification, Item, StoredItem, guid_key
from monitor.store.db import Database
from monitor.store.driver import Driver
from monitor.store.items import (
    RECENT_CHUNK,
    add_items,
    evidence_of,
    recent_guids,
    store_items,
    unmark_items,
    unprocessed_items,
)
from monitor.store.tables import Classification as ClassificationRow
from monitor.store.tables import Item as ItemRow
from tests.support.items import WHEN as NOW
from tests.support.items import wire_item as item
from tests.support.novelty_data import ensure_feed
from tests.support.service_store import migrated

RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
SUMMIT = (
    "South Korean President Lee Jae-myung and Japanese Prime Minister Shigeru Ishiba will "
    "hold a summit in Tokyo next week, the presidential office said on Monday."
)


def rows(db: Database) -> dict[str, tuple[bool | None, datetime | None]]:
    """(relevant, classified) of each stored item, by GUID."""
    with db.session() as session:
        found = session.execute(select(ItemRow.guid, ItemRow.relevant, ItemRow.classified))
        return {guid: (relevant, classified) for guid, relevant, classified in found}


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run on ``db`` meanwhile."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("careful", [False, True], ids=["batch", "savepoints"])
def test_an_item_whose_relevance_is_known_is_stored_classified(db: Database, careful: bool) -> None:
    known = {"guid-1": True, "guid-2": False}  # guid-3: its verdicts did not come with it
    with db.session() as session:
        feed = ensure_feed(session, "wire", NOW)
        stored = add_items(
            session, feed, [item(1), item(2), item(3)], NOW,
            skipped=[] if careful else None, relevance=lambda i: known.get(i.guid),
        )  # fmt: skip
    assert {s.item.guid: s.relevant for s in stored} == {
        "guid-1": True, "guid-2": False, "guid-3": None,
    }  # fmt: skip
    assert rows(db) == {"guid-1": (True, NOW), "guid-2": (False, NOW), "guid-3": (None, None)}


def test_without_relevance_items_are_stored_unclassified(db: Database) -> None:
    with db.session() as session:
        stored = add_items(session, ensure_feed(session, "wire", NOW), [item(1), item(2)], NOW)
    assert [s.relevant for s in stored] == [None, None]
    assert rows(db) == {"guid-1": (None, None), "guid-2": (None, None)}


def test_unmarked_items_are_unprocessed_again(db: Database) -> None:
    with db.session() as session:
        feed = ensure_feed(session, "wire", NOW)
        stored = add_items(session, feed, [item(1), item(2)], NOW, relevance=lambda i: True)
        assert unprocessed_items(session, NOW - timedelta(hours=1), 10) == []
        unmark_items(session, [stored[0].id])
        again = unprocessed_items(session, NOW - timedelta(hours=1), 10)
    assert [s.item.guid for s in again] == ["guid-1"]
    assert rows(db) == {"guid-1": (None, None), "guid-2": (True, NOW)}


def pipeline() -> Pipeline:
    return Pipeline([WatchRules("st", load_rules(RULES), frozenset({"wire"}))])


def test_relevance_is_known_only_with_every_verdict_it_needs() -> None:
    stages, summit = pipeline(), item(1, "Lee and Ishiba to hold summit", SUMMIT)
    verdict = stages.watches[0].rules.classify(summit.title, summit.text)
    assert verdict.relevant
    given = {(summit.title, summit.text): {"st": verdict}}
    assert stages.relevance("wire", summit, given) is True
    assert stages.relevance("wire", summit, {}) is None  # the watch's verdict is missing
    assert stages.relevance("other", summit, {}) is False  # no watch covers the feed
    unrelated = {(summit.title, summit.text): {"st": Classification(relevant=False)}}
    assert stages.relevance("wire", summit, unrelated) is False


@pytest.mark.parametrize("given", [True, False], ids=["verdicts-given", "writer-classifies"])
def test_the_verdicts_are_the_same_stored_at_insert_or_updated_after(
    db: Database, given: bool
) -> None:
    """Classified in a parser process (the verdicts given: no update of the items) or by
    the writer (an update), the items end with the same relevance, time and labels."""
    stages = pipeline()
    items = [item(1, "Lee and Ishiba to hold summit", SUMMIT), item(2, "Weather", "Rain.")]
    verdicts = {(i.title, i.text): {"st": stages.watches[0].rules.classify(i.title, i.text)}
                for i in items}  # fmt: skip
    with db.session() as session, statements(db) as seen:
        feed = ensure_feed(session, "wire", NOW)
        relevance = (lambda i: stages.relevance("wire", i, verdicts)) if given else None
        stored = add_items(session, feed, items, NOW, relevance=relevance)
        stages.process(session, stored, NOW, verdicts if given else None)
    updates = [sql for sql in seen if sql.lstrip().upper().startswith("UPDATE ITEMS")]
    assert (updates == []) is given
    assert rows(db) == {"guid-1": (True, NOW), "guid-2": (False, NOW)}
    summit = verdicts[(items[0].title, items[0].text)]["st"]
    with db.session() as session:
        found = session.execute(
            select(ClassificationRow.item_id, ClassificationRow.event_type,
                   ClassificationRow.score, ClassificationRow.tense)
        ).all()  # fmt: skip
        evidence = {label.event_type: evidence_of(session, stored[0].id, label.event_type)
                    for label in summit.labels}  # fmt: skip
    want = {(stored[0].id, label.event_type, label.score, label.tense) for label in summit.labels}
    assert set(map(tuple, found)) == want and want
    for label in summit.labels:  # the evidence as stored: a JSON list, one object per clue
        assert evidence[label.event_type] == [
            {"rule": e.rule, "term": e.term, "where": e.where, "weight": e.weight,
             "snippet": e.snippet}
            for e in label.evidence
        ] and evidence[label.event_type]  # fmt: skip


def test_recent_guids_are_each_feeds_newest_in_one_statement_per_chunk(db: Database) -> None:
    """Each feed asked for gets the GUID keys of its newest ``limit`` items (a feed with
    none: an empty set), read with one statement per ``RECENT_CHUNK`` feeds."""
    with db.session() as session:
        a, b = ensure_feed(session, "a", NOW), ensure_feed(session, "b", NOW)
        add_items(session, a, [item(n) for n in range(1, 6)], NOW)
        add_items(session, b, [item(n) for n in range(6, 8)], NOW)
        first, last = a.id, b.id
    empty = list(range(10_000, 10_000 + RECENT_CHUNK))  # feeds that gave nothing
    with db.session() as session, statements(db) as seen:
        found = recent_guids(session, [first, *empty, last], 3)
    assert found[first] == {guid_key(f"guid-{n}") for n in (3, 4, 5)}
    assert found[last] == {guid_key(f"guid-{n}") for n in (6, 7)}
    assert set(found) == {first, last, *empty}
    assert not any(found[feed] for feed in empty)
    assert len([sql for sql in seen if "item_sources" in sql]) == 2


def test_new_items_are_looked_up_by_url_and_by_text_in_one_statement(db: Database) -> None:
    """A feed's new items are looked for among the stored ones by URL key and by content
    hash with one statement; an item another feed brought is found either way."""
    with db.session() as session:
        a, b = ensure_feed(session, "a", NOW), ensure_feed(session, "b", NOW)
        add_items(session, a, [item(1), item(2)], NOW)
    same_text = replace(item(3), content_hash=item(2).content_hash)  # item 2's text
    with db.session() as session, statements(db) as seen:
        new = add_items(session, b, [item(1), same_text, item(4)], NOW)
    assert [s.item.guid for s in new] == ["guid-4"]
    lookups = [sql for sql in seen if "FROM items WHERE" in sql]
    assert len(lookups) == 1 and "url_key IN" in lookups[0] and "content_hash IN" in lookups[0]


def test_a_union_of_in_lists_is_one_statement_per_chunk_of_values(db: Database) -> None:
    """``Driver.rows_in_union``: the rows of each SELECT for all its values, with one
    statement per ``PARAMS`` parameters, each holding only the SELECTs with values in it."""
    with db.session() as session:
        feed = ensure_feed(session, "a", NOW)
        stored = add_items(session, feed, [item(n) for n in range(1, 8)], NOW)
    ids = [s.id for s in sorted(stored, key=lambda s: s.item.guid)][:4]  # guid-1 to guid-4
    with db.session() as session, statements(db) as seen:
        sql = Driver(session)
        sql.PARAMS = 4  # 3 values a statement, with the feed id
        by_id = "SELECT id, guid FROM items WHERE id IN ({values})"
        by_guid = f"SELECT id, guid FROM items WHERE feed_id = {sql.mark} AND guid IN ({{values}})"
        guids = ["guid-5", "guid-6", "guid-7", "none"]
        found = sql.rows_in_union([(by_id, ids, ()), (by_guid, guids, (feed.id,))])
    assert sorted(found) == sorted((s.id, s.item.guid) for s in stored)
    assert len(seen) == 3  # 8 values, 3 a statement
    assert ["UNION ALL" in s for s in seen] == [False, True, False]
    assert seen[2].count(sql.mark) == 3 and "feed_id" in seen[2]


def test_unprocessed_items_are_read_through_their_partial_index(sqlite_url: str) -> None:
    """Only the unclassified items are read (``ix_items_unclassified``), not the whole
    table: the query runs after every poll cycle, whatever the store's size."""
    from monitor.store import migrate
    from monitor.store.db import make_engine

    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    db = Database(sqlite_url)
    with db.session() as session:
        feed = ensure_feed(session, "a", NOW)
        add_items(session, feed, [item(n) for n in range(1, 4)], NOW)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        if "classified IS NULL" in sql:
            seen.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            found = unprocessed_items(session, NOW - timedelta(hours=1), 10)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sorted(s.item.guid for s in found) == ["guid-1", "guid-2", "guid-3"]
    assert [s.id for s in found] == sorted(s.id for s in found)  # one fetch time: by id
    ((sql, params),) = seen
    with db.engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    db.dispose()
    assert "ix_items_unclassified" in plan and "SCAN items" not in plan


def _feeds_and_items() -> list[tuple[str, list[Item]]]:
    """Three feeds' items that meet the store's cases: a story two feeds carry (same URL),
    the same text under another URL, an entry a feed gave before, a repeat in one feed."""
    same_text = replace(item(12), content_hash=item(2).content_hash)  # item 2's text
    return [
        ("a", [item(1), item(2), item(3)]),
        ("b", [item(2), same_text, item(4), item(4), item(5)]),  # guid-5: b gave it before
        ("c", [item(1), item(6), same_text]),
    ]


def _store_rows(db: Database) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(guid, feed, relevant) of every item and (item guid, feed, source guid) of every
    source, by name, not by id."""
    from monitor.store.tables import Feed, ItemSource

    with db.session() as session:
        items = session.execute(
            select(ItemRow.guid, Feed.name, ItemRow.relevant).join(Feed, Feed.id == ItemRow.feed_id)
        )
        sources = session.execute(
            select(ItemRow.guid, Feed.name, ItemSource.guid)
            .join(ItemRow, ItemRow.id == ItemSource.item_id)
            .join(Feed, Feed.id == ItemSource.feed_id)
        )
        return set(map(tuple, items)), set(map(tuple, sources))


def _stored_by_feed(batches: list[list[StoredItem]]) -> list[list[tuple[str, str, bool | None]]]:
    return [[(s.feed, s.item.guid, s.relevant) for s in stored] for stored in batches]


def test_several_feeds_store_as_if_each_came_in_turn(db: Database, tmp_path: Path) -> None:
    """``store_items`` of three feeds: the same rows and the same new items per feed as
    ``add_items`` of each in turn (a story is stored for the first feed that brings it,
    the later ones become its sources), with one statement of each kind, not one a feed."""
    other = migrated(f"sqlite:///{tmp_path / 'turn.db'}")
    relevance = {"a": lambda i: i.guid == "guid-1", "b": None, "c": lambda i: False}

    def prepare(session: Session) -> dict[str, Any]:
        feeds = {name: ensure_feed(session, name, NOW) for name, _ in _feeds_and_items()}
        add_items(session, feeds["b"], [item(5)], NOW)  # b gave guid-5 before
        return feeds

    with other.session() as session:
        feeds = prepare(session)
        one_by_one = [
            add_items(session, feeds[name], items, NOW, relevance=relevance[name])
            for name, items in _feeds_and_items()
        ]
    with db.session() as session:
        feeds = prepare(session)
        batch = [(feeds[name], items, relevance[name]) for name, items in _feeds_and_items()]
        with statements(db) as seen:
            together = store_items(session, batch, NOW)
    assert _stored_by_feed(together) == _stored_by_feed(one_by_one)
    assert [sorted(s.item.guid for s in stored) for stored in together] == [
        ["guid-1", "guid-2", "guid-3"],
        ["guid-4"],  # guid-2 is a's, same_text is guid-2's text, guid-5 is known
        ["guid-6"],
    ]
    assert _store_rows(db) == _store_rows(other) and _store_rows(db)[1]
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO items ")]
    lookups = [sql for sql in seen if "FROM items WHERE" in sql or "FROM item_sources" in sql]
    sources = [sql for sql in seen if sql.startswith("INSERT INTO item_sources")]
    assert (len(inserts), len(lookups), len(sources)) == (1, 2, 1)
    other.dispose()
