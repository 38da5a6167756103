"""The term table: every distinct term gets an id; its surface forms go into the automata.

Surface forms of a term (all normalised, see ``text.normalize``):
- Latin-script terms: as written, plus simple plurals of the last word (summit →
  summits, ally → allies, coach → coaches) and, for hyphenated words, the spaced and
  joined forms (Jae-myung → Jae Myung, Jaemyung). They match on word boundaries.
- A trailing ``*`` makes a Latin term a prefix (``negotiat*``): no boundary at the end.
- A leading ``=`` makes a Latin term case-sensitive (``=US`` is not the pronoun *us*):
  it is found like the others, and :func:`keep_cased` then keeps only the hits whose
  normalised (not lower-cased) text is written as the term is.
- Korean and Japanese terms match as substrings (particles attach: 일본과, 일본은);
  a space in them is optional (``전화 회담`` also matches ``전화회담``).
- A leading ``^`` makes a Korean term start a word (``^스가``: 스가 총리, 스가는, 日스가,
  but not 버스가 or 서비스가): the character before a hit is not Hangul, a Latin letter
  or a digit. Particles still attach at the end.
- Words a term is inside without meaning it (the rules' ``not_inside``: 日韓 in 在日韓国人,
  "Korean residents of Japan"): :func:`keep_outside` drops the hits of the term that lie
  inside one of them. Japanese has no word boundaries to check instead.

Each surface form has ``(length, check_start, check_end, ids, prefix_ids, word_start_ids)``
(the automata store its index in ``forms``): after a hit, the start boundary is checked
when ``check_start``; ``ids`` count when the end boundary holds (or ``check_end`` is
false), ``prefix_ids`` count regardless, and ``word_start_ids`` (Korean terms with ``^``)
only when the hit starts a word.

Speed: the forms are found by ``ahocorasick_rs`` (the Rust aho-corasick crate, a
compiled automaton, a contiguous NFA, that reports every overlapping match with
character offsets), one pass for every script. Texts that cannot be
encoded (lone surrogates) use ``plain``, pyahocorasick's automaton of the same forms.
Hits are grouped per surface form before they are checked and added, which keeps the
Python work per hit small. ``classify`` scans in two parts instead (``scan_only``, then
``scan_rest``): the forms of the topic gate's terms with a DFA of their own, and the
other forms only for an item that passes the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

import ahocorasick
import ahocorasick_rs

from monitor.classify.text import (
    CJK_OR_HANGUL,
    is_cjk_or_hangul,
    is_hangul,
    is_latin,
    normalize,
)

T = TypeVar("T")
_PLURAL_ES = ("s", "x", "z", "ch", "sh")
_FORM = itemgetter(0)
_START = itemgetter(1)
_NOTHING = (1, False, False, (), (), ())

# (length, check_start, check_end, ids, prefix_ids, word_start_ids) of one surface form
Form = tuple[int, bool, bool, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
_LATIN = frozenset(
    [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("0"), ord("9") + 1)]
    + [chr(c) for c in range(0xC0, 0x250)]
)
# What continues a word after a Latin-script term: also "$" ("US$10" is dollars, not
# the United States; "HK$", "NT$" the same)
_GOES_ON = _LATIN | frozenset("$")


def parse_term(term: str) -> tuple[str, str, str, bool, bool, bool]:
    """A rules term as (key, written term, matched base, ^, =, trailing *): ValueError when
    it is unusable (``TermTable.add`` adds it; a rules check of an unused list reads it)."""
    started = term.lstrip().startswith("^")
    if started:
        term = term.lstrip()[1:]
        written = normalize(term.strip())
        # Hangul first, or digits before it (^3자: "three-way", not the inside of 제3자)
        if not is_hangul(written.lstrip("0123456789")[:1]):
            raise ValueError(
                f"'^{term}': a leading ^ only applies to Korean terms "
                "(Latin-script terms match whole words already)"
            )
    cased = term.lstrip().startswith("=")
    if cased:
        term = term.lstrip()[1:]
        if not term.strip() or not is_latin(normalize(term.strip()).lower()[0]):
            raise ValueError(f"'={term}': a leading = only applies to Latin-script terms")
    prefix = term.rstrip().endswith("*")
    base = normalize(term.rstrip().rstrip("*") if prefix else term).lower()
    if not base:
        raise ValueError(f"empty term {term!r}")
    if prefix and not is_latin(base[-1]):
        raise ValueError(f"'{term}': a trailing * only applies to Latin-script words")
    if len(base) < 2 and not is_cjk_or_hangul(base):
        raise ValueError(f"term '{term}' is too short (one Latin character)")
    key = ("=" + normalize(term.strip()) if cased else base) + ("*" if prefix else "")
    key = "^" + key if started else key
    return key, term, base, started, cased, prefix


class TermTable:
    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._display: list[str] = []
        self._surfaces: dict[str, tuple[set[int], set[int], set[int]]] = {}
        self.forms: list[Form] = []
        self.surfaces: list[str] = []  # the surface of each form (forms[i] is surfaces[i])
        self.cased: dict[int, tuple[str, ...]] = {}  # case-sensitive term id -> its forms
        # term id -> (word, offset of the term in it): hits inside those words do not count
        self.inside: dict[int, tuple[tuple[str, int], ...]] = {}
        self.fast: Any = None  # ahocorasick_rs automaton of the forms
        self.plain: Any = None  # pyahocorasick's, for text with lone surrogates
        # scan_only / scan_rest: ids -> (automaton of the forms of terms ids, form of each
        # pattern, automaton of the other forms, form of each pattern)
        self.subsets: dict[frozenset[int], tuple[Any, tuple[int, ...], Any, tuple[int, ...]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its automata (they do not pickle): ``scan`` builds them again."""
        return {**self.__dict__, "fast": None, "plain": None, "subsets": {}}

    @property
    def display(self) -> tuple[str, ...]:
        return tuple(self._display)

    def add(self, term: str) -> int:
        """The id of ``term`` (added on first sight); ValueError when it is unusable."""
        key, term, base, started, cased, prefix = parse_term(term)
        if key in self._ids:
            return self._ids[key]
        tid = len(self._display)
        self._ids[key] = tid
        self._display.append(term.strip())
        if cased:
            written = normalize(term.rstrip().rstrip("*") if prefix else term).strip()
            self.cased[tid] = tuple(sorted(_cased_forms(written, prefix)))
        for surface in surface_forms(base, prefix):
            exact, prefixed, word_start = self._surfaces.setdefault(surface, (set(), set(), set()))
            (prefixed if prefix else exact).add(tid)
            if started:
                word_start.add(tid)
        return tid

    def exclude_inside(self, term: str, words: list[str]) -> None:
        """Hits of ``term`` (a term of the rules) inside any of ``words`` do not count;
        ValueError when it is no term of the rules or a word does not contain it."""
        key, _, base, _, _, _ = parse_term(term)
        tid = self._ids.get(key)
        if tid is None:
            raise ValueError(f"'{term.strip()}' is not a term of any rule or list")
        # the term as it matches: a Korean or Japanese term with a space also without it
        # ("경제 협력" inside "아시아태평양경제협력체")
        forms = surface_forms(base) if CJK_OR_HANGUL.search(base) else {base}
        places: list[tuple[str, int]] = []
        for word in words:
            low = normalize(word).lower().strip()
            offsets = sorted({i for f in forms for i in range(len(low)) if low.startswith(f, i)})
            if not offsets or low in forms:
                raise ValueError(f"'{word}' does not contain '{term.strip()}' inside it")
            places.extend((low, offset) for offset in offsets)
        self.inside[tid] = tuple(sorted(set(self.inside.get(tid, ())) | set(places)))

    def finish(self) -> None:
        """Fix the forms (once, after the last ``add``)."""
        for surface, (exact, prefixed, word_start) in self._surfaces.items():
            every = tuple(sorted(exact | prefixed))
            form = (len(surface), surface[0] in _LATIN, surface[-1] in _LATIN, every)
            self.forms.append((*form, tuple(sorted(prefixed)), tuple(sorted(word_start))))
            self.surfaces.append(surface)

    def same_forms(self, other: TermTable) -> bool:
        """True when ``other`` finds the same hits under the same ids in every text."""
        size = len(self.surfaces)  # (forms may end with the automata's placeholder)
        return self.surfaces == other.surfaces and self.forms[:size] == other.forms[:size]

    def build_automata(self) -> None:
        """The automaton of :func:`scan` (built on its first use)."""
        self.nothing()
        # the contiguous NFA: a third faster than the library's choice for this many
        # patterns (the non-contiguous one) and smaller; a DFA is faster still by ~4 %
        # of a classification but costs ~10 MB more per process that classifies
        self.fast = ahocorasick_rs.AhoCorasick(
            self.surfaces or ["\uffff"], implementation=ahocorasick_rs.Implementation.ContiguousNFA
        )

    def plain_automaton(self) -> Any:
        """pyahocorasick's automaton of the forms, for text with lone surrogates (built
        on the first such text: most processes never see one)."""
        if self.plain is None:
            words = [(surface, index) for index, surface in enumerate(self.surfaces)]
            self.plain = _automaton(words, self.nothing())
        return self.plain

    def nothing(self) -> int:
        """The index of a form of no terms (added on first use): the pattern of an
        automaton of no forms."""
        if len(self.forms) == len(self.surfaces):
            self.forms.append(_NOTHING)
        return len(self.forms) - 1


