"""Metrics for `stmon eval`: how well the rules reproduce a labelled corpus.

A corpus is JSON lines with ``id``, ``title``, ``text``, ``labels`` (event type ids),
optionally ``relevant`` and ``lang`` (the shape of shared/corpus/dev-articles.jsonl).
Per type we count true/false positives and false negatives over all items; micro
averages pool the counts, macro averages the per-type F1 (over types with support or
predictions). The same counts are kept per language (``lang``; "unknown" without it),
and a confusion matrix of the two summit types shows announced/held mix-ups.

Every item is classified once (:func:`score_items`); a report is then tallied from the
types each item is predicted to have (:func:`tally`). With the shipped thresholds those
are the verdict's labels; cross-validation (crossval.py) predicts with fitted thresholds
from the same scores.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.classify.match import assigned, headlined
from monitor.classify.ruleset import RuleSet
from monitor.errors import ConfigError
from monitor.model import Classification

UNKNOWN_LANG = "unknown"
# what a labelled corpus line is (`stmon eval`)
CORPUS_HINT = (
    "each line is one JSON object: id, title, text, labels (relevant, lang optional), in UTF-8"
)
# what a line of a corpus read without labels is (`stmon rules test`)
ITEMS_HINT = "each line is one JSON object: id, title, text (labels not needed), in UTF-8"
ANNOUNCED, HELD = "summit_announced", "summit_held"
TENSE_CLASSES = ("announced", "held", "both", "neither")


@dataclass(frozen=True, slots=True)
class LabelledItem:
    id: str
    title: str
    text: str
    labels: frozenset[str]
    relevant: bool
    lang: str = UNKNOWN_LANG


@dataclass(frozen=True, slots=True)
class TypeMetrics:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled item and the rules' verdict on it (``scores`` below threshold too)."""

    item: LabelledItem
    verdict: Classification

    def predicted(self, thresholds: Mapping[str, float], fallback: float | None) -> frozenset[str]:
        """The types the rules assign at ``thresholds`` (types not listed: never)."""
        verdict = self.verdict
        on_title = headlined(verdict.gate_evidence)
        return frozenset(assigned(verdict.scores, thresholds, fallback, on_title))


@dataclass(frozen=True, slots=True)
class Miss:
    item: LabelledItem
    verdict: Classification
    got: frozenset[str]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(sorted(self.item.labels - self.got))

    @property
    def extra(self) -> tuple[str, ...]:
        return tuple(sorted(self.got - self.item.labels))


