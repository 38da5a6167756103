"""Near-duplicate detection: MinHash over shingles, LSH band keys looked up by index.

Exact duplicates (same canonical URL, GUID or content hash) never get this far:
``store.items.add_items`` folds them at insert. What remains are reprints with a new
headline, small edits or boilerplate around the same text. Each new item gets:

1. **Shingles.** The title and body, NFKC-normalised and lower-cased. Text written
   mostly in Hangul, Kana or Han is shingled by characters (whitespace and punctuation
   dropped, ``CHAR_SHINGLE`` characters each); other text by words (``WORD_SHINGLE``
   words each). A text with fewer than ``MIN_SHINGLES`` shingles gets no signature
   and forms a story of its own (a bare headline is too little to compare).
2. **A MinHash signature**: ``NUM_PERM`` permutations, CRC-32 of each shingle as the
   base hash (stable across processes), stored on the item as ``NUM_PERM``
   little-endian uint32 values. The values are those of ``datasketch.MinHash``
   (scheme ``affine32``, seed ``SEED``), whose permutations are used
   (``monitor.novelty.minhash``).
3. **LSH band keys.** The signature is cut into ``b`` bands of ``r`` rows, chosen for
   the configured threshold so that the weighted false-positive and false-negative
   rates are smallest (as ``datasketch.MinHashLSH`` does). Each band hashes to a
   signed 64-bit key stored in ``story_bands``; the lookup for a whole batch of
   items is one indexed ``IN`` query, so its cost does not grow with the number of
   stored items.
4. **Candidates.** Per band key, at most ``MAX_BAND_ROWS`` items sharing it count as
   candidates: the newest (highest item id) whose time lies within the window of this
   item's time, the items of the same batch first. The ``MAX_CANDIDATES`` items sharing
   the most bands are verified. A band key shared by more items than that is a cluster
   of copies of one text, and its newest members stand for it; without the bound, a
   document of n copies of one text cost n² comparisons and the memory to hold them.
   With it the work per item is at most ``bands × MAX_BAND_ROWS`` counts, whatever the
   store or the batch holds. (Within a batch, an item sees the newest
   ``MAX_BAND_ROWS`` rows of the batch per key before the window is applied: in a batch
   whose times lie further apart than the window it may see fewer candidates than one
   at a time would.)
5. **Verification.** The candidates are compared by estimated Jaccard similarity
   (equal signature positions); the most similar one at or above the threshold (ties:
   the oldest) gives its story. Otherwise the item starts a new story.

An item's *time* is its publication time, capped at the time it was stored (feeds
post-date items). The window is symmetric, so feeding items in another order finds
the same pairs. Band keys depend on the threshold: after changing it, older items
are not found again until they leave the window (they are not wrong, only missed).

``NearDuplicates.assign_stories`` takes a poll's new items at once and gives each the
story ``assign_story`` would give it, called item by item in the same order: items
of the batch see the ones before them (held in memory until the batch is written
with one insert of stories, one of band keys and one update of items).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.novelty.minhash import (
    NUM_PERM,
    SCHEME,
    SEED,
    Signature,
    band_keys,
    band_layout,
    shingles,
    signature,
    signatures,
    similarity,
)
from monitor.store.db import Session
from monitor.store.stories import BandRows, StoryRows, prune_bands

__all__ = [  # the signature functions, for users of this module (and prune_bands)
    "NUM_PERM",
    "SCHEME",
    "SEED",
    "Signature",
    "band_keys",
    "band_layout",
    "prune_bands",
    "shingles",
    "signature",
    "signatures",
    "similarity",
]

MAX_CANDIDATES = 64  # items verified per new item: those sharing the most bands
MAX_BAND_ROWS = 8  # items counted per band key: the newest within the window

# stored band rows: band key -> [(item id, created as held)], newest first
Rows = Mapping[int, Sequence[tuple[int, Any]]]


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an item was put in; ``duplicate_of`` is the item it matched, if any."""

    story_id: int
    duplicate_of: int | None = None
    similarity: float = 0.0

    @property
    def joined(self) -> bool:
        return self.duplicate_of is not None


@dataclass(frozen=True, slots=True)
class ItemText:
    """A stored item to put in a story: its title and text, and its time (``item_time``).

    ``minhash``: the text's signature as stored, when stored already (b"" when the
    text has none); None: compute it.
    """

    item_id: int
    text: str
    when: datetime
    minhash: bytes | None = None


