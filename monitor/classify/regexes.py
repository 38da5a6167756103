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
import time
from typing import Any

import regex

_parser: Any = importlib.import_module("re._parser")

# Regex clues run with the ``regex`` engine and two bounds, so no pattern can hold the
# writer thread: each clue scans at most MAX_SCAN characters of an item's text, and
# gives up after REGEX_BUDGET seconds (the matcher then counts the clue as not matching
# and logs why; see match.py).
MAX_SCAN = 20_000
REGEX_BUDGET = 0.5

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
    pattern: regex.Pattern[str],
    starts: tuple[str, ...] | None,
    text: str,
    lo: int,
    hi: int,
    *,
    budget: float = REGEX_BUDGET,
) -> list[tuple[int, str]]:
    """``(start, matched text)`` of ``pattern.finditer(text, lo, hi)``, scanning at most
    ``MAX_SCAN`` characters from ``lo``; ``TimeoutError`` when that takes longer than
    ``budget`` seconds (a pattern that backtracks without end on this text)."""
    hi = max(0, min(hi, len(text), lo + MAX_SCAN))  # as ``finditer`` reads its endpos
    if hi <= lo:
        return []
    deadline = time.monotonic() + budget
    if starts is None:
        hits = []
        for m in pattern.finditer(text, lo, hi, timeout=budget):
            hits.append((m.start(), m.group()))
            if time.monotonic() > deadline:
                raise TimeoutError("regex time bound exceeded")
        return hits
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
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("regex time bound exceeded")
        match = pattern.match(text, at, hi, timeout=left)
        if match is not None:
            out.append((at, match.group()))
            done = match.end()
    return out