def _automaton(words: list[tuple[str, int]], nothing: int) -> Any:
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for word, index in words:
        automaton.add_word(word, index)
    if len(automaton) == 0:  # an empty automaton cannot search: a form with no terms
        automaton.add_word("\uffff", nothing)
    automaton.make_automaton()
    return automaton


def scan_only(table: TermTable, ids: frozenset[int], low: str) -> dict[int, list[int]] | None:
    """:func:`scan` of the forms of the terms ``ids`` only: the hits of those terms are
    the ones the whole scan finds (other terms written the same come along), found with a
    small automaton of their own. :func:`scan_rest` then adds the other forms' hits. None
    for text only the whole scan reads (lone surrogates).

    The small automaton is a DFA: for the ~1,300 forms of the shipped topic gate it is
    three times faster than the whole scan's automaton, in little memory."""
    automaton, forms, _, _ = _split(table, ids)
    try:
        found = automaton.find_matches_as_indexes(low, overlapping=True)
    except UnicodeEncodeError:
        return None
    hits: dict[int, list[int]] = {}
    if found:
        _collect(table, hits, low, found, forms)
    return hits


def scan_rest(
    table: TermTable, ids: frozenset[int], low: str, some: dict[int, list[int]]
) -> dict[int, list[int]]:
    """What :func:`scan` gives, from the hits ``scan_only`` gave for ``ids``: the other
    forms are found with an automaton of their own, and their hits added to ``some``
    (changed and returned: the caller is done with it)."""
    _, _, automaton, forms = _split(table, ids)
    found = automaton.find_matches_as_indexes(low, overlapping=True)
    if found:
        _collect(table, some, low, found, forms)
    return some


