"""One item being classified: its normalised text, term hits and lazy structure.

Sentence breaks, word offsets, group positions, nearest hits and tenses are computed
on first use and kept for the item, so types and clues that ask the same question
(the summit types share their clues) pay once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from re import Match

from monitor.classify.compiled import CompiledRules
from monitor.classify.terms import keep_cased, scan
from monitor.classify.text import SENTENCE_BREAK, normalize, word_starts

Hit = tuple[int, str]  # (position, matched term as written in the rules)

SNIPPET = 50  # characters of context on each side of a snippet


class Prepared:
    """An item's text as every rule set reads it: ``title + "\\n" + text`` normalised
    (``norm``, for snippets) and lower-cased (``low``, for matching)."""

    __slots__ = ("low", "norm", "title_end")

    def __init__(self, title: str, text: str) -> None:
        head, body = normalize(title), normalize(text)
        self.norm = head + "\n" + body
        self.low = self.norm.lower()
        if len(self.low) != len(self.norm):
            self.norm = self.low
        self.title_end = len(head)


class Doc:
    """One item being classified: normalised text, hits and lazily computed structure.

    ``hits`` (the term scan) may be given when it was made with an equal term table."""

    def __init__(
        self, rules: CompiledRules, item: Prepared, hits: dict[int, list[int]] | None = None
    ) -> None:
        self.norm, self.low, self.title_end = item.norm, item.low, item.title_end
        self.rules = rules
        self.hits = scan(rules.terms, self.low) if hits is None else hits
        if rules.terms.cased:  # case-sensitive terms (=US): only rules that have them pay
            self.hits = keep_cased(rules.terms, self.hits, self.norm)
        self.found = frozenset(self.hits)
        self._breaks: list[int] | None = None
        self._words: list[int] | None = None
        self._positions: dict[frozenset[int], tuple[list[int], list[int]]] = {}
        self._tense: dict[int, str | None] = {}
        self._nearest: dict[tuple[frozenset[int], int, tuple[int, str]], int | None] = {}
        self._hits_in: dict[tuple[frozenset[int], str], list[Hit]] = {}
        self.clues: dict[tuple[int, bool], list[Hit]] = {}

    def positions(self, group: frozenset[int]) -> tuple[list[int], list[int]]:
        """Sorted positions of the group's hits and the term id at each."""
        cached = self._positions.get(group)
        if cached is None:
            # (callers that look _positions up first skip this call when it is cached)
            hits = self.hits
            tids = group & self.found
            if len(tids) == 1:
                (tid,) = tids
                at = sorted(hits[tid])
                cached = (at, [tid] * len(at))
            else:
                pairs = sorted([(p, t) for t in tids for p in hits[t]])
                cached = ([p for p, _ in pairs], [t for _, t in pairs])
            self._positions[group] = cached
        return cached

    def present(self, group: frozenset[int], where: str = "any") -> bool:
        if self.found.isdisjoint(group):
            return False
        return where == "any" or bool(self.hits_in(group, where))

    def hits_in(self, group: frozenset[int], where: str) -> list[Hit]:
        """The group's hits in the title, the body or anywhere, in text order."""
        key = (group, where)
        hits = self._hits_in.get(key)
        if hits is None:
            pos, tids = self.positions(group)
            text = self.rules.term_text
            lo, hi = self.span(pos, where)
            hits = [(pos[i], text[tids[i]]) for i in range(lo, hi)]
            self._hits_in[key] = hits
        return hits

    def first_in(self, group: frozenset[int], where: str) -> Hit | None:
        """The group's first hit in the title, the body or anywhere."""
        pos, tids = self.positions(group)
        lo, hi = self.span(pos, where)
        return (pos[lo], self.rules.term_text[tids[lo]]) if lo < hi else None

    def span(self, pos: list[int], where: str) -> tuple[int, int]:
        """The index range of sorted positions ``pos`` that lie in ``where``."""
        if where == "any":
            return 0, len(pos)
        cut = bisect_left(pos, self.title_end)
        return (0, cut) if where == "title" else (cut, len(pos))

    def inside(self, pos: int, where: str) -> bool:
        if where == "any":
            return True
        return (pos < self.title_end) == (where == "title")

    def sentence(self, pos: int) -> int:
        if self._breaks is None:
            self._breaks = list(map(Match.start, SENTENCE_BREAK.finditer(self.low)))
        return bisect_right(self._breaks, pos)

    def close(self, a: int, b: int, within: tuple[int, str]) -> bool:
        count, unit = within
        if unit == "sentences":
            return abs(self.sentence(a) - self.sentence(b)) < count
        lo, hi = (a, b) if a <= b else (b, a)
        if hi - lo <= count:
            return True  # at most one word starts at each character
        if hi - lo > 25 * count + 30:
            return False
        words = self._words
        if words is None:
            words = self._words = word_starts(self.low)
        return bisect_left(words, hi) - bisect_left(words, lo) <= count

    def nearest(self, group: frozenset[int], pos: int, within: tuple[int, str]) -> int | None:
        """The hit of ``group`` nearest to ``pos`` when it is within range, else None.

        Of two hits at the same distance the earlier one is tried first."""
        key = (group, pos, within)
        result = self._nearest.get(key, -1)
        if result != -1:
            return result
        cached = self._positions.get(group)
        found = (cached if cached is not None else self.positions(group))[0]
        i = bisect_left(found, pos)
        if i == len(found):
            order = found[i - 1 :]  # empty when there are no hits
        elif i == 0:
            order = found[:1]
        else:
            before, after = found[i - 1], found[i]
            order = [before, after] if pos - before <= after - pos else [after, before]
        result = None
        count, unit = within
        for p in order:
            if unit == "words" and abs(p - pos) <= count:
                result = p  # at most one word starts at each character
                break
            if self.close(pos, p, within):
                result = p
                break
        self._nearest[key] = result
        return result

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
        return snippet(self.norm, pos)

    def where(self, pos: int) -> str:
        return "title" if pos < self.title_end else "body"


def snippet(norm: str, pos: int) -> str:
    """The normalised text around ``pos`` (title and body joined by " | ")."""
    start = max(0, pos - SNIPPET)
    text = norm[start : pos + SNIPPET + 10].replace("\n", " | ")
    return ("…" if start else "") + text.strip() + "…"
