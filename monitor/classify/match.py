"""Pure matching and scoring: (title, text, compiled rules) -> Classification.

Automaton passes over the normalised, lower-cased ``title + "\\n" + text`` find
every term hit (terms.py); everything after that is set work on term ids, and
proximity, sentence and tense checks run only on the few positions that need them
(doc.py keeps what they compute for the item).
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Mapping
from itertools import compress

from monitor.classify.compiled import (
    CompiledClue,
    CompiledRules,
    CompiledTopic,
    CompiledType,
    TermFilter,
)
from monitor.classify.doc import Doc, Hit, Prepared
from monitor.classify.regexes import REGEX_BUDGET, regex_hits
from monitor.classify.terms import scan_only, scan_rest
from monitor.log import log_event
from monitor.model import Classification, Evidence, Label

log = logging.getLogger(__name__)


def vetoed(doc: Doc, filters: tuple[TermFilter, ...]) -> Hit | None:
    """The first hit of a filter that vetoes: its terms are in its place (``where``) and
    its ``unless`` groups are not all in theirs (``unless_where``)."""
    for f in filters:
        found = doc.hits_in(f.ids, f.where) if not doc.found.isdisjoint(f.ids) else []
        if found and not (f.unless and all(doc.hits_in(g, f.unless_where) for g in f.unless)):
            return found[0]
    return None


def clue_hits(doc: Doc, clue: CompiledClue, first: bool = False) -> list[Hit]:
    """Where ``clue`` matches (before tense filtering), in text order; ``first``: stop at one.

    Types that share a clue (equal clues are one object after compiling) share the result."""
    found = doc.found
    for group in clue.groups:
        if found.isdisjoint(group):
            return []  # a term group of the clue is not in the text at all: no match
    key = (id(clue), first)
    hits = doc.clues.get(key)
    if hits is None:
        hits = doc.clues[key] = _clue_hits(doc, clue, first)
    return hits


def _clue_hits(doc: Doc, clue: CompiledClue, first: bool) -> list[Hit]:
    if first and clue.min_sentences <= 1 and clue.kind in ("terms", "near"):
        return _first_hit(doc, clue)
    if clue.kind == "regex":
        hits = _regex_hits(doc, clue)
    elif clue.kind == "terms":
        hits = doc.hits_in(clue.groups[0], clue.where)
    elif clue.kind == "all":
        hits = _all_hits(doc, clue)
    else:
        hits = _near_hits_of(doc, clue, _starts(doc, clue))
    hits = _unvetoed(doc, clue, hits)
    if clue.min_sentences > 1 and len({doc.sentence(p) for p, _ in hits}) < clue.min_sentences:
        return []
    return hits


def _starts(doc: Doc, clue: CompiledClue) -> list[Hit]:
    """The hits of a clue's first group where the clue applies (its candidate matches)."""
    return doc.hits_in(clue.groups[0], clue.where)


def _first_hit(doc: Doc, clue: CompiledClue) -> list[Hit]:
    """The first match of a terms or near clue (min_sentences 1), as a list of at most one.

    Each candidate (a hit of the first group) is kept or not on its own, so they are
    tried in text order in batches of growing size (1, 4, 16, ...): most clues need one
    or two, and the others are not looked at."""
    if clue.kind == "terms" and not clue.none and not clue.none_near:
        hit = doc.first_in(clue.groups[0], clue.where)
        return [hit] if hit is not None else []
    starts = _starts(doc, clue)
    near = clue.kind == "near"
    done, size = 0, 1
    while done < len(starts):
        batch = starts[done : done + size]
        if near:
            batch = _near_hits_of(doc, clue, batch)
        batch = _unvetoed(doc, clue, batch)
        if batch:
            return batch[:1]
        done += size
        size *= 4
    return []


def _unvetoed(doc: Doc, clue: CompiledClue, hits: list[Hit]) -> list[Hit]:
    """The matches ``hits`` of ``clue`` that its ``none`` terms do not veto."""
    if hits and clue.none and doc.present(clue.none):  # no hit of ``none`` in its sentence
        barred = doc.shares_sentence(clue.none, [p for p, _ in hits])
        hits = [h for h, vetoed in zip(hits, barred, strict=True) if not vetoed]
    for group, within in clue.none_near:
        if hits and doc.present(group):
            hits = [h for h in hits if not _none_near(doc, group, h[0], within)]
    return hits


