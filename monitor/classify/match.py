"""Pure matching and scoring: (title, text, compiled rules) -> Classification.

One automaton pass over the normalised, lower-cased ``title + "\\n" + text`` finds
every term hit; everything after that is set work on term ids, and proximity,
sentence and tense checks run only on the few positions that need them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from monitor.classify.text import SENTENCE_BREAK, normalize, word_starts
from monitor.model import Classification, Evidence, Label

if TYPE_CHECKING:
    from monitor.classify.rules import (
        CompiledClue,
        CompiledTopic,
        CompiledType,
        RuleSet,
        TermFilter,
    )

Hit = tuple[int, str]  # (position, matched term as written in the rules)

_LATIN = frozenset(
    [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("0"), ord("9") + 1)]
    + [chr(c) for c in range(0xC0, 0x250)]
)
_SNIPPET = 50


def scan(automaton: object, low: str) -> dict[int, list[int]]:
    """Term id -> start positions, word boundaries checked for Latin terms."""
    hits: dict[int, list[int]] = {}
    size = len(low)
    latin = _LATIN
    for end, (length, check_start, check_end, every, prefixed) in automaton.iter(low):  # type: ignore[attr-defined]
        start = end - length + 1
        if check_start and start and low[start - 1] in latin:
            continue
        ids = prefixed if check_end and end + 1 < size and low[end + 1] in latin else every
        for tid in ids:
            found = hits.get(tid)
            if found is None:
                hits[tid] = [start]
            else:
                found.append(start)
    return hits


class Doc:
    """One item being classified: normalised text, hits and lazily computed structure."""

    def __init__(self, rules: RuleSet, title: str, text: str) -> None:
        head, body = normalize(title), normalize(text)
        self.norm = head + "\n" + body
        self.low = self.norm.lower()
        if len(self.low) != len(self.norm):
            self.norm = self.low
        self.title_end = len(head)
        self.rules = rules
        self.hits = scan(rules.automaton, self.low)
        self._breaks: list[int] | None = None
        self._words: list[int] | None = None
        self._positions: dict[frozenset[int], tuple[list[int], list[int]]] = {}
        self._tense: dict[int, str | None] = {}

    def positions(self, group: frozenset[int]) -> tuple[list[int], list[int]]:
        """Sorted positions of the group's hits and the term id at each."""
        cached = self._positions.get(group)
        if cached is None:
            pairs = sorted((p, t) for t in group.intersection(self.hits) for p in self.hits[t])
            cached = ([p for p, _ in pairs], [t for _, t in pairs])
            self._positions[group] = cached
        return cached

    def present(self, group: frozenset[int], where: str = "any") -> bool:
        if self.hits.keys().isdisjoint(group):
            return False
        return where == "any" or bool(self.hits_in(group, where))

    def hits_in(self, group: frozenset[int], where: str) -> list[Hit]:
        pos, tids = self.positions(group)
        text = self.rules.term_text
        return [(p, text[t]) for p, t in zip(pos, tids, strict=True) if self.inside(p, where)]

    def inside(self, pos: int, where: str) -> bool:
        if where == "any":
            return True
        return (pos < self.title_end) == (where == "title")

    def sentence(self, pos: int) -> int:
        if self._breaks is None:
            self._breaks = [m.start() for m in SENTENCE_BREAK.finditer(self.low)]
        return bisect_right(self._breaks, pos)

    def close(self, a: int, b: int, within: tuple[int, str]) -> bool:
        count, unit = within
        if unit == "sentences":
            return abs(self.sentence(a) - self.sentence(b)) < count
        lo, hi = (a, b) if a <= b else (b, a)
        if hi - lo > 25 * count + 30:
            return False
        if self._words is None:
            self._words = word_starts(self.low)
        return bisect_left(self._words, hi) - bisect_left(self._words, lo) <= count

    def nearest(self, group: frozenset[int], pos: int, within: tuple[int, str]) -> int | None:
        """The hit of ``group`` nearest to ``pos`` when it is within range, else None."""
        found, _ = self.positions(group)
        if not found:
            return None
        i = bisect_left(found, pos)
        best = [found[j] for j in (i - 1, i) if 0 <= j < len(found)]
        best.sort(key=lambda p: abs(p - pos))
        for p in best:
            if self.close(pos, p, within):
                return p
        return None

    def tense_at(self, pos: int) -> str | None:
        """ "future"/"past" from the nearest tense cue in the same sentence, else None."""
        if pos in self._tense:
            return self._tense[pos]
        tense = self.rules.tense
        result: str | None = None
        if tense is not None:
            sentence = self.sentence(pos)
            candidates = []
            for name, group in (("future", tense.future), ("past", tense.past)):
                cue = self.nearest(group, pos, tense.within)
                if cue is not None and self.sentence(cue) == sentence:
                    candidates.append((abs(cue - pos), name))
            result = min(candidates)[1] if candidates else None
        self._tense[pos] = result
        return result

    def snippet(self, pos: int) -> str:
        start = max(0, pos - _SNIPPET)
        text = self.norm[start : pos + _SNIPPET + 10].replace("\n", " | ")
        return ("…" if start else "") + text.strip() + "…"

    def where(self, pos: int) -> str:
        return "title" if pos < self.title_end else "body"