def _split(
    table: TermTable, ids: frozenset[int]
) -> tuple[Any, tuple[int, ...], Any, tuple[int, ...]]:
    """The automata of the forms of the terms ``ids`` and of the other forms, with the
    form of each pattern (built on first use; placeholders when a side has no forms)."""
    split = table.subsets.get(ids)
    if split is None:
        numbered = range(len(table.surfaces))
        some = tuple(i for i in numbered if not ids.isdisjoint(table.forms[i][3]))
        rest = tuple(i for i in numbered if ids.isdisjoint(table.forms[i][3]))
        nothing = table.nothing()
        split = table.subsets[ids] = (
            _automaton_of(table, some, ahocorasick_rs.Implementation.DFA),
            some or (nothing,),
            _automaton_of(table, rest, ahocorasick_rs.Implementation.ContiguousNFA),
            rest or (nothing,),
        )
    return split


def _automaton_of(table: TermTable, forms: tuple[int, ...], implementation: Any) -> Any:
    surfaces = [table.surfaces[i] for i in forms] or ["\uffff"]
    return ahocorasick_rs.AhoCorasick(surfaces, implementation=implementation)


def scan(table: TermTable, low: str) -> dict[int, list[int]]:
    """Term id -> start positions in ``low`` (in no particular order), word boundaries
    checked for Latin terms."""
    if table.fast is None:
        table.build_automata()
    try:
        found = table.fast.find_matches_as_indexes(low, overlapping=True)
    except UnicodeEncodeError:  # a lone surrogate: pyahocorasick's automaton
        forms = table.forms
        plain = table.plain_automaton()
        found = [(i, end - forms[i][0] + 1, end + 1) for end, i in plain.iter(low)]
    hits: dict[int, list[int]] = {}
    if found:
        _collect(table, hits, low, found)
    return hits


def _collect(
    table: TermTable,
    hits: dict[int, list[int]],
    low: str,
    found: list[tuple[int, int, int]],
    numbers: tuple[int, ...] | None = None,
) -> None:
    """Add the hits of an automaton pass, (pattern, start, end) each, handled per surface
    form rather than per hit. A pattern is a form's index, or ``numbers[pattern]`` is
    (the automata of some forms)."""
    found.sort(key=_FORM)  # by pattern (a stable sort: then as found, by start)
    forms = table.forms
    for index, group in groupby(found, _FORM):
        form = forms[index if numbers is None else numbers[index]]
        starts = list(map(_START, group))
        if form[1] or form[2]:
            _add_checked(hits, low, starts, form)
            continue
        if form[5]:
            _add_word_starts(hits, low, starts, form)
            continue
        for tid in form[3]:
            if tid in hits:
                hits[tid].extend(starts)
            else:
                hits[tid] = starts[:]  # (a form may count for several terms)


