"""Deterministic held-back splits and cross-validation folds, by a hash of each item's id.

``id_hash(id)`` is the first 8 bytes of SHA-256 over the id's UTF-8 bytes, read as a
big-endian unsigned integer (0 ≤ h < 2**64). It depends on nothing but the id: not on
the order of the corpus file, its other items, the Python version or PYTHONHASHSEED.

- Held-back split: an item is in the *holdout* part when ``h < share * 2**64``, else in
  *train*. An item keeps its part when items are added to or removed from the corpus, so
  an article once held back stays held back; the holdout size is ``share`` of the items
  on average, not exactly (it is a property of each id, not a quota).
- Folds: the items are ordered by ``(h, id)`` and dealt round-robin, the i-th to fold
  ``i mod k``: fold sizes differ by at most one, and the assignment does not depend on
  the file order (it does depend on which items the corpus holds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import TypeVar

from monitor.classify.evaluate import LabelledItem

PARTS = ("train", "holdout")
DEFAULT_HOLDOUT_SHARE = 0.25
_SPACE = 2**64

T = TypeVar("T", bound=LabelledItem)


def id_hash(item_id: str) -> int:
    """First 8 bytes of SHA-256(UTF-8 id), big-endian: the item's place in [0, 2**64)."""
    return int.from_bytes(hashlib.sha256(item_id.encode("utf-8")).digest()[:8], "big")


def in_holdout(item_id: str, share: float = DEFAULT_HOLDOUT_SHARE) -> bool:
    """True when the item belongs to the held-back part for this ``share`` (0 < share < 1)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"the holdout share must lie between 0 and 1, not {share}")
    return id_hash(item_id) < share * _SPACE


def split_items(items: Iterable[T], part: str, share: float = DEFAULT_HOLDOUT_SHARE) -> list[T]:
    """The items of ``part`` ("train" or "holdout"), in their original order."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r} (train or holdout)")
    want = part == "holdout"
    return [item for item in items if in_holdout(item.id, share) == want]


def assign_folds(ids: Sequence[str], k: int) -> dict[str, int]:
    """Fold 0..k-1 of each id: ordered by (id_hash, id), dealt round-robin."""
    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {k}")
    unique = sorted(set(ids), key=lambda i: (id_hash(i), i))
    if len(unique) < k:
        raise ValueError(f"{k} folds need at least {k} items (there are {len(unique)})")
    return {item_id: n % k for n, item_id in enumerate(unique)}
