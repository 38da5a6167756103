"""Stories: groups of near-duplicate items, and the MinHash LSH band keys that find them
(``stories``, ``story_bands``, and the ``story_id``/``minhash`` columns of ``items``).

``StoryRows`` works at the driver (``Driver``): a cold poll stores thousands of items,
and each batch is a few statements (one lookup of band keys, one of signatures, one
insert of stories, one executemany update of items, one insert of band keys) without
SQLAlchemy's per-row work. Times are given to it as the database holds them
(``StoryRows.time``), so the caller can compare them as the database does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from monitor.store.driver import Driver
from monitor.store.tables import Item, Story, StoryBand

BandRows = dict[int, list[tuple[int, Any]]]  # band key -> [(item id, created as stored)]


class StoryRows:
    """The story tables in one session's transaction (flushed first), at the driver."""

    def __init__(self, session: Session) -> None:
        self._sql = Driver(session)
        # a time as the database holds it: compared in memory as the database compares
        self.time: Callable[[datetime], Any] = self._sql.value(StoryBand.created.type)

    def bands_near(self, keys: Iterable[int], lo: Any, hi: Any, per_key: int) -> BandRows:
        """Stored band rows with one of ``keys``, created from ``lo`` to ``hi`` (held times):
        per key the newest ``per_key`` (highest item id), newest first. The database ranks
        the rows, so what is read stays bounded however many items share a key."""
        sql = self._sql
        wanted = sorted(set(keys))
        found: defaultdict[int, list[tuple[int, Any]]] = defaultdict(list)
        step = Driver.PARAMS - 3  # (two times and the limit)
        for start in range(0, len(wanted), step):
            chunk = wanted[start : start + step]
            query = (
                "SELECT band_key, item_id, created FROM ("
                " SELECT band_key, item_id, created, ROW_NUMBER() OVER"
                " (PARTITION BY band_key ORDER BY item_id DESC) AS n FROM story_bands"
                f" WHERE band_key IN ({sql.marks(len(chunk))})"
                f" AND created >= {sql.mark} AND created <= {sql.mark}"
                f") AS ranked WHERE n <= {sql.mark} ORDER BY band_key, n"
            )
            for key, item_id, created in sql.run(query, [*chunk, lo, hi, per_key]):
                found[key].append((item_id, created))
        return found

    def signatures(self, ids: Iterable[int]) -> dict[int, tuple[bytes | None, int | None]]:
        """Stored items' signatures (as stored) and stories, by id."""
        sql = self._sql
        found: dict[int, tuple[bytes | None, int | None]] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), Driver.PARAMS):
            chunk = wanted[start : start + Driver.PARAMS]
            query = f"SELECT id, minhash, story_id FROM items WHERE id IN ({sql.marks(len(chunk))})"
            for item_id, data, story_id in sql.run(query, chunk):
                found[item_id] = (None if data is None else bytes(data), story_id)
        return found

    def add_stories(self, first_items: Sequence[int], now: datetime) -> dict[int, int]:
        """A new story for each of these items (its first); returns item id -> story id."""
        created = self._sql.value(Story.created.type)(now)
        rows = [(item_id, created) for item_id in first_items]
        tail = " RETURNING first_item_id, id"
        return dict(self._sql.insert("stories", ("first_item_id", "created"), rows, tail))

    def place_items(
        self, signed: Sequence[tuple[int, bytes, int]], placed: Sequence[tuple[int, int]]
    ) -> None:
        """Put items in their stories: ``signed`` (story, signature, item) also store the
        item's signature, ``placed`` (story, item) only the story. One statement each."""
        sql = self._sql
        blob = sql.value(Item.minhash.type)
        if signed:
            sql.connection.exec_driver_sql(
                f"UPDATE items SET story_id = {sql.mark}, minhash = {sql.mark}"
                f" WHERE id = {sql.mark}",
                [(story_id, blob(sig), item_id) for story_id, sig, item_id in signed],
            )
        if placed:
            sql.connection.exec_driver_sql(
                f"UPDATE items SET story_id = {sql.mark} WHERE id = {sql.mark}", list(placed)
            )

    def add_bands(self, rows: Sequence[tuple[int, int, Any]]) -> None:
        """Band keys: (item id, band key, created as held) rows, inserted in key order
        (neighbouring index entries go in together: a third less work)."""
        ordered = sorted(rows, key=_band_key)
        self._sql.insert("story_bands", ("item_id", "band_key", "created"), ordered)


def _band_key(row: tuple[int, int, Any]) -> int:
    return row[1]


def prune_bands(session: Session, before: datetime) -> int:
    """Drop band keys of items older than ``before`` (they can no longer match); a count."""
    result = session.execute(delete(StoryBand).where(StoryBand.created < before))
    return int(getattr(result, "rowcount", 0) or 0)