def _regex_hits(doc: Doc, clue: CompiledClue) -> list[Hit]:
    assert clue.regex is not None
    lo, hi = {"any": (0, len(doc.low)), "title": (0, doc.title_end)}.get(
        clue.where, (doc.title_end + 1, len(doc.low))
    )
    try:
        return regex_hits(
            clue.regex, clue.starts, doc.low, lo, hi, anchored=clue.anchored, confirm=clue.confirm
        )
    except TimeoutError:  # this item's text is this pattern's worst case: no match, said
        log_event(
            log,
            logging.WARNING,
            "regex_clue_timed_out",
            clue=clue.name,
            pattern=clue.regex.pattern[:200],
            seconds=REGEX_BUDGET,
            title=doc.norm[: doc.title_end][:120],
            hint="the clue counts as not matching this item; simplify the pattern "
            "(nested repeats such as (a|aa)+ backtrack without end)",
        )
        return []


def _all_hits(doc: Doc, clue: CompiledClue) -> list[Hit]:
    if not all(doc.present(g, clue.where) for g in clue.groups):
        return []
    firsts = [doc.hits_in(g, clue.where)[0][1] for g in clue.groups]
    return [(p, " + ".join(firsts)) for p, _ in doc.hits_in(clue.groups[0], clue.where)]


def _near_hits_of(doc: Doc, clue: CompiledClue, hits: list[Hit]) -> list[Hit]:
    """The matches of near clue ``clue`` among ``hits`` of its first group: each with a
    term of every other group within ``clue.within``, in the same part (``in``)."""
    kept = [(pos, [term]) for pos, term in hits]
    text = doc.rules.term_text
    for group in clue.groups[1:]:
        if not kept:
            break
        found, tids = doc.positions(group)
        nearest = doc.nearest_each(group, [pos for pos, _ in kept], clue.within, clue.where)
        kept = [
            (pos, [*terms, text[tids[bisect_left(found, other)]]])
            for (pos, terms), other in zip(kept, nearest, strict=True)
            if other is not None
        ]
    return [(pos, " + ".join(terms)) for pos, terms in kept]


def _none_near(doc: Doc, group: frozenset[int], pos: int, within: tuple[int, str]) -> bool:
    """A hit of ``group`` within ``within`` of ``pos`` (in words: also in its sentence)."""
    found, _ = doc.positions(group)
    sentence = doc.sentence(pos)
    i = bisect_left(found, pos)
    for j in (i - 1, i):  # the nearest hit on each side; farther ones are neither closer
        if 0 <= j < len(found) and doc.close(pos, found[j], within):
            if within[1] == "sentences" or doc.sentence(found[j]) == sentence:
                return True
    return False


def match_tense(doc: Doc, clue: CompiledClue, pos: int) -> str | None:
    """The tense of a match of ``clue`` at ``pos``: the clue's own, else the nearest cue's."""
    return clue.tense if clue.tense is not None else doc.tense_at(pos)


def gate(
    doc: Doc, topic: CompiledTopic, why: list[str] | None = None
) -> tuple[bool, tuple[Evidence, ...]]:
    """The topic gate: every side mentioned enough, close enough, and no exclusion.

    ``why``, when given, receives the reasons it did not pass (for explanations)."""
    evidence: list[Evidence] = []
    ok = True
    found, title_end, text = doc.found, doc.title_end, doc.rules.term_text
    needed = topic.min_mentions
    if topic.short_body is not None and len(doc.low) - title_end - 1 <= topic.short_body:
        needed = 1  # a brief names each side once
    for name, group in topic.sides:
        if found.isdisjoint(group):
            if needed >= 1:
                ok = False
                if why is not None:
                    why.append(f"{name} is not mentioned")
            continue
        at, tids = doc.positions(group)  # a title hit, when there is one, comes first
        rule = f"topic.{name}"
        evidence.append(Evidence(rule, text[tids[0]], doc.where(at[0]), float(len(at))))
        if at[0] >= title_end and len(at) < needed:
            ok = False
            if why is not None:
                why.append(
                    f"{name} is not in the title and has {len(at)} of the {needed} "
                    "mentions the body needs (topic.min_mentions)"
                )
    if ok and topic.within is not None:
        ok = _sides_close(doc, topic)
        if not ok and why is not None:
            count, unit = topic.within
            why.append(f"the sides are never within {count} {unit} of each other (topic.within)")
    veto = vetoed(doc, topic.none)
    if veto is not None:
        evidence.append(
            Evidence("topic.none", veto[1], doc.where(veto[0]), 0.0, doc.snippet(veto[0]))
        )
        ok = False
        if why is not None:
            why.append(f"excluded by '{veto[1]}' in the {doc.where(veto[0])} (topic.none)")
    return ok, tuple(evidence)


