"""Near misses: why a type that nearly matched an item was not assigned.

For every type that was not assigned but either scored above 0 (below its threshold),
had a clue that matched before a filter removed it, or has a ``near`` clue with a term of
every group in the text, never within reach (and, when the item passed the topic gate
and no type scored at all, every type with a clue partly present: some of its term
groups in the text), :func:`near_misses` says what each
clue did: matched (and what it added), or why not: a term group absent, or not within
reach of the clue's first group (``near``); matches only outside the clue's ``in``;
every match in a sentence with a ``none`` term (or near one); too few sentences (``min_sentences``);
every match cued with the other tense. It also says when the whole type was blocked: an
``all`` group of the type missing, a type ``none`` term present, the tense balance,
every match after the type's ``lead``, or no clue of its own tense beside a type of its
``stated_beside``.

This is an explanation only: it re-reads the item with the reference matching functions
(match.py, doc.py) and never changes a verdict. Its scores are the classifier's (tests
compare them on the labelled corpora).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from monitor.classify.doc import Doc, Hit, Prepared
from monitor.classify.match import clue_hits, gate, tense_allows, tense_kept, undated, vetoed
from monitor.classify.match import verdict as verdict_of
from monitor.model import Classification

if TYPE_CHECKING:
    from monitor.classify.compiled import CompiledClue, CompiledRules, CompiledType

SHOWN_TERMS = 3  # terms of a group named in an explanation


@dataclass(frozen=True, slots=True)
class ClueCheck:
    """What one clue of a type did on the item."""

    rule: str  # "type.clue name"
    kind: str  # terms | all | near | regex
    gain: float  # what it added to the score (0 when it did not count)
    term: str = ""  # the matched term(s), when it counted
    where: str = ""  # title | body, when it counted
    reason: str = ""  # why it did not count ("" when it did)
    close: bool = False  # it matched before a filter (in, none, min_sentences, tense) removed it
    absent: bool = False  # not one term of any of its groups is in the item (or regex: no match)
    apart: bool = False  # a near clue with a term of every group in the item, never in reach
    at: int = -1  # where its first match that counted is (-1 when it did not count)

    @property
    def matched(self) -> bool:
        return not self.reason


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A type that was not assigned, with what each of its clues did."""

    event_type: str
    threshold: float
    score: float | None  # the classifier's score; None when the type was not scored
    clue_score: float  # the capped sum of the clues that counted
    blocked: str  # why the type scored nothing although clues counted ("" when not)
    clues: tuple[ClueCheck, ...]


def near_misses(
    rules: CompiledRules, title: str, text: str, verdict: Classification | None = None
) -> list[NearMiss]:
    """The near misses of one item (none when the topic gate fails), in rule order."""
    doc = Doc(rules, Prepared(title, text))
    passed, _ = gate(doc, rules.topic)
    if not passed:
        return []
    if verdict is None:
        verdict = verdict_of(Doc(rules, Prepared(title, text)))
    assigned, scores = set(verdict.types), verdict.scores
    keep: list[CompiledClue] = []  # variants stay alive: doc caches clue hits by id()
    out: list[NearMiss] = []
    for ctype in rules.types:
        if ctype.id in assigned:
            continue
        miss = replace(_check_type(doc, ctype, keep, assigned), score=scores.get(ctype.id))
        if miss.clue_score > 0 or any(c.close or c.apart for c in miss.clues):
            out.append(miss)
        elif not scores and any(not c.absent for c in miss.clues):
            out.append(miss)  # nothing scored: what each type had of its clues
    return out


def gate_reasons(rules: CompiledRules, title: str, text: str) -> list[str]:
    """Why the item does not pass the topic gate of ``rules``; empty when it passes (for
    :func:`~monitor.classify.explain.explain`)."""
    why: list[str] = []
    gate(Doc(rules, Prepared(title, text)), rules.topic, why)
    return why


