"""Near-miss explanations: why a type that nearly matched was not assigned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify import RuleSet, load_rules, parse_rules
from monitor.classify.evaluate import read_labelled
from monitor.classify.explain import explain
from monitor.classify.nearmiss import NearMiss, format_near_misses, gate_reasons, near_misses
from tests.support.classify_rules import rules_text
from tests.support.eval_corpus import run, write

TYPES = """
  sure:
    any: [{name: cities, terms: [Seoul], in: title}]
  t_terms:
    any:
      - {name: word, terms: [summit], weight: 0.3}
      - {name: absent, terms: [zebra]}
  t_all:
    any:
      - {name: both, all: [[summit], [zebra]]}
      - {name: word, terms: [summit], weight: 0.1}
  t_near:
    any:
      - {name: close, near: [[summit], [treaty]], within: 3 words}
      - {name: word, terms: [treaty], weight: 0.1}
  t_none:
    any: [{name: vetoed, terms: [summit], none: [phone]}]
  t_where:
    any: [{name: in title, terms: [treaty], in: title}]
  t_sentences:
    any: [{name: repeated, terms: [summit], min_sentences: 3}]
  t_future:
    tense: future
    any: [{name: summit, terms: [summit]}]
  t_balance:
    tense: future
    any: [{name: treaty, terms: [treaty], weight: 0.3}]
  t_required:
    all: [[zebra]]
    any: [{name: word, terms: [summit], weight: 0.9}]
  t_vetoed:
    none: [phone]
    any: [{name: word, terms: [summit], weight: 0.9}]
  t_far:
    any: [{name: nothing, terms: [zebra]}]
"""
TENSE = """
tense:
  within: 6 words
  future: [will]
  past: [held]
