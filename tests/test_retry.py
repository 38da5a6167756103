"""Retry-After and backoff: the one implementation the fetch and alert stages share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.retry import JITTER, backoff, retry_after_seconds

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("007", 7.0),
        ("Mon, 06 Jan 2025 12:10:00 GMT", 600.0),
        ("Mon, 06 Jan 2025 11:00:00 GMT", 0.0),
        ("Monday, 06-Jan-25 12:01:00 GMT", 60.0),
        ("Mon Jan  6 12:02:00 2025", 120.0),
        ("soon", None),
        ("-3", None),
        ("1.5", None),
        ("٣", None),
        ("12 seconds", None),
        ("", None),
        (None, None),
    ],
    ids=[
        "seconds",
        "zero-padded-by-spaces",
        "leading-zeros",
        "imf-fixdate",
        "date-in-the-past",
        "rfc850-date",
        "asctime-date",
        "word",
        "negative",
        "fraction",
        "non-ascii-digit",
        "seconds-with-unit",
        "empty",
        "absent",
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == expected


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 800.0), (0.5, 720.0)], ids=["none", "half"])
def test_backoff_doubles_then_takes_off_its_jitter(draw: float, expected: float) -> None:
    assert backoff(100.0, 3, cap=10_000.0, random=lambda: draw) == expected


def test_backoff_is_held_under_the_cap_before_the_jitter() -> None:
    delays = [backoff(100.0, n, cap=1000.0, random=lambda: 0.5) for n in (4, 10, 10_000)]

    assert delays == [1000.0 * (1 - JITTER / 2)] * 3


def test_backoff_of_no_doublings_is_the_base() -> None:
    assert backoff(30.0, 0, cap=3600.0, random=lambda: 0.0) == 30.0
    assert backoff(30.0, -2, cap=3600.0, random=lambda: 0.0) == 30.0
