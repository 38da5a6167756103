"""The shipped rules on a second probe corpus: whole short articles, not headlines.

tests/data/classify/probe-articles.jsonl holds 482 items (266 English, 108 Korean, 108
Japanese) written for stmon in five batches from the definitions and labelling rules of
shared/event-types.md alone, without the rules in view: wire and newspaper reports,
broadcasters, government readouts, briefings, live blogs, editorials and analysis of
2013-2026, with the event stated in the headline, in its outcome, or in a later sentence
under a headline about something else; 105 of them are near misses (Korea-US, Japan-US,
Korea-China and Japan-China meetings, elections, markets, charts, sports, earthquakes,
domestic news of a deputy or former prime minister). The wording is invented: it
reports no real article.

It measures what the rules do on text they were not written against. Before the rules
were edited with a batch in view: micro F1 0.85 (first batch), 0.82 (second), 0.83
(third, totals alone read), 0.82 (fourth; its sealed half 0.81 before and 0.83 after
the edits made without it) and 0.86 (fifth, totals alone read: 0.87 after the edits).
The floors sit a few items below what the rules reach now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import RuleSet, load_rules
from monitor.classify.evaluate import LabelledItem, evaluate, read_corpus

CORPUS = Path(__file__).resolve().parent / "data" / "classify" / "probe-articles.jsonl"
RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"

# (relevance accuracy, micro F1): reached 0.952 / 0.886 overall; F1 en 0.867, ko 0.905,
# ja 0.914
OVERALL = (0.93, 0.87)
PER_LANGUAGE_F1 = {"en": 0.85, "ko": 0.88, "ja": 0.89}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def items() -> list[LabelledItem]:
    return read_corpus(CORPUS)


def test_probe_articles_cover_every_type_and_language(
    rules: RuleSet, items: list[LabelledItem]
) -> None:
    labelled = {label for item in items for label in item.labels}
    assert labelled == {t.id for t in rules.types}
    for lang in PER_LANGUAGE_F1:
        mine = [item for item in items if item.lang == lang]
        assert len(mine) >= 108
        assert sum(not item.relevant for item in mine) >= 23


def test_probe_articles_overall(rules: RuleSet, items: list[LabelledItem]) -> None:
    report = evaluate(rules, items)
    assert report.relevance_accuracy >= OVERALL[0]
    assert report.micro.f1 >= OVERALL[1]


@pytest.mark.parametrize("lang", sorted(PER_LANGUAGE_F1))
def test_probe_articles_per_language(rules: RuleSet, items: list[LabelledItem], lang: str) -> None:
    report = evaluate(rules, items)
    assert report.per_lang[lang].micro.f1 >= PER_LANGUAGE_F1[lang], lang
