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
