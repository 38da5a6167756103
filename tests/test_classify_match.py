"""Matching: each rule construct matches the right text and misses a near miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify import evaluate, load_rules, parse_rules, read_corpus
from monitor.classify.rules import RuleSet
from tests.support.classify_rules import rules_text

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
GATE = "Seoul and Tokyo"  # a title that passes the test gate


def one_type(body: str, extra: str = "") -> RuleSet:
    return parse_rules(rules_text("  t:\n" + body, extra))


def assigned(rules: RuleSet, title: str, text: str = "") -> bool:
    return "t" in rules.classify(title, text).types


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(SHIPPED)


CASES = [
    # (rule body, matching title, near-miss title)
    (
        "    any:\n      - terms: [summit]\n",
        "summits in Seoul and Tokyo",
        "summitry in Seoul and Tokyo",
    ),
    (
        "    any:\n      - terms: [negotiat*]\n",
        "negotiators of Seoul and Tokyo",
        "renegotiate Seoul and Tokyo",
    ),
    (
        "    any:\n      - terms: [$kr]\n",
        "Lee Jae Myung in Seoul, Tokyo",
        "Lee Jae in Seoul, Tokyo",
    ),
    ("    any:\n      - terms: [일본]\n", "한국과 일본과의 관계", "한국과 중국과의 관계"),
    ("    any:\n      - terms: [전화 회담]\n", "한국 일본 전화회담", "한국 일본 전화 통화"),
    ("    any:\n      - terms: [首脳会談]\n", "日本と韓国の首脳会談", "日本と韓国の外相会談"),
    ("    any:\n      - terms: [한·일]\n", "한일 한국 일본", "한중 한국 일본"),
    (
        "    any:\n      - all: [summit, [$kr, $jp]]\n",
        "Seoul, Tokyo summit; Ishiba",
        "Seoul, Tokyo summit; Trump",
    ),
    (
        "    any:\n      - near: [summit, $jp]\n        within: 3\n",
        "Seoul, Tokyo: summit with PM Ishiba",
        "Seoul, Tokyo: summit with the prime minister Ishiba",
    ),
    (
        "    any:\n      - near: [summit, $jp]\n        within: 1 sentence\n",
        "Seoul, Tokyo. A long summit for a weary Ishiba",
        "Seoul, Tokyo. A long summit. Then Ishiba",
    ),
    (
        "    any:\n      - regex: 'summits? (?:in|at) (?:seoul|tokyo)'\n",
        "Summit in Tokyo, Seoul",
        "Summit near Tokyo, Seoul",
    ),
    (
        "    all: [summit]\n    any:\n      - terms: [$jp]\n",
        "Seoul, Tokyo summit with Ishiba",
        "Seoul, Tokyo talks with Ishiba",
    ),
    (
        "    none: [phone]\n    any:\n      - terms: [$jp]\n",
        "Seoul, Tokyo: Ishiba meets",
        "Seoul, Tokyo: Ishiba by phone",
    ),
]


@pytest.mark.parametrize(
    ("body", "good", "miss"),
    CASES,
    ids=[
        "plural-not-other-word",
        "prefix-star",
        "hyphen-variant",
        "korean-particle",
        "korean-optional-space",
        "japanese-substring",
        "middle-dot",
        "all-groups",
        "near-words",
        "near-sentence",
        "regex",
        "type-all",
        "type-none",
    ],
)
def test_construct(body: str, good: str, miss: str) -> None:
    rules = one_type(body.replace("      - ", "      - weight: 0.5\n        ", 1))
    assert assigned(rules, good)
    assert not assigned(rules, miss)


def test_clue_none_only_in_the_same_sentence() -> None:
    rules = one_type(
        "    any:\n      - terms: [talks]\n        none: [phone]\n        weight: 0.5\n"
    )
    assert assigned(rules, GATE, "They held talks. A phone rang.")
    assert not assigned(rules, GATE, "They held phone talks.")


def test_title_hit_weighs_more_than_body_hit() -> None:
    rules = one_type("    any:\n      - terms: [summit]\n        weight: 0.3\n")
    assert assigned(rules, "Seoul, Tokyo summit")
    assert not assigned(rules, GATE, "A summit.")


def test_in_title_ignores_the_body() -> None:
    rules = one_type("    any:\n      - terms: [summit]\n        in: title\n        weight: 0.5\n")
    assert assigned(rules, "Seoul, Tokyo summit")
    assert not assigned(rules, GATE, "A summit.")


def test_min_sentences() -> None:
    rules = one_type(
        "    any:\n      - terms: [summit]\n        min_sentences: 2\n        weight: 0.5\n"
    )
    assert assigned(rules, GATE, "A summit. Another summit.")
    assert not assigned(rules, GATE, "A summit, another summit.")


def test_scores_add_up_and_cap_at_one() -> None:
    rules = one_type(
        "    any:\n      - terms: [summit]\n        weight: 0.3\n"
        "      - terms: [talks]\n        weight: 0.3\n"
    )
    verdict = rules.classify(GATE, "A summit. Talks.")
    assert verdict.scores == {"t": 0.6}
    assert rules.classify("Seoul, Tokyo summit talks", "").scores == {"t": 1.0}
    assert rules.classify(GATE, "A summit.").scores == {"t": 0.3}


TENSE = """tense:
  future: [will, to hold]
  past: [held, met]
