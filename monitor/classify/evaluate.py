"""Metrics for `stmon eval`: how well the rules reproduce a labelled corpus.

A corpus is JSON lines with ``id``, ``title``, ``text``, ``labels`` (event type ids)
and ``relevant`` (the shape of shared/corpus/seed-articles.jsonl). Per type we count
true/false positives and false negatives over all items; micro averages pool the
counts, macro averages the per-type F1 (over types with support or predictions).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.classify.rules import RuleSet
from monitor.errors import ConfigError
from monitor.model import Classification


@dataclass(frozen=True, slots=True)
class LabelledItem:
    id: str
    title: str
    text: str
    labels: frozenset[str]
    relevant: bool


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
class Miss:
    item: LabelledItem
    verdict: Classification

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(sorted(self.item.labels - set(self.verdict.types)))

    @property
    def extra(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.verdict.types) - self.item.labels))


@dataclass
class EvalReport:
    items: int = 0
    per_type: dict[str, TypeMetrics] = field(default_factory=dict)
    relevance_correct: int = 0
    misses: list[Miss] = field(default_factory=list)

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

    def as_dict(self) -> dict[str, Any]:
        micro = self.micro
        return {
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
            "misclassified": [_miss_dict(m) for m in self.misses],
        }


def _miss_dict(miss: Miss) -> dict[str, Any]:
    return {
        "id": miss.item.id,
        "title": miss.item.title,
        "relevant": {"expected": miss.item.relevant, "got": miss.verdict.relevant},
        "missing": list(miss.missing),
        "extra": list(miss.extra),
        "scores": miss.verdict.scores,
    }


def read_corpus(path: str | Path) -> list[LabelledItem]:
    """Labelled items from a JSONL file; a bad line is a ConfigError naming file:line."""
    items: list[LabelledItem] = []
    name = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read corpus: {exc.strerror}", file=name) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels = frozenset(str(x) for x in row.get("labels", []))
            items.append(
                LabelledItem(
                    id=str(row.get("id", number)),
                    title=str(row.get("title", "")),
                    text=str(row.get("text", "")),
                    labels=labels,
                    relevant=bool(row.get("relevant", bool(labels))),
                )
            )
        except (ValueError, AttributeError, TypeError) as exc:
            raise ConfigError(f"not a labelled item: {exc}", file=name, line=number) from None
    return items


def evaluate(rules: RuleSet, items: Iterable[LabelledItem]) -> EvalReport:
    """Classify every item and compare with its labels."""
    report = EvalReport(per_type={t: TypeMetrics() for t in rules.event_types})
    for item in items:
        verdict = rules.classify(item.title, item.text)
        got = set(verdict.types)
        report.items += 1
        report.relevance_correct += verdict.relevant == item.relevant
        for event_type in got | item.labels:
            m = report.per_type.get(event_type, TypeMetrics())
            hit, expected = event_type in got, event_type in item.labels
            report.per_type[event_type] = TypeMetrics(
                m.tp + (hit and expected),
                m.fp + (hit and not expected),
                m.fn + (expected and not hit),
            )
        if got != item.labels or verdict.relevant != item.relevant:
            report.misses.append(Miss(item, verdict))
    return report
