"""Near-duplicate detection: MinHash over shingles, LSH band keys looked up by index.

Exact duplicates (same canonical URL, GUID or content hash) never get this far:
``store.repo.add_items`` folds them at insert. What remains are reprints with a new
headline, small edits or boilerplate around the same text. Each new item gets:

1. **Shingles.** The title and body, NFKC-normalised and lower-cased. Text written
   mostly in Hangul, Kana or Han is shingled by characters (whitespace and punctuation
   dropped, ``CHAR_SHINGLE`` characters each); other text by words (``WORD_SHINGLE``
   words each). A text with fewer than ``MIN_SHINGLES`` shingles gets no signature
   and forms a story of its own (a bare headline is too little to compare).
2. **A MinHash signature**: ``NUM_PERM`` permutations, CRC-32 of each shingle as the
   base hash (stable across processes), stored on the item as ``NUM_PERM``
   little-endian uint32 values. The values are those of ``datasketch.MinHash``
   (scheme ``affine32``, seed ``SEED``), whose permutations are used; they are
   computed here for all shingles of a batch of texts at once (one numpy
   ``a·h + b`` over a [shingles × permutations] array, a minimum per text).
3. **LSH band keys.** The signature is cut into ``b`` bands of ``r`` rows, chosen for
   the configured threshold so that the weighted false-positive and false-negative
   rates are smallest (as ``datasketch.MinHashLSH`` does). Each band hashes to a
   signed 64-bit key stored in ``story_bands``; the lookup for a whole batch of
   items is one indexed ``IN`` query, so its cost does not grow with the number of
   stored items.
4. **Verification.** Candidates sharing a band, whose time lies within the window of
   this item's time, are compared by estimated Jaccard similarity (equal signature
   positions); the most similar one at or above the threshold (ties: the oldest)
   gives its story. Otherwise the item starts a new story.

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

import hashlib
import math
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete
from sqlalchemy.orm import Session

from monitor.store.driver import Driver
from monitor.store.tables import Item, Story, StoryBand

NUM_PERM = 128
WORD_SHINGLE = 3
CHAR_SHINGLE = 4
MIN_SHINGLES = 5
MAX_CANDIDATES = 64
SEED = 1
SCHEME = "affine32"  # datasketch: uint32 values, MurmurHash3-mixed input
CHUNK_SHINGLES = 16384  # shingles per numpy pass: a [shingles x NUM_PERM] uint32 array

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_U4 = np.dtype("<u4")  # signatures as stored: little-endian uint32
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))

Signature = NDArray[np.uint32]
Rows = Mapping[int, list[tuple[int, Any]]]  # band key -> [(item id, created as stored)]


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
    """A stored item to put in a story: its title and text, and its time (``item_time``)."""

    item_id: int
    text: str
    when: datetime


def shingles(text: str) -> set[str]:
    """Word shingles for Latin text, character shingles for Korean and Japanese."""
    return set(_shingle_list(text))


def _shingle_list(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():  # the same words as _WORD finds, faster: [^\W_] is [a-z0-9] here
        words = text.translate(_ASCII_SEPARATORS).split()
    elif _CJK.search(text) and len(_CJK.findall(text)) >= len(_LATIN.findall(text)):
        chars = _NOT_WORD.sub("", text)
        k = CHAR_SHINGLE
        return [chars[i : i + k] for i in range(max(1, len(chars) - k + 1))] if chars else []
    else:
        words = _WORD.findall(text)
    if len(words) < WORD_SHINGLE:
        return [" ".join(words)] if words else []
    return list(map(" ".join, zip(*(words[i:] for i in range(WORD_SHINGLE)), strict=False)))


@lru_cache(maxsize=1)
def _permutations() -> tuple[Signature, Signature]:
    """datasketch's (a, b) for ``NUM_PERM``, ``SEED`` and ``SCHEME``: h -> a·h + b mod 2³².

    Drawn the way ``datasketch.MinHash`` draws its affine32 permutations (odd ``a``), so
    the values equal that library's without importing it (and SciPy) into the daemon.
    """
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _crc32s(text: str) -> list[int] | None:
    """CRC-32 of each shingle (repeats kept: they do not change a minimum), or None when
    the text has fewer than ``MIN_SHINGLES`` distinct shingles."""
    grams = _shingle_list(text)
    hashes = list(map(zlib.crc32, map(str.encode, grams)))
    if len(set(hashes)) < MIN_SHINGLES and len(set(grams)) < MIN_SHINGLES:
        return None  # (distinct hashes can only undercount distinct shingles)
    return hashes


def _minhashes(hashes: list[int], starts: list[int]) -> Signature:
    """One signature per run of base hashes beginning at ``starts``: [runs x NUM_PERM]."""
    h = np.array(hashes, dtype=np.uint32)
    s1, m1, s2, m2 = _FMIX  # the MurmurHash3 finalizer, as datasketch pre-mixes its input
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    a, b = _permutations()
    permuted = np.multiply.outer(a, h)  # [NUM_PERM x shingles]: the minimum runs along rows
    permuted += b[:, None]
    return np.ascontiguousarray(np.minimum.reduceat(permuted, starts, axis=1).T)


def signatures(texts: Sequence[str]) -> list[Signature | None]:
    """The MinHash signature of each text (None: too few shingles to compare), at once."""
    result: list[Signature | None] = [None] * len(texts)
    part: list[int] = []
    hashes: list[int] = []
    starts: list[int] = []
    for n, text in enumerate(texts):
        found = _crc32s(text)
        if found is None:
            continue
        if hashes and len(hashes) + len(found) > CHUNK_SHINGLES:
            for i, row in zip(part, _minhashes(hashes, starts), strict=True):
                result[i] = row
            part, hashes, starts = [], [], []
        part.append(n)
        starts.append(len(hashes))
        hashes.extend(found)
    if part:
        for i, row in zip(part, _minhashes(hashes, starts), strict=True):
            result[i] = row
    return result


def signature(text: str) -> Signature | None:
    """The MinHash signature of a text, or None when it has too few shingles to compare."""
    return signatures([text])[0]


def to_bytes(sig: Signature) -> bytes:
    return np.asarray(sig, dtype=_U4).tobytes()


def from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype=_U4)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    return int(np.count_nonzero(a == b)) / len(a)


def _area(bands: int, rows: int, lo: float, hi: float, *, missed: bool) -> float:
    """The area under the probability that a pair of similarity s is (not) a candidate."""
    steps = 200
    width = (hi - lo) / steps
    total = 0.0
    for i in range(steps):
        s = lo + (i + 0.5) * width
        caught = 1 - (1 - s**rows) ** bands
        total += (1 - caught) if missed else caught
    return total * width


@lru_cache(maxsize=16)
def band_layout(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) minimising the mean of false-positive and false-negative areas."""
    best = (math.inf, 1, num_perm)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _area(bands, rows, 0.0, threshold, missed=False)
            fn = _area(bands, rows, threshold, 1.0, missed=True)
            best = min(best, (0.5 * fp + 0.5 * fn, bands, rows))
    return best[1], best[2]


