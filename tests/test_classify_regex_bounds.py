"""Regex clues cannot hold the classifier: a time bound per clue and a bounded text."""

from __future__ import annotations

import logging

import pytest
import regex

from monitor.classify import parse_rules
from monitor.classify.regexes import MAX_SCAN, leading_literals, regex_hits
from tests.support.classify_rules import rules_text

GATE = "Seoul and Tokyo"


def test_the_issues_nested_quantifier_pattern_classifies_a_long_title() -> None:
    """``(?:\\w+\\s?)+ says:`` backtracks exponentially on a title without the colon in
    the stdlib engine; the rules engine answers, and the title does not match."""
    rules = parse_rules(rules_text("  t:\n    any:\n      - regex: '(?:\\w+\\s?)+ says:'\n"))
    title = f"{GATE} " + "word " * 40 + "says"
    assert "t" not in rules.classify(title, "").types
    assert "t" in rules.classify(f"{GATE}: the minister says: yes", "").types


def test_a_pattern_past_its_time_bound_raises_timeout() -> None:
    pattern = regex.compile("(a|aa)+b", regex.IGNORECASE)  # backtracks in the regex engine too
    with pytest.raises(TimeoutError):
        regex_hits(pattern, leading_literals(pattern.pattern), "a" * 60, 0, 60, budget=0.05)
    with pytest.raises(TimeoutError):
        regex_hits(pattern, None, "a" * 60, 0, 60, budget=0.05)


def test_a_clue_that_times_out_does_not_match_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = parse_rules(
        rules_text(
            "  t:\n    any:\n      - regex: '(?:a|aa)+b'\n        name: aab\n"
            "      - terms: [summit]\n        weight: 0.1\n"
        )
    )
    with caplog.at_level(logging.WARNING, logger="monitor.classify.match"):
        verdict = rules.classify(f"{GATE} " + "a" * 60, "")
    assert "t" not in verdict.types
    timed_out = [r for r in caplog.records if r.getMessage() == "regex_clue_timed_out"]
    assert timed_out, [r.getMessage() for r in caplog.records]
    fields = timed_out[0].stmon_fields  # log_event's structured fields
    assert fields["clue"] == "aab" and fields["pattern"] == "(?:a|aa)+b"


def test_regexes_scan_a_bounded_text() -> None:
    pattern = regex.compile("says:", regex.IGNORECASE)
    near = "x" * (MAX_SCAN - 10) + " says:"
    far = "x" * MAX_SCAN + " says:"
    for starts in (leading_literals(pattern.pattern), None):
        assert regex_hits(pattern, starts, near, 0, len(near)) == [(MAX_SCAN - 9, "says:")]
        assert regex_hits(pattern, starts, far, 0, len(far)) == []
