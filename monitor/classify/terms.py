"""The term table: every distinct term gets an id; its surface forms go into one automaton.

Surface forms of a term (all normalised, see ``text.normalize``):
- Latin-script terms: as written, plus simple plurals of the last word (summit →
  summits, ally → allies, coach → coaches) and, for hyphenated words, the spaced and
  joined forms (Jae-myung → Jae Myung, Jaemyung). They match on word boundaries.
- A trailing ``*`` makes a Latin term a prefix (``negotiat*``): no boundary at the end.
- Korean and Japanese terms match as substrings (particles attach: 일본과, 일본은);
  a space in them is optional (``전화 회담`` also matches ``전화회담``).

Automaton values are ``(length, check_start, check_end, ids, prefix_ids)``: after a
hit, the start boundary is checked when ``check_start``; ``ids`` count when the end
boundary holds (or ``check_end`` is false), ``prefix_ids`` count regardless.
"""

from __future__ import annotations

from typing import Any

import ahocorasick

from monitor.classify.text import is_cjk_or_hangul, is_latin, normalize

_PLURAL_ES = ("s", "x", "z", "ch", "sh")


class TermTable:
    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._display: list[str] = []
        self._surfaces: dict[str, tuple[set[int], set[int]]] = {}
        self.automaton: Any = None

    @property
    def display(self) -> tuple[str, ...]:
        return tuple(self._display)

    def add(self, term: str) -> int:
        """The id of ``term`` (added on first sight); ValueError when it is unusable."""
        prefix = term.rstrip().endswith("*")
        base = normalize(term.rstrip().rstrip("*") if prefix else term).lower()
        if not base:
            raise ValueError(f"empty term {term!r}")
        if prefix and not is_latin(base[-1]):
            raise ValueError(f"'{term}': a trailing * only applies to Latin-script words")
        if len(base) < 2 and not is_cjk_or_hangul(base):
            raise ValueError(f"term '{term}' is too short (one Latin character)")
        key = base + ("*" if prefix else "")
        if key in self._ids:
            return self._ids[key]
        tid = len(self._display)
        self._ids[key] = tid
        self._display.append(term.strip())
        for surface in surface_forms(base, prefix):
            exact, prefixed = self._surfaces.setdefault(surface, (set(), set()))
            (prefixed if prefix else exact).add(tid)
        return tid

    def finish(self) -> Any:
        """Build the automaton over all surface forms (once, after the last ``add``)."""
        automaton = ahocorasick.Automaton()
        for surface, (exact, prefixed) in self._surfaces.items():
            check_start = is_latin(surface[0])
            check_end = is_latin(surface[-1])
            every = tuple(sorted(exact | prefixed))
            automaton.add_word(
                surface, (len(surface), check_start, check_end, every, tuple(sorted(prefixed)))
            )
        if len(automaton) == 0:
            automaton.add_word("\x00", (1, False, False, (), ()))
        automaton.make_automaton()
        self.automaton = automaton
        return automaton


def surface_forms(base: str, prefix: bool = False) -> set[str]:
    forms = {base}
    if any(is_cjk_or_hangul(c) for c in base):
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