@lru_cache(maxsize=16)
def _band_hashers(bands: int, rows: int) -> tuple[Any, ...]:
    """A BLAKE2b (8 bytes) per band, personalised with the layout and band; copied per use."""
    return tuple(
        hashlib.blake2b(digest_size=8, person=f"{bands}x{rows}:{band}".encode()[:16])
        for band in range(bands)
    )


def band_keys(sig: Signature, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band; the layout is part of the key."""
    data, width = to_bytes(sig), 4 * rows
    digests = []
    for n, hasher in enumerate(_band_hashers(bands, rows)):
        band = hasher.copy()
        band.update(data[n * width : (n + 1) * width])
        digests.append(band.digest())
    keys: list[int] = np.frombuffer(b"".join(digests), dtype="<i8").tolist()
    return keys


def item_time(published: datetime, now: datetime) -> datetime:
    """The time an item counts at: published, but never later than when it was stored."""
    return min(published, now)


@dataclass(slots=True)
class _Pending:
    """An item of a batch on its way into a story; ``lo``/``hi``/``at``: driver values."""

    item_id: int
    when: datetime
    sig: Signature | None
    keys: list[int]
    lo: Any
    hi: Any
    at: Any
    story_id: int | None = None  # an existing story, or None: the new story of ``starts``
    starts: int | None = None
    match: tuple[int, float] | None = None


class NearDuplicates:
    """Finds and records near-duplicate items in the store (``items.minhash``, ``story_bands``)."""

    def __init__(self, threshold: float = 0.6, window: timedelta = timedelta(days=7)) -> None:
        self.threshold = threshold
        self.window = window
        self.bands, self.rows = band_layout(threshold)

    def find(
        self, session: Session, sig: Signature, when: datetime, exclude: int | None = None
    ) -> tuple[int, float] | None:
        """The stored item most similar to ``sig`` within the window: (item id, similarity)."""
        sql = Driver(session)
        raw = sql.value(StoryBand.created.type)
        p = self._pending(raw, -1 if exclude is None else exclude, when, sig)
        ids = self._ranked(p, self._count(p, self._band_rows(sql, [p]), {}))
        known = _signatures(sql, ids)
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
        sql = Driver(session)
        sigs = signatures([t.text for t in texts])
        raw = sql.value(StoryBand.created.type)
        batch = [
            self._pending(raw, t.item_id, t.when, sig) for t, sig in zip(texts, sigs, strict=True)
        ]
        stored = self._band_rows(sql, batch)
        counts = [self._count(p, stored, {}) for p in batch]
        wanted = {i for p, c in zip(batch, counts, strict=True) for i in self._ranked(p, c)}
        known = _signatures(sql, wanted)
        rows: defaultdict[int, list[tuple[int, Any]]] = defaultdict(list)
        mine: dict[int, _Pending] = {}
        for p, found in zip(batch, counts, strict=True):
            self._place(p, self._ranked(p, self._count(p, rows, found)), known, mine)
            for key in p.keys:
                rows[key].append((p.item_id, p.at))
            mine[p.item_id] = p
        return self._write(sql, batch, now)

    def _pending(
        self, raw: Callable[[Any], Any], item_id: int, when: datetime, sig: Signature | None
    ) -> _Pending:
        keys = [] if sig is None else band_keys(sig, self.bands, self.rows)
        lo, hi, at = raw(when - self.window), raw(when + self.window), raw(when)
        return _Pending(item_id, when, sig, keys, lo, hi, at)

    def _band_rows(self, sql: Driver, batch: Sequence[_Pending]) -> Rows:
        """Stored band rows sharing a key with the batch, within the window of its times."""
        keys = sorted({key for p in batch for key in p.keys})
        found: defaultdict[int, list[tuple[int, Any]]] = defaultdict(list)
        if not keys:
            return found
        lo = min(p.lo for p in batch if p.keys)
        hi = max(p.hi for p in batch if p.keys)
        step = Driver.PARAMS - 2  # (and two times)
        for start in range(0, len(keys), step):
            chunk = keys[start : start + step]
            query = (
                "SELECT band_key, item_id, created FROM story_bands"
                f" WHERE band_key IN ({sql.marks(len(chunk))})"
                f" AND created >= {sql.mark} AND created <= {sql.mark}"
            )
            for key, item_id, created in sql.run(query, [*chunk, lo, hi]):
                found[key].append((item_id, created))
        return found

    @staticmethod
    def _count(p: _Pending, rows: Rows, counts: dict[int, int]) -> dict[int, int]:
        """Add, per item, its rows sharing a band key with ``p`` within ``p``'s window (times
        compared as the database compares them: as driver values)."""
        for key in p.keys:
            for item_id, created in rows.get(key, ()):
                if p.lo <= created <= p.hi:
                    counts[item_id] = counts.get(item_id, 0) + 1
        return counts

    @staticmethod
    def _ranked(p: _Pending, counts: Mapping[int, int]) -> list[int]:
        """Candidates as ``GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT`` gives."""
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_CANDIDATES]
        return [item_id for item_id, _ in ranked if item_id != p.item_id]

    def _best(
        self, p: _Pending, ids: Iterable[int], sig_of: Callable[[int], Signature | None]
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
        known: Mapping[int, tuple[Signature | None, int | None]],
        mine: Mapping[int, _Pending],
    ) -> None:
        """Give ``p`` the story of its best match (stored or earlier in the batch), or its own."""

        def sig_of(item_id: int) -> Signature | None:
            return mine[item_id].sig if item_id in mine else known.get(item_id, (None, None))[0]

        match = self._best(p, ids, sig_of) if p.sig is not None else None
        if match is not None and match[0] in mine:
            twin = mine[match[0]]
            p.story_id, p.starts, p.match = twin.story_id, twin.starts, match
        elif match is not None and (story_id := known[match[0]][1]) is not None:
            p.story_id, p.match = story_id, match
        else:
            p.starts = p.item_id

    def _write(self, sql: Driver, batch: Sequence[_Pending], now: datetime) -> list[StoryMatch]:
        """New stories, then each item's story and signature, then the band keys."""
        created = sql.value(Story.created.type)(now)
        new = [(p.item_id, created) for p in batch if p.starts == p.item_id]
        tail = " RETURNING first_item_id, id"
        story_of: dict[int | None, int] = dict(
            sql.insert("stories", ("first_item_id", "created"), new, tail)
        )
        matches = []
        for p in batch:
            p.story_id = p.story_id if p.story_id is not None else story_of[p.starts]
            matches.append(StoryMatch(p.story_id, *p.match) if p.match else StoryMatch(p.story_id))
        blob = sql.value(Item.minhash.type)
        for with_sig in (True, False):
            values = [
                (p.story_id, *([blob(to_bytes(p.sig))] if p.sig is not None else []), p.item_id)
                for p in batch
                if (p.sig is not None) is with_sig
            ]
            sets = f"story_id = {sql.mark}" + (f", minhash = {sql.mark}" if with_sig else "")
            if values:
                sql.connection.exec_driver_sql(
                    f"UPDATE items SET {sets} WHERE id = {sql.mark}", values
                )
        # in key order: neighbouring index entries go in together (a third less work)
        bands = sorted(((p.item_id, key, p.at) for p in batch for key in p.keys), key=_band_key)
        sql.insert("story_bands", ("item_id", "band_key", "created"), bands)
        return matches


def _band_key(row: tuple[int, int, Any]) -> int:
    return row[1]


def _signatures(sql: Driver, ids: Iterable[int]) -> dict[int, tuple[Signature | None, int | None]]:
    """Stored items' signatures and stories, by id."""
    found: dict[int, tuple[Signature | None, int | None]] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), Driver.PARAMS):
        chunk = wanted[start : start + Driver.PARAMS]
        query = f"SELECT id, minhash, story_id FROM items WHERE id IN ({sql.marks(len(chunk))})"
        for item_id, data, story_id in sql.run(query, chunk):
            found[item_id] = (None if data is None else from_bytes(data), story_id)
    return found


def prune_bands(session: Session, before: datetime) -> int:
    """Drop band keys of items older than ``before`` (they can no longer match); a count."""
    result = session.execute(delete(StoryBand).where(StoryBand.created < before))
    return int(getattr(result, "rowcount", 0) or 0)
