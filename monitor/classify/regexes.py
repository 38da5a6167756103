"""Regex clues, run only where a match can start.

A clue pattern like ``\\bnew (?:south )?president`` has no fixed first character the
regex engine can skip ahead to (``\\b`` and case-insensitivity turn its search
shortcut off), so a plain search tries every position of a 2 KB text. When every
alternative of the pattern begins (after ``\\b``, ``\\A`` or ``^``) with literal text,
or with a group ``(?:...)`` whose alternatives all do, each match starts at an
occurrence of one of those literals: ``str.find`` gives the candidates and
``pattern.match`` is tried there in text order, which is exactly what ``finditer``
reports. Each call of the engine with its time bound costs a few microseconds whatever
it does, so where the candidates are many for their stretch of text (a title full of
"ties") one ``finditer`` from the first of them replaces their calls, and a pattern whose
every alternative starts with ``^`` is tried only at the text's start, and only when
one of its literals is there.

The literals are searched in the lower-cased text, so only characters whose
case-insensitive match there is the character itself qualify (ASCII, Hangul, kana, CJK
and its punctuation), except that a literal may start with ``i`` or ``s``, searched in
both spellings (with ``ı`` and ``ſ``, which the stdlib's ``re`` matches to them
case-insensitively and the ``regex`` engine does not: the candidates are right for
either).

The pattern is read by a small reader of its own that understands only these shapes and
answers None for anything else (a plain search is then used), so it never depends on
how the ``re`` module parses internally.
"""

from __future__ import annotations

import time

import regex

# Regex clues run with the ``regex`` engine and two bounds, so no pattern can hold the
# writer thread: each clue scans at most MAX_SCAN characters of an item's text, and
# gives up after REGEX_BUDGET seconds (the matcher then counts the clue as not matching
# and logs why; see match.py).
MAX_SCAN = 20_000
REGEX_BUDGET = 0.5

_PLAIN_ASCII = frozenset(chr(c) for c in range(32, 127)) - set("iIsS")
_TWO_WAY = {"i": "ı", "s": "ſ"}  # lower-case letters that case-insensitively match another
_META = frozenset(".^$*+?{}[]\\|()")
_QUANTIFIERS = frozenset("?*+{")
_ASSERTIONS = ("\\b", "\\A", "^")
_MAX_STARTS = 64


def leading_literals(pattern: str) -> tuple[str, ...] | None:
    """The literal text each alternative of ``pattern`` starts with, or None."""
    alternatives = _split_top(pattern)
    if alternatives is None:
        return None
    found: set[str] = set()
    for alternative in alternatives:
        literals = _starts_of(alternative)
        if not literals:
            return None
        found |= literals
        found |= {_TWO_WAY[lit[0]] + lit[1:] for lit in literals if lit[0] in _TWO_WAY}
    return tuple(sorted(found))


def anchored(pattern: regex.Pattern[str]) -> bool:
    """Whether every alternative of ``pattern`` starts with ``^`` or ``\\A``, and the
    pattern is not MULTILINE (an inline ``(?m)`` anywhere makes it so): such a pattern
    matches only at the very start of the text."""
    if pattern.flags & regex.MULTILINE:
        return False
    alternatives = _split_top(pattern.pattern) or []
    return bool(alternatives) and all(a.startswith(("^", "\\A")) for a in alternatives)


def _split_top(pattern: str) -> list[str] | None:
    """``pattern`` cut at its top-level ``|`` (None when its brackets do not balance)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":  # a class: skip to its end
            i = _class_end(pattern, i)
            if i < 0:
                return None
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return None if depth else [*parts, pattern[start:]]


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class that opens at ``i`` (-1 when it never ends);
    a ``]`` first in the class is a member."""
    i += 2 if pattern.startswith("[^", i) else 1
    first = i
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]" and i > first:
            return i + 1
        i += 1
    return -1


