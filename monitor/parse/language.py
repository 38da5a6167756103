"""Item language: a declared language tag normalised, or a guess from the script.

Declared tags ("ko-KR", "EN_us", "ja") become their two-letter primary subtag ("ko",
"en", "ja"); anything else ("euc-kr", "english", three-letter codes) counts as undeclared.
Without a usable declaration the writing system decides, counted over the first
``SAMPLE`` characters of title and text:

- Hangul and no Kana (Han allowed: hanja)        -> "ko"
- Hangul at least as much as Kana and Han       -> "ko"
- any Kana (Hiragana, Katakana, half-width)     -> "ja"
- Han ideographs outweigh Latin letters          -> "ja" (Han-only text: Japanese unless declared)
- Latin letters                                  -> "en"
- nothing countable                              -> "und"

A declaration is overruled only when it names a language that is not Korean,
Japanese or Chinese and the text is clearly Hangul or Kana (a Korean feed left
with a CMS default of ``<language>en-us</language>`` is Korean).
"""

from __future__ import annotations

import re

UNDETERMINED = "und"
SAMPLE = 400
CJK_LANGUAGES = frozenset({"ko", "ja", "zh"})

_TAG = re.compile(r"^\s*([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*\s*$")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def normalise_tag(tag: str | None) -> str | None:
    """Return the lower-cased primary subtag of a language tag, or None if unusable."""
    if not tag:
        return None
    match = _TAG.match(tag)
    return match.group(1).lower() if match else None


def _detect(sample: str) -> tuple[str, int]:
    """The script's guess for ``sample`` and how many CJK characters back it.

    Scans as little as it can: ASCII text is only checked for letters, and Han and
    Latin are only counted when Hangul and Kana alone do not decide.
    """
    if sample.isascii():
        return ("en" if _LATIN.search(sample) else UNDETERMINED), 0
    hangul = len(_HANGUL.findall(sample))
    kana = len(_KANA.findall(sample))
    if hangul and not kana:
        return "ko", hangul + len(_HAN.findall(sample))
    han = len(_HAN.findall(sample))
    if hangul and hangul >= kana + han:
        return "ko", hangul + kana + han
    if kana:
        return "ja", hangul + kana + han
    latin = len(_LATIN.findall(sample))
    if han and han > latin:
        return "ja", han
    return ("en" if latin else UNDETERMINED), han


def detect_language(text: str) -> str:
    """Guess the language of ``text`` from its script; see the module docstring."""
    return _detect(text[:SAMPLE])[0]


def item_language(text: str, *declared: str | None) -> str:
    """The first usable declared tag (entry before feed), else the script's guess."""
    tag = next((t for t in map(normalise_tag, declared) if t), None)
    sample = text[:SAMPLE]
    if tag is None:
        return _detect(sample)[0]
    if tag in CJK_LANGUAGES or sample.isascii():
        return tag
    guess, cjk = _detect(sample)
    if guess in ("ko", "ja") and cjk > len(_LATIN.findall(sample)):
        return guess
    return tag
