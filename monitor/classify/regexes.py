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

The literals are searched in an item's normalised, lower-cased text (``Prepared.low``:
NFKC, then lower case), so only characters whose case-insensitive match there is the
character itself qualify: ASCII, Hangul, kana, CJK and its punctuation. The ``regex``
engine matches ``s`` also to ``ſ`` and ``k`` to the Kelvin sign, which NFKC replaces by
``s`` and ``K``, and ``i`` to ``İ``, which lower-casing turns into ``i`` and a combining
dot; a capital ``I`` in a pattern also matches the dotless ``ı``, which the text can
hold, so it ends a literal.

Optional parts at a match's start are followed too when they are literal: a class of
plain characters (``[\\[(]?opinion`` starts with "[opinion", "(opinion" or "opinion")
and a group of literal branches (``: (?:the )?times`` starts with ": the times" or
": times").

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

_PLAIN_ASCII = frozenset(chr(c) for c in range(32, 127)) - {"I"}  # (I also matches ı)
_META = frozenset(".^$*+?{}[]\\|()")
_QUANTIFIERS = frozenset("?*+{")
_ASSERTIONS = ("\\b", "\\A", "^")
# At most this many literals per alternative: an anchored pattern's are tested with one
# ``startswith``, the others' are searched for one by one, so fewer of them and shorter
# (a prefix that is found a little more often) is the better bargain.
_MAX_STARTS = 64
_MAX_SEARCHED = 8


def prefilter(
    pattern: regex.Pattern[str],
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, bool]:
    """What :func:`regex_hits` needs to run ``pattern`` only where it can match: the
    leading literals searched for (None: everywhere), the longer ones a candidate must
    start with when there are longer ones (else None), and whether it is
    :func:`anchored` (its literals are then all tested with one ``startswith``)."""
    at_start = anchored(pattern)
    longest = leading_literals(pattern.pattern, _MAX_STARTS)
    if at_start:
        return longest, None, True
    starts = leading_literals(pattern.pattern, _MAX_SEARCHED)
    return starts, (longest if longest != starts else None), False


def leading_literals(pattern: str, most: int = _MAX_STARTS) -> tuple[str, ...] | None:
    """The literal text each alternative of ``pattern`` starts with (at most ``most``
    literals per alternative), or None. A literal that another one starts is left out:
    where the longer one is, the shorter one is too."""
    alternatives = _split_top(pattern)
    if alternatives is None:
        return None
    found: set[str] = set()
    for alternative in alternatives:
        literals = _starts_of(alternative, most)
        if not literals:
            return None
        found |= literals
    ordered = sorted(found)  # (a literal sorts right after the ones it starts, if any)
    return tuple(
        lit for i, lit in enumerate(ordered) if not any(lit.startswith(o) for o in ordered[:i])
    )


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


def _starts_of(alternative: str, most: int) -> set[str] | None:
    """The literals one alternative can start with, or None. Literal text, classes of
    plain characters and groups ``(?:...)`` whose branches are all literal text, each
    of them optional (``?``) or not, are followed as far as they go (``\\bthe
    (?:author|reporter) wrote`` starts with "the author wrote" or "the reporter wrote"),
    so the candidates are few; at most ``most`` literals."""
    i = 0
    while skip := next((a for a in _ASSERTIONS if alternative.startswith(a, i)), ""):
        i += len(skip)
    found = {""}
    while i < len(alternative):
        if alternative.startswith("(?:", i):
            parts = _group_branches(alternative, i)
        elif alternative.startswith("[", i):
            parts = _class_members(alternative, i)
        else:
            literal, end = _literal(alternative, i)
            parts = ([(literal, True)], end) if literal else None
        if parts is None:
            break
        branches, end = parts
        optional = alternative[end : end + 1] == "?"
        if alternative[end : end + 1] in _QUANTIFIERS and not optional:
            break  # repeated: where it ends is not known
        longer = {f + b for f in found for b, _ in branches}
        if optional:
            longer |= found
        if len(longer) > most:
            break
        found = longer
        if not all(whole for _, whole in branches):
            break  # a branch goes on with something that is not literal text
        i = end + 1 if optional else end
    return None if "" in found else found


def _group_branches(alternative: str, i: int) -> tuple[list[tuple[str, bool]], int] | None:
    """The literal start of each branch of the group ``(?:...)`` at ``i`` and whether it
    is the whole branch, with the index after the group; None when a branch does not
    start with literal text or the group does not close."""
    inner = alternative[i + 3 :]
    close = _group_end(inner)
    if close is None:
        return None
    branches = []
    for branch in _split_top(inner[:close]) or [""]:
        literal, end = _literal(branch, 0)
        if not literal:
            return None
        branches.append((literal, end == len(branch)))
    return branches, i + 3 + close + 1


def _class_members(alternative: str, i: int) -> tuple[list[tuple[str, bool]], int] | None:
    """The members of the class at ``i`` when each is one plain character (no ranges, no
    ``^``, no ``\\w``), each a whole "branch", with the index after the class."""
    end = _class_end(alternative, i)
    if end < 0 or alternative.startswith("[^", i):
        return None
    members, j = [], i + 1
    while j < end - 1:
        char, step = alternative[j], 1
        if char == "\\":
            char, step = alternative[j + 1 : j + 2], 2
            if not char or char.isalnum():
                return None
        elif char == "-" and j not in (i + 1, end - 2):
            return None  # a range
        elif char == "[":
            return None  # [[:alpha:]] and the like
        if not _plain(char):
            return None
        members.append((char.lower(), True))
        j += step
    return (members, end) if members else None


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


def _literal(text: str, i: int) -> tuple[str, int]:
    """The plain literal characters at the start of ``text[i:]``, lower-cased, and the
    index after them; a character followed by a quantifier is left out (it may be
    absent)."""
    chars: list[str] = []
    while i < len(text):
        char, step = text[i], 1
        if char == "\\":
            char, step = text[i + 1 : i + 2], 2
            if not char or char.isalnum():
                break  # \\d, \\w, \\b, \\1 ...: not a literal
        elif char in _META:
            break
        if text[i + step : i + step + 1] in _QUANTIFIERS:
            break
        if not _plain(char):
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
    confirm: tuple[str, ...] | None = None,
    budget: float = REGEX_BUDGET,
) -> list[tuple[int, str]]:
    """``(start, matched text)`` of ``pattern.finditer(text, lo, hi)`` (matches of the
    empty string left out: they say nothing about the text), scanning at most
    ``MAX_SCAN`` characters from ``lo``; ``TimeoutError`` when that takes longer than
    ``budget`` seconds (a pattern that backtracks without end on this text).

    Given ``starts``, the pattern is tried only where one of them occurs: at each such
    candidate in turn, or, when the candidates are many for the stretch of text from the
    first of them (``SCAN_PER_MATCH``), with one ``finditer`` over that stretch (no match
    starts elsewhere, so both find the same). A candidate is dropped first when none of
    the longer literals ``confirm`` starts there: each call of the engine with its time
    bound reads the process's CPU clock, a system call, where ``startswith`` is not. An
    ``anchored`` pattern (see :func:`anchored`) is tried at the start of the text only,
    if one of ``starts`` is there."""
    hi = max(0, min(hi, len(text), lo + MAX_SCAN))  # as ``finditer`` reads its endpos
    if hi <= lo:
        return []
    deadline = time.monotonic() + budget
    if anchored:  # only the text's start can match (not in the stretch when lo > 0)
        if lo > 0 or (starts is not None and not text.startswith(starts, 0, hi)):
            return []
        match = pattern.match(text, 0, hi, timeout=budget)
        return [] if match is None or not match.group() else [(0, match.group())]
    if starts is None:
        return _scan(pattern, text, lo, hi, budget, deadline)
    candidates: set[int] = set()
    for literal in starts:
        at = text.find(literal, lo, hi)
        while at >= 0:
            candidates.add(at)
            at = text.find(literal, at + 1, hi)
    if confirm is not None:
        candidates = {at for at in candidates if text.startswith(confirm, at, hi)}
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
        if match is not None and match.end() > at:
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
        if m.end() > m.start():  # an empty match is no match (see compiler.regex_problem)
            hits.append((m.start(), m.group()))
        if time.monotonic() > deadline:
            raise TimeoutError("regex time bound exceeded")
    return hits