@dataclass
class Slice:
    """Pooled counts over a subset of the items (one language)."""

    items: int = 0
    relevance_correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def micro(self) -> TypeMetrics:
        return TypeMetrics(self.tp, self.fp, self.fn)

    @property
    def relevance_accuracy(self) -> float:
        return self.relevance_correct / self.items if self.items else 0.0

    def as_dict(self) -> dict[str, float | int]:
        micro = self.micro.as_dict()
        return {
            "items": self.items,
            "relevance_accuracy": round(self.relevance_accuracy, 4),
            **{k: micro[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")},
        }


def tense_class(types: Collection[str]) -> str:
    """``announced``, ``held``, ``both`` or ``neither``: the summit types among ``types``."""
    announced, held = ANNOUNCED in types, HELD in types
    if announced and held:
        return "both"
    return "announced" if announced else "held" if held else "neither"


@dataclass
class EvalReport:
    items: int = 0
    per_type: dict[str, TypeMetrics] = field(default_factory=dict)
    relevance_correct: int = 0
    misses: list[Miss] = field(default_factory=list)
    per_lang: dict[str, Slice] = field(default_factory=dict)
    # (expected tense class, predicted tense class) -> items; see tense_class()
    tense: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def micro(self) -> TypeMetrics:
        values = self.per_type.values()
        return TypeMetrics(
            sum(m.tp for m in values), sum(m.fp for m in values), sum(m.fn for m in values)
        )

    @property
    def macro_f1(self) -> float:
        used = [m for m in self.per_type.values() if m.support or m.fp]
        return sum(m.f1 for m in used) / len(used) if used else 0.0

    @property
    def macro_precision(self) -> float:
        used = [m for m in self.per_type.values() if m.support or m.fp]
        return sum(m.precision for m in used) / len(used) if used else 0.0

    @property
    def macro_recall(self) -> float:
        used = [m for m in self.per_type.values() if m.support or m.fp]
        return sum(m.recall for m in used) / len(used) if used else 0.0

    @property
    def relevance_accuracy(self) -> float:
        return self.relevance_correct / self.items if self.items else 0.0

    def tense_matrix(self) -> dict[str, dict[str, int]]:
        """expected -> predicted -> items, every class of TENSE_CLASSES present."""
        return {e: {p: self.tense.get((e, p), 0) for p in TENSE_CLASSES} for e in TENSE_CLASSES}

    def as_dict(self, items: bool = True) -> dict[str, Any]:
        """The report as JSON data; ``items=False`` leaves out the per-item diagnostics."""
        micro = self.micro
        out: dict[str, Any] = {
            "items": self.items,
            "relevance_accuracy": round(self.relevance_accuracy, 4),
            "micro": {
                k: v for k, v in micro.as_dict().items() if k in ("precision", "recall", "f1")
            },
            "macro": {
                "precision": round(self.macro_precision, 4),
                "recall": round(self.macro_recall, 4),
                "f1": round(self.macro_f1, 4),
            },
            "per_type": {k: m.as_dict() for k, m in self.per_type.items()},
            "per_language": {k: v.as_dict() for k, v in sorted(self.per_lang.items())},
            "tense_confusion": {
                "types": [ANNOUNCED, HELD],
                "expected_by_predicted": self.tense_matrix(),
            },
        }
        if items:
            out["misclassified"] = [_miss_dict(m) for m in self.misses]
        return out


def _miss_dict(miss: Miss) -> dict[str, Any]:
    return {
        "id": miss.item.id,
        "title": miss.item.title,
        "relevant": {"expected": miss.item.relevant, "got": bool(miss.got)},
        "missing": list(miss.missing),
        "extra": list(miss.extra),
        "scores": miss.verdict.scores,
    }


def read_corpus(path: str | Path) -> list[LabelledItem]:
    """Items from a JSONL file, leniently (`stmon rules test`: labels optional, id defaults
    to the line number); a bad line is a ConfigError naming file:line that asks for an
    item, not for labels. `stmon eval` reads with :func:`read_labelled`."""
    items: list[LabelledItem] = []
    name = str(path)
    for number, line in _lines(path, ITEMS_HINT):
        try:
            items.append(_lenient_item(line, number))
        except ValueError as exc:
            raise ConfigError(
                f"not an item: {exc}", file=name, line=number, hint=ITEMS_HINT
            ) from None
    return _some(items, name, ITEMS_HINT)


def _some(items: list[LabelledItem], name: str, hint: str) -> list[LabelledItem]:
    """``items``, or a ConfigError naming file ``name`` when there are none."""
    if not items:
        raise ConfigError(
            "no items: the file is empty or holds only blank lines", file=name, hint=hint
        )
    return items


def _json_object(line: str) -> dict[str, Any]:
    """A corpus line as a JSON object; ValueError saying why it is not one."""
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"bad JSON: {exc}") from None
    if not isinstance(row, dict):
        raise ValueError(f"a JSON object is needed, not {_kind(row)}")
    return row


def text_field(row: dict[str, Any], key: str) -> str:
    """``row[key]`` as text, leniently: missing or null is empty (a JSON ``null`` title
    is no title, not the word "None"), a number is written out."""
    value = row.get(key)
    return "" if value is None else str(value)


def _lenient_item(line: str, number: int) -> LabelledItem:
    row = _json_object(line)
    labels = row.get("labels", [])
    if not isinstance(labels, list):
        raise ValueError(f"'labels' must be a list of event type ids, not {_kind(labels)}")
    found = frozenset(str(x) for x in labels)
    return LabelledItem(
        id=str(row.get("id", number)),
        title=text_field(row, "title"),
        text=text_field(row, "text"),
        labels=found,
        relevant=bool(row.get("relevant", bool(found))),
        lang=str(row.get("lang") or UNKNOWN_LANG),
    )


def read_labelled(
    path: str | Path, event_types: Collection[str] | None = None
) -> list[LabelledItem]:
    """A labelled corpus for `stmon eval`, strictly: every line a JSON object with ``id``
    (string or number, unique), ``title`` and ``text`` (strings) and ``labels`` (a list of
    strings: of ``event_types``, the rules' types, when given); ``relevant`` (true/false,
    default: has labels) and ``lang`` (a string) are optional. Anything else, or a file
    without items, is a ConfigError naming file:line and the reason."""
    items: list[LabelledItem] = []
    seen: dict[str, int] = {}
    name = str(path)
    for number, line in _lines(path, CORPUS_HINT):
        try:
            item = _labelled_item(line)
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        except ValueError as exc:
            raise ConfigError(
                f"not a labelled item: {exc}", file=name, line=number, hint=CORPUS_HINT
            ) from None
        if event_types is not None and not item.labels <= set(event_types):
            raise _unknown_labels(item.labels - set(event_types), event_types, name, number)
        seen[item.id] = number
        items.append(item)
    return _some(items, name, CORPUS_HINT)


def _unknown_labels(
    unknown: Collection[str], event_types: Collection[str], file: str, line: int
) -> ConfigError:
    names = ", ".join(f"'{t}'" for t in sorted(unknown))
    return ConfigError(
        f"unknown event type{'s' if len(unknown) > 1 else ''} {names} "
        f"(the rules define: {', '.join(sorted(event_types))})",
        file=file,
        line=line,
        key="labels",
        hint="correct the label, or give the rules that define it with --rules",
    )


def _lines(path: str | Path, hint: str) -> list[tuple[int, str]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"cannot read corpus: {exc.strerror}", file=str(path), hint="check the corpus's path"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read corpus: not UTF-8 ({exc.reason})", file=str(path), hint=hint
        ) from None
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _labelled_item(line: str) -> LabelledItem:
    row = _json_object(line)
    for key in ("id", "title", "text", "labels"):
        if key not in row:
            raise ValueError(f"missing field '{key}'")
    item_id = row["id"]
    if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
        raise ValueError(f"'id' must be a non-empty string or a number, not {_kind(item_id)}")
    for key in ("title", "text"):
        if not isinstance(row[key], str):
            raise ValueError(f"'{key}' must be a string, not {_kind(row[key])}")
    labels = row["labels"]
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ValueError(f"'labels' must be a list of event type ids, not {_kind(labels)}")
    relevant = row.get("relevant", bool(labels))
    if not isinstance(relevant, bool):
        raise ValueError(f"'relevant' must be true or false, not {_kind(relevant)}")
    lang = row.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise ValueError(f"'lang' must be a string, not {_kind(lang)}")
    return LabelledItem(
        id=str(item_id),
        title=row["title"],
        text=row["text"],
        labels=frozenset(labels),
        relevant=relevant,
        lang=lang or UNKNOWN_LANG,
    )


def _kind(value: object) -> str:
    odd = [x for x in value if not isinstance(x, str)] if isinstance(value, list) else []
    if odd:
        return f"a list holding {_kind(odd[0])}"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    names |= {dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def score_items(rules: RuleSet, items: Iterable[LabelledItem]) -> list[Scored]:
    """Classify every item once."""
    return [Scored(item, rules.classify(item.title, item.text)) for item in items]


def shipped_thresholds(rules: RuleSet) -> dict[str, float]:
    """Each type's threshold as the rules file sets it."""
    return {t.id: t.threshold for t in rules.types}


def tally(predictions: Iterable[tuple[Scored, frozenset[str]]], types: Iterable[str]) -> EvalReport:
    """Compare each item's predicted types with its labels; relevant = any type predicted."""
    report = EvalReport(per_type={t: TypeMetrics() for t in types})
    for scored, got in predictions:
        item = scored.item
        relevant = bool(got)
        report.items += 1
        report.relevance_correct += relevant == item.relevant
        lang = report.per_lang.setdefault(item.lang, Slice())
        lang.items += 1
        lang.relevance_correct += relevant == item.relevant
        for event_type in got | item.labels:
            m = report.per_type.get(event_type, TypeMetrics())
            hit, expected = event_type in got, event_type in item.labels
            report.per_type[event_type] = TypeMetrics(
                m.tp + (hit and expected),
                m.fp + (hit and not expected),
                m.fn + (expected and not hit),
            )
            lang.tp += hit and expected
            lang.fp += hit and not expected
            lang.fn += expected and not hit
        key = (tense_class(item.labels), tense_class(got))
        report.tense[key] = report.tense.get(key, 0) + 1
        if got != item.labels or relevant != item.relevant:
            report.misses.append(Miss(item, scored.verdict, got))
    return report


def evaluate(rules: RuleSet, items: Iterable[LabelledItem]) -> EvalReport:
    """Classify every item and compare its labels (at the shipped thresholds) with the corpus."""
    thresholds = shipped_thresholds(rules)
    scored = score_items(rules, items)
    predictions = ((s, s.predicted(thresholds, rules.fallback)) for s in scored)
    return tally(predictions, rules.event_types)