"""


def test_tense_separates_announced_from_held() -> None:
    body = (
        "  announced:\n    tense: future\n    any:\n      - terms: [summit]\n        weight: 0.5\n"
        "  held:\n    tense: past\n    any:\n      - terms: [summit]\n        weight: 0.5\n"
    )
    rules = parse_rules(rules_text(body) + TENSE)
    assert rules.classify(GATE, "Leaders will hold a summit.").types == ("announced",)
    assert rules.classify(GATE, "Leaders held a summit.").types == ("held",)
    label = rules.classify(GATE, "Leaders held a summit.").labels[0]
    assert label.tense == "past"


def test_untyped_label_reports_tense_of_its_evidence() -> None:
    rules = parse_rules(rules_text("  t:\n    any:\n      - terms: [talks]\n") + TENSE)
    assert rules.classify(GATE, "Ministers will hold talks.").labels[0].tense == "future"
    assert rules.classify(GATE, "Ministers talks in Seoul.").labels[0].tense is None


def test_evidence_names_term_place_and_weight() -> None:
    rules = one_type("    any:\n      - name: the summit\n        terms: [summit]\n")
    label = rules.classify("Seoul, Tokyo summit", "").labels[0]
    (evidence,) = label.evidence
    assert (evidence.rule, evidence.term, evidence.where, evidence.weight) == (
        "t.the summit",
        "summit",
        "title",
        1.0,
    )
    assert "summit" in evidence.snippet.lower()


GATED = """
topic:
  sides:
    korea: [Seoul, Korea-Japan]
    japan: [Tokyo, Korea-Japan]
  min_mentions: 2
  within: 1 sentence
  none: [{terms: [K-pop], in: title}]
types:
  t:
    any:
      - terms: [talks]
"""


@pytest.mark.parametrize(
    ("title", "text", "relevant"),
    [
        ("Seoul, Tokyo talks", "", True),
        ("Talks", "Seoul and Tokyo talk. Seoul and Tokyo agree.", True),
        ("Talks", "Seoul and Tokyo talk.", False),  # one mention of each side in the body
        ("Seoul talks", "Nothing else.", False),  # one side only
        ("Seoul talks", "Tokyo waits. Tokyo weighs in.", False),  # never in one sentence
        ("Korea-Japan talks", "", True),  # a pair term names both sides
        ("K-pop talks in Seoul, Tokyo", "", False),  # excluded in the title
        ("Talks in Seoul, Tokyo", "About K-pop.", True),  # the exclusion is for titles only
    ],
)
def test_topic_gate(title: str, text: str, relevant: bool) -> None:
    assert parse_rules(GATED).classify(title, text).relevant is relevant


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "이재명 대통령, 이시바 총리와 23일 도쿄서 정상회담",
            "이재명 대통령이 오는 23일 일본을 방문해 이시바 시게루 총리와 "
            "정상회담을 가질 예정이라고 "
            "대통령실이 밝혔다.",
            "summit_announced",
        ),
        (
            "한일 정상, 셔틀외교 복원 합의",
            "이재명 대통령과 이시바 시게루 일본 총리는 도쿄에서 정상회담을 갖고 "
            "셔틀외교를 복원하기로 "
            "합의했다.",
            "summit_held",
        ),
        (
            "石破首相、李在明大統領と電話会談",
            "石破茂首相は9日、韓国の李在明大統領と約25分間、電話会談した。両首脳は日韓関係の発展で一致した。",
            "leaders_call",
        ),
        (
            "日韓外相会談、岩屋外相と趙顕外相",
            "岩屋毅外相は韓国の趙顕外相と東京で会談し、北朝鮮への対応で連携を確認した。",
            "ministerial_talks",
        ),
        (
            "독도 영유권 주장 日 방위백서…정부, 일본대사관 관계자 초치",
            "정부는 일본 방위백서의 독도 영유권 주장에 항의했다. "
            "외교부는 독도는 우리 고유의 영토라고 밝혔다.",
            "territorial_dispute",
        ),
        (
            "佐渡金山の追悼式、韓国政府が不参加",
            "佐渡金山の労働者追悼式が開かれたが、韓国政府は参加を見送った。日本政府は遺憾の意を示した。",
            "historical_issue",
        ),
    ],
    ids=["ko-summit-announced", "ko-summit-held", "ja-call", "ja-ministers", "ko-dokdo", "ja-sado"],
)
def test_korean_and_japanese_items_classify(
    shipped: RuleSet, title: str, text: str, expected: str
) -> None:
    verdict = shipped.classify(title, text)
    assert verdict.relevant
    assert expected in verdict.types


def _seed(corpus: Path) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    return {str(row["id"]): row for row in rows}


def test_topic_gate_rejects_the_non_relevant_seed_articles(
    shipped: RuleSet, seed_corpus: Path
) -> None:
    rejected = [row for row in _seed(seed_corpus).values() if not row["relevant"]]
    assert len(rejected) == 3
    for row in rejected:
        verdict = shipped.classify(str(row["title"]), str(row["text"]))
        assert not verdict.relevant, row["id"]
        assert verdict.labels == ()


def test_seed_corpus_meets_the_acceptance_figures(shipped: RuleSet, seed_corpus: Path) -> None:
    report = evaluate(shipped, read_corpus(seed_corpus))
    assert report.items == 18
    assert report.relevance_accuracy == 1.0
    assert report.micro.f1 >= 0.9


def test_irrelevant_item_has_no_scores(shipped: RuleSet) -> None:
    verdict = shipped.classify("BTS tops Oricon chart in Japan", "South Korean band BTS, Seoul.")
    assert not verdict.relevant and verdict.scores == {}
