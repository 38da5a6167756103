"""MinHash signatures and LSH band keys: the per-item work of near-duplicate detection.

Pure functions of a text (no store): parser processes, or else the novelty stage,
compute the signatures of the items a watch finds relevant with them, and ``dedup``
looks the band keys up in the store. See ``monitor.novelty.dedup`` for the scheme:
shingles, ``NUM_PERM`` permutations of CRC-32 base hashes with the values of
``datasketch.MinHash`` (scheme ``affine32``, seed ``SEED``: the permutations below are
the ones that library draws), and ``b`` bands of ``r`` rows per signature.

A signature is bytes, as stored (``items.minhash``): NUM_PERM little-endian uint32
values. numpy computes them, for all the shingles of a batch of texts at once, and is
imported on first use: a process that only compares stored signatures (``similarity``,
``band_layout``, ``band_keys``) does not load it (it costs its process about 15 MB and,
in a poller's process, a tenth of a second).
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
import unicodedata
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Signature = bytes  # NUM_PERM little-endian uint32 values

NUM_PERM = 128
WORD_SHINGLE = 3
CHAR_SHINGLE = 4
MIN_SHINGLES = 5
SEED = 1
SCHEME = "affine32"  # datasketch: uint32 values, MurmurHash3-mixed input
CHUNK_SHINGLES = 8192  # shingles per numpy pass: a [NUM_PERM x shingles] uint32 array (4 MB)

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


# datasketch's permutations for NUM_PERM, SEED and SCHEME, h -> a*h + b mod 2**32: what
# numpy.random.RandomState(SEED) draws, a = 2 * randint(0, 2**31, NUM_PERM) + 1 (odd),
# then b = randint(0, 2**32, NUM_PERM) (tests/test_dedup.py draws them again to check)
# fmt: off
_A = (
    0xD583E84B, 0xFE8F01D7, 0x70CE5F19, 0xDD782891, 0x000EFDFF, 0x41998713, 0x9ACB5597,
    0xFF823D0B, 0x4B23969F, 0x78E0A781, 0x2F470121, 0xCB0CA103, 0x5F5D7F99, 0xC69C3C8F,
    0xB0ED55DB, 0x56E8F3F9, 0xCB251B0D, 0xDEFEFA33, 0x13DFC965, 0xB14FAA29, 0xD6A0A9FD,
    0xA06562CB, 0x5ED51725, 0x0C9193A9, 0x68ADF717, 0xE30C41F9, 0xC1989BD5, 0x758B2539,
    0x0E05BF3B, 0x119EB31D, 0x57478465, 0xD3F2D489, 0xD5A8F9AF, 0xEA16BFAF, 0x1E0C97D3,
    0xDC8485E3, 0x47E0CBEF, 0xE0D55BBD, 0x656D8EC1, 0x8E8908AD, 0x99FB311B, 0x6E93AFD3,
    0xEFBFFB13, 0x9B03080F, 0xA079227F, 0x2F83967B, 0x62781C2D, 0x094B4A73, 0xC0B61403,
    0xBAE3EF01, 0xCA09E279, 0xA885F1A3, 0x2B8AEA11, 0xA8C1C5B1, 0x13FEFD1B, 0x8BCD34E7,
    0x56F4035F, 0x1E551FD5, 0xC19BE4F3, 0x574F7391, 0x325A843D, 0x2FA6488F, 0xD79B6B07,
    0x57E30B8D, 0xEA707F2B, 0xD2D5DC63, 0x10FB0A73, 0x65256407, 0x623DB789, 0x944A5631,
    0xA18B43E3, 0x48C3F857, 0x5F7D0C99, 0x910E9835, 0xAB540E69, 0xD3384AA1, 0x095D14DB,
    0x117EE6E7, 0x8012EA53, 0x3F80DBA5, 0xFA4C001F, 0x523ED881, 0x7F0F9189, 0x98D46033,
    0x8F965ADF, 0xE46BBDC5, 0x941C6BAF, 0x71BA4F0F, 0x34DA0A35, 0x258FFD33, 0xE5524CD1,
    0xF040082D, 0xD1336E13, 0x313D7D87, 0x965497CF, 0xCE8688FD, 0x93574A2F, 0x3D2DDAFB,
    0x42931AC9, 0x0CB28137, 0x09EA774B, 0x2AD0A273, 0x5B9054A7, 0xD56ED94D, 0x6C5A8511,
    0xD2264A41, 0x87F5BB45, 0x990D5E15, 0xFBAF7A2F, 0x2B350D1F, 0x1B5255DF, 0x21BF38AF,
    0x25F2BE33, 0x3A561F8F, 0x4B2001E7, 0xE9BF0AB9, 0x2DB97495, 0x859F097D, 0x6646BA5D,
    0x7647A741, 0x34652DB1, 0x1120292F, 0xD3FF256F, 0xE65E4A83, 0x63886AE3, 0xFC724E9B,
    0xD40F4E07, 0x14C99701,
)
_B = (
    0x0CC9BFF8, 0xC3F6D4FD, 0x893081CD, 0x0B9BC706, 0xA9EE7234, 0x23D4D1D5, 0x83CFC5C6,
    0xCADAF602, 0xF1D0F64C, 0x07A10FDB, 0x96287895, 0xE21482CB, 0xE7455907, 0x8A71184D,
    0x23318AC8, 0x72AED44B, 0x23A79D4C, 0xE463042B, 0xCEB13214, 0x60A95E1E, 0x65CE2624,
    0x89D63367, 0x2A54A707, 0xA6FD0F2D, 0xED7133C4, 0x5C7B9A39, 0x59072EF0, 0x922D9DFC,
    0xC03538D2, 0xA3494060, 0xB9DB010D, 0x20562C0A, 0xE2205917, 0xB0B13F7C, 0x9FA8FB51,
    0xA5D2E787, 0xC03DC379, 0x5A9BC098, 0x595166CA, 0xC3633DDC, 0x4519FE94, 0x5B45A9A0,
    0xE558CC8C, 0xC0B6BCC1, 0x6D97625E, 0xE19F9E3C, 0xF6FFC1E9, 0x02FCC098, 0xA9D74D52,
    0x7F841373, 0x9F277361, 0x12E40882, 0x1D5FFDEC, 0xC975A6DC, 0xF311BA67, 0x1066B762,
    0x732D710A, 0x5AF59EB6, 0x94115760, 0xF11C39E9, 0x687BA752, 0x613AC9D6, 0x3CADCCC6,
    0xC34EBAC2, 0xE743E147, 0xC5873FE7, 0x92DCA8B0, 0x4D25F636, 0x00BC1C0F, 0xC5D23B85,
    0x9DFD3591, 0x272668AA, 0x539F0014, 0x94215A76, 0x86ED47B0, 0x024E5916, 0xE2CD19E5,
    0xB583CF8D, 0x5B7607F1, 0x787BEA72, 0xE895C261, 0xC3BC56B5, 0x9F948754, 0x77A70C0A,
    0x040CDC60, 0x44DD40B7, 0xEDEF993D, 0xD4E9CE38, 0xB0DE9ED9, 0x8D23A195, 0xFF508CE7,
    0x11F0DC60, 0x2C1E81F9, 0x78F41FD3, 0x231B5419, 0xBE25D5F1, 0xEEBE938E, 0x3124088D,
    0xB262ACD4, 0x76DD1E74, 0x10E5632B, 0x3AF90E86, 0xC16606CD, 0x821C82B8, 0xC0FE07BB,
    0x3564BB8F, 0xEC4B5618, 0x0C9F33FB, 0xB6267C89, 0x84D421C2, 0x1FD038C7, 0x2C1A6F35,
    0x0516DD45, 0x6574C9A4, 0x06B5C365, 0x1B7C4AF8, 0x073F1815, 0x8282ED28, 0x3F07B04D,
    0x1A2588DB, 0xDC2ACAB1, 0x49E96971, 0x89F0D52F, 0x3B5485CD, 0x8D85BDA8, 0xF7B915CE,
    0xD78F562D, 0x473FE757,
)
# fmt: on


@lru_cache(maxsize=1)
def _permutations() -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """``_A`` and ``_B`` as numpy columns ([NUM_PERM x 1]: one row per permutation)."""
    import numpy as np

    return np.array(_A, np.uint32)[:, None], np.array(_B, np.uint32)[:, None]


def _crc32s(text: str) -> array[int] | None:
    """CRC-32 of each shingle (repeats kept: they do not change a minimum), or None when
    the text has fewer than ``MIN_SHINGLES`` distinct shingles."""
    grams = _shingle_list(text)
    hashes = array("I", map(zlib.crc32, map(str.encode, grams)))
    if len(set(hashes)) < MIN_SHINGLES and len(set(grams)) < MIN_SHINGLES:
        return None  # (distinct hashes can only undercount distinct shingles)
    return hashes


def _minimums(hashes: array[int], starts: list[int]) -> bytes:
    """The signatures of runs of base hashes, run n from ``starts[n]`` to the next start
    (none empty): NUM_PERM little-endian uint32 values each, one after the other.

    Each hash is mixed with the MurmurHash3 finalizer (as datasketch pre-mixes its
    input), then permuted as ``a*h + b mod 2**32`` by every permutation at once: a
    [NUM_PERM x shingles] array, ``CHUNK_SHINGLES`` columns at a time, whose minimum per
    run and row (``minimum.reduceat``) is folded into the run's signature."""
    import numpy as np

    h = np.array(hashes, np.uint32)  # uint32 arithmetic wraps: mod 2**32
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    a, b = _permutations()
    low = np.full((len(starts), NUM_PERM), 0xFFFFFFFF, np.uint32)
    for lo in range(0, len(h), CHUNK_SHINGLES):
        hi = min(lo + CHUNK_SHINGLES, len(h))
        first = bisect_right(starts, lo) - 1  # the run holding column lo, then any after it
        last = bisect_right(starts, hi - 1, lo=first)
        cuts = [max(start, lo) - lo for start in starts[first:last]]
        permuted = np.multiply(a, h[lo:hi])
        permuted += b
        part = low[first:last]
        np.minimum(part, np.minimum.reduceat(permuted, cuts, axis=1).T, out=part)
    return low.astype("<u4", copy=False).tobytes()