def _check_type(
    doc: Doc, ctype: CompiledType, keep: list[CompiledClue], assigned: set[str]
) -> NearMiss:
    weights = {"future": 0.0, "past": 0.0}
    checks = [_check_clue(doc, ctype, clue, weights, keep) for clue in ctype.clues]
    total = round(min(1.0, sum(c.gain for c in checks)), 3)
    blocked = ""
    missing = [i for i, g in enumerate(ctype.require) if doc.found.isdisjoint(g)]
    veto = vetoed(doc, ctype.none)
    if missing:
        i = missing[0]
        blocked = f"no term of its `all` group {i + 1} ({_terms(doc, ctype.require[i])})"
    elif veto is not None:
        blocked = f"vetoed by '{veto[1]}' in the {doc.where(veto[0])} (the type's `none`)"
    elif total > 0 and not tense_allows(ctype.tense, weights):
        need = "outweigh" if ctype.tense == "future" else "weigh at least as much as"
        want, other = ("future", "past") if ctype.tense == "future" else ("past", "future")
        blocked = (
            f"its {want}-cued matches ({weights[want]:.2f}) must {need} "
            f"its {other}-cued ones ({weights[other]:.2f})"
        )
    elif (
        total > 0
        and ctype.lead is not None
        and not doc.in_lead(_first(checks, ctype.stated), ctype.lead)
    ):
        blocked = (
            f"every match lies after the body's first {ctype.lead} sentences, none of a "
            "clue with its own tense (the type's `lead`: background of other news)"
        )
    elif total >= ctype.threshold and not ctype.stated_beside.isdisjoint(assigned):
        if not any(c.matched and c.rule in ctype.stated for c in checks):
            beside = ", ".join(sorted(ctype.stated_beside & assigned))
            blocked = (
                f"beside {beside}, none of its clues with their own tense matched "
                "(the type's `stated_beside`)"
            )
    scored = total > 0 and not blocked
    return NearMiss(
        ctype.id, ctype.threshold, total if scored else None, total, blocked, tuple(checks)
    )


def _first(checks: list[ClueCheck], stated: frozenset[str]) -> int:
    """Where the earliest match of the clues that counted is (0 when one with its own
    tense counted: its phrase states the event wherever it is)."""
    return min(0 if c.rule in stated else c.at for c in checks if c.matched)


def _check_clue(
    doc: Doc,
    ctype: CompiledType,
    clue: CompiledClue,
    weights: dict[str, float],
    keep: list[CompiledClue],
) -> ClueCheck:
    rule, kind = f"{ctype.id}.{clue.name}", clue.kind
    anywhere = replace(clue, none=frozenset(), none_near=(), min_sentences=1, where="any")
    placed = replace(clue, none=frozenset(), none_near=(), min_sentences=1)
    unvetoed = replace(clue, min_sentences=1)
    keep += (anywhere, placed, unvetoed)
    if not clue_hits(doc, anywhere):
        absent = clue.kind == "regex" or all(doc.found.isdisjoint(g) for g in clue.groups)
        apart = clue.kind == "near" and not any(doc.found.isdisjoint(g) for g in clue.groups)
        reason = _absent(doc, clue)
        return ClueCheck(rule, kind, 0.0, reason=reason, absent=absent, apart=apart)
    found = clue_hits(doc, placed)
    if not found:
        other = "body" if clue.where == "title" else "title"
        return ClueCheck(rule, kind, 0.0, reason=f"matches only in the {other}", close=True)
    if not clue_hits(doc, unvetoed):
        reason = _veto_reason(doc, clue, found[0][0])
        return ClueCheck(rule, kind, 0.0, reason=reason, close=True)
    hits = clue_hits(doc, clue)
    if not hits:
        n = len({doc.sentence(p) for p, _ in found})
        reason = f"matches in {n} sentence{'s' * (n != 1)}; needs {clue.min_sentences}"
        return ClueCheck(rule, kind, 0.0, reason=reason, close=True)
    if ctype.background is not None:
        kept = undated(doc, ctype, hits)
        if not kept:
            reason = (
                f"{'its match lies' if len(hits) == 1 else f'all {len(hits)} matches lie'} "
                "past the type's lead in a sentence dated as earlier (its `background`)"
            )
            return ClueCheck(rule, kind, 0.0, reason=reason, close=True)
        hits = kept
    if ctype.tense is not None:
        n = len(hits)
        hits = tense_kept(doc, clue, ctype.tense, hits, weights)
        if not hits:
            other = "past" if ctype.tense == "future" else "future"
            reason = f"{'its match is' if n == 1 else f'all {n} matches are'} {other}-cued"
            return ClueCheck(rule, kind, 0.0, reason=reason, close=True)
    best = _best(doc, hits)
    gain = clue.weight * (doc.rules.title_weight if best[0] < doc.title_end else 1.0)
    return ClueCheck(rule, kind, gain, term=best[1], where=doc.where(best[0]), at=hits[0][0])


