"""k-fold cross-validation of the rules' thresholds (`stmon eval --folds K`).

What is fitted is the part of the rules that can be fitted automatically: each type's
threshold. Every item is classified once (its ``scores`` hold every scored type, below
threshold too). For each fold, each type's threshold is chosen on the other k-1 folds:
among the scores seen there (and the shipped threshold), the one with the best F1 for
that type; ties go to the shipped threshold, else to the candidate nearest to it (of two
equally near, the higher). The held-out fold is then predicted with those thresholds
(relevant = at least one type). The held-out predictions of all folds are pooled into
one report, next to the report of the shipped thresholds on the same items.

What this does and does not measure: it shows how much of the figures is threshold
tuning to this corpus, and how much they move between folds. It does not measure how
the term lists do on unseen news: the clues were written by people who had read the
corpus, so every fold's held-out articles helped shape the rules being tested. For that,
hold part of the corpus back (`--split`), tune on the train part only, and look at the
holdout part last, rarely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from monitor.classify.evaluate import EvalReport, Scored, TypeMetrics, tally
from monitor.classify.split import assign_folds


def fit_threshold(points: Iterable[tuple[float, bool]], shipped: float) -> float:
    """The threshold with the best F1 on ``points`` (score, labelled) of one type.

    A score of 0 stands for "not scored" (never predicted). Candidates are the positive
    scores and ``shipped``; predicting "score >= candidate". Ties: ``shipped``, else the
    candidate nearest to it, else the higher."""
    rows = list(points)
    candidates = sorted({s for s, _ in rows if s > 0} | {shipped})

    def key(candidate: float) -> tuple[Fraction, float, float]:
        tp = sum(1 for s, y in rows if y and s > 0 and s >= candidate)
        fp = sum(1 for s, y in rows if not y and s > 0 and s >= candidate)
        fn = sum(1 for _, y in rows if y) - tp
        f1 = Fraction(2 * tp, 2 * tp + fp + fn) if tp else Fraction(0)
        return f1, -abs(candidate - shipped), candidate

    return max(candidates, key=key)


def fit_thresholds(scored: Iterable[Scored], shipped: Mapping[str, float]) -> dict[str, float]:
    """Each type of ``shipped`` fitted on ``scored`` by :func:`fit_threshold`."""
    rows = list(scored)
    return {
        t: fit_threshold(((s.verdict.scores.get(t, 0.0), t in s.item.labels) for s in rows), th)
        for t, th in shipped.items()
    }


@dataclass(frozen=True, slots=True)
class Fold:
    index: int
    items: int
    thresholds: dict[str, float]  # fitted on the other folds
    fitted: TypeMetrics  # micro counts on this fold, fitted thresholds
    shipped: TypeMetrics  # micro counts on this fold, shipped thresholds


@dataclass(frozen=True, slots=True)
class CrossValidation:
    k: int
    folds: tuple[Fold, ...]
    pooled: EvalReport  # held-out predictions of every fold, fitted thresholds
    shipped: EvalReport  # the same items at the shipped thresholds
    shipped_thresholds: dict[str, float]

    def spread(self, which: str) -> tuple[float, float]:
        """(min, max) per-fold micro F1 of "fitted" or "shipped"."""
        values = [getattr(f, which).f1 for f in self.folds]
        return min(values), max(values)

    def threshold_range(self, event_type: str) -> tuple[float, float]:
        values = [f.thresholds[event_type] for f in self.folds]
        return min(values), max(values)

    def as_dict(self) -> dict[str, Any]:
        def micro(m: TypeMetrics) -> dict[str, float | int]:
            d = m.as_dict()
            return {k: d[k] for k in ("precision", "recall", "f1")}

        def side(report: EvalReport, which: str) -> dict[str, Any]:
            lo, hi = self.spread(which)
            return {
                "micro": micro(report.micro),
                "macro_f1": round(report.macro_f1, 4),
                "relevance_accuracy": round(report.relevance_accuracy, 4),
                "per_type_f1": {t: round(m.f1, 4) for t, m in report.per_type.items()},
                "fold_micro_f1": {"min": round(lo, 4), "max": round(hi, 4)},
                "per_language": {k: v.as_dict() for k, v in sorted(report.per_lang.items())},
                "tense_confusion": {"expected_by_predicted": report.tense_matrix()},
            }

        return {
            "folds": self.k,
            "items": self.pooled.items,
            "held_out": side(self.pooled, "fitted"),
            "shipped": side(self.shipped, "shipped"),
            "support": {t: m.support for t, m in self.pooled.per_type.items()},
            "thresholds": {
                "shipped": self.shipped_thresholds,
                "fitted_per_fold": [f.thresholds for f in self.folds],
            },
            "fold_items": [f.items for f in self.folds],
            "per_fold_micro": [
                {"fitted": micro(f.fitted), "shipped": micro(f.shipped)} for f in self.folds
            ],
        }


def cross_validate(
    scored: Sequence[Scored], shipped: Mapping[str, float], k: int, *, fallback: float | None
) -> CrossValidation:
    """Fit thresholds on k-1 folds, predict the held-out fold, pool (see the module doc)."""
    fold_of = assign_folds([s.item.id for s in scored], k)
    types = list(shipped)
    held_out: list[tuple[Scored, frozenset[str]]] = []
    at_shipped: list[tuple[Scored, frozenset[str]]] = []
    folds: list[Fold] = []
    for index in range(k):
        train = [s for s in scored if fold_of[s.item.id] != index]
        test = [s for s in scored if fold_of[s.item.id] == index]
        thresholds = fit_thresholds(train, shipped)
        fitted = [(s, s.predicted(thresholds, fallback)) for s in test]
        plain = [(s, s.predicted(shipped, fallback)) for s in test]
        held_out += fitted
        at_shipped += plain
        folds.append(
            Fold(
                index, len(test), thresholds, tally(fitted, types).micro, tally(plain, types).micro
            )
        )
    return CrossValidation(
        k=k,
        folds=tuple(folds),
        pooled=tally(held_out, types),
        shipped=tally(at_shipped, types),
        shipped_thresholds=dict(shipped),
    )