"""
TITLE = "Seoul, Tokyo news"
TEXT = (
    "Lee and Ishiba held a summit by phone. Much later, and far away from it in this long "
    "sentence, a treaty was signed in Tokyo and Seoul."
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return parse_rules(rules_text(TYPES, TENSE))


@pytest.fixture(scope="module")
def misses(rules: RuleSet) -> dict[str, NearMiss]:
    verdict = rules.classify(TITLE, TEXT)
    assert verdict.types == ("sure",)
    return {m.event_type: m for m in near_misses(rules, TITLE, TEXT, verdict)}


def reasons(miss: NearMiss) -> dict[str, str]:
    return {c.rule.split(".", 1)[1]: c.reason for c in miss.clues}


def test_which_types_are_near_misses(misses: dict[str, NearMiss]) -> None:
    # assigned (sure) and untouched (t_far: nothing of it in the text) types are not listed
    assert list(misses) == [
        "t_terms", "t_all", "t_near", "t_none", "t_where", "t_sentences", "t_future",
        "t_balance", "t_required", "t_vetoed",
    ]  # fmt: skip


def test_a_score_below_the_threshold(misses: dict[str, NearMiss]) -> None:
    miss = misses["t_terms"]
    assert (miss.score, miss.threshold, miss.blocked) == (0.3, 0.5, "")
    matched = [c for c in miss.clues if c.matched]
    assert [(c.rule, c.gain, c.term, c.where) for c in matched] == [
        ("t_terms.word", 0.3, "summit", "body")
    ]
    assert reasons(miss)["absent"] == "none of its terms appear"


def test_clue_reasons(misses: dict[str, NearMiss]) -> None:
    assert reasons(misses["t_all"])["both"] == "no term of group 2 (zebra)"
    assert reasons(misses["t_near"])["close"] == (
        "'summit' (body) has no term of group 2 (treaty) within 3 words"
    )
    assert reasons(misses["t_none"])["vetoed"] == (
        "every match shares a sentence with 'phone' (its `none`)"
    )
    assert reasons(misses["t_where"])["in title"] == "matches only in the body"
    assert reasons(misses["t_sentences"])["repeated"] == "matches in 1 sentence; needs 3"
    assert reasons(misses["t_future"])["summit"] == "its match is past-cued"
    for name in ("t_none", "t_where", "t_sentences", "t_future"):
        assert misses[name].score is None and misses[name].clues[0].close


def test_blocked_types(misses: dict[str, NearMiss]) -> None:
    required, vetoed, balance = misses["t_required"], misses["t_vetoed"], misses["t_balance"]
    assert (required.score, required.clue_score) == (None, 0.9)
    assert required.blocked == "no term of its `all` group 1 (zebra)"
    assert vetoed.blocked == "vetoed by 'phone' in the body (the type's `none`)"
    assert balance.blocked == (
        "its future-cued matches (0.00) must outweigh its past-cued ones (0.00)"
    )


def test_near_miss_text(misses: dict[str, NearMiss]) -> None:
    text = format_near_misses(list(misses.values()))
    lines = text.splitlines()
    assert lines[0] == "near misses:"
    at = lines.index("  t_terms 0.30, below its threshold 0.50")
    assert lines[at + 1] == "    + t_terms.word +0.30 body: 'summit'"
    assert lines[at + 2] == "    - not in the text at all: absent"
    assert (
        "    - t_near.close (near): 'summit' (body) has no term of group 2 (treaty) within 3 words"
    ) in lines
    assert (
        "  t_required not scored (its clues would give 0.90; threshold 0.50): "
        "no term of its `all` group 1 (zebra)"
    ) in lines
    assert "  t_none not scored (threshold 0.50)" in lines
    assert format_near_misses([]) == ""


def test_when_nothing_scores_the_types_with_a_clue_partly_there_are_shown() -> None:
    rules = parse_rules(
        rules_text(
            "  t:\n    any:\n      - {name: close, near: [[summit], [treaty]], within: 3 words}\n"
            "  u:\n    any:\n      - {name: absent, terms: [zebra]}\n"
        )
    )
    text = "A summit was held."
    verdict = rules.classify(TITLE, text)
    assert verdict.scores == {} and not verdict.relevant
    assert gate_reasons(rules, TITLE, text) == []
    (miss,) = near_misses(rules, TITLE, text, verdict)  # u: nothing of it in the text
    assert miss.event_type == "t" and miss.score is None
    assert reasons(miss) == {"close": "no term of group 2 (treaty)"}
    said = explain(verdict, rules, gate_failed=[])
    assert "the topic gate passed, but no type was scored: see the near misses" in said
    assert "did not pass" not in said
    why = gate_reasons(rules, "Seoul weather", text)  # one side only
    assert why == ["japan is not mentioned"]
    stopped = explain(rules.classify("Seoul weather", text), rules, why)
    assert "the topic gate did not pass: japan is not mentioned" in stopped
    assert "topic.japan: not mentioned" in stopped


def test_a_type_stopped_by_its_all_is_not_said_to_have_no_clue() -> None:
    rules = parse_rules(
        rules_text("  t:\n    all: [[accord]]\n    any:\n      - {name: deal, terms: [deal]}\n")
    )
    verdict = rules.classify(TITLE, "A deal.")
    said = explain(verdict, rules, gate_failed=[])
    assert "no type was scored: see the near misses" in said
    (miss,) = near_misses(rules, TITLE, "A deal.", verdict)
    assert miss.event_type == "t" and "no term of its `all` group 1 (accord)" in miss.blocked


def test_a_type_whose_matches_are_all_after_its_lead_is_blocked() -> None:
    rules = parse_rules(
        rules_text("  t:\n    lead: 1\n    any:\n      - {name: deal, terms: [deal]}\n")
    )
    text = "Nothing yet. A deal."
    verdict = rules.classify(TITLE, text)
    assert "t" not in verdict.scores
    (miss,) = near_misses(rules, TITLE, text, verdict)
    assert miss.score is None and miss.clue_score == 0.5
    assert miss.blocked == (
        "every match lies after the body's first 1 sentences, none of a clue with its own "
        "tense (the type's `lead`: background of other news)"
    )
    assert near_misses(rules, TITLE, "A deal. Nothing more.") == []  # in the lead: assigned


def test_a_match_past_the_lead_in_a_background_sentence_is_explained() -> None:
    body = (
        "  t:\n    lead: 1\n    background: [last year]\n    any:\n"
        "      - {name: deal, terms: [deal], tense: past}\n"
    )
    rules = parse_rules(rules_text(body))
    text = "Nothing yet. Last year a deal."
    verdict = rules.classify(TITLE, text)
    assert "t" not in verdict.scores
    (miss,) = near_misses(rules, TITLE, text, verdict)
    assert miss.clue_score == 0.0
    (check,) = miss.clues
    assert check.reason == (
        "its match lies past the type's lead in a sentence dated as earlier (its `background`)"
    )
    assert near_misses(rules, TITLE, "Nothing yet. A deal was signed.") == []  # stated


def test_a_type_without_its_stated_clue_beside_another_is_blocked() -> None:
    body = (
        "  announced:\n    tense: future\n    stated_beside: [held]\n    any:\n"
        "      - {name: will meet, terms: [will meet], tense: future, weight: 0.5}\n"
        "      - {name: visit, terms: [visit], weight: 0.5}\n"
        "  held:\n    tense: past\n    any:\n      - {terms: [met], tense: past, weight: 0.5}\n"
    )
    rules = parse_rules(rules_text(body) + "tense:\n  future: [plans]\n  past: [met]\n")
    text = "They met. A visit plans."
    verdict = rules.classify(TITLE, text)
    assert verdict.types == ("held",)
    (miss,) = near_misses(rules, TITLE, text, verdict)
    assert (miss.event_type, miss.score, miss.clue_score) == ("announced", None, 0.5)
    assert miss.blocked == (
        "beside held, none of its clues with their own tense matched (the type's `stated_beside`)"
    )


def test_no_near_misses_when_the_gate_fails(rules: RuleSet) -> None:
    assert near_misses(rules, "Weather", "A summit, a treaty.") == []


def test_without_a_verdict_the_same_near_misses(
    rules: RuleSet, misses: dict[str, NearMiss]
) -> None:
    assert {m.event_type: m for m in near_misses(rules, TITLE, TEXT)} == misses


def _corpus_items(shared_dir: Path, name: str) -> list[tuple[str, str]]:
    return [(i.title, i.text) for i in read_labelled(shared_dir / "corpus" / name)]


@pytest.mark.parametrize("name", ["dev-articles.jsonl", "seed-articles.jsonl"])
def test_near_miss_scores_are_the_classifiers(shared_dir: Path, name: str) -> None:
    rules = load_rules(Path(__file__).resolve().parents[1] / "config/rules/seoul-tokyo.yaml")
    listed = 0
    for title, text in _corpus_items(shared_dir, name):
        verdict = rules.classify(title, text)
        found = {m.event_type: m for m in near_misses(rules, title, text)}
        assert not set(found) & set(verdict.types)
        for event_type, score in verdict.scores.items():
            if event_type not in verdict.types:
                assert found[event_type].score == score, (title, event_type)
        for event_type, miss in found.items():
            assert miss.score == verdict.scores.get(event_type), (title, event_type)
            assert (miss.score is None) == (miss.clue_score == 0 or bool(miss.blocked))
        listed += len(found)
    assert listed > 0


def test_classify_prints_near_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, corpus = write(tmp_path)
    code = run(["classify", "--rules", str(rules), str(corpus)])
    out, _ = capsys.readouterr()
    assert code == 0
    block = out.split("== s20: ")[1].split("== ")[0]
    assert "below threshold: summit_held 0.40" in block
    assert "near misses:\n" in block
    assert (
        "  summit_held 0.40, below its threshold 0.50\n    + summit_held.visit +0.40 title: 'visit'"
        in block
    )
    assert "    - summit_held.leaders meet (near): no term of group 1 (summit, 정상회담)" in block
    # --json is unchanged by the explanations
    run(["classify", "--rules", str(rules), "--json", str(corpus)])
    out, _ = capsys.readouterr()
    assert all("near" not in json.loads(line) for line in out.splitlines())


def test_the_gate_says_which_of_its_conditions_stopped_an_item() -> None:
    rules = parse_rules(
        """