def _sides_close(doc: Doc, topic: CompiledTopic) -> bool:
    assert topic.within is not None
    (_, anchor), *others = topic.sides
    for pos in doc.positions(anchor)[0]:
        if all(doc.nearest(g, pos, topic.within) is not None for _, g in others):
            return True
    return False


def tense_kept(
    doc: Doc, clue: CompiledClue, tense: str, hits: list[Hit], weights: dict[str, float]
) -> list[Hit]:
    """The clue's matches a type of ``tense`` keeps (uncued ones too); the clue's weight
    is shared out over its matches' cues in ``weights`` (future vs past).

    ``hits`` are the clue's matches (:func:`clue_hits`, kept per item), so their cues are
    worked out once per item for every type that reads them."""
    key = (id(clue), len(hits))
    cues = doc.cues.get(key)
    if cues is None:
        if clue.tense is not None:
            cues = [clue.tense] * len(hits)
        else:
            cues = doc.tenses([p for p, _ in hits])
        doc.cues[key] = cues
    for cue in cues:
        if cue is not None:
            weights[cue] += clue.weight / len(cues)
    return [h for h, cue in zip(hits, cues, strict=True) if cue in (None, tense)]


def score_type(doc: Doc, ctype: CompiledType) -> Label | None:
    """The label for one event type (below threshold included), or None when nothing matched."""
    if any(doc.found.isdisjoint(g) for g in ctype.require) or vetoed(doc, ctype.none):
        return None
    total, weights = 0.0, {"future": 0.0, "past": 0.0}
    evidence: list[Evidence] = []
    tenses: list[str | None] = []
    first = len(doc.low)  # where the earliest match that counted is (0: a clue stated it)
    cache = doc.clues
    present = doc.groups()  # the clues with a hit of each of their groups: only they can match
    for clue in compress(ctype.clues, map(present.issuperset, doc.rules.clue_needs[ctype.id])):
        key = (id(clue), ctype.tense is None and clue.min_sentences == 1)
        hits = cache.get(key)
        if hits is None:
            hits = cache[key] = _clue_hits(doc, clue, key[1])
        if not hits:
            continue
        if ctype.background is not None:
            hits = undated(doc, ctype, hits)
            if not hits:
                continue
        if ctype.tense is not None:
            hits = tense_kept(doc, clue, ctype.tense, hits, weights)
            if not hits:
                continue
        best = next((h for h in hits if h[0] < doc.title_end), hits[0])
        gain = clue.weight * (doc.rules.title_weight if best[0] < doc.title_end else 1.0)
        total += gain
        first = 0 if clue.tense is not None else min(first, hits[0][0])
        tenses.append(match_tense(doc, clue, best[0]))
        evidence.append(
            Evidence(
                f"{ctype.id}.{clue.name}", best[1], doc.where(best[0]), gain, doc.snippet(best[0])
            )
        )
    if not evidence or not tense_allows(ctype.tense, weights):
        return None
    if ctype.lead is not None and not doc.in_lead(first, ctype.lead):
        return None  # every match is deep in the body, none stating it: background
    return Label(ctype.id, round(min(1.0, total), 3), tuple(evidence), _tense(ctype, tenses))


def undated(doc: Doc, ctype: CompiledType, hits: list[Hit]) -> list[Hit]:
    """The matches ``hits`` (in text order) that count for ``ctype``: past the type's
    ``lead``, none in a sentence that one of its ``background`` terms dates as earlier
    ("last year", "3月には", "2019년"): such a sentence recalls its event, it does not
    report it."""
    background, lead = ctype.background, ctype.lead
    if background is None or lead is None:
        return hits
    end = doc.lead_end(lead)
    if hits[-1][0] < end or not doc.present(background):
        return hits
    dated = doc.dated(background)
    return [h for h in hits if h[0] < end or doc.sentence(h[0]) not in dated]