def signatures(texts: Sequence[str]) -> list[Signature | None]:
    """The MinHash signature of each text (None: too few shingles to compare), at once."""
    found = [_crc32s(text) for text in texts]
    hashes: array[int] = array("I")
    starts = []
    for run in found:
        if run is not None:
            starts.append(len(hashes))
            hashes.extend(run)
    if not starts:
        return [None] * len(texts)
    data = memoryview(_minimums(hashes, starts))
    width = 4 * NUM_PERM
    offsets = iter(range(0, len(data), width))
    return [None if run is None else bytes(data[(o := next(offsets)) : o + width]) for run in found]


def signature(text: str) -> Signature | None:
    """The MinHash signature of a text, or None when it has too few shingles to compare."""
    return signatures([text])[0]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    x, y = memoryview(a).cast("I"), memoryview(b).cast("I")
    equal: int = sum(map(operator.eq, x, y))
    return equal / len(x)


AREA_STEPS = 200  # midpoints of the integrals of band_layout


@lru_cache(maxsize=16)
def band_layout(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) minimising the mean of false-positive and false-negative areas: the
    area under the probability that a pair of similarity s below ``threshold`` is a
    candidate, and that one above it is not (midpoint rule, ``AREA_STEPS`` points a side).

    For each number of rows, the chance that no band agrees is raised one band at a time
    (a product per point, no power): every layout in ~15 ms, without numpy, which the
    poller's process then does not load just for this. Of equal costs, the fewest bands,
    then rows."""
    low_width, high_width = threshold / AREA_STEPS, (1 - threshold) / AREA_STEPS
    below = [(n + 0.5) * low_width for n in range(AREA_STEPS)]
    above = [threshold + (n + 0.5) * high_width for n in range(AREA_STEPS)]
    best = (math.inf, 0, 0)
    for rows in range(1, num_perm + 1):
        differ_below = [1 - s**rows for s in below]  # a band's rows differ somewhere
        differ_above = [1 - s**rows for s in above]
        none_below, none_above = differ_below, differ_above  # no band agrees: 1 band
        for bands in range(1, num_perm // rows + 1):
            if bands > 1:
                none_below = list(map(operator.mul, none_below, differ_below))
                none_above = list(map(operator.mul, none_above, differ_above))
            caught = AREA_STEPS - sum(none_below)  # below the threshold: false positives
            cost = 0.5 * caught * low_width + 0.5 * sum(none_above) * high_width
            best = min(best, (cost, bands, rows))
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
    view, width = memoryview(sig), 4 * rows
    keys = []
    for n, hasher in enumerate(_band_hashers(bands, rows)):
        band = hasher.copy()
        band.update(view[n * width : (n + 1) * width])
        keys.append(int.from_bytes(band.digest(), "little", signed=True))
    return keys