def vetoed(doc: Doc, filters: tuple[TermFilter, ...]) -> Hit | None:
    for f in filters:
        found = doc.hits_in(f.ids, f.where) if not doc.hits.keys().isdisjoint(f.ids) else []
        if found:
            return found[0]
    return None


def clue_hits(doc: Doc, clue: CompiledClue, first: bool = False) -> list[Hit]:
    """Where ``clue`` matches (before tense filtering), in text order; ``first``: stop at one."""
    if clue.kind == "regex":
        hits = _regex_hits(doc, clue)
    elif clue.kind == "terms":
        hits = doc.hits_in(clue.groups[0], clue.where) if doc.present(clue.groups[0]) else []
    elif clue.kind == "all":
        hits = _all_hits(doc, clue)
    else:
        hits = _near_hits(doc, clue, first and not clue.none)
    if hits and clue.none and doc.present(clue.none):
        hits = [h for h in hits if not _same_sentence_as(doc, clue.none, h[0])]
    if clue.min_sentences > 1 and len({doc.sentence(p) for p, _ in hits}) < clue.min_sentences:
        return []
    return hits


def _regex_hits(doc: Doc, clue: CompiledClue) -> list[Hit]:
    assert clue.regex is not None
    lo, hi = {"any": (0, len(doc.low)), "title": (0, doc.title_end)}.get(
        clue.where, (doc.title_end + 1, len(doc.low))
    )
    return [(m.start(), m.group()) for m in clue.regex.finditer(doc.low, lo, hi)]


def _all_hits(doc: Doc, clue: CompiledClue) -> list[Hit]:
    if not all(doc.present(g, clue.where) for g in clue.groups):
        return []
    firsts = [doc.hits_in(g, clue.where)[0][1] for g in clue.groups]
    return [(p, " + ".join(firsts)) for p, _ in doc.hits_in(clue.groups[0], clue.where)]


def _near_hits(doc: Doc, clue: CompiledClue, first: bool) -> list[Hit]:
    if not all(doc.present(g) for g in clue.groups):
        return []
    out: list[Hit] = []
    text = doc.rules.term_text
    for pos, term in doc.hits_in(clue.groups[0], clue.where):
        terms = [term]
        for group in clue.groups[1:]:
            other = doc.nearest(group, pos, clue.within)
            if other is None:
                break
            found, tids = doc.positions(group)
            terms.append(text[tids[bisect_left(found, other)]])
        else:
            out.append((pos, " + ".join(terms)))
            if first:
                break
    return out


def _same_sentence_as(doc: Doc, group: frozenset[int], pos: int) -> bool:
    found, _ = doc.positions(group)
    sentence = doc.sentence(pos)
    i = bisect_left(found, pos)
    return any(doc.sentence(found[j]) == sentence for j in (i - 1, i) if 0 <= j < len(found))


