"""The compiled classifier: rules flattened into tables for the C kernel (_kernel.c).

The kernel computes the same verdicts, scores and evidence as the reference
implementation (match.py, doc.py, terms.py), which stays the executable definition
of the rule semantics: tests compare the two on corpora and on generated texts. The
kernel does the per-character work (clean-up, two automata, sentence and word
structure), the scoring on arrays, and builds the Classification itself (evidence
and snippets for the labels only); this module flattens the rules into its tables.
"""

from __future__ import annotations

import functools
import unicodedata
from array import array
from typing import TYPE_CHECKING

import monitor.classify._kernel as _kernel
from monitor.classify.doc import SNIPPET
from monitor.classify.regexes import regex_hits
from monitor.model import Classification, Evidence, Label

if TYPE_CHECKING:
    from monitor.classify.rules import CompiledClue, RuleSet, TermFilter

_WHERE = {"any": 0, "title": 1, "body": 2}
_UNIT = {"words": 0, "sentences": 1}
_KIND = {"terms": 0, "all": 1, "near": 2, "regex": 3}
_TENSE = {None: 0, "future": 1, "past": 2}


class Kernel:
    """A RuleSet compiled for the C kernel; raises OverflowError for rules too large."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._groups: dict[frozenset[int], int] = {}
        terms = rules.terms
        forms = [(f[0], int(f[1]), int(f[2]), f[3], f[4]) for f in terms.forms]
        forms = forms[: len(terms.surfaces)]
        ascii_words = [(s, i) for i, s in enumerate(terms.surfaces) if s.isascii()]
        wide_words = [(s, i) for i, s in enumerate(terms.surfaces) if not s.isascii()]
        topic = rules.topic
        topic_spec = (
            tuple(self._group(g) for _, g in topic.sides),
            topic.min_mentions,
            _within(topic.within) if topic.within is not None else None,
            self._filters(topic.none),
        )
        tense = rules.tense
        tense_spec = None
        if tense is not None:
            tense_spec = (self._group(tense.future), self._group(tense.past), _within(tense.within))
        self._clues: list[CompiledClue] = []
        index: dict[int, int] = {}
        types = []
        for ctype in rules.types:
            clue_ids = []
            for clue in ctype.clues:
                if id(clue) not in index:
                    index[id(clue)] = len(self._clues)
                    self._clues.append(clue)
                clue_ids.append(index[id(clue)])
            types.append(
                (
                    tuple(self._group(g) for g in ctype.require),
                    self._filters(ctype.none),
                    _TENSE[ctype.tense],
                    tuple(clue_ids),
                )
            )
        clues = tuple(
            (
                _KIND[c.kind],
                _WHERE[c.where],
                tuple(self._group(g) for g in c.groups),
                c.weight,
                self._group(c.none) if c.none else -1,
                c.min_sentences,
                _within(c.within),
                self._group(c.candidates) if c.candidates else -1,
            )
            for c in self._clues
        )
        term_groups: list[list[int]] = [[] for _ in rules.term_text]
        for group, gid in self._groups.items():
            for tid in group:
                term_groups[tid].append(gid)
        output = (
            Classification,
            Label,
            Evidence,
            tuple(rules.term_text),
            tuple(f"topic.{name}" for name, _ in topic.sides),
            tuple(t.id for t in rules.types),
            tuple(float(t.threshold) for t in rules.types),
            tuple(tuple(f"{t.id}.{c.name}" for c in t.clues) for t in rules.types),
            SNIPPET,
        )
        self._kernel = _kernel.Kernel(
            forms,
            ascii_words,
            wide_words,
            term_groups,
            len(self._groups),
            topic_spec,
            tense_spec,
            clues,
            tuple(types),
            rules.title_weight,
            output,
        )

    @property
    def states(self) -> tuple[int, int]:
        """Automaton states (ASCII forms, other forms)."""
        return self._kernel.states

    def _group(self, group: frozenset[int]) -> int:
        return self._groups.setdefault(group, len(self._groups))

    def _filters(self, filters: tuple[TermFilter, ...]) -> tuple[tuple[int, int], ...]:
        return tuple((self._group(f.ids), _WHERE[f.where]) for f in filters)

    def classify(self, title: str, text: str) -> Classification:
        """The same Classification as ``match.classify`` (evidence included)."""
        _tables()
        return self._kernel.classify(title, text, self._regex)

    def _regex(self, index: int, low: str, end: int) -> list[tuple[int, str]]:
        clue = self._clues[index]
        assert clue.regex is not None
        if clue.where == "title":
            lo, hi = 0, end
        else:
            lo, hi = (0 if clue.where == "any" else end + 1), len(low)
        return regex_hits(clue.regex, clue.starts, low, lo, hi)


@functools.cache
def _tables() -> None:
    """Give the kernel its character tables (once per process, on first use).

    NFKC: a BMP character is kept when NFKC keeps it and nothing before it can combine
    with it (not combining, not the second of a canonical composition, not a Hangul
    vowel or final jamo); it is mapped when its NFKC text is made of kept characters. A
    text of only such characters normalises character by character; any other goes to
    unicodedata. Lower case: the single-character lower case, except for Σ (its lower
    case depends on context) and characters whose lower case is longer."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for code in range(0x10000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    flags = bytearray(0x10000)
    lower = array("H", [0xFFFF]) * 0x10000
    changed: dict[int, str] = {}  # (only the characters NFKC changes: a few thousand)
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        low = char.lower()
        if len(low) == 1 and ord(low) < 0xFFFF and code != 0x3A3:
            lower[code] = ord(low)
        if code in seconds or unicodedata.combining(char):
            continue
        text = unicodedata.normalize("NFKC", char)
        if text == char:
            flags[code] = 1
        else:
            changed[code] = text
    mapped = {}
    for code, text in changed.items():
        if all(ord(c) < 0x10000 and flags[ord(c)] == 1 for c in text):
            flags[code] = 2
            mapped[code] = text
    _kernel.set_tables(bytes(flags), mapped, lower.tobytes())


def _within(within: tuple[int, str]) -> tuple[int, int]:
    return within[0], _UNIT[within[1]]
