"""Regex clues, run only where a match can start.

A clue pattern like ``\\bnew (?:south )?president`` has no fixed first character the
regex engine can skip ahead to (``\\b`` and case-insensitivity turn its search
shortcut off), so a plain search tries every position of a 2 KB text. When every
alternative of the pattern begins (after zero-width assertions) with literal text,
each match starts at an occurrence of one of those literals: ``str.find`` gives the
candidates and ``pattern.match`` is tried there in text order, which is exactly
what ``finditer`` reports. The literals are searched in the lower-cased text, so
only characters whose case-insensitive match there is the character itself qualify
(ASCII except ``i``/``s``, which also match ``ı``/``ſ``; Hangul, kana and CJK).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")

_PLAIN_ASCII = frozenset(chr(c) for c in range(32, 127)) - set("iIsS")


def leading_literals(pattern: str) -> tuple[str, ...] | None:
    """The literal text each alternative of ``pattern`` starts with, or None."""
    try:
        parsed = list(_parser.parse(pattern, re.IGNORECASE))
    except re.error:
        return None
    if len(parsed) == 1 and parsed[0][0] is _parser.BRANCH:
        alternatives = [list(a) for a in parsed[0][1][1]]
    else:
        alternatives = [parsed]
    found = []
    for items in alternatives:
        literal = _leading(items)
        if not literal:
            return None
        found.append(literal)
    return tuple(sorted(set(found)))


def _leading(items: list[Any]) -> str:
    i = 0
    while i < len(items) and items[i][0] is _parser.AT:
        i += 1
    chars = []
    for op, value in items[i:]:
        char = chr(value) if op is _parser.LITERAL else ""
        if not char or not _plain(char):
            break
        chars.append(char.lower())
    return "".join(chars)


def _plain(char: str) -> bool:
    """True when, case-insensitively, ``char`` matches only itself in lower-cased text."""
    return (
        char in _PLAIN_ASCII
        or "\u3040" <= char <= "\u30ff"
        or "\u3400" <= char <= "\u9fff"
        or "\uac00" <= char <= "\ud7a3"
    )


def regex_hits(
    regex: re.Pattern[str], starts: tuple[str, ...] | None, text: str, lo: int, hi: int
) -> list[tuple[int, str]]:
    """``(start, matched text)`` of ``regex.finditer(text, lo, hi)``."""
    if starts is None:
        return [(m.start(), m.group()) for m in regex.finditer(text, lo, hi)]
    candidates: set[int] = set()
    for literal in starts:
        at = text.find(literal, lo, hi)
        while at >= 0:
            candidates.add(at)
            at = text.find(literal, at + 1, hi)
    out: list[tuple[int, str]] = []
    done = lo
    for at in sorted(candidates):
        if at < done:
            continue
        match = regex.match(text, at, hi)
        if match is not None:
            out.append((at, match.group()))
            done = match.end()
    return out


_PREFIX_LIMIT = 256
# what "i" and "s" also match case-insensitively in lower-cased text (see literal_prefixes)
FOLDED = ("ı", "ſ")


def literal_prefixes(pattern: str) -> tuple[str, ...] | None:
    """Literal texts (lower-cased) one of which starts every match of ``pattern``, or
    None when some match can start with anything.

    Optional groups, alternations and small character classes are expanded (up to 256
    texts): ``\\bnew (?:south )?president`` gives "new president" and "new south
    president". The compiled kernel looks for them with its automaton and runs the
    regex only on items that contain one. An "i" or "s" in them also matches "ı" or
    "ſ" case-insensitively: for a text with one of those (``FOLDED``) the texts say
    nothing, and the regex runs anyway."""
    try:
        parsed = list(_parser.parse(pattern, re.IGNORECASE))
    except re.error:
        return None
    found = _sequence(parsed)
    if not found or any(not text for text, _ in found):
        return None
    return tuple(sorted({text for text, _ in found}))


Path = tuple[str, bool]  # (literal text so far, whether the sequence may continue it)


def _sequence(items: list[Any]) -> list[Path]:
    paths: list[Path] = [("", True)]
    for op, value in items:
        if not any(open_ for _, open_ in paths):
            break
        if op is _parser.AT:
            continue
        alternatives = _item(op, value)
        grown = [
            (text + more, more_open)
            for text, open_ in paths
            for more, more_open in (alternatives if open_ else [("", False)])
        ]
        if len(grown) > _PREFIX_LIMIT:
            return [(text, False) for text, _ in paths]
        paths = grown
    return paths


def _item(op: Any, value: Any) -> list[Path]:
    """The literal texts one element of a pattern can start with."""
    if op is _parser.LITERAL:
        return _char(chr(value))
    if op is _parser.IN and all(o is _parser.LITERAL for o, _ in value):
        paths = [path for _, v in value for path in _char(chr(v))]
        return paths if all(open_ for _, open_ in paths) else [("", False)]
    if op is _parser.BRANCH:
        return [path for branch in value[1] for path in _sequence(list(branch))]
    if op is _parser.SUBPATTERN:
        return _sequence(list(value[3]))
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
        low, high, body = value
        inner = _sequence(list(body))
        if low == 0:
            return [("", True), *inner] if high == 1 else [("", False)]
        return inner if low == high == 1 else [(text, False) for text, _ in inner]
    return [("", False)]


def _char(char: str) -> list[Path]:
    low = char.lower()
    return [(low, True)] if _plain(char) or low in "is" else [("", False)]
