"""Small SVG charts drawn on the server: a sparkline and a coverage timeline.

They return geometry (numbers and labels); the templates draw it, so every label
passes through the templates' escaping. No script, no style attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

SPARK_W, SPARK_H = 120, 24
TIMELINE_W, ROW_H, LABEL_W = 640, 22, 150


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: str  # the polyline's "x,y x,y …"
    days: int
    total: int
    peak: int
    width: int = SPARK_W
    height: int = SPARK_H


def sparkline(per_day: dict[str, int], today: date, days: int = 14) -> Sparkline:
    """Items per day over the ``days`` days up to ``today``, as a polyline."""
    counts = [
        per_day.get((today - timedelta(days=days - 1 - i)).isoformat(), 0) for i in range(days)
    ]
    peak = max(counts) or 1
    step = SPARK_W / max(days - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{SPARK_H - 2 - (c / peak) * (SPARK_H - 4):.1f}"
        for i, c in enumerate(counts)
    )
    return Sparkline(points, days, sum(counts), max(counts))


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    title: str  # the tooltip: time and headline


@dataclass(frozen=True, slots=True)
class Row:
    outlet: str
    y: float
    dots: tuple[Dot, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    rows: tuple[Row, ...]
    start: datetime | None
    end: datetime | None
    width: int
    height: int
    label_width: int = LABEL_W


def coverage_timeline(articles: Sequence[tuple[str, datetime, str]]) -> Timeline:
    """One row per outlet, a dot per article at its publication time: ``articles`` are
    (outlet, published, title)."""
    if not articles:
        return Timeline((), None, None, TIMELINE_W, ROW_H)
    start = min(a[1] for a in articles)
    end = max(a[1] for a in articles)
    span = max((end - start).total_seconds(), 1.0)
    plot = TIMELINE_W - LABEL_W - 12
    outlets = sorted({a[0] for a in articles})
    rows = []
    for n, outlet in enumerate(outlets):
        dots = tuple(
            Dot(LABEL_W + 6 + plot * (when - start).total_seconds() / span,
                f"{when:%Y-%m-%d %H:%M} {title}")
            for name, when, title in articles
            if name == outlet
        )  # fmt: skip
        rows.append(Row(outlet, n * ROW_H + ROW_H / 2, dots))
    return Timeline(tuple(rows), start, end, TIMELINE_W, len(outlets) * ROW_H + 20)
