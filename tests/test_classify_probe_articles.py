"""The shipped rules on a second probe corpus: whole short articles, not headlines.

tests/data/classify/probe-articles.jsonl holds 112 items (56 English, 28 Korean, 28
Japanese) written for stmon from the definitions and labelling rules of
shared/event-types.md alone, without the rules in view: wire reports, newspaper reports,
readouts, editorials and analysis of 2013-2026, with the event stated in the headline, in
its outcome, or in a later sentence under a headline about something else; 24 of them are
near misses (Korea-US and Japan-US talks, Korea-China and Japan-China summits, elections,
markets, charts, sports, a typhoon). The wording is invented: it reports no real article.

It measures what the rules do on text they were not written against: before the rules
were edited with it in view, micro F1 0.85 (English 0.83, Korean 0.80, Japanese 0.92) and
relevance accuracy 91 %. The floors sit a few items below what the rules reach now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import RuleSet, load_rules
from monitor.classify.evaluate import LabelledItem, evaluate, read_corpus

CORPUS = Path(__file__).resolve().parent / "data" / "classify" / "probe-articles.jsonl"
RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"

# (relevance accuracy, micro F1): reached 0.946 / 0.874 overall; F1 en 0.85, ko 0.86,
# ja 0.93
OVERALL = (0.92, 0.85)
PER_LANGUAGE_F1 = {"en": 0.82, "ko": 0.82, "ja": 0.88}


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
        assert len(mine) >= 28
        assert sum(not item.relevant for item in mine) >= 6


def test_probe_articles_overall(rules: RuleSet, items: list[LabelledItem]) -> None:
    report = evaluate(rules, items)
    assert report.relevance_accuracy >= OVERALL[0]
    assert report.micro.f1 >= OVERALL[1]


@pytest.mark.parametrize("lang", sorted(PER_LANGUAGE_F1))
def test_probe_articles_per_language(rules: RuleSet, items: list[LabelledItem], lang: str) -> None:
    report = evaluate(rules, items)
    assert report.per_lang[lang].micro.f1 >= PER_LANGUAGE_F1[lang], lang
