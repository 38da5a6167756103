"""One item being classified: its normalised text, term hits and lazy structure.

Sentence breaks, word offsets, group positions, nearest hits and tenses are computed
on first use and kept for the item, so types and clues that ask the same question
(the summit types share their clues) pay once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import partial
from itertools import chain, repeat
from re import Match

from monitor.classify.compiled import CompiledRules, CompiledTense
from monitor.classify.terms import keep_cased, keep_outside, scan
from monitor.classify.text import (
    CJK_OR_HANGUL,
    SENTENCE_BREAK,
    normalize,
    without_related,
    word_starts,
)

Hit = tuple[int, str]  # (position, matched term as written in the rules)

SNIPPET = 50  # characters of context on each side of a snippet
_FAR = 1 << 40  # farther than any two positions are apart


class Prepared:
    """An item's text as every rule set reads it: ``title + "\\n" + text`` (the text up to
    a heading of related stories: ``text.without_related``) normalised
    (``norm``, for snippets) and lower-cased (``low``, for matching), with its sentence
    breaks and word offsets worked out on first use: every :class:`Doc` of the item (the
    topic gate's and the whole scan's) shares them."""

    __slots__ = ("_breaks", "_words", "barred", "low", "norm", "title_end")

    def __init__(self, title: str, text: str) -> None:
        head, body = normalize(title), normalize(without_related(text))
        self.norm = head + "\n" + body
        low = self.norm.lower()
        if len(low) != len(self.norm):  # "İ" (the one letter whose lower case is two)
            low = self.norm.replace("\u0130", "i").lower()  # offsets stay those of norm
            if len(low) != len(self.norm):  # (another such letter: matched in lower case)
                self.norm = low
        self.low = low
        self.title_end = len(head)
        self._breaks: list[int] | None = None
        self._words: list[int] | None = None
        # the places inside the rules' not_inside words, by word list (terms.keep_outside)
        self.barred: dict[tuple[tuple[str, int], ...], set[int]] = {}

    def word_starts(self) -> list[int]:
        """The start offsets of the proximity words in ``low`` (``text.word_starts``)."""
        words = self._words
        if words is None:
            words = self._words = word_starts(self.low)
        return words

    def sentence_breaks(self) -> list[int]:
        """The offsets of the sentence breaks in ``low`` (``text.SENTENCE_BREAK``)."""
        breaks = self._breaks
        if breaks is None:
            breaks = self._breaks = list(map(Match.start, SENTENCE_BREAK.finditer(self.low)))
        return breaks


class Doc:
    """One item being classified: normalised text, hits and lazily computed structure.

    ``hits`` (the term scan) may be given when it was made with an equal term table."""

    def __init__(
        self, rules: CompiledRules, item: Prepared, hits: dict[int, list[int]] | None = None
    ) -> None:
        self.norm, self.low, self.title_end = item.norm, item.low, item.title_end
        self.item = item
        self.rules = rules
        self.hits = scan(rules.terms, self.low) if hits is None else hits
        if rules.terms.cased:  # case-sensitive terms (=US): only rules that have them pay
            self.hits = keep_cased(rules.terms, self.hits, self.norm)
        if rules.terms.inside:  # terms inside longer words (not_inside): the same
            self.hits = keep_outside(rules.terms, self.hits, self.low, item.barred)
        self.found = frozenset(self.hits)
        self._groups: frozenset[int] | None = None
        self._positions: dict[frozenset[int], tuple[list[int], list[int]]] = {}
        self._tense: dict[int, str | None] = {}  # tense_at of each position asked
        self._nearest: dict[
            tuple[frozenset[int], int, tuple[int, str], str | None], int | None
        ] = {}
        self._hits_in: dict[tuple[frozenset[int], str], list[Hit]] = {}
        self.clues: dict[tuple[int, bool], list[Hit]] = {}
        self.cues: dict[tuple[int, int], list[str | None]] = {}  # tense of each clue match
        self._lead_end: dict[int, int] = {}  # where the title and N body sentences end
        self._dated: dict[frozenset[int], frozenset[int]] = {}  # sentences with a hit

    def groups(self) -> frozenset[int]:
        """The numbers of the clue groups (``rules.groups_of``) with a hit in the item."""
        groups = self._groups
        if groups is None:
            holders = map(self.rules.groups_of.__getitem__, self.found)
            groups = self._groups = frozenset(chain.from_iterable(holders))
        return groups

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
            else:  # by position, then term id: a stable sort of the hits in id order
                places: list[int] = []
                ids: list[int] = []
                for tid in sorted(tids):
                    found = hits[tid]
                    places += found
                    ids += repeat(tid, len(found))
                order = sorted(range(len(places)), key=places.__getitem__)
                cached = (list(map(places.__getitem__, order)), list(map(ids.__getitem__, order)))
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
        return bisect_right(self.item.sentence_breaks(), pos)

    def in_lead(self, pos: int, sentences: int) -> bool:
        """Whether ``pos`` is in the title or in the body's first ``sentences`` sentences
        (the line break after the title is the body's first sentence break)."""
        return pos < self.lead_end(sentences)

    def lead_end(self, sentences: int) -> int:
        """Where the title and the body's first ``sentences`` sentences end: the break
        that ends the last of them (past the text when the body is shorter)."""
        end = self._lead_end.get(sentences)
        if end is None:
            breaks = self.item.sentence_breaks()
            last = self.sentence(self.title_end) + sentences - 1  # the break that ends the lead
            end = self._lead_end[sentences] = breaks[last] if last < len(breaks) else _FAR
        return end

    def dated(self, group: frozenset[int]) -> frozenset[int]:
        """The numbers (:meth:`sentence`) of the sentences with a hit of ``group``."""
        numbers = self._dated.get(group)
        if numbers is None:
            numbers = self._dated[group] = frozenset(map(self.sentence, self.positions(group)[0]))
        return numbers

    def close(self, a: int, b: int, within: tuple[int, str]) -> bool:
        """Whether positions ``a`` and ``b`` are within ``within`` of each other."""
        marks, index, steps, reach = self._scale(within)
        if reach >= 0 and abs(a - b) > reach:
            return False
        return abs(index(marks, a) - index(marks, b)) <= steps

    def _scale(
        self, within: tuple[int, str]
    ) -> tuple[list[int], Callable[[list[int], int], int], int, int]:
        """How ``within`` is measured: (marks, index, steps, reach). A position's number
        is ``index(marks, pos)`` (words: how many words start before it; sentences: how
        many sentence breaks are at or before it); two positions are within range when
        their numbers differ by at most ``steps`` and, when ``reach`` >= 0, they are at
        most ``reach`` characters apart (a word is rarely longer than 25 characters)."""
        count, unit = within
        if unit == "words":
            return self.item.word_starts(), bisect_left, count, 25 * count + 30
        return self.item.sentence_breaks(), bisect_right, count - 1, -1

    def nearest(
        self, group: frozenset[int], pos: int, within: tuple[int, str], inside: str | None = None
    ) -> int | None:
        """The hit of ``group`` nearest to ``pos`` when it is within range (and ``inside``
        the same part: see :meth:`nearest_each`), else None.

        Of two hits at the same distance the earlier one is tried first."""
        key = (group, pos, within, inside)
        result = self._nearest.get(key, -1)
        if result == -1:
            result = self._nearest[key] = self.nearest_each(group, [pos], within, inside)[0]
        return result

    def nearest_each(
        self,
        group: frozenset[int],
        at: list[int],
        within: tuple[int, str],
        inside: str | None = None,
    ) -> list[int | None]:
        """:meth:`nearest` for each of the sorted positions ``at``, in one pass. Only the
        hits just before and just after a position can be the nearest, so only their
        word (or sentence) numbers are looked up: the group's other hits cost nothing.

        ``inside``: only hits in the same part as the position count: ``"sentence"``
        (its sentence), ``"title"`` or ``"body"`` (that part of the item)."""
        found = self.positions(group)[0]
        if not found:
            return [None] * len(at)
        marks, index, steps, reach = self._scale(within)
        if reach < 0:
            reach = _FAR
        last = len(found)
        limits = self._limits(inside)
        out: list[int | None] = []
        # found[i - 1] < pos <= found[i]: the nearest hit on each side; the closer one is
        # tried first (the one before when they are as close)
        for pos, i in zip(at, map(partial(bisect_left, found), at), strict=True):
            if limits is None:
                before = found[i - 1] if i > 0 else None
                after = found[i] if i < last else None
            else:  # the nearest hits of the part on each side (the position may be outside it)
                start, end = limits(pos)
                b = bisect_left(found, end) - 1 if end <= pos else i - 1
                a = bisect_left(found, start) if start > pos else i
                before = found[b] if b >= 0 and found[b] >= start else None
                after = found[a] if a < last and found[a] < end else None
            if before is None:
                sides: tuple[int, ...] = () if after is None else (after,)
            elif after is None:
                sides = (before,)
            elif pos - before <= after - pos:
                sides = (before, after)
            else:
                sides = (after, before)
            number = -1
            for other in sides:
                if abs(other - pos) <= reach:
                    if number < 0:
                        number = index(marks, pos)
                    if abs(index(marks, other) - number) <= steps:
                        out.append(other)
                        break
            else:
                out.append(None)
        return out

    def _limits(self, inside: str | None) -> Callable[[int], tuple[int, int]] | None:
        """The span ``[start, end)`` of the part of the item a position is in, as a
        function of the position (see :meth:`nearest_each`); None for the whole item."""
        if inside is None or inside == "any":
            return None
        if inside == "title":
            return lambda pos: (0, self.title_end)
        if inside == "body":
            return lambda pos: (self.title_end, _FAR)
        breaks = self.item.sentence_breaks()
        count = len(breaks)

        def sentence(pos: int) -> tuple[int, int]:
            k = bisect_right(breaks, pos)  # breaks[k - 1] <= pos < breaks[k]
            return (breaks[k - 1] if k else 0), (breaks[k] if k < count else _FAR)

        return sentence

    def shares_sentence(self, group: frozenset[int], at: list[int]) -> list[bool]:
        """For each of the positions ``at``, whether a hit of ``group`` is in its sentence."""
        found = self.positions(group)[0]
        breaks = self.item.sentence_breaks()
        last, count = len(breaks), len(found)
        out = []
        for pos in at:
            k = bisect_right(breaks, pos)  # the sentence: breaks[k - 1] <= pos < breaks[k]
            j = bisect_left(found, breaks[k - 1]) if k else 0
            out.append(j < count and (k == last or found[j] < breaks[k]))
        return out

    def tense_at(self, pos: int) -> str | None:
        """ "future"/"past" from the nearest tense cue in the same sentence, else None."""
        if pos in self._tense:
            return self._tense[pos]
        return self.tenses([pos])[0]

    def tenses(self, at: list[int]) -> list[str | None]:
        """:meth:`tense_at` for each of the sorted positions ``at``: the nearest cue of
        each tense is looked up for all of them at once (:meth:`nearest_each`); of two
        cues in the sentence, the closer one counts (future when they are as close)."""
        known = self._tense
        todo = [p for p in at if p not in known]
        if todo:
            tense = self.rules.tense
            if tense is None:
                known.update(zip(todo, repeat(None)))
            else:
                future = self.nearest_each(tense.future, todo, tense.within, "sentence")
                past = self.nearest_each(tense.past, todo, tense.within, "sentence")
                for pos, cue, other in zip(todo, future, past, strict=True):
                    if cue is None and other is None:
                        known[pos] = None
                    elif cue is None or other is None:
                        known[pos] = "future" if other is None else "past"
                    else:  # of cues of both tenses, the closer (future when as close)
                        known[pos] = "future" if abs(cue - pos) <= abs(other - pos) else "past"
                if tense.headline_future and todo[0] < self.title_end:
                    untensed = [p for p in todo if p < self.title_end and known[p] is None]
                    if untensed and self._lead_future(tense):
                        known.update(zip(untensed, repeat("future")))
        return [known[p] for p in at]

    def _lead_future(self, tense: CompiledTense) -> bool:
        """Whether the headline is Korean or Japanese and the body's first sentence has
        future cues and no past one: such headlines drop the tense ("…총리와 정상회담",
        "…首脳会談"), and the sentence under them states it."""
        if not CJK_OR_HANGUL.search(self.low, 0, self.title_end):
            return False
        lead = [self.title_end]  # the title's line break begins the body's first sentence
        (future,) = self.shares_sentence(tense.future, lead)
        return future and not self.shares_sentence(tense.past, lead)[0]

    def snippet(self, pos: int) -> str:
        return snippet(self.norm, pos)

    def where(self, pos: int) -> str:
        return "title" if pos < self.title_end else "body"


def snippet(norm: str, pos: int) -> str:
    """The normalised text around ``pos`` (title and body joined by " | ")."""
    start = max(0, pos - SNIPPET)
    text = norm[start : pos + SNIPPET + 10].replace("\n", " | ")
    return ("…" if start else "") + text.strip() + "…"