def _starts_of(alternative: str) -> set[str] | None:
    """The literals one alternative can start with, or None. Literal text and groups
    ``(?:...)`` whose branches are all literal text are followed as far as they go
    (``\\bthe (?:author|reporter) wrote`` starts with "the author wrote" or "the
    reporter wrote"), so the candidates are few; at most _MAX_STARTS literals."""
    i = 0
    while skip := next((a for a in _ASSERTIONS if alternative.startswith(a, i)), ""):
        i += len(skip)
    found = {""}
    while i < len(alternative):
        lead = found == {""}
        if not alternative.startswith("(?:", i):
            literal, end = _literal(alternative, i, lead)
            if not literal:
                break
            found = {f + literal for f in found}
            if not alternative.startswith("(?:", end):
                break  # a quantifier, a class, a non-plain character ...: the literal ends
            i = end
            continue
        inner = alternative[i + 3 :]
        close = _group_end(inner)
        following = inner[close + 1 : close + 2] if close is not None else ""
        if close is None or (following and following in _QUANTIFIERS):
            break  # unbalanced, or an optional / repeated group
        branches: list[tuple[str, bool]] = []
        for branch in _split_top(inner[:close]) or [""]:
            literal, end = _literal(branch, 0, lead)
            if not literal:
                break
            branches.append((literal, end == len(branch)))
        else:
            longer = {f + literal for f in found for literal, _ in branches}
            if len(longer) > _MAX_STARTS:
                break
            found = longer
            if all(whole for _, whole in branches):
                i += 3 + close + 1  # the group is literal text: go on after it
                continue
        break
    return None if found == {""} else found


def _group_end(text: str) -> int | None:
    """The index of the ``)`` that closes a group whose content starts ``text``."""
    depth, i = 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return None


def _literal(text: str, i: int, lead: bool = True) -> tuple[str, int]:
    """The plain literal characters at the start of ``text[i:]``, lower-cased, and the
    index after them; a character followed by a quantifier is left out (it may be
    absent). Only a ``lead`` literal (the start of a match) may start with ``i`` or ``s``
    (searched in both spellings)."""
    chars: list[str] = []
    while i < len(text):
        char, step = text[i], 1
        if char == "\\":
            char, step = text[i + 1 : i + 2], 2
            if not char or char.isalnum():
                break  # \d, \w, \b, \1 ...: not a literal
        elif char in _META:
            break
        if text[i + step : i + step + 1] in _QUANTIFIERS:
            break
        if not _plain(char) and (chars or not lead or char.lower() not in _TWO_WAY):
            break
        chars.append(char.lower())
        i += step
    return "".join(chars), i


def _plain(char: str) -> bool:
    """True when, case-insensitively, ``char`` matches only itself in lower-cased text."""
    return (
        char in _PLAIN_ASCII
        or "\u3001" <= char <= "\u303f"  # CJK punctuation: 、。「」【】...
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
    anchored: bool = False,
    budget: float = REGEX_BUDGET,
) -> list[tuple[int, str]]:
    """``(start, matched text)`` of ``pattern.finditer(text, lo, hi)``, scanning at most
    ``MAX_SCAN`` characters from ``lo``; ``TimeoutError`` when that takes longer than
    ``budget`` seconds (a pattern that backtracks without end on this text).

    Given ``starts``, the pattern is tried only where one of them occurs: at each such
    candidate in turn, or, when the candidates are many for the stretch of text from the
    first of them (``SCAN_PER_MATCH``), with one ``finditer`` over that stretch (no match
    starts elsewhere, so both find the same). An ``anchored`` pattern (see
    :func:`anchored`) is tried at the start of the text only, if one of ``starts`` is
    there."""
    hi = max(0, min(hi, len(text), lo + MAX_SCAN))  # as ``finditer`` reads its endpos
    if hi <= lo:
        return []
    deadline = time.monotonic() + budget
    if anchored:  # only the text's start can match (not in the stretch when lo > 0)
        if lo > 0 or (starts is not None and not text.startswith(starts, 0, hi)):
            return []
        match = pattern.match(text, 0, hi, timeout=budget)
        return [] if match is None else [(0, match.group())]
    if starts is None:
        return _scan(pattern, text, lo, hi, budget, deadline)
    candidates: set[int] = set()
    for literal in starts:
        at = text.find(literal, lo, hi)
        while at >= 0:
            candidates.add(at)
            at = text.find(literal, at + 1, hi)
    if not candidates:
        return []
    first = min(candidates)
    if hi - first < SCAN_PER_MATCH * (len(candidates) - 2):
        return _scan(pattern, text, first, hi, budget, deadline)
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


# A call of the regex engine with a time bound costs about what scanning this many
# characters of text in one call does (measured on the shipped rules' patterns, the
# costliest to scan being those that start with \b, which turns the engine's search
# shortcut off): one scan of a stretch holding n candidates is cheaper than n calls
# when the stretch is shorter than SCAN_PER_MATCH * (n - 2) characters (the scan's
# own call counts for about two).
SCAN_PER_MATCH = 100


def _scan(
    pattern: regex.Pattern[str], text: str, lo: int, hi: int, budget: float, deadline: float
) -> list[tuple[int, str]]:
    hits = []
    for m in pattern.finditer(text, lo, hi, timeout=budget):
        hits.append((m.start(), m.group()))
        if time.monotonic() > deadline:
            raise TimeoutError("regex time bound exceeded")
    return hits
