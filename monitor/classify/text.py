"""Text normalisation shared by rule compilation and matching.

Terms and article text go through the same steps, so a term written in the rules
file matches however an outlet typed it: NFKC (full-width ＧＳＯＭＩＡ → GSOMIA,
half-width katakana → full-width), middle dots removed (한·일 → 한일, 日・韓 → 日韓),
every dash → ``-``, curly quotes → straight, whitespace runs → one space, lower case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_TABLE: dict[int, int | str | None] = {ord(c): None for c in "·ㆍ・･\u00ad\u200b\u200c\ufeff"}
_TABLE.update({ord(c): "-" for c in "‐‑‒–—―−"})
_TABLE.update({ord(c): "'" for c in "‘’`´"})
_TABLE.update({ord(c): '"' for c in "“”„"})

# A break between sentences: . ! ? followed by space (not after a single letter, so
# "S. Korea" and "U.S. officials" stay one sentence), CJK full stops, and line breaks.
# Written to start with one character class, which lets the regex engine skip ahead.
SENTENCE_BREAK = re.compile(
    r"[.!?。！？\n](?:(?<=[.!?])(?<![\s.][a-z].)(?<!^[a-z].)['\")\]]*(?= )|(?<=[。！？\n]))"
)

# A "word" for proximity: a run of Latin letters/digits, a Hangul word, or two CJK
# characters (Japanese has no spaces; two characters is a typical word length).
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]{1,2}|[^\W_\u3040-\u30ff\u3400-\u9fff]+")


_PAIRS = tuple((chr(c), str(r or "")) for c, r in _TABLE.items())


def normalize(text: str) -> str:
    """NFKC, middle dots removed, dashes and quotes unified, whitespace collapsed."""
    if text.isascii():  # NFKC leaves ASCII text as it is; "`" is its one character to unify
        if "`" in text:
            text = text.replace("`", "'")
    else:
        text = nfkc(text)
        for char, replacement in _PAIRS:  # str.replace per char beats str.translate(dict) 10x
            if char in text:
                text = text.replace(char, replacement)
    return _collapse_spaces(text)


def _collapse_spaces(text: str) -> str:
    """``" ".join(text.split())`` for NFKC text, without a string per word in the common
    case: its only whitespace is spaces and line breaks (any other whitespace NFKC keeps
    makes ``isprintable`` false and is one of ``_SPACES``)."""
    if "\n" in text:
        text = text.replace("\n", " ")
    if not text.isprintable() and _SPACES.search(text) is not None:
        return " ".join(text.split())
    while "  " in text:
        text = text.replace("  ", " ")
    if text[:1] == " " or text[-1:] == " ":
        return text.strip(" ")
    return text


# The whitespace (str.split's) that NFKC keeps, less " ": a text with none of these has
# its whitespace collapsed once space runs are one space and none is at either end.
_SPACES = re.compile(
    "["
    + "".join(
        re.escape(c)
        for c in map(chr, range(0x3001))
        if c.isspace() and c != " " and unicodedata.normalize("NFKC", c) == c
    )
    + "]"
)


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster for text that is nearly normalised.

    Replacing a character by its own NFKC form keeps the text compatibility-equivalent,
    so its NFKC form is unchanged: the common full-width forms, "…" and no-break spaces
    are replaced first, and the text is usually normalised then."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    found = _COMMON.search(text)
    if found is not None:
        while found is not None:  # each distinct character once
            at, char = found.start(), found.group()
            text = text.replace(char, _COMMON_FORMS[char])
            found = _COMMON.search(text, at)
        if unicodedata.is_normalized("NFKC", text):
            return text
    return unicodedata.normalize("NFKC", text)


# Characters NFKC changes that news text often has: Latin-1 signs, "…", the ideographic
# space, Korean compatibility jamo, full- and half-width forms.
_COMMON_FORMS = {
    c: form
    for code in [*range(0xA0, 0xC0), 0x2026, 0x3000, *range(0x3131, 0x318F), *range(0xFF01, 0xFFEF)]
    if (form := unicodedata.normalize("NFKC", c := chr(code))) != c
}
_COMMON = re.compile("[" + "".join(map(re.escape, _COMMON_FORMS)) + "]")


def is_latin(char: str) -> bool:
    """True for characters that form words with Latin letters (word boundaries apply)."""
    return ("a" <= char <= "z") or ("0" <= char <= "9") or ("\u00c0" <= char <= "\u024f")


CJK_OR_HANGUL = re.compile("[\u1100-\u11ff\u3040-\u9fff\uac00-\ud7af]")  # kana, CJK, Hangul


def is_cjk_or_hangul(char: str) -> bool:
    return CJK_OR_HANGUL.fullmatch(char) is not None


def is_hangul(char: str) -> bool:
    """True for Hangul syllables and jamo (the letters Korean words are written in)."""
    return (
        "\uac00" <= char <= "\ud7af" or "\u1100" <= char <= "\u11ff" or "\u3130" <= char <= "\u318f"
    )


def word_starts(text: str) -> list[int]:
    """Start offsets of the proximity words in ``text`` (see ``_WORD``), found with numpy
    over the text's code points: a word character (``[^\\W_]``, not CJK) after one that
    is not starts a word, and so does every second character of a CJK run from its start
    (exactly where ``_WORD``'s ``{1,2}`` matches begin). A regex engine tests each
    character against the classes; this is one table lookup for the whole text."""
    import numpy as np  # (on first use, as monitor.novelty.minhash does)

    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:  # (a lone surrogate is a code point like any other here, not a word character)
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word_chars, cjk_chars = _tables()
    word = word_chars.take(codes, mode="clip")  # beyond U+FFFF: set right below
    cjk = None if text.isascii() else cjk_chars.take(codes, mode="clip")
    if cjk is not None and codes.max() > 0xFFFF:  # emoji and rare ideographs: few, if any
        for i in np.flatnonzero(codes > 0xFFFF).tolist():
            word[i], cjk[i] = text[i].isalnum(), False
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    if cjk is not None and cjk.any():
        first = cjk.copy()
        first[1:] &= ~cjk[:-1]
        at = np.arange(len(codes))
        run_start = np.maximum.accumulate(np.where(first, at, 0))
        starts |= cjk & ((at - run_start) % 2 == 0)
    return list(np.flatnonzero(starts).tolist())


@cache
def _tables() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """For each code point of the BMP: whether it is a (non-CJK) word character, and
    whether it is CJK (``_WORD``'s two classes)."""
    import numpy as np

    cjk = np.zeros(0x10000, dtype=np.bool_)
    cjk[0x3040:0x3100] = True
    cjk[0x3400:0xA000] = True
    alnum = np.fromiter((chr(c).isalnum() for c in range(0x10000)), np.bool_, 0x10000)
    return alnum & ~cjk, cjk