def _best(doc: Doc, hits: list[Hit]) -> Hit:
    return next((h for h in hits if h[0] < doc.title_end), hits[0])


def _absent(doc: Doc, clue: CompiledClue) -> str:
    """Why a clue does not match anywhere in the item."""
    if clue.kind == "regex":
        return "its pattern does not match"
    missing = [i for i, g in enumerate(clue.groups) if doc.found.isdisjoint(g)]
    if clue.kind == "terms":
        return "none of its terms appear"
    if missing:
        return "; ".join(
            f"no term of group {i + 1} ({_terms(doc, clue.groups[i])})" for i in missing
        )
    # near: every group is present, but never all of them close to one first-group match
    count, unit = clue.within
    best: tuple[int, Hit, list[int]] | None = None
    for hit in doc.hits_in(clue.groups[0], "any"):
        far = [
            i
            for i, g in enumerate(clue.groups[1:], start=1)
            if doc.nearest(g, hit[0], clue.within, clue.where) is None
        ]
        if best is None or len(far) < best[0]:
            best = (len(far), hit, far)
    assert best is not None
    _, (pos, term), far = best
    groups = ", ".join(f"group {i + 1} ({_terms(doc, clue.groups[i])})" for i in far)
    return f"'{term}' ({doc.where(pos)}) has no term of {groups} within {count} {unit}"


def _veto_reason(doc: Doc, clue: CompiledClue, pos: int) -> str:
    """Why the match at ``pos`` was vetoed: the `none` term in its sentence, or near it."""
    sentence = doc.sentence(pos)
    if clue.none and doc.present(clue.none):
        for p, term in doc.hits_in(clue.none, "any"):
            if doc.sentence(p) == sentence:
                return f"every match shares a sentence with '{term}' (its `none`)"
    for group, within in clue.none_near:
        if not doc.present(group):
            continue
        for p, term in doc.hits_in(group, "any"):
            if doc.close(pos, p, within) and (
                within[1] == "sentences" or doc.sentence(p) == sentence
            ):
                count, unit = within
                return f"every match has '{term}' within {count} {unit} (its `none`)"
    return "every match is vetoed by its `none`"


def _terms(doc: Doc, group: frozenset[int]) -> str:
    text = doc.rules.term_text
    names = [text[t] for t in sorted(group)]
    more = ", …" if len(names) > SHOWN_TERMS else ""
    return ", ".join(names[:SHOWN_TERMS]) + more


def format_near_misses(misses: list[NearMiss]) -> str:
    """Text for `stmon classify`: each near miss, its clues that counted and those that did not."""
    if not misses:
        return ""
    lines = ["near misses:"]
    for miss in misses:
        if miss.score is not None:
            head = f"{miss.event_type} {miss.score:.2f}, below its threshold {miss.threshold:.2f}"
        elif miss.blocked:
            head = (
                f"{miss.event_type} not scored (its clues would give {miss.clue_score:.2f}; "
                f"threshold {miss.threshold:.2f}): {miss.blocked}"
            )
        else:
            head = f"{miss.event_type} not scored (threshold {miss.threshold:.2f})"
        lines.append("  " + head)
        for check in miss.clues:
            if check.matched:
                lines.append(f"    + {check.rule} +{check.gain:.2f} {check.where}: '{check.term}'")
        for check in miss.clues:
            if not check.matched and not check.absent:
                lines.append(f"    - {check.rule} ({check.kind}): {check.reason}")
        absent = [c.rule.split(".", 1)[1] for c in miss.clues if c.absent]
        if absent:
            lines.append(f"    - not in the text at all: {', '.join(absent)}")
    return "\n".join(lines)