def _each_once(convert: Callable[[datetime], Any]) -> Callable[[datetime], Any]:
    """``convert``, computing each distinct value once (equal times convert alike)."""
    done: dict[datetime, Any] = {}

    def held(when: datetime) -> Any:
        found = done.get(when)
        if found is None:
            found = done[when] = convert(when)
        return found

    return held


def item_time(published: datetime, now: datetime) -> datetime:
    """The time an item counts at: published, but never later than when it was stored."""
    return min(published, now)


@dataclass(slots=True)
class _Pending:
    """An item of a batch on its way into a story; ``lo``/``hi``/``at``: driver values."""

    item_id: int
    when: datetime
    sig: bytes | None  # as stored
    keys: list[int]
    lo: Any
    hi: Any
    at: Any
    story_id: int | None = None  # an existing story, or None: the new story of ``starts``
    starts: int | None = None
    match: tuple[int, float] | None = None
    stored: bool = False  # ``sig`` is on the item's row already


class NearDuplicates:
    """Finds and records near-duplicate items in the store (``items.minhash``, ``story_bands``)."""

    def __init__(self, threshold: float = 0.6, window: timedelta = timedelta(days=7)) -> None:
        self.threshold = threshold
        self.window = window

    @property
    def bands(self) -> int:
        """LSH bands of the signatures (``band_layout``: worked out on first use, once)."""
        return band_layout(self.threshold)[0]

    @property
    def rows(self) -> int:
        """Signature positions per band."""
        return band_layout(self.threshold)[1]

    def find(
        self, session: Session, sig: Signature, when: datetime, exclude: int | None = None
    ) -> tuple[int, float] | None:
        """The stored item most similar to ``sig`` within the window: (item id, similarity)."""
        store = StoryRows(session)
        layout = band_layout(self.threshold)
        p = self._pending(store.time, layout, -1 if exclude is None else exclude, when, sig)
        ids = self._ranked(p, self._count(p, {}, self._band_rows(store, [p])))
        known = store.signatures(ids)
        return self._best(p, ids, lambda i: known.get(i, (None, None))[0])

    def assign_story(
        self, session: Session, item_id: int, text: str, when: datetime, now: datetime
    ) -> StoryMatch:
        """Put an item in the story of its nearest earlier copy, or in a new story."""
        return self.assign_stories(session, [ItemText(item_id, text, when)], now)[0]

    def assign_stories(
        self, session: Session, texts: Sequence[ItemText], now: datetime
    ) -> list[StoryMatch]:
        """Stories for items in this order, as ``assign_story`` one after the other gives."""
        store = StoryRows(session)
        computed = iter(signatures([t.text for t in texts if t.minhash is None]))
        held = _each_once(store.time)  # (a poll's items share times: each converted once)
        layout = band_layout(self.threshold)
        batch = []
        for t in texts:
            if t.minhash is None:
                p = self._pending(held, layout, t.item_id, t.when, next(computed))
            else:
                p = self._pending(held, layout, t.item_id, t.when, t.minhash or None)
                p.stored = True
            batch.append(p)
        stored = self._band_rows(store, batch)
        # the stored items any of the batch may count (a superset of those it will)
        known = store.signatures({item_id for rows in stored.values() for item_id, _ in rows})
        # the batch's items per band key: the one item, or a list of them, oldest first
        # (most keys are one item's: no list for each)
        rows: dict[int, _Pending | list[_Pending]] = {}
        mine: dict[int, _Pending] = {}
        for p in batch:
            self._place(p, self._ranked(p, self._count(p, rows, stored)), known, mine)
            for key in p.keys:
                same = rows.get(key)
                if same is None:
                    rows[key] = p
                elif not isinstance(same, list):
                    rows[key] = [same, p]
                else:
                    same.append(p)
                    if len(same) > 2 * MAX_BAND_ROWS:  # only the newest are counted
                        del same[:-MAX_BAND_ROWS]
            mine[p.item_id] = p
        return self._write(store, batch, now)

    def _pending(
        self,
        held: Callable[[datetime], Any],
        layout: tuple[int, int],
        item_id: int,
        when: datetime,
        sig: bytes | None,
    ) -> _Pending:
        keys = [] if sig is None else band_keys(sig, *layout)
        lo, hi, at = held(when - self.window), held(when + self.window), held(when)
        return _Pending(item_id, when, sig, keys, lo, hi, at)

    def _band_rows(self, store: StoryRows, batch: Sequence[_Pending]) -> BandRows:
        """Stored band rows sharing a key with the batch, within the window of its times:
        the newest ``MAX_BAND_ROWS`` per key, newest first."""
        keys = {key for p in batch for key in p.keys}
        if not keys:
            return {}
        lo = min(p.lo for p in batch if p.keys)
        hi = max(p.hi for p in batch if p.keys)
        return store.bands_near(keys, lo, hi, per_key=MAX_BAND_ROWS)

    @staticmethod
    def _count(
        p: _Pending, batch: Mapping[int, _Pending | list[_Pending]], stored: Rows
    ) -> dict[int, int]:
        """Per item, how many band keys it shares with ``p``: per key, the newest
        ``MAX_BAND_ROWS`` items of the batch before it (``batch``: oldest first), then of
        the stored rows (``stored``: newest first), as long as fewer than ``MAX_BAND_ROWS``
        were counted, each only within ``p``'s window (times compared as the database
        compares them: as driver values)."""
        counts: dict[int, int] = {}
        lo, hi = p.lo, p.hi
        for key in p.keys:
            room = MAX_BAND_ROWS
            same = batch.get(key)
            if same is not None:
                newest = same[: -MAX_BAND_ROWS - 1 : -1] if isinstance(same, list) else (same,)
                for other in newest:
                    if lo <= other.at <= hi:
                        counts[other.item_id] = counts.get(other.item_id, 0) + 1
                        room -= 1
            if not room:
                continue
            for item_id, created in stored.get(key, ()):
                if lo <= created <= hi:
                    counts[item_id] = counts.get(item_id, 0) + 1
                    room -= 1
                    if not room:
                        break
        return counts

    @staticmethod
    def _ranked(p: _Pending, counts: Mapping[int, int]) -> list[int]:
        """Candidates as ``GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT`` gives."""
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_CANDIDATES]
        return [item_id for item_id, _ in ranked if item_id != p.item_id]

    def _best(
        self, p: _Pending, ids: Iterable[int], sig_of: Callable[[int], bytes | None]
    ) -> tuple[int, float] | None:
        """The most similar candidate at or above the threshold (ties: the oldest)."""
        assert p.sig is not None
        best: tuple[float, int] | None = None
        for item_id in ids:
            other = sig_of(item_id)
            if other is None:
                continue
            score = similarity(p.sig, other)
            if score >= self.threshold and (
                best is None or (-score, item_id) < (-best[0], best[1])
            ):
                best = (score, item_id)
        return None if best is None else (best[1], best[0])

    def _place(
        self,
        p: _Pending,
        ids: list[int],
        known: Mapping[int, tuple[bytes | None, int | None]],
        mine: Mapping[int, _Pending],
    ) -> None:
        """Give ``p`` the story of its best match (stored or earlier in the batch), or its own."""

        def sig_of(item_id: int) -> bytes | None:
            return mine[item_id].sig if item_id in mine else known.get(item_id, (None, None))[0]

        match = self._best(p, ids, sig_of) if p.sig is not None else None
        if match is not None and match[0] in mine:
            twin = mine[match[0]]
            p.story_id, p.starts, p.match = twin.story_id, twin.starts, match
        elif match is not None and (story_id := known[match[0]][1]) is not None:
            p.story_id, p.match = story_id, match
        else:
            p.starts = p.item_id

    def _write(
        self, store: StoryRows, batch: Sequence[_Pending], now: datetime
    ) -> list[StoryMatch]:
        """New stories, then each item's story (and signature, unless stored), then the band
        keys."""
        story_of = store.add_stories([p.item_id for p in batch if p.starts == p.item_id], now)
        matches = []
        signed: list[tuple[int, bytes, int]] = []  # (story, signature, item): sig to store
        placed: list[tuple[int, int]] = []  # (story, item)
        for p in batch:
            if p.story_id is None:
                assert p.starts is not None
                p.story_id = story_of[p.starts]
            matches.append(StoryMatch(p.story_id, *p.match) if p.match else StoryMatch(p.story_id))
            if p.sig is not None and not p.stored:
                signed.append((p.story_id, p.sig, p.item_id))
            else:
                placed.append((p.story_id, p.item_id))
        store.place_items(signed, placed)
        store.add_bands([(p.item_id, key, p.at) for p in batch for key in p.keys])
        return matches
