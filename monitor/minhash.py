"""MinHash signatures and LSH band keys: the per-item work of near-duplicate detection.

Pure functions of a text (no store): the parser processes compute signatures with
them, and ``monitor.dedup`` looks the band keys up in the store. See ``monitor.dedup``
for the scheme: shingles, ``NUM_PERM`` permutations of CRC-32 base hashes with the
values of ``datasketch.MinHash`` (scheme ``affine32``, seed ``SEED``), computed for
all shingles of a batch of texts at once (one numpy ``a·h + b`` over a [shingles ×
permutations] array, a minimum per text), and ``b`` bands of ``r`` rows per signature.

A signature is a numpy uint32 array, or its stored form (``to_bytes``): NUM_PERM
little-endian uint32 values. numpy is imported on first use, so a process that only
compares stored signatures (``similarity``, ``band_keys``) does not load it.
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Signature = NDArray[np.uint32]

NUM_PERM = 128
WORD_SHINGLE = 3
CHAR_SHINGLE = 4
MIN_SHINGLES = 5
SEED = 1
SCHEME = "affine32"  # datasketch: uint32 values, MurmurHash3-mixed input
CHUNK_SHINGLES = 16384  # shingles per numpy pass: a [shingles x NUM_PERM] uint32 array

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})


def story_text(title: str, body: str) -> str:
    """The text of an item that its signature is computed from."""
    return f"{title}\n{body}"


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
    import numpy as np

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
    import numpy as np

    h = np.array(hashes, dtype=np.uint32)
    # the MurmurHash3 finalizer, as datasketch pre-mixes its input
    s1, m1, s2, m2 = (np.uint32(v) for v in (16, 0x85EBCA6B, 13, 0xC2B2AE35))
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


def to_bytes(sig: Signature | bytes) -> bytes:
    """A signature as stored (``items.minhash``): little-endian uint32 values."""
    if isinstance(sig, bytes):
        return sig
    import numpy as np

    return np.asarray(sig, dtype="<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    import numpy as np

    return np.frombuffer(data, dtype="<u4")


def similarity(a: Signature | bytes, b: Signature | bytes) -> float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    x, y = memoryview(to_bytes(a)).cast("I"), memoryview(to_bytes(b)).cast("I")
    equal: int = sum(map(operator.eq, x, y))
    return equal / len(x)


def packed(texts: Sequence[str]) -> list[bytes]:
    """``signatures`` as stored, for handing on: b"" for a text without a signature."""
    return [b"" if sig is None else to_bytes(sig) for sig in signatures(texts)]


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


def band_keys(sig: Signature | bytes, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band; the layout is part of the key."""
    data, width = to_bytes(sig), 4 * rows
    digests = []
    for n, hasher in enumerate(_band_hashers(bands, rows)):
        band = hasher.copy()
        band.update(data[n * width : (n + 1) * width])
        digests.append(band.digest())
    return [int.from_bytes(digest, "little", signed=True) for digest in digests]
