"""The rules compiler: a parsed rules file (YAML) -> compiled rules (compiled.py).

The file's shape is validated (schema.py), ``$lists`` are resolved, every term of
every group goes into the term table (terms.py: its normalised surface forms, with
plural, hyphen and Korean-spacing variants), and groups become frozensets of term
ids, so matching is one pass over the text plus set work. Regexes are compiled once,
by the ``regex`` engine the matcher runs them with (regexes.py: a time bound and a
bounded text), and checked for common mistakes. Each problem is a ConfigError with
``file:line: key.path: reason``; all problems are reported together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import regex
from pydantic import ValidationError

from monitor.classify.compiled import (
    CompiledClue,
    CompiledTense,
    CompiledTopic,
    CompiledType,
    TermFilter,
)
from monitor.classify.regexes import prefilter
from monitor.classify.ruleset import RuleSet
from monitor.classify.schema import (
    ID_PATTERN,
    Clue,
    Events,
    EventType,
    Filter,
    NoneNear,
    RulesFile,
    Topic,
    parse_within,
)
from monitor.classify.terms import TermTable, parse_term
from monitor.config.yamlload import Document, validation_errors
from monitor.errors import ConfigError, ConfigErrors
from monitor.model import EventKnowledge

Path_ = tuple[str | int, ...]


def compile_document(doc: Document, path: Path) -> RuleSet:
    """Validate a parsed rules document and compile it; ConfigError(s) with file:line."""
    if not isinstance(doc.data, dict):
        raise doc.error((), "a rules file must be a mapping (topic:, types:, …)")
    try:
        spec = RulesFile.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_errors(doc, exc) from None
    return _Compiler(doc, spec).build(path)


class _Compiler:
    def __init__(self, doc: Document, spec: RulesFile) -> None:
        self.doc = doc
        self.spec = spec
        self.errors: list[ConfigError] = []
        self.terms = TermTable()
        self.resolved: dict[str, list[str]] = {}
        self.list_ids: dict[str, frozenset[int]] = {}  # a list's term ids (added once)
        self.cue_lists: set[str] = set()  # lists used as cues (events:), not as terms
        self.clues: dict[CompiledClue, CompiledClue] = {}

    def build(self, path: Path) -> RuleSet:
        for section in ("lists", "types"):
            for name in getattr(self.spec, section):
                if not ID_PATTERN.match(name):
                    self._error((section, name), f"'{name}' must be lower_snake_case (a-z, 0-9, _)")
        for name in self.spec.lists:
            self._resolve_list(name, ())
        topic = self._topic(self.spec.topic)
        types = tuple(self._type(k, v) for k, v in self.spec.types.items())
        tense = None
        if self.spec.tense is not None:
            t = self.spec.tense
            tense = CompiledTense(
                self._group(t.future, ("tense", "future")),
                self._group(t.past, ("tense", "past")),
                parse_within(t.within),
                t.headline_future,
            )
        events = self._events(self.spec.events)
        for name in self.spec.lists.keys() - self._used_lists():  # checked all the same
            for i, term in enumerate(self.spec.lists[name]):
                if _ref(term) is None:
                    try:
                        parse_term(term)
                    except ValueError as exc:
                        self._error(("lists", name, i), str(exc))
        for term, words in self.spec.not_inside.items():
            try:
                self.terms.exclude_inside(term, words)
            except ValueError as exc:
                self._error(("not_inside", term), str(exc))
        self.terms.finish()
        if self.errors:
            unique = {str(e): e for e in self.errors}
            raise ConfigErrors(unique.values())
        return RuleSet(
            path=path,
            terms=self.terms,
            topic=topic,
            types=types,
            tense=tense,
            events=events,
            title_weight=self.spec.defaults.title_weight,
            fallback=self.spec.defaults.fallback,
        )

    def _used_lists(self) -> set[str]:
        """The lists used: as terms (added, and so checked) or as cues, and the lists
        they include."""
        used: set[str] = set()
        todo = [*self.list_ids, *self.cue_lists]
        while todo:
            name = todo.pop()
            if name not in used:
                used.add(name)
                todo += [r for t in self.spec.lists[name] if (r := _ref(t)) in self.spec.lists]
        return used

    def _events(self, spec: Events | None) -> EventKnowledge:
        """The ``events:`` section as the event stage reads it (types checked, lists
        resolved, cues normalised)."""
        sides = [side.upper() for side in self.spec.topic.sides]
        if spec is None:
            return EventKnowledge(parties=tuple(sorted(sides)))
        for name in spec.meetings:
            self._known_type(name, ("events", "meetings", name))
        later: dict[str, tuple[str, str]] = {}
        for origin, links in spec.lifecycle.items():
            self._known_type(origin, ("events", "lifecycle", origin))
            for state in ("held", "postponed", "cancelled"):
                if (kind := getattr(links, state)) is None:
                    continue
                where = ("events", "lifecycle", origin, state)
                self._known_type(kind, where)
                if kind == origin or kind in later or kind in spec.lifecycle:
                    self._error(where, f"'{kind}' is already part of a lifecycle")
                later[kind] = (origin, state)
        meetings = {
            name: tuple(m.actors) if isinstance(m.actors, list) else m.actors
            for name, m in spec.meetings.items()
        }
        return EventKnowledge(
            parties=tuple(sorted(spec.parties or sides)),
            meetings=meetings,
            later=later,
            postponed=self._cues(spec.postponed, ("events", "postponed")),
            cancelled=self._cues(spec.cancelled, ("events", "cancelled")),
            venues=tuple(
                unicodedata.normalize("NFKC", v)
                for v in self._terms(spec.venues, ("events", "venues"))
            ),
            portfolios=tuple(
                (name, self._cues(terms, ("events", "portfolios", name)))
                for name, terms in spec.portfolios.items()
            ),
            third_parties=tuple(
                (name, self._cues(terms, ("events", "third_parties", name)))
                for name, terms in spec.third_parties.items()
            ),
        )

    def _known_type(self, name: str, path: Path_) -> None:
        if name not in self.spec.types:
            known = ", ".join(sorted(self.spec.types))
            self._error(path, f"unknown event type '{name}' (types: {known})")

    def _terms(self, items: Sequence[str], path: Path_) -> list[str]:
        """Terms with ``$name`` references resolved."""
        out: list[str] = []
        for i, item in enumerate(items):
            ref = _ref(item)
            if ref is None:
                out.append(item)
            elif ref not in self.spec.lists:
                self._error((*path, i), self._unknown(ref))
            else:
                self.cue_lists.add(ref)
                out.extend(self._resolve_list(ref, ()))
        return out

    def _cues(self, items: Sequence[str], path: Path_) -> tuple[str, ...]:
        terms = (unicodedata.normalize("NFKC", t).lower().strip() for t in self._terms(items, path))
        return tuple(dict.fromkeys(t for t in terms if t))

    def _error(self, path: Sequence[str | int], reason: str) -> None:
        self.errors.append(self.doc.error(path, reason))

    def _resolve_list(self, name: str, stack: tuple[str, ...]) -> list[str]:
        if name in self.resolved:
            return self.resolved[name]
        out: list[str] = []
        for i, item in enumerate(self.spec.lists[name]):
            ref = _ref(item)
            if ref is None:
                out.append(item)
            elif ref in stack or ref == name:
                self._error(("lists", name, i), _cycle(ref, (*stack, name)))
            elif ref not in self.spec.lists:
                self._error(("lists", name, i), self._unknown(ref))
            else:
                out.extend(self._resolve_list(ref, (*stack, name)))
        self.resolved[name] = out
        return out

    def _unknown(self, ref: str) -> str:
        known = ", ".join("$" + n for n in sorted(self.spec.lists)) or "none defined"
        return f"unknown list ${ref} (lists: {known})"

    def _group(self, items: Sequence[str], path: Path_) -> frozenset[int]:
        ids: set[int] = set()
        for i, item in enumerate(items):
            ref = _ref(item)
            if ref is None:
                self._add_term(item, (*path, i), ids)
            elif ref not in self.spec.lists:
                self._error((*path, i), self._unknown(ref))
            else:
                ids |= self._list_terms(ref)
        return frozenset(ids)

    def _list_terms(self, name: str) -> frozenset[int]:
        """The term ids of list ``name`` (its terms added, and their errors said, once:
        an error names the list, wherever the list is used)."""
        found = self.list_ids.get(name)
        if found is None:
            ids: set[int] = set()
            for term in self._resolve_list(name, ()):
                self._add_term(term, ("lists", name), ids)
            found = self.list_ids[name] = frozenset(ids)
        return found

    def _add_term(self, term: str, path: Path_, ids: set[int]) -> None:
        try:
            ids.add(self.terms.add(term))
        except ValueError as exc:
            self._error(path, str(exc))

    def _filters(self, items: Sequence[str | Filter], path: Path_) -> tuple[TermFilter, ...]:
        out = []
        for i, item in enumerate(items):
            if isinstance(item, Filter):
                unless = tuple(
                    self._group(_listed(g), (*path, i, "unless", k))
                    for k, g in enumerate(item.unless)
                )
                out.append(
                    TermFilter(
                        self._group(item.terms, (*path, i, "terms")),
                        item.in_,
                        unless,
                        item.in_ if item.unless_in is None else item.unless_in,
                    )
                )
            else:
                out.append(TermFilter(self._group([item], (*path, i)), "any"))
        return tuple(out)

    def _topic(self, topic: Topic) -> CompiledTopic:
        sides = tuple(
            (name, self._group(terms, ("topic", "sides", name)))
            for name, terms in topic.sides.items()
        )
        within = parse_within(topic.within) if topic.within is not None else None
        none = self._filters(topic.none, ("topic", "none"))
        return CompiledTopic(sides, topic.min_mentions, within, none, topic.short_body)

    def _type(self, name: str, spec: EventType) -> CompiledType:
        path: Path_ = ("types", name)
        require = tuple(self._group(_listed(g), (*path, "all", i)) for i, g in enumerate(spec.all))
        clues = tuple(self._clue(c, (*path, "any", i)) for i, c in enumerate(spec.any))
        for i, clue in enumerate(spec.any):
            if spec.tense is not None and clue.tense not in (None, spec.tense):
                self._error(
                    (*path, "any", i, "tense"),
                    f"a clue with tense: {clue.tense} never counts for a type with "
                    f"tense: {spec.tense} (its matches would only weigh against it)",
                )
        for i, other in enumerate(spec.stated_beside):
            self._known_type(other, (*path, "stated_beside", i))
        if spec.stated_beside and all(c.tense is None for c in spec.any):
            self._error(
                (*path, "stated_beside"),
                "stated_beside needs a clue with its own tense (tense: on the clue): "
                "without one the type could never be assigned beside those types",
            )
        background = None
        if spec.background is not None:
            if spec.lead is None:
                self._error(
                    (*path, "background"),
                    "background needs lead: it marks the sentences past the type's lead "
                    "that recall an event rather than state it",
                )
            background = self._group(_listed(spec.background), (*path, "background"))
        return CompiledType(
            id=name,
            description=spec.description,
            threshold=spec.threshold or self.spec.defaults.threshold,
            tense=spec.tense,
            require=require,
            none=self._filters(spec.none, (*path, "none")),
            clues=clues,
            lead=spec.lead,
            background=background,
            stated_beside=frozenset(spec.stated_beside),
            stated=frozenset(f"{name}.{c.name}" for c in clues if c.tense is not None),
        )

    def _clue(self, clue: Clue, path: Path_) -> CompiledClue:
        kind = clue.kind
        groups: tuple[frozenset[int], ...] = ()
        regex = None
        if clue.terms is not None:
            groups = (self._group(clue.terms, (*path, "terms")),)
        elif clue.all is not None or clue.near is not None:
            listed = clue.all if clue.all is not None else clue.near
            assert listed is not None
            groups = tuple(self._group(_listed(g), (*path, kind, i)) for i, g in enumerate(listed))
        else:
            assert clue.regex is not None
            regex = self._regex(clue.regex, (*path, "regex"))
        within = clue.within if clue.within is not None else self.spec.defaults.within
        starts, confirm, at_start = prefilter(regex) if regex is not None else (None, None, False)
        compiled = CompiledClue(
            name=clue.name or kind,
            kind=kind,
            groups=groups,
            regex=regex,
            starts=starts,
            anchored=at_start,
            confirm=confirm,
            within=parse_within(within),
            where=clue.in_,
            weight=clue.weight,
            none=self._group([t for t in clue.none if isinstance(t, str)], (*path, "none")),
            min_sentences=clue.min_sentences,
            none_near=tuple(
                (self._group(t.terms, (*path, "none", i, "terms")), parse_within(t.within))
                for i, t in enumerate(clue.none)
                if isinstance(t, NoneNear)
            ),
            tense=clue.tense,
        )
        return self.clues.setdefault(compiled, compiled)  # equal clues: one object, one result

    def _regex(self, pattern: str, path: Path_) -> regex.Pattern[str] | None:
        problem = regex_problem(pattern)
        if problem is not None:
            self._error(path, problem)
            return None
        return regex.compile(pattern, regex.IGNORECASE)


# "(i?)" for "(?i)": an optional group of flag letters with an i in it ("(s?)", an
# optional s, is an ordinary group)
_FLAG_TYPO = re.compile(r"(?<!\\)\(([aLmsux]*i[aLmsux]*)\?\)")
# texts in which a pattern that can match the empty string is likely to (every ASCII
# character, Hangul, kana and ideographs; a lookbehind needs the character before);
# a zero-length match that none of them shows is not counted either (regexes.regex_hits)
_EMPTY_PROBES = (
    "",
    " ",
    "a b",
    "가 나",
    "日本 韓国",
    "x.",
    "".join(map(chr, range(32, 127))) + "\n가나다 한국 일본。あいう カナ 日本韓国",
)


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is unusable as a clue, or None when it is fine."""
    typo = _FLAG_TYPO.search(pattern)
    if typo:
        flags = typo.group(1)
        return (
            f"'({flags}?)' is an optional group matching '{flags}'; did you mean '(?{flags})'? "
            "(patterns are case-insensitive already)"
        )
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        return f"invalid regular expression: {exc}"
    for probe in _EMPTY_PROBES:
        for match in compiled.finditer(probe):
            if match.end() == match.start():
                return "this pattern can match the empty string; it would match every item"
    return None


def _listed(group: str | list[str]) -> list[str]:
    return [group] if isinstance(group, str) else group


def _ref(item: str) -> str | None:
    return item[1:] if item.startswith("$") else None


def _cycle(ref: str, chain: tuple[str, ...]) -> str:
    """Why ``$ref``, found in the last list of ``chain`` (the lists being resolved, outermost
    first), cannot be resolved: the lists from ``ref`` round to ``ref`` again."""
    looped = chain[chain.index(ref) :]
    cycle = " → ".join("$" + n for n in (*looped, ref))
    if len(looped) == 1:
        return f"${ref} refers to itself (cycle: {cycle})"
    return f"${ref} refers back to a list that uses this one (cycle: {cycle})"