def gate(doc: Doc, topic: CompiledTopic) -> tuple[bool, tuple[Evidence, ...]]:
    """The topic gate: every side mentioned enough, close enough, and no exclusion."""
    evidence: list[Evidence] = []
    ok = True
    for name, group in topic.sides:
        found = doc.hits_in(group, "any")
        in_title = [h for h in found if h[0] < doc.title_end]
        if found:
            first = (in_title or found)[0]
            evidence.append(
                Evidence(f"topic.{name}", first[1], doc.where(first[0]), float(len(found)))
            )
        if not in_title and len(found) < topic.min_mentions:
            ok = False
    if ok and topic.within is not None:
        ok = _sides_close(doc, topic)
    veto = vetoed(doc, topic.none)
    if veto is not None:
        evidence.append(
            Evidence("topic.none", veto[1], doc.where(veto[0]), 0.0, doc.snippet(veto[0]))
        )
        ok = False
    return ok, tuple(evidence)


def _sides_close(doc: Doc, topic: CompiledTopic) -> bool:
    assert topic.within is not None
    (_, anchor), *others = topic.sides
    for pos in doc.positions(anchor)[0]:
        if all(doc.nearest(g, pos, topic.within) is not None for _, g in others):
            return True
    return False


def score_type(doc: Doc, ctype: CompiledType) -> Label | None:
    """The label for one event type (below threshold included), or None when nothing matched."""
    if any(doc.hits.keys().isdisjoint(g) for g in ctype.require) or vetoed(doc, ctype.none):
        return None
    total, weights = 0.0, {"future": 0.0, "past": 0.0}
    evidence: list[Evidence] = []
    tenses: list[int] = []
    for clue in ctype.clues:
        hits = clue_hits(doc, clue, first=ctype.tense is None and clue.min_sentences == 1)
        if not hits:
            continue
        if ctype.tense is not None:
            marked = [(h, doc.tense_at(h[0])) for h in hits]
            for _, tense in marked:
                if tense is not None:
                    weights[tense] += clue.weight / len(marked)
            hits = [h for h, tense in marked if tense in (None, ctype.tense)]
            if not hits:
                continue
        best = next((h for h in hits if h[0] < doc.title_end), hits[0])
        gain = clue.weight * (doc.rules.title_weight if best[0] < doc.title_end else 1.0)
        total += gain
        tenses.append(best[0])
        evidence.append(
            Evidence(
                f"{ctype.id}.{clue.name}", best[1], doc.where(best[0]), gain, doc.snippet(best[0])
            )
        )
    if not evidence or not _tense_allows(ctype.tense, weights):
        return None
    return Label(ctype.id, round(min(1.0, total), 3), tuple(evidence), _tense(doc, ctype, tenses))


def _tense_allows(tense: str | None, weights: dict[str, float]) -> bool:
    if tense == "future":
        return weights["future"] > weights["past"]
    if tense == "past":
        return weights["past"] >= weights["future"]
    return True


def _tense(doc: Doc, ctype: CompiledType, positions: list[int]) -> str | None:
    if ctype.tense is not None:
        return ctype.tense
    marks = [doc.tense_at(p) for p in positions]
    future, past = marks.count("future"), marks.count("past")
    if future == past:
        return None
    return "future" if future > past else "past"


def classify(rules: RuleSet, title: str, text: str) -> Classification:
    """Classify one item; labels are the types whose score reaches their threshold."""
    doc = Doc(rules, title, text)
    relevant, gate_evidence = gate(doc, rules.topic)
    if not relevant:
        return Classification(relevant=False, gate_evidence=gate_evidence)
    labels: list[Label] = []
    scores: dict[str, float] = {}
    for ctype in rules.types:
        label = score_type(doc, ctype)
        if label is None:
            continue
        scores[ctype.id] = label.score
        if label.score >= ctype.threshold:
            labels.append(label)
    return Classification(
        relevant=bool(labels), labels=tuple(labels), scores=scores, gate_evidence=gate_evidence
    )
