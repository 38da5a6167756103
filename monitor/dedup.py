"""Near-duplicate detection: MinHash over shingles, LSH band keys looked up by index.

Exact duplicates (same canonical URL, GUID or content hash) never get this far:
``store.repo.add_items`` folds them at insert. What remains are reprints with a new
headline, small edits or boilerplate around the same text. Each new item gets:

1. **Shingles.** The title and body, NFKC-normalised and lower-cased. Text written
   mostly in Hangul, Kana or Han is shingled by characters (whitespace and punctuation
   dropped, ``CHAR_SHINGLE`` characters each); other text by words (``WORD_SHINGLE``
   words each). A text with fewer than ``MIN_SHINGLES`` shingles gets no signature
   and forms a story of its own (a bare headline is too little to compare).
2. **A MinHash signature** (``datasketch``, ``NUM_PERM`` permutations, CRC-32 of each
   shingle as the base hash: stable across processes), stored on the item as
   ``NUM_PERM`` little-endian uint32 values.
3. **LSH band keys.** The signature is cut into ``b`` bands of ``r`` rows, chosen for
   the configured threshold so that the weighted false-positive and false-negative
   rates are smallest (as ``datasketch.MinHashLSH`` does). Each band hashes to a
   signed 64-bit key stored in ``story_bands``; the lookup is one indexed ``IN``
   query, so its cost does not grow with the number of stored items.
4. **Verification.** Candidates sharing a band, whose time lies within the window of
   this item's time, are compared by estimated Jaccard similarity (equal signature
   positions); the most similar one at or above the threshold (ties: the oldest)
   gives its story. Otherwise the item starts a new story.

An item's *time* is its publication time, capped at the time it was stored (feeds
post-date items). The window is symmetric, so feeding items in another order finds
the same pairs. Band keys depend on the threshold: after changing it, older items
are not found again until they leave the window (they are not wrong, only missed).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from datasketch import MinHash
from numpy.typing import NDArray
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.store.tables import Item, Story, StoryBand

NUM_PERM = 128
WORD_SHINGLE = 3
CHAR_SHINGLE = 4
MIN_SHINGLES = 5
MAX_CANDIDATES = 64
SEED = 1
SCHEME = "affine32"  # datasketch: uint32 values, MurmurHash3-mixed input

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_NOT_WORD = re.compile(r"[\W_]+")

Signature = NDArray[np.uint32]


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an item was put in; ``duplicate_of`` is the item it matched, if any."""

    story_id: int
    duplicate_of: int | None = None
    similarity: float = 0.0

    @property
    def joined(self) -> bool:
        return self.duplicate_of is not None


def shingles(text: str) -> set[str]:
    """Word shingles for Latin text, character shingles for Korean and Japanese."""
    text = unicodedata.normalize("NFKC", text).lower()
    if len(_CJK.findall(text)) >= len(_LATIN.findall(text)) and _CJK.search(text):
        chars = _NOT_WORD.sub("", text)
        k = CHAR_SHINGLE
        return {chars[i : i + k] for i in range(max(1, len(chars) - k + 1))} if chars else set()
    words = _WORD.findall(text)
    k = WORD_SHINGLE
    return (
        {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))} if words else set()
    )


@lru_cache(maxsize=1)
def _template() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, scheme=SCHEME)


def signature(text: str) -> Signature | None:
    """The MinHash signature of a text, or None when it has too few shingles to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=zlib.crc32,
        permutations=_template().permutations,
        scheme=SCHEME,
    )
    minhash.update_batch([g.encode("utf-8") for g in grams])
    values: Signature = np.asarray(minhash.hashvalues, dtype="<u4")
    return values


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype="<u4")


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


def band_keys(sig: Signature, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band; the layout is part of the key."""
    keys = []
    for band in range(bands):
        digest = hashlib.blake2b(
            sig[band * rows : (band + 1) * rows].astype("<u4").tobytes(),
            digest_size=8,
            person=f"{bands}x{rows}:{band}".encode()[:16],
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def item_time(published: datetime, now: datetime) -> datetime:
    """The time an item counts at: published, but never later than when it was stored."""
    return min(published, now)


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
        keys = band_keys(sig, self.bands, self.rows)
        query = (
            select(StoryBand.item_id)
            .where(
                StoryBand.band_key.in_(keys),
                StoryBand.created >= when - self.window,
                StoryBand.created <= when + self.window,
            )
            .group_by(StoryBand.item_id)
            .order_by(func.count().desc(), StoryBand.item_id)
            .limit(MAX_CANDIDATES)
        )
        ids = [i for i in session.scalars(query) if i != exclude]
        if not ids:
            return None
        best: tuple[float, int] | None = None
        for item_id, data in session.execute(
            select(Item.id, Item.minhash).where(Item.id.in_(ids), Item.minhash.is_not(None))
        ):
            if data is None:
                continue
            score = similarity(sig, from_bytes(data))
            if score >= self.threshold and (
                best is None or (-score, item_id) < (-best[0], best[1])
            ):
                best = (score, item_id)
        return None if best is None else (best[1], best[0])

    def record(
        self,
        session: Session,
        item_id: int,
        sig: Signature | None,
        when: datetime,
        story_id: int | None = None,
    ) -> None:
        """Store an item's signature, band keys and story (so later items can find it)."""
        values: dict[str, object] = {} if story_id is None else {"story_id": story_id}
        if sig is not None:
            values["minhash"] = to_bytes(sig)
        if values:
            session.execute(update(Item).where(Item.id == item_id).values(**values))
        if sig is not None:
            session.execute(
                insert(StoryBand),
                [
                    {"item_id": item_id, "band_key": key, "created": when}
                    for key in band_keys(sig, self.bands, self.rows)
                ],
            )

    def assign_story(
        self, session: Session, item_id: int, text: str, when: datetime, now: datetime
    ) -> StoryMatch:
        """Put an item in the story of its nearest earlier copy, or in a new story."""
        sig = signature(text)
        match = self.find(session, sig, when, exclude=item_id) if sig is not None else None
        story_id = None
        if match is not None:
            story_id = session.scalar(select(Item.story_id).where(Item.id == match[0]))
        if story_id is None:
            story_id = _new_story(session, item_id, now)
            match = None
        self.record(session, item_id, sig, when, story_id)
        if match is None:
            return StoryMatch(story_id)
        return StoryMatch(story_id, duplicate_of=match[0], similarity=match[1])


def _new_story(session: Session, item_id: int, now: datetime) -> int:
    story = Story(first_item_id=item_id, created=now)
    session.add(story)
    session.flush()
    return story.id


def prune_bands(session: Session, before: datetime) -> int:
    """Drop band keys of items older than ``before`` (they can no longer match); a count."""
    result = session.execute(delete(StoryBand).where(StoryBand.created < before))
    return int(getattr(result, "rowcount", 0) or 0)
