"""Text normalisation shared by rule compilation and matching.

Terms and article text go through the same steps, so a term written in the rules
file matches however an outlet typed it: NFKC (full-width ＧＳＯＭＩＡ → GSOMIA,
half-width katakana → full-width), middle dots removed (한·일 → 한일, 日・韓 → 日韓),
every dash → ``-``, curly quotes → straight, whitespace runs → one space, lower case;
the kana reading the Japanese press gives a name in brackets is dropped (尹錫悦（ユン・
ソンニョル）大統領 → 尹錫悦大統領, 佐渡島（さど）の金山 → 佐渡島の金山), so the name
and what follows it read as the press's own compounds.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate, chain, compress, repeat
from operator import add

_TABLE: dict[int, int | str | None] = {ord(c): None for c in "·ㆍ・･\u00ad\u200b\u200c\ufeff"}
_TABLE.update({ord(c): "-" for c in "‐‑‒–—―−"})
_TABLE.update({ord(c): "'" for c in "‘’`´"})
_TABLE.update({ord(c): '"' for c in "“”„"})

# A break between sentences: . ! ? followed by space (not after a single letter, so
# "S. Korea" and "U.S. officials" stay one sentence, nor after the abbreviation of a
# month, a title or a company: "on Aug. 23", "Gen. Kim", "Mr. Abe", "Nippon Steel Corp.
# to pay"), CJK full stops, and line breaks; nor after the number of a numbered paragraph
# ("…as follows. 3. Minister Hayashi conveyed…", a government readout's layout: the
# number follows a sentence's end). Written to start with one character class, which
# lets the regex engine skip ahead.
SENTENCE_BREAK = re.compile(
    r"[.!?。！？\n](?:(?<=[.!?])(?<![\s.][a-z].)(?<!^[a-z].)"
    r"(?<![.!?。\n] \d\.)(?<![.!?。\n] \d\d\.)(?<!\n\d\.)(?<!\n\d\d\.)"
    r"(?<!\b(?:mr|ms|dr|st|lt|jr|sr|co)\.)"
    r"(?<!\b(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec|mrs|gen|gov|sen|rep|col|sgt|inc|ltd)\.)"
    r"(?<!\b(?:sept|prof|capt|corp)\.)"
    r"['\")\]]*(?= )|(?<=[。！？\n]))"
)

# A "word" for proximity: a run of Latin letters/digits, a Hangul word, or two CJK
# characters (Japanese has no spaces; two characters is a typical word length).
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]{1,2}|[^\W_\u3040-\u30ff\u3400-\u9fff]+")


_PAIRS = tuple((chr(c), str(r or "")) for c, r in _TABLE.items())

# A kana reading in brackets (NFKC has made the brackets ASCII and the middle dots are
# gone): hiragana or katakana alone, with the long-vowel mark and spaces.
_READING = re.compile(r"\([\u3041-\u3096\u30a1-\u30fa\u30fc ]{1,24}\)")

# A line that heads a list of other stories, alone on its line, in brackets or after a
# bullet or not, with a colon or not: "Related articles", "Read more:", "[주요뉴스]",
# "관련기사", "【関連記事】", "関連ニュース". What follows it is other stories' headlines
# (a page's text, or a feed's full content, ends with them), not the item's news.
RELATED_HEADING = re.compile(
    r"[ \t\u3000]*[\[【〔(（<＜■□▶▷◆◇●○※*-]*[ \t\u3000]*"
    r"(?:related(?: articles?| stories| story| news| coverage| links| content| reading)?"
    r"|read more|read also|see also|more on this(?: story| topic)?|most read|most popular"
    r"|recommended(?: articles| stories| for you)?"
    r"|관련 ?기사|관련 ?뉴스|주요 ?뉴스|많이 ?본 ?뉴스|추천 ?기사|함께 ?볼 ?만한 ?뉴스"
    r"|関連記事|関連ニュース|関連リンク|おすすめ記事|こちらもおすすめ|こちらも読まれています)"
    r"[ \t\u3000]*[\]】〕)）>＞]*[ \t\u3000]*[:：]?[ \t\u3000\r]*",
    re.IGNORECASE,
)
_HEADING_MAX = 40  # characters: a longer line is no such heading, and is not tried


def without_related(text: str) -> str:
    """``text`` up to its first line that heads a list of other stories
    (``RELATED_HEADING``, the whole line), when something comes before that line; else
    ``text``."""
    if "\n" not in text:
        return text
    at = 0
    for line in text.split("\n"):
        if len(line) <= _HEADING_MAX and RELATED_HEADING.fullmatch(line) and text[:at].strip():
            return text[:at]
        at += len(line) + 1
    return text


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
        if "(" in text:
            text = _READING.sub("", text)
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


# The same words found faster: in ASCII text \w is [A-Za-z0-9_]; otherwise the runs
# of non-CJK word characters, and each run of CJK characters cut every two characters
# from its start (exactly where _WORD's {1,2} matches begin).
_NON_CJK_WORD = re.compile(r"[^\W_\u3040-\u30ff\u3400-\u9fff]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+")


# ASCII text with every character but letters and digits made a space: its words are
# the non-empty parts between single spaces (no match object per word).
_ASCII_SPACES = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def word_starts(text: str) -> list[int]:
    """Start offsets of the proximity words in ``text`` (see ``_WORD``)."""
    if text.isascii():  # the runs of [A-Za-z0-9]: each part's offset, the empty ones left out
        parts = text.encode("ascii").translate(_ASCII_SPACES).split(b" ")
        return list(compress(accumulate(map(add, map(len, parts), repeat(1)), initial=0), parts))
    starts = list(map(re.Match.start, _NON_CJK_WORD.finditer(text)))
    runs = [range(m.start(), m.end(), 2) for m in _CJK_RUN.finditer(text)]
    return sorted(chain(starts, *runs)) if runs else starts
