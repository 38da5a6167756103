"""The shipped rules on a second probe corpus: whole short articles, not headlines.

tests/data/classify/probe-articles.jsonl holds 292 items (146 English, 73 Korean, 73
Japanese) written for stmon in three batches from the definitions and labelling rules of
shared/event-types.md alone, without the rules in view: wire and newspaper reports,
broadcasters, government readouts, briefings, live blogs, editorials and analysis of
2013-2026, with the event stated in the headline, in its outcome, or in a later sentence
under a headline about something else; 66 of them are near misses (Korea-US, Japan-US,
Korea-China and Japan-China meetings, elections, markets, charts, sports, earthquakes,
domestic news of a deputy or former prime minister). The wording is invented: it
reports no real article.

It measures what the rules do on text they were not written against. Before the rules
were edited with it in view: micro F1 0.85 (first batch) and 0.82 (second batch); 0.83
on the third batch, whose totals alone were read (the rules were not edited for it).
The floors sit a few items below what the rules reach now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import RuleSet, load_rules
from monitor.classify.evaluate import LabelledItem, evaluate, read_corpus

CORPUS = Path(__file__).resolve().parent / "data" / "classify" / "probe-articles.jsonl"
RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"

# (relevance accuracy, micro F1): reached 0.925 / 0.863 overall; F1 en 0.836, ko 0.893,
# ja 0.888
OVERALL = (0.90, 0.84)
PER_LANGUAGE_F1 = {"en": 0.81, "ko": 0.86, "ja": 0.86}


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
        assert len(mine) >= 73
        assert sum(not item.relevant for item in mine) >= 16


def test_probe_articles_overall(rules: RuleSet, items: list[LabelledItem]) -> None:
    report = evaluate(rules, items)
    assert report.relevance_accuracy >= OVERALL[0]
    assert report.micro.f1 >= OVERALL[1]


@pytest.mark.parametrize("lang", sorted(PER_LANGUAGE_F1))
def test_probe_articles_per_language(rules: RuleSet, items: list[LabelledItem], lang: str) -> None:
    report = evaluate(rules, items)
    assert report.per_lang[lang].micro.f1 >= PER_LANGUAGE_F1[lang], lang