def tense_allows(tense: str | None, weights: dict[str, float]) -> bool:
    """Whether a type of ``tense`` may be assigned, given its clues' cue weights."""
    if tense == "future":
        return weights["future"] > weights["past"]
    if tense == "past":
        return weights["past"] >= weights["future"]
    return True


def _tense(ctype: CompiledType, marks: list[str | None]) -> str | None:
    if ctype.tense is not None:
        return ctype.tense
    future, past = marks.count("future"), marks.count("past")
    if future == past:
        return None
    return "future" if future > past else "past"


def classify(rules: CompiledRules, title: str, text: str) -> Classification:
    """Classify one item; labels are the types whose score reaches their threshold.

    The topic gate reads the hits of its own terms only, so they are found first, alone
    (``scan_only``: a smaller, faster automaton), and the other terms' only when the
    item passes (``scan_rest``): most items of a feed do not, and their verdict is the
    same without the other terms."""
    item = Prepared(title, text)
    terms, gate_terms = rules.terms, rules.gate_terms
    some = scan_only(terms, gate_terms, item.low)
    if some is None:
        return verdict(Doc(rules, item))
    passed, evidence = gate(Doc(rules, item, some), rules.topic)
    if not passed:
        return Classification(relevant=False, gate_evidence=evidence)
    return verdict(Doc(rules, item, scan_rest(terms, gate_terms, item.low, some)), (True, evidence))


def assigned(
    scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    fallback: float | None,
    headlined: bool,
) -> list[str]:
    """The types an item gets from its scores (in the order of ``scores``): those that
    reach their threshold (types without one: never). When none does and the item is
    ``headlined`` (its title names every side of the topic: an article about the
    relationship), its best-scoring type (the first of equals) if it reaches ``fallback``."""
    chosen = [t for t, score in scores.items() if score >= thresholds.get(t, 2.0)]
    if chosen or fallback is None or not headlined or not scores:
        return chosen
    best = max(scores, key=scores.__getitem__)  # max keeps the first of equals
    return [best] if scores[best] >= fallback else []


def stated(ctype: CompiledType, label: Label, chosen: list[str]) -> bool:
    """Whether ``label`` may stand beside the other types ``chosen``: when one of the
    type's ``stated_beside`` types is among them, one of its clues with their own tense
    must have counted (a held summit's report announces the next one in so many words)."""
    if ctype.stated_beside.isdisjoint(chosen):
        return True
    return any(e.rule in ctype.stated for e in label.evidence)


def headlined(gate_evidence: tuple[Evidence, ...]) -> bool:
    """Whether the topic gate found every side in the title (from its evidence: each
    side's first mention is a title one when the title has one)."""
    sides = [e for e in gate_evidence if e.rule != "topic.none"]
    return bool(sides) and all(e.where == "title" for e in sides)


def verdict(doc: Doc, gated: tuple[bool, tuple[Evidence, ...]] | None = None) -> Classification:
    """The classification of a prepared item with its rules (see :func:`classify`);
    ``gated``: the item's :func:`gate` result, when it is known."""
    rules = doc.rules
    relevant, gate_evidence = gate(doc, rules.topic) if gated is None else gated
    if not relevant:
        return Classification(relevant=False, gate_evidence=gate_evidence)
    found: dict[str, Label] = {}
    for ctype in rules.types:
        label = score_type(doc, ctype)
        if label is not None:
            found[ctype.id] = label
    scores = {t: label.score for t, label in found.items()}
    thresholds = {t.id: t.threshold for t in rules.types}
    on_title = headlined(gate_evidence)
    chosen = assigned(scores, thresholds, rules.fallback, on_title)
    unstated = [t for t in rules.types if t.id in chosen and not stated(t, found[t.id], chosen)]
    for ctype in unstated:  # not scored: beside the other type, its clues said too little
        del found[ctype.id], scores[ctype.id]
        chosen.remove(ctype.id)
    labels = [found[t] for t in chosen]
    return Classification(
        relevant=bool(labels), labels=tuple(labels), scores=scores, gate_evidence=gate_evidence
    )