topic:
  sides:
    korea: [Seoul]
    japan: [Tokyo]
  min_mentions: 2
  within: 2 sentences
  none:
    - in: title
      terms: [baseball]
types:
  t:
    any: [{name: summit, terms: [summit]}]
"""
    )
    far = "Seoul said so. Seoul agreed. The rain stopped. The wind rose. Tokyo and Tokyo met."
    cases = {
        # (title, text): the reasons
        ("News", "Seoul and Seoul. Nothing else."): ["japan is not mentioned"],
        ("News", "Seoul and Tokyo held a summit. Seoul said so."): [
            "japan is not in the title and has 1 of the 2 mentions the body needs "
            "(topic.min_mentions)"
        ],
        ("News", far): ["the sides are never within 2 sentences of each other (topic.within)"],
        ("Seoul, Tokyo baseball", "A summit."): [
            "excluded by 'baseball' in the title (topic.none)"
        ],
        ("Seoul, Tokyo summit", "A summit."): [],
    }
    for (title, text), expected in cases.items():
        why = gate_reasons(rules, title, text)
        assert why == expected, title + text
        verdict = rules.classify(title, text)
        assert verdict.relevant == (not why)
        said = explain(verdict, rules, why)
        if why:
            assert f"the topic gate did not pass: {'; '.join(why)}" in said
        else:
            assert "did not pass" not in said


def test_a_near_clue_with_every_group_in_the_text_out_of_reach_is_a_near_miss() -> None:
    # another type was assigned, so only types with something close to a match are shown:
    # every group of t's near clue is in the item, never within reach of each other
    rules = parse_rules(
        rules_text(
            "  sure:\n    any: [{name: cities, terms: [Seoul], in: title}]\n"
            "  t:\n    any:\n      - {name: close, near: [[summit], [treaty]], within: 3 words}\n"
            "  u:\n    any:\n      - {name: half, near: [[summit], [zebra]], within: 3 words}\n"
        )
    )
    verdict = rules.classify(TITLE, TEXT)
    assert verdict.types == ("sure",)
    (miss,) = near_misses(rules, TITLE, TEXT, verdict)  # u: its second group is absent
    assert (miss.event_type, miss.score, miss.clue_score) == ("t", None, 0.0)
    (check,) = miss.clues
    assert check.apart and not check.close and not check.absent
    assert check.reason == "'summit' (body) has no term of group 2 (treaty) within 3 words"