def _add_word_starts(hits: dict[int, list[int]], low: str, starts: list[int], form: Form) -> None:
    """The hits of a Korean form some of whose terms (``^``) count only at a word start."""
    every, word_start = form[3], form[5]
    for start in starts:
        ids = every
        if start and in_korean_word(low[start - 1]):
            ids = tuple(tid for tid in every if tid not in word_start)
        for tid in ids:
            if tid in hits:
                hits[tid].append(start)
            else:
                hits[tid] = [start]


def in_korean_word(char: str) -> bool:
    """Whether a Korean word goes on through ``char``: Hangul, a Latin letter or a digit."""
    return char in _LATIN or is_hangul(char)


def _add_checked(hits: dict[int, list[int]], low: str, starts: list[int], form: Form) -> None:
    """The hits of a form that starts or ends with a Latin letter or a digit: whole words
    only (a Korean form that starts with a digit, ``^3자``: its ``^`` terms not after Hangul
    either)."""
    length, check_start, check_end, every, prefixed, word_start = form
    size, latin, goes_on = len(low), _LATIN, _GOES_ON
    for start in starts:
        if check_start and start and low[start - 1] in latin:
            continue
        after = start + length
        ids = prefixed if check_end and after < size and low[after] in goes_on else every
        if word_start and start and is_hangul(low[start - 1]):
            ids = tuple(tid for tid in ids if tid not in word_start)
        for tid in ids:
            if tid in hits:
                hits[tid].append(start)
            else:
                hits[tid] = [start]


def keep_cased(table: TermTable, hits: dict[int, list[int]], norm: str) -> dict[int, list[int]]:
    """``hits`` without the hits of case-sensitive terms written otherwise in ``norm``
    (a new dict when some are dropped; ``hits`` itself is never changed)."""
    return _keep_where(
        hits,
        table.cased,
        lambda forms, found: [p for p in found if any(norm.startswith(f, p) for f in forms)],
    )


def keep_outside(
    table: TermTable,
    hits: dict[int, list[int]],
    low: str,
    barred: dict[tuple[tuple[str, int], ...], set[int]],
) -> dict[int, list[int]]:
    """``hits`` without the hits that lie inside a word of the rules' ``not_inside`` (a
    new dict when some are dropped; ``hits`` itself is never changed). ``barred``: the
    places each word list bars in ``low``, filled as they are found and kept by the
    caller for the next call on the same text (the topic gate's scan, then the whole
    scan: ``doc.Prepared.barred``)."""
    return _keep_where(hits, table.inside, partial(_outside, low, barred))


def _outside(
    low: str,
    known: dict[tuple[tuple[str, int], ...], set[int]],
    places: tuple[tuple[str, int], ...],
    found: list[int],
) -> list[int]:
    """The positions ``found`` of a term that are not inside one of the words ``places``
    (word, offset of the term in it): each word is found once in ``low`` (``str.find``),
    not tried at every hit (a term such as 정상 has hundreds in a long Korean text), and
    what it bars is kept in ``known``."""
    barred = known.get(places)
    if barred is None:
        barred = known[places] = set()
        for word, offset in places:
            at = low.find(word)
            while at >= 0:
                barred.add(at + offset)
                at = low.find(word, at + 1)
    return [p for p in found if p not in barred] if barred else found


def _keep_where(
    hits: dict[int, list[int]], specs: dict[int, T], keep: Callable[[T, list[int]], list[int]]
) -> dict[int, list[int]]:
    """``hits`` with each term ``tid`` of ``specs`` at the positions ``keep(specs[tid],
    positions)`` returns (a new dict when some are dropped)."""
    out = hits
    for tid, spec in specs.items():
        found = hits.get(tid)
        if found is None:
            continue
        kept = keep(spec, found)
        if len(kept) != len(found):
            if out is hits:
                out = dict(hits)
            if kept:
                out[tid] = kept
            else:
                del out[tid]
    return out


def _cased_forms(written: str, prefix: bool) -> set[str]:
    """The surface forms of a case-sensitive term, case kept (plurals: lower-case -s)."""
    forms = {written}
    if "-" in written:
        forms |= {written.replace("-", " "), written.replace("-", "")}
    if not prefix:
        forms |= {f + "s" for f in list(forms)} | {f + "es" for f in list(forms)}
        forms |= {f[:-1] + "ies" for f in list(forms) if f.endswith("y")}
    return forms


def surface_forms(base: str, prefix: bool = False) -> set[str]:
    forms = {base}
    if CJK_OR_HANGUL.search(base):
        forms.add(base.replace(" ", ""))
        return forms
    if "-" in base:
        forms.add(base.replace("-", " "))
        forms.add(base.replace("-", ""))
    if not prefix:
        forms |= {plural for form in list(forms) if (plural := _plural(form))}
    return forms


def _plural(word: str) -> str | None:
    if not word or not ("a" <= word[-1] <= "z"):
        return None
    if word.endswith(_PLURAL_ES):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"
