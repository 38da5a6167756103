"""When a meeting takes place, as an article states it, resolved against its publication.

An article gives a day ("on Aug. 23", "8월 23일", "8月23日"), a week ("next week",
"다음 주", "来週") or a month ("next month", "다음 달", "내달", "来月"). Each becomes a
``When``: a span of days ``[start, end)`` and how it reads (``2025-08-23``,
``week of 2025-09-01``, ``2025-09``). A day without a year is the one nearest the
publication date (an article of Dec. 20 saying "Jan. 5" means next year's); weeks
start on Monday.

Which text is read is the caller's choice (``monitor.novelty.cues``): the title of any
report, and the lead of an announcement only when the date lies ahead of publication
(the opening of a report is often a photo caption or a dateline of something past).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# One pattern, so the first date of a text is found in one pass: a day in English, in
# Korean or Japanese, next week, next month.
_DATE = re.compile(
    r"\b(?P<en_month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?P<en_day>\d{1,2})\b"
    r"|(?P<cjk_month>\d{1,2})\s*[월月]\s*(?P<cjk_day>\d{1,2})\s*[일日]"
    r"|(?P<week>\bnext week\b|다음\s?주|내주|来週)"
    r"|(?P<month>\bnext month\b|다음\s?달|내달|来月)",
    re.I,
)


@dataclass(frozen=True, slots=True)
class When:
    """The days ``[start, end)`` an article says a meeting takes place, and their words."""

    start: date
    end: date
    text: str

    def overlaps(self, other: When) -> bool:
        return self.start < other.end and other.start < self.end

    def within(self, other: When) -> bool:
        return other.start <= self.start and self.end <= other.end


def day(on: date) -> When:
    return When(on, on + timedelta(days=1), on.isoformat())


# What any match of ``_DATE`` contains (its text case-folded: ``re.I`` equates these letters
# with no other characters than case folding does, "ſ" with "s" and the Kelvin sign with
# "k" included): a month name and a digit, a Korean or Japanese month, or a word of
# "next week" or "next month". A text without any of them is not scanned: the pattern's
# alternatives start with ``\b``, so ``re`` tries it at every position (~0.1 µs each).
_MONTH_WORDS = ("다음", "내주", "来週", "내달", "来月")
_DIGIT = re.compile(r"\d")


def _may_state_a_date(text: str) -> bool:
    if "월" in text or "月" in text or any(word in text for word in _MONTH_WORDS):
        return True
    folded = text.casefold()
    if "next week" in folded or "next month" in folded:
        return True
    return any(month in folded for month in MONTHS) and _DIGIT.search(text) is not None


def read_when(text: str, published: date) -> When | None:
    """The first date ``text`` states (a day, next week, next month), resolved."""
    if not _may_state_a_date(text):
        return None
    for match in _DATE.finditer(text):
        if (found := _when(match, published)) is not None:
            return found
    return None


def _when(match: re.Match[str], published: date) -> When | None:
    if match["week"]:
        monday = published - timedelta(days=published.weekday()) + timedelta(days=7)
        return When(monday, monday + timedelta(days=7), f"week of {monday.isoformat()}")
    if match["month"]:
        first = _month_after(published.replace(day=1))
        return When(first, _month_after(first), first.strftime("%Y-%m"))
    if match["en_month"]:
        month, day_of_month = MONTHS.index(match["en_month"].casefold()) + 1, int(match["en_day"])
    else:
        month, day_of_month = int(match["cjk_month"]), int(match["cjk_day"])
    on = _resolve(month, day_of_month, published)
    return None if on is None else day(on)


def _resolve(month: int, day_of_month: int, published: date) -> date | None:
    """The date of that month and day nearest ``published``; None if there is none."""
    options = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            options.append(date(year, month, day_of_month))
        except ValueError:
            continue
    return min(options, key=lambda d: abs(d - published)) if options else None


def _month_after(first: date) -> date:
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else (first.replace(month=first.month + 1))
    )
