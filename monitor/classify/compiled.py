"""Compiled rules: the data the matcher reads (compiler.py builds it from YAML).

Terms are ids into the rule set's :class:`~monitor.classify.terms.TermTable`; a group
of terms is a frozenset of ids. This module holds data only: it imports neither the
compiler nor the matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex

from monitor.classify.terms import TermTable
from monitor.model import EventKnowledge

Within = tuple[int, str]  # (count, "words" | "sentences")


@dataclass(frozen=True, slots=True)
class TermFilter:
    ids: frozenset[int]
    where: str  # any | title | body
    unless: tuple[frozenset[int], ...] = ()  # a term of each of these there too: no veto
    unless_where: str = "any"  # where the unless groups are looked for


@dataclass(frozen=True, slots=True)
class CompiledClue:
    name: str
    kind: str  # terms | all | near | regex
    groups: tuple[frozenset[int], ...]
    regex: regex.Pattern[str] | None
    starts: tuple[str, ...] | None  # literals every regex match starts with (regexes.py)
    within: Within
    where: str
    weight: float
    none: frozenset[int]
    min_sentences: int
    none_near: tuple[tuple[frozenset[int], Within], ...] = ()  # vetoes within a distance
    tense: str | None = None  # future | past: the tense of every match (else the cues')
    anchored: bool = False  # a regex that matches only at the start of the text (regexes.py)
    confirm: tuple[str, ...] | None = None  # longer literals a regex match starts with


@dataclass(frozen=True, slots=True)
class CompiledType:
    id: str
    description: str
    threshold: float
    tense: str | None
    require: tuple[frozenset[int], ...]
    none: tuple[TermFilter, ...]
    clues: tuple[CompiledClue, ...]
    lead: int | None = None  # a match in the title or the body's first ``lead`` sentences
    background: frozenset[int] | None = None  # past the lead: terms of a sentence that recalls
    stated_beside: frozenset[str] = frozenset()  # beside these types: an own-tense clue needed
    stated: frozenset[str] = frozenset()  # the evidence rules of its clues with their own tense


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    sides: tuple[tuple[str, frozenset[int]], ...]
    min_mentions: int
    within: Within | None
    none: tuple[TermFilter, ...]
    short_body: int | None = None  # a body this short needs one mention of a side


@dataclass(frozen=True, slots=True)
class CompiledTense:
    future: frozenset[int]
    past: frozenset[int]
    within: Within
    headline_future: bool = False  # an untensed Korean/Japanese headline: its lead's future


class CompiledRules:
    """A compiled rules file: term table, topic gate, event types and tense cues."""

    def __init__(
        self,
        *,
        path: Path,
        terms: TermTable,
        topic: CompiledTopic,
        types: tuple[CompiledType, ...],
        tense: CompiledTense | None,
        events: EventKnowledge | None = None,
        title_weight: float,
        fallback: float | None,
    ) -> None:
        self.path = path
        self.terms = terms
        self.term_text: tuple[str, ...] = terms.display
        self.topic = topic
        self.types = types
        self.tense = tense
        self.events = events or EventKnowledge()
        self.title_weight = title_weight
        self.fallback = fallback
        # the terms the topic gate reads: its decision and evidence need their hits only
        self.gate_terms = frozenset().union(
            *(group for _, group in topic.sides),
            *(f.ids for f in topic.none),
            *(g for f in topic.none for g in f.unless),
        )
        # The term groups of the clues, numbered: for each term id the numbers of the
        # groups that hold it, and for each type the numbers each of its clues needs
        # (an item's present groups then tell which clues can match, in one pass).
        numbered: dict[frozenset[int], int] = {}
        for ctype in types:
            for clue in ctype.clues:
                for group in clue.groups:
                    numbered.setdefault(group, len(numbered))
        holders: list[list[int]] = [[] for _ in terms.display]
        for group, number in numbered.items():
            for tid in group:
                holders[tid].append(number)
        self.groups_of: tuple[tuple[int, ...], ...] = tuple(map(tuple, holders))
        self.clue_needs: dict[str, tuple[frozenset[int], ...]] = {
            t.id: tuple(frozenset(numbered[g] for g in c.groups) for c in t.clues) for t in types
        }

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.types)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r}, types={len(self.types)})"
