"""Dates that matter: when an announced meeting takes place, resolved against publication."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.novelty.dates import _DATE, _when, read_when
from monitor.store.db import Database
from monitor.store.tables import Event
from tests.support.novelty_data import T0, ingest, make_item, stage, verdict

PUBLISHED = date(2025, 6, 11)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lee to visit Tokyo on Aug. 23", ("2025-08-23", date(2025, 8, 23), date(2025, 8, 24))),
        ("Leaders to meet August 23", ("2025-08-23", date(2025, 8, 23), date(2025, 8, 24))),
        ("이 대통령 8월 23일 방일", ("2025-08-23", date(2025, 8, 23), date(2025, 8, 24))),
        ("李大統領、8月23日に来日", ("2025-08-23", date(2025, 8, 23), date(2025, 8, 24))),
        ("Summit set for Dec. 5", ("2025-12-05", date(2025, 12, 5), date(2025, 12, 6))),
        ("Summit held on June 4", ("2025-06-04", date(2025, 6, 4), date(2025, 6, 5))),
        ("Leaders to meet next week", ("week of 2025-06-16", date(2025, 6, 16), date(2025, 6, 23))),
        ("정상회담 다음 주 개최", ("week of 2025-06-16", date(2025, 6, 16), date(2025, 6, 23))),
        ("Leaders to meet next month", ("2025-07", date(2025, 7, 1), date(2025, 8, 1))),
        ("한일 정상 내달 회담", ("2025-07", date(2025, 7, 1), date(2025, 8, 1))),
        ("日韓首脳、来月会談へ", ("2025-07", date(2025, 7, 1), date(2025, 8, 1))),
        ("next month, then on Aug. 23", ("2025-07", date(2025, 7, 1), date(2025, 8, 1))),
        ("Leaders may meet soon", None),
        ("13월 40일", None),
        ("Summit on \u017fep. 3", ("2025-09-03", date(2025, 9, 3), date(2025, 9, 4))),
    ],
    ids=["en-day", "en-month-name", "ko-day", "ja-day", "late-in-year", "past-day", "next-week",
         "ko-next-week", "next-month", "ko-next-month", "ja-next-month", "first-wins",
         "no-date", "no-such-day", "long-s"],
)  # fmt: skip
def test_dates_are_read_and_resolved(text: str, expected: tuple[str, date, date] | None) -> None:
    when = read_when(text, PUBLISHED)
    assert (None if when is None else (when.text, when.start, when.end)) == expected


def test_texts_skipped_without_scanning_give_what_a_full_scan_gives() -> None:
    """``read_when`` scans only texts that may state a date; over texts built from date
    words in every case (the Kelvin sign too, which ``re.I`` takes for "k"), digits and
    other words, it finds what scanning every text finds."""
    pieces = ["Aug", "aUG.", "SEPT", "nov", "NEXT WEE\u212a", "next", "week", "month",
              "next  week", "Next Month", "다음", "주", "다음주", "내달", "来月", "来週", "8",
              "23", "월", "月", "일", "日", "may", "market", "doctor", "w123", "", " ", ".",
              "\n"]  # fmt: skip
    rng = random.Random(18)
    scanned = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", " "]) for _ in range(6))
        full = next(
            (w for m in _DATE.finditer(text) if (w := _when(m, PUBLISHED)) is not None), None
        )
        assert read_when(text, PUBLISHED) == full, text
        scanned += full is not None
    assert scanned > 1_000  # the texts do state dates, in every form


def test_in_december_next_month_and_early_january_are_next_year() -> None:
    when = read_when("to meet next month", date(2025, 12, 20))
    assert when is not None and (when.start, when.end) == (date(2026, 1, 1), date(2026, 2, 1))
    when = read_when("to meet on Jan. 5", date(2025, 12, 20))
    assert when is not None and when.start == date(2026, 1, 5)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def event_dates(db: Database) -> list[tuple[str, str | None, date | None]]:
    with db.session() as session:
        rows = session.scalars(select(Event).order_by(Event.id))
        return [(e.state, e.when_text, e.when_start) for e in rows]


def test_an_announcement_records_its_date_and_a_later_report_narrows_it(db: Database) -> None:
    novelty = stage()
    plan = make_item(
        "Lee, Ishiba to hold summit",
        "President Lee Jae Myung will visit Tokyo next month for a summit with Prime Minister "
        "Shigeru Ishiba, the presidential office said.",
        published=at(0),
    )
    ingest(db, novelty, [(plan, verdict("summit_announced"))], at(0))
    assert event_dates(db) == [("announced", "2025-07", date(2025, 7, 1))]
    exact = make_item(
        "Lee to visit Tokyo on July 23 for summit with Ishiba",
        "The two leaders will hold talks in Tokyo, officials said.",
        published=at(1),
        source="Kyodo",
    )
    ingest(db, novelty, [(exact, verdict("summit_announced"))], at(1))
    assert event_dates(db) == [("announced", "2025-07-23", date(2025, 7, 23))]


def test_a_past_date_in_the_lead_of_an_announcement_is_not_its_date(db: Database) -> None:
    caption = make_item(
        "Lee, Ishiba to hold summit",
        "President Lee speaks at a news conference in Seoul on May 30. Lee will visit Tokyo "
        "for a summit with Prime Minister Shigeru Ishiba, officials said.",
        published=at(0),
    )
    ingest(db, stage(), [(caption, verdict("summit_announced"))], at(0))
    assert event_dates(db) == [("announced", None, None)]


def test_another_date_is_another_meeting(db: Database) -> None:
    novelty = stage()
    for n, day in enumerate(("Aug. 23", "Sept. 30")):
        item = make_item(f"Lee, Ishiba to meet on {day}", "Leaders will meet.", published=at(n))
        ingest(db, novelty, [(item, verdict("summit_announced"))], at(n))
    assert [when for _, when, _ in event_dates(db)] == ["2025-08-23", "2025-09-30"]
