"""Matching: each rule construct matches the right text and misses a near miss."""

from __future__ import annotations

import json
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.classify import load_rules, parse_rules, read_corpus
from monitor.classify.evaluate import evaluate
from monitor.classify.nearmiss import near_misses
from monitor.classify.rules import RuleSet
from monitor.classify.text import without_related
from monitor.errors import ConfigError
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
        "    any:\n      - terms: [ally]\n",
        "Seoul, Tokyo allies",
        "Seoul, Tokyo alliance",
    ),
    (
        "    any:\n      - terms: [coach]\n",
        "Seoul, Tokyo coaches",
        "Seoul, Tokyo coachman",
    ),
    (
        "    any:\n      - terms: [$kr]\n",
        "Lee Jaemyung in Seoul, Tokyo",
        "Lee Jaemyungi in Seoul, Tokyo",
    ),
    (
        "    any:\n      - terms: [전화 회담]\n",
        "한국 일본 전화 회담",
        "한국 일본 전화 정상 회담",
    ),
    ("    any:\n      - terms: [会談]\n", "日本と韓国の首脳会談へ", "日本と韓国の会見"),
    (
        "    any:\n      - near: [summit, $jp]\n        within: 2 sentences\n",
        "Seoul, Tokyo. A summit. Then Ishiba",
        "Seoul, Tokyo. A summit. Then. Ishiba",
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
        "plural-ies",
        "plural-es",
        "hyphen-joined",
        "korean-spaced-as-written",
        "japanese-inside-a-word",
        "near-sentences",
        "type-all",
        "type-none",
    ],
)
def test_construct(body: str, good: str, miss: str) -> None:
    rules = one_type(body.replace("      - ", "      - weight: 0.5\n        ", 1))
    assert assigned(rules, good)
    assert not assigned(rules, miss)


def test_case_sensitive_terms() -> None:
    rules = one_type("    any:\n      - terms: [=US, =Ally]\n        weight: 0.5\n")
    assert assigned(rules, GATE, "The US view.")
    assert assigned(rules, GATE, "Two Allies.")  # the plural, case kept
    assert not assigned(rules, GATE, "Give us a view.")
    assert not assigned(rules, GATE, "Two allies.")
    assert not assigned(rules, GATE, "A US$10 billion swap.")  # dollars, not the country
    assert assigned(rules, GATE, "The US: $10 billion.")
    both = one_type("    any:\n      - all: [=US, us]\n        weight: 0.5\n")
    assert assigned(both, GATE, "Tell us. The US view.")  # the plain term: any case
    assert not assigned(both, GATE, "Tell us.")
    (evidence,) = rules.classify(GATE, "The US view.").labels[0].evidence
    assert evidence.term == "US"
    # "İ" lower-cases to two characters: the text keeps its offsets and its case
    assert assigned(rules, GATE, "In İstanbul the US said so.")
    assert not assigned(rules, GATE, "In İstanbul they told us so.")
    istanbul = one_type("    any:\n      - terms: [istanbul]\n        weight: 0.5\n")
    assert assigned(istanbul, GATE, "In İSTANBUL.")


def test_word_start_korean_terms() -> None:
    rules = one_type("    any:\n      - terms: [^스가]\n        weight: 0.5\n")
    assert assigned(rules, GATE, "스가 총리는 한국과 일본의 관계를 말했다.")
    assert assigned(rules, GATE, "스가는 말했다.")  # a particle attaches at the end
    assert assigned(rules, GATE, "日스가, 한일관계 언급")  # after a Chinese character
    assert assigned(rules, GATE, "(스가 총리)")
    assert not assigned(rules, GATE, "버스가 떠났다. 서비스가 좋다.")
    assert not assigned(rules, GATE, "Bus스가")  # a Latin letter continues the word too
    # the same surface without ^ in the same rules still matches inside words
    both = one_type(
        "    any:\n      - terms: [^스가]\n        weight: 0.5\n"
        "      - terms: [스가]\n        weight: 0.1\n"
    )
    assert both.classify(GATE, "버스가 떠났다.").scores == {"t": 0.1}
    assert both.classify(GATE, "스가 총리").scores == {"t": 0.6}


def test_word_start_korean_terms_may_start_with_digits() -> None:
    rules = one_type("    any:\n      - terms: [^3자]\n        weight: 0.5\n")
    assert assigned(rules, GATE, "한미일 3자 회담이 열렸다.")
    assert assigned(rules, GATE, "3자회담")
    assert assigned(rules, GATE, "(3자 협력)")
    assert not assigned(rules, GATE, "제3자 변제 방식을 발표했다.")  # "third party"
    assert not assigned(rules, GATE, "13자 회의")  # a digit continues the word
    plain = one_type("    any:\n      - terms: [3자]\n        weight: 0.5\n")
    assert assigned(plain, GATE, "제3자 변제 방식을 발표했다.")  # without ^: inside words


def test_terms_do_not_count_inside_the_words_of_not_inside() -> None:
    extra = "not_inside:\n  日韓: [在日韓国]\n  首相: [副首相, 元首相]\n"
    rules = one_type(
        "    any:\n      - terms: [日韓]\n        weight: 0.5\n"
        "      - terms: [首相]\n        weight: 0.3\n",
        extra,
    )
    assert rules.classify(GATE, "日韓首脳会談を開いた。").scores == {"t": 0.5}
    assert not rules.classify(GATE, "在日韓国人の団体が集会を開いた。").scores
    # the same text elsewhere in the item still counts
    assert rules.classify(GATE, "在日韓国人の団体。日韓関係").scores == {"t": 0.5}
    assert not rules.classify(GATE, "副首相と元首相が会った。").scores
    assert rules.classify(GATE, "元首相と首相が会った。").scores == {"t": 0.3}
    # the words alone, without not_inside, hold the terms
    plain = one_type("    any:\n      - terms: [日韓]\n        weight: 0.5\n")
    assert plain.classify(GATE, "在日韓国人の団体").scores == {"t": 0.5}


def test_not_inside_a_korean_term_with_a_space_also_without_it() -> None:
    """A Korean term with a space matches without it ("경제 협력" in 경제협력체), and its
    not_inside words may hold it either way."""
    rules = one_type(
        "    any:\n      - terms: [경제 협력]\n        weight: 0.5\n",
        "not_inside:\n  경제 협력: [아시아태평양경제협력]\n",
    )
    assert rules.classify(GATE, "양국은 경제협력을 강화하기로 했다.").scores == {"t": 0.5}
    assert rules.classify(GATE, "양국은 경제 협력을 강화하기로 했다.").scores == {"t": 0.5}
    assert not rules.classify(GATE, "아시아태평양경제협력체(APEC) 정상회의").scores


def test_a_kana_reading_in_brackets_is_read_through() -> None:
    """The reading the Japanese press gives a name in brackets is dropped before matching:
    the name and the word after it are the press's own compound (康京和外相, 佐渡島の金山),
    so terms and not_inside words match across it; brackets holding anything else stay."""
    rules = one_type(
        "    any:\n      - terms: [佐渡島の金山]\n        weight: 0.5\n"
        "      - terms: [外相]\n        weight: 0.3\n",
        "not_inside:\n  外相: [康京和外相]\n",
    )
    assert rules.classify(GATE, "「佐渡島（さど）の金山」が登録された。").scores == {"t": 0.5}
    assert not rules.classify(GATE, "康京和（カン・ギョンファ）外相が来日した。").scores
    assert rules.classify(GATE, "康京和（前職）外相が来日した。").scores == {"t": 0.3}
    assert rules.classify(GATE, "佐渡島（新潟県）の金山が登録された。").scores == {}


def test_not_inside_names_a_term_the_words_contain() -> None:
    body = "    any:\n      - terms: [日韓]\n"
    with pytest.raises(ConfigError, match="'在日' does not contain '日韓'"):
        one_type(body, "not_inside:\n  日韓: [在日]\n")
    with pytest.raises(ConfigError, match="'韓日' is not a term of any rule or list"):
        one_type(body, "not_inside:\n  韓日: [在韓日本]\n")
    with pytest.raises(ConfigError, match=r":[0-9]+: not_inside\.日韓"):
        one_type(body, "not_inside:\n  日韓: [日韓]\n")


def test_shipped_terms_do_not_count_inside_longer_words(shipped: RuleSet) -> None:
    residents = shipped.classify(
        "在日韓国人の団体が集会", "東京で在日韓国人の団体が集会を開き、参加者が多かった。"
    )
    assert not any("日韓" in e.term for e in residents.gate_evidence), residents
    deputy = shipped.classify("副首相が会見", "韓国の経済副首相が会見した。元首相も出席した。")
    assert not any(e.term == "首相" for e in deputy.gate_evidence), deputy
    flag = "A Korean ship flew past the Rising Sun flag of Japan's navy in Seoul and Tokyo."
    for text in (flag, flag.replace("flag", "ensign")):
        assert "historical_issue" in shipped.classify("Seoul and Tokyo", text + " " + text).types
    byname = "Tourists from Seoul love the Land of the Rising Sun. Seoul and Tokyo."
    assert (
        "historical_issue" not in shipped.classify("Seoul and Tokyo", byname + " " + byname).types
    )


def test_word_start_terms_are_korean_only() -> None:
    for term in ("^Suga", "^菅首相", "^2024", "^3kg"):
        with pytest.raises(ConfigError, match="a leading \\^ only applies to Korean terms"):
            one_type(f"    any:\n      - terms: ['{term}']\n")


@pytest.mark.parametrize(
    ("title", "text", "side"),
    [
        ("한국 소식", "두 정상은 일대일 회담을 가졌다. 한국과 미국의 동맹.", "japan"),  # 1:1
        ("한국 소식", "중국의 일대일로 구상과 한국", "japan"),  # the Belt and Road
        ("한국 소식", "정부는 동일한 입장이다. 유일한 대안이다. 함께 일한 동료.", "japan"),
        ("한국 소식", "한국의 버스가 멈췄다. 서비스가 재개됐다.", "japan"),  # not Suga
        ("일본 소식", "총리는 미국을 순방한다. 시장을 개방한다. 분주한 일본 외교.", "korea"),
    ],
    ids=["il-dae-il", "belt-and-road", "il-han", "suga", "bang-han-ju-han"],
)
def test_shipped_korean_side_terms_do_not_match_inside_other_words(
    shipped: RuleSet, title: str, text: str, side: str
) -> None:
    verdict = shipped.classify(title, text)
    assert not any(e.rule == f"topic.{side}" for e in verdict.gate_evidence), verdict
    assert not verdict.relevant


def test_shipped_korean_clue_terms_do_not_match_inside_other_words(shipped: RuleSet) -> None:
    from monitor.classify.doc import Doc, Prepared

    text = (
        "일본 소비자들은 한국 제품을 샀다. 그는 말을 남기고 떠났다. 노벨평화상 수상자. "
        "자위대 현대화와 효과 극대화. 한일 현대사 연구."
    )
    found = Doc(shipped, Prepared("한일 관계", text)).found
    inside = {
        "비자": "소비자",
        "기고": "남기고",
        "화상": "평화상",
        "대화": "현대화",
        "대사": "현대사",
    }
    for term in inside:
        assert shipped.term_text.index(term) not in found, (term, inside[term])
    said = Doc(
        shipped, Prepared("한일 관계", "비자 면제. [기고] 화상 회담. 대화. 대사와 일본대사관")
    )
    for term in [*inside, "일본대사"]:
        assert shipped.term_text.index(term) in said.found, term


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "이 대통령, 한일 관계 언급",
            "이재명 대통령은 기자회견에서 다카이치 사나에 일본 총리와 회담을 갖고 싶다고 말했다.",
            "summit_announced",
        ),
        (
            "이 대통령, 한일 관계 언급",
            "이재명 대통령은 다카이치 총리를 만나고 싶다고 했다.",
            "summit_announced",
        ),
        (
            "石破首相、日韓関係に言及",
            "石破茂首相は記者団に、韓国の李在明大統領と会談したいと述べた。",
            "summit_announced",
        ),
        (
            "이 대통령, 한일 관계 언급",
            "이재명 대통령은 다카이치 총리를 직접 만나고자 한다고 밝혔다.",
            "summit_announced",
        ),
        (
            "石破首相、日韓関係に言及",
            "石破茂首相は李在明大統領と早期に会談しようと呼びかけた。",
            "summit_announced",
        ),
        # the same verbs stating a meeting that took place
        (
            "이 대통령, 한일 관계 언급",
            "이재명 대통령은 다카이치 총리를 만나고 협력을 약속했다.",
            "summit_held",
        ),
        (
            "石破首相、日韓関係に言及",
            "石破茂首相は韓国の李在明大統領と会談し、連携を確認した。",
            "summit_held",
        ),
    ],
    ids=[
        "ko-want-to-hold-talks",
        "ko-want-to-meet",
        "ja-want-to-meet",
        "ko-intend-to-meet",
        "ja-let-us-meet",
        "ko-met",
        "ja-met",
    ],
)
def test_a_wish_to_meet_is_not_a_meeting_held(
    shipped: RuleSet, title: str, text: str, expected: str
) -> None:
    """Korean -고 싶다 and Japanese -たい attach to the forms that state a meeting as done."""
    assert shipped.classify(title, text).types == (expected,)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Nukaga meets Lee Nak-yon in Seoul",
            "Fukushiro Nukaga met Lee Nak-yon on Tuesday. They agreed to keep up exchanges.",
        ),
        (
            "Akiba, Cho Tae-yong hold talks",
            "Takeo Akiba met Cho Tae-yong in Seoul on Friday to discuss bilateral ties.",
        ),
        (
            "문희상 의장, 누카가 회장 접견",
            "문희상 국회의장은 누카가 회장을 접견하고 의회 교류를 논의했다.",
        ),
        (
            "秋葉局長、金聖翰室長と会談",
            "秋葉剛男国家安全保障局長は金聖翰国家安保室長とソウルで会談した。",
        ),
    ],
    ids=["en-league-and-prime-minister", "en-security-advisers", "ko-speaker", "ja-advisers"],
)
def test_officials_named_without_their_titles_name_their_side(
    shipped: RuleSet, title: str, text: str
) -> None:
    """A report that names the officials who met and neither country still passes the
    gate (each official names their side) and is their exchange."""
    assert shipped.classify(title, text).types == ("official_exchange",)


@pytest.mark.parametrize(
    "title", ["Moon Hee-sang asks Emperor Akihito to apologise", "문희상 의장, 일왕 사죄 요구"]
)
def test_the_emperor_names_japan(shipped: RuleSet, title: str) -> None:
    sides = {e.rule: e for e in shipped.classify(title, "").gate_evidence}
    assert sides["topic.japan"].term in ("Emperor Akihito", "일왕")
    assert sides["topic.korea"].where == sides["topic.japan"].where == "title"


@pytest.mark.parametrize(
    ("title", "text", "relevant"),
    [
        (
            "Lee, Ishiba chart new course for ties at Tokyo summit",
            "President Lee Jae-myung and Prime Minister Shigeru Ishiba held talks in Tokyo on "
            "Saturday and agreed to expand cooperation.",
            True,
        ),
        (
            "Japan, South Korea to act in concert against North Korea missile threat",
            "Japanese Defense Minister Gen Nakatani and South Korean Defense Minister Kim "
            "Yong-hyun agreed in phone talks on Tuesday to respond in concert to North Korea's "
            "missile launches.",
            True,
        ),
        (
            "日韓議連の日本代表団がソウル入り　尹大統領と面会へ",
            "日韓議員連盟の日本代表団が10日、ソウルに到着した。代表団は韓日議員連盟との合同総会に"
            "出席し、尹錫悦大統領と面会する予定だ。",
            True,
        ),
        (
            "日韓スタートアップ、シリコンバレーで共同拠点",
            "日本と韓国のスタートアップ支援機関は、シリコンバレーに共同の拠点を設けることで合意した。"
            "日韓の経済協力の一環で、両国政府も支援する。",
            True,
        ),
        (
            "한일 어업협상 대표팀, 도쿄서 3차 협의",
            "한국과 일본의 어업협상 대표팀이 도쿄에서 3차 협의를 열고 배타적경제수역 입어 조건을 "
            "논의했다. 해양수산부가 밝혔다.",
            True,
        ),
        (
            "日 수출규제 검증시 韓 반도체 타격",
            "일본 정부의 수출규제 강화로 한국 반도체 업계의 타격이 예상된다. 일본은 한국을 "
            "화이트리스트에서 제외했다.",
            True,
        ),
        (
            "한일 외교장관 회담 3주가 지났지만…후속 협의 감감",
            "조태열 외교부 장관과 이와야 다케시 일본 외무상이 도쿄에서 회담한 지 3주가 지났지만 "
            "후속 협의 일정은 잡히지 않았다.",
            True,
        ),
        (
            "TWICE tops Japan's charts again",
            "TWICE topped the Oricon weekly chart in Japan, the South Korean group's label said.",
            False,
        ),
        (
            "TWICE concert in Tokyo draws 50,000",
            "The South Korean group TWICE held a concert at Tokyo Dome in Japan; fans from "
            "Korea flew in.",
            False,
        ),
        (
            "코스피 주가 급락…日 닛케이도 하락",
            "코스피가 3% 급락했다. 일본 닛케이지수도 하락했다. "
            "한국과 일본 증시가 동반 약세를 보였다.",
            False,
        ),
        (
            "女子バレー、日本が韓国に快勝",
            "バレーボール女子の日本代表は韓国に3-0で勝った。日本は韓国戦の連敗を止めた。",
            False,
        ),
    ],
    ids=[
        "chart-a-course",
        "in-concert",
        "delegation",
        "silicon-valley",
        "negotiating-team",
        "check-time",
        "word-start",
        "music-chart",
        "concert",
        "stock-prices",
        "volleyball",
    ],
)
def test_the_gate_s_words_for_sports_and_shows_exclude_only_sports_and_shows(
    shipped: RuleSet, title: str, text: str, relevant: bool
) -> None:
    """The topic gate leaves out charts, concerts, matches and market reports by their
    headlines, not leaders who "chart a new course", ministers who "act in concert", a
    delegation (日本代表団), Silicon Valley (シリコンバレー), a negotiating team (협상
    대표팀), a word that holds 증시 (검증시) or 주가 inside a word (3주가)."""
    assert shipped.classify(title, text).relevant is relevant


def test_case_sensitive_terms_are_latin_only() -> None:
    with pytest.raises(ConfigError, match="a leading = only applies to Latin-script terms"):
        one_type("    any:\n      - terms: [=한국]\n")


def test_abbreviated_months_and_titles_do_not_end_a_sentence() -> None:
    from monitor.classify.doc import Prepared

    text = (
        "Lee will visit Tokyo on Aug. 23 to meet Mr. Ishiba and Gen. Kim. He said no. Then he left."
    )
    item = Prepared("t", text)
    # the title's line break, then "kim." and "no.": not "aug.", "mr." or "gen."
    assert [item.low[max(0, i - 3) : i + 1] for i in item.sentence_breaks()] == [
        "t\n",
        "kim.",
        " no.",
    ]


def test_a_numbered_paragraphs_number_does_not_end_a_sentence() -> None:
    from monitor.classify.doc import Prepared

    # a readout's numbered paragraphs ("as follows. 3. Minister …"; the body's line
    # breaks read as spaces) against a date that ends a sentence ("on June 22.")
    text = "The overview is as follows.\n1. They met. 2. They agreed on June 22. 10. Done"
    item = Prepared("t", text)
    assert [item.low[max(0, i - 3) : i + 1] for i in item.sentence_breaks()] == [
        "t\n",
        "ows.",
        "met.",
        " 22.",
    ]


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


def test_in_body_ignores_the_title() -> None:
    rules = one_type("    any:\n      - terms: [summit]\n        in: body\n        weight: 0.5\n")
    assert assigned(rules, GATE, "A summit.")
    assert not assigned(rules, "Seoul, Tokyo summit", "Nothing.")


def test_regex_in_title_and_body() -> None:
    clue = "    any:\n      - regex: 'summits? in (?:seoul|tokyo)'\n        in: {}\n"
    in_title, in_body = one_type(clue.format("title")), one_type(clue.format("body"))
    assert assigned(in_title, "Summit in Tokyo, Seoul")
    assert not assigned(in_title, GATE, "Summit in Tokyo.")
    assert assigned(in_body, GATE, "Summit in Tokyo.")
    assert not assigned(in_body, "Summit in Tokyo, Seoul")


def test_min_sentences() -> None:
    rules = one_type(
        "    any:\n      - terms: [summit]\n        min_sentences: 2\n        weight: 0.5\n"
    )
    assert assigned(rules, GATE, "A summit. Another summit.")
    assert not assigned(rules, GATE, "A summit, another summit.")


def test_lead_needs_a_match_in_the_title_or_the_first_sentences() -> None:
    clue = "    any:\n      - terms: [summit]\n        weight: 0.5\n"
    rules = one_type("    lead: 2\n" + clue)
    assert assigned(rules, GATE, "A summit. Then more.")
    assert assigned(rules, GATE, "First. A summit.")  # the body's second sentence
    assert not assigned(rules, GATE, "First. Second. A summit.")  # background
    assert assigned(rules, GATE + " summit", "First. Second. A summit.")  # the title counts
    assert assigned(rules, GATE + "? Yes! No.", "First. A summit.")  # the title's own breaks
    assert assigned(one_type(clue), GATE, "First. Second. A summit.")  # no lead: anywhere
    stated = one_type("    lead: 2\n" + clue + "        tense: past\n")
    assert assigned(stated, GATE, "First. Second. A summit.")  # its phrase states the event


def test_background_terms_keep_a_stated_match_past_the_lead_from_counting() -> None:
    clue = "    any:\n      - terms: [summit]\n        weight: 0.5\n        tense: past\n"
    rules = one_type("    lead: 1\n    background: [last year, $jp]\n" + clue)
    assert assigned(rules, GATE, "First. Leaders held a summit.")  # stated past the lead
    assert not assigned(rules, GATE, "First. Last year a summit.")  # dated as earlier
    assert not assigned(rules, GATE, "First. A summit with Ishiba.")  # a list reference
    assert assigned(rules, GATE, "A summit, as last year.")  # in the lead it states the event
    assert assigned(rules, GATE, "First. Last year. A summit.")  # another sentence's date
    unstated = one_type(
        "    lead: 1\n    background: [last year]\n" + clue.replace("        tense: past\n", "")
    )
    assert not assigned(unstated, GATE, "First. A summit.")  # the lead alone, as before
    assert assigned(one_type("    lead: 1\n" + clue), GATE, "First. Last year a summit.")


def test_background_terms_keep_any_match_past_the_lead_from_counting() -> None:
    clues = (
        "    any:\n      - {name: a, terms: [summit], weight: 0.3}\n"
        "      - {name: b, terms: [deal], weight: 0.3}\n"
    )
    rules = one_type("    lead: 1\n    background: [last year]\n" + clues)
    assert not assigned(rules, GATE, "A summit. Then last year a deal.")  # 0.3: recalled
    assert assigned(rules, GATE, "A summit. Then a deal.")  # 0.6
    assert assigned(rules, GATE, "A summit and last year a deal.")  # both in the lead
    assert assigned(one_type("    lead: 1\n" + clues), GATE, "A summit. Then last year a deal.")


def test_background_needs_a_lead() -> None:
    with pytest.raises(ConfigError, match="background needs lead"):
        one_type("    background: [last year]\n    any:\n      - terms: [summit]\n")


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


def test_tense_cue_counts_only_within_its_distance_and_sentence() -> None:
    tense = TENSE.replace("past: [held, met]", "past: [held, met]\n  within: 3 words")
    rules = parse_rules(rules_text("  t:\n    any:\n      - terms: [summit]\n") + tense)
    assert rules.classify(GATE, "They held the summit.").labels[0].tense == "past"
    far = rules.classify(GATE, "They held, after many weeks of waiting, the summit.")
    assert far.labels[0].tense is None  # the cue is too far away
    assert rules.classify(GATE, "They met. The summit.").labels[0].tense is None  # other sentence
    nearest = rules.classify(GATE, "They held the summit and will go.").labels[0]
    assert nearest.tense == "past"  # of two cues in range, the nearer one


def test_tense_cue_in_the_sentence_counts_over_a_nearer_one_outside_it() -> None:
    rules = parse_rules(rules_text("  t:\n    any:\n      - terms: [summit]\n") + TENSE)
    # the first "will" is as near to the summit as the second, but in the sentence
    # before: the cue of the summit's own sentence counts
    text = "Ministers will meet first. The summit that the leaders will hold is next."
    assert rules.classify(GATE, text).labels[0].tense == "future"


def test_future_type_needs_future_cues_to_outweigh_past_ones() -> None:
    body = (
        "  announced:\n    tense: future\n    any:\n      - terms: [summit]\n        weight: 0.5\n"
    )
    rules = parse_rules(rules_text(body) + TENSE)
    assert rules.classify(GATE, "They will hold a summit.").types == ("announced",)
    assert rules.classify(GATE, "A summit.").types == ()  # no future cue at all
    assert rules.classify(GATE, "They held a summit.").types == ()
    mixed = "They held a summit. They will hold a summit. They met at a summit."
    assert rules.classify(GATE, mixed).types == ()  # two past cues outweigh one future
    two = "They will hold a summit. The summit is to hold talks. They met at a summit."
    assert rules.classify(GATE, two).types == ("announced",)


def test_an_untensed_korean_or_japanese_headline_takes_the_future_of_its_lead() -> None:
    body = (
        "  announced:\n    tense: future\n    any:\n      - terms: [정상회담, summit]\n"
        "        in: title\n        weight: 0.5\n"
        "  held:\n    tense: past\n    any:\n      - terms: [정상회담, summit]\n"
        "        in: title\n        weight: 0.5\n"
    )
    tense = TENSE.replace("future: [will, to hold]", "future: [will, to hold, 예정]")
    tense = tense.replace("past: [held, met]", "past: [held, met, 가졌다]")
    on = parse_rules(rules_text(body) + tense + "  headline_future: true\n")
    off = parse_rules(rules_text(body) + tense)
    title = "이재명 대통령, 13일 일본 방문…이시바 총리와 정상회담"
    lead = "이재명 대통령은 13일 한국 대통령으로 일본을 방문할 예정이다. 회담은 도쿄에서 열린다."
    assert on.classify(title, lead).types == ("announced",)
    assert on.classify(title, lead).labels[0].tense == "future"
    assert off.classify(title, lead).types == ("held",)  # an uncued match counts for both
    # a lead sentence that also says what took place, or none with a cue: no tense given
    both = "이재명 대통령은 한국 대통령으로 일본에서 회담을 가졌다. 다음 회담도 예정이다."
    assert on.classify(title, both.replace(". 다음", ", 다음")).types == ("held",)
    assert on.classify(title, "한국과 일본의 방문. 다음 달 예정이다.").types == ("held",)
    # a cue of the headline's own wins; English headlines state their tense
    assert on.classify(title + " 가졌다", lead).types == ("held",)
    english = "Lee Jae-myung and Ishiba: summit in Japan"
    text = "Lee Jae-myung will visit Japan next week, South Korea said."
    assert on.classify(english, text).types == ("held",)


def test_clue_tense_is_the_tense_of_its_phrase_not_of_the_nearest_cue() -> None:
    body = (
        "  held:\n    tense: past\n    any:\n"
        "      - near: [[at their summit], $kr]\n        within: 1 sentence\n"
        "        tense: past\n        weight: 0.5\n"
    )
    with_tense = parse_rules(rules_text(body) + TENSE)
    without = parse_rules(rules_text(body.replace("        tense: past\n", "")) + TENSE)
    text = "At their summit Lee Jae-myung said he will visit Ishiba again."
    # "will" is the nearest cue: without the clue's tense the match is future-cued
    assert without.classify(GATE, text).types == ()
    verdict = with_tense.classify(GATE, text)
    assert verdict.types == ("held",)
    assert verdict.labels[0].tense == "past"
    untyped = parse_rules(rules_text(body.replace("held:\n    tense: past", "t:")) + TENSE)
    assert untyped.classify(GATE, text).labels[0].tense == "past"


def test_clue_tense_against_the_type_tense_is_a_config_error() -> None:
    body = "  held:\n    tense: past\n    any:\n      - terms: [summit]\n        tense: future\n"
    error = r"^<rules>:\d+: types\.held\.any\[0\]\.tense: a clue with tense: future"
    with pytest.raises(ConfigError, match=error):
        parse_rules(rules_text(body) + TENSE)


STATED = (
    "  announced:\n    tense: future\n    stated_beside: [held]\n    any:\n"
    "      - {name: will meet, terms: [will meet], tense: future, weight: 0.5}\n"
    "      - {name: summit, terms: [summit], weight: 0.5}\n"
    "  held:\n    tense: past\n    any:\n      - {terms: [met], tense: past, weight: 0.5}\n"
)


def test_beside_a_stated_beside_type_only_an_own_tense_clue_counts() -> None:
    rules = parse_rules(rules_text(STATED) + TENSE)
    assert rules.classify(GATE, "A summit to hold.").types == ("announced",)  # alone: any clue
    beside = rules.classify(GATE, "They met. A summit to hold.")
    assert beside.types == ("held",) and "announced" not in beside.scores
    stated = rules.classify(GATE, "They met. They will meet again at a summit.")
    assert stated.types == ("announced", "held")
    without = parse_rules(rules_text(STATED.replace("    stated_beside: [held]\n", "")) + TENSE)
    assert without.classify(GATE, "They met. A summit to hold.").types == ("announced", "held")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            "stated_beside: [gone]",
            r"types\.announced\.stated_beside\[0\]: unknown event type 'gone'",
        ),
        ("", r"types\.announced\.stated_beside: stated_beside needs a clue with its own tense"),
    ],
)
def test_stated_beside_names_known_types_and_needs_an_own_tense_clue(
    change: str, error: str
) -> None:
    body = STATED.replace("tense: future, weight", "weight")
    if change:
        body = STATED.replace("stated_beside: [held]", change)
    with pytest.raises(ConfigError, match=error):
        parse_rules(rules_text(body) + TENSE)


def test_none_with_a_distance_vetoes_only_near_the_match() -> None:
    body = (
        "    any:\n      - near: [met, $kr, $jp]\n        within: 1 sentence\n"
        "        none: [phone, {terms: [Trump], within: 3 words}]\n        weight: 0.5\n"
    )
    rules = one_type(body)
    sentence = one_type(body.replace("{terms: [Trump], within: 3 words}", "Trump"))
    far = "Lee Jae-myung met Ishiba in Seoul, a day after the call with Trump."
    near = "Lee Jae-myung met Trump and Ishiba."
    assert assigned(rules, GATE, far)
    assert not assigned(sentence, GATE, far)  # a plain term: the whole sentence
    assert not assigned(rules, GATE, near)
    assert not assigned(rules, GATE, far.replace("call", "phone call"))  # plain terms still
    # in words, a veto term in the previous sentence does not count
    assert assigned(rules, GATE, "He saw Trump. Ishiba met Lee Jae-myung.")
    (miss,) = near_misses(rules, GATE, near)
    assert "every match has 'Trump' within 3 words (its `none`)" in miss.clues[0].reason


def test_none_with_a_distance_needs_a_valid_within() -> None:
    body = "    any:\n      - terms: [summit]\n        none: [{terms: [Trump], within: near}]\n"
    with pytest.raises(ConfigError, match=r"types\.t\.any\[0\]\.none\[0\].*invalid distance"):
        one_type(body)


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


@pytest.mark.parametrize("where", ["title", "body"])
def test_a_near_clue_in_one_part_needs_every_term_in_that_part(where: str) -> None:
    rules = one_type(f"    any:\n      - near: [kappa, lambda]\n        in: {where}\n")
    inside, outside = (f"{GATE} kappa lambda", "") if where == "title" else (GATE, "kappa lambda")
    assert assigned(rules, inside, outside)
    split = (f"{GATE} kappa", "lambda here") if where == "title" else (f"{GATE} lambda", "kappa")
    assert not assigned(rules, *split)  # half of the match is in the other part


def test_evidence_of_all_and_near_clues_names_every_term() -> None:
    rules = one_type(
        "    any:\n      - all: [summit, $jp]\n        weight: 0.3\n"
        "      - near: [talks, $kr]\n        weight: 0.3\n"
    )
    label = rules.classify(GATE, "A summit with Ishiba. Talks with Lee Jae-myung.").labels[0]
    assert [(e.rule, e.term, e.where) for e in label.evidence] == [
        ("t.all", "summit + Ishiba", "body"),
        ("t.near", "talks + Lee Jae-myung", "body"),
    ]


def test_evidence_snippet_is_the_normalised_text_around_the_match() -> None:
    rules = one_type("    any:\n      - terms: [summit]\n        weight: 0.5\n")
    filler = "word " * 30
    verdict = rules.classify("Seoul ／ Tokyo", filler + "the　summit " + filler)
    (evidence,) = verdict.labels[0].evidence
    assert evidence.snippet.startswith("…") and evidence.snippet.endswith("…")
    assert "word the summit word" in evidence.snippet  # the ideographic space normalised
    short = rules.classify("Seoul, Tokyo", "The summit.").labels[0].evidence[0].snippet
    assert short == "Seoul, Tokyo | The summit.…"  # title and body joined by " | "


def test_gate_evidence_names_the_first_term_and_counts_mentions() -> None:
    rules = one_type("    any:\n      - terms: [summit]\n")
    verdict = rules.classify("Summit in Tokyo", "Seoul and Tokyo met. Japan agreed.")
    assert [(e.rule, e.term, e.where, e.weight) for e in verdict.gate_evidence] == [
        ("topic.korea", "Seoul", "body", 1.0),
        ("topic.japan", "Tokyo", "title", 3.0),
    ]
    missing = rules.classify("Summit", "Nothing about Seoul.")
    assert not missing.relevant and not missing.scores
    assert [e.rule for e in missing.gate_evidence] == ["topic.korea"]


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


def test_a_brief_names_each_side_once() -> None:
    rules = parse_rules(GATED.replace("min_mentions: 2", "min_mentions: 2\n  short_body: 30"))
    assert rules.classify("Talks", "Seoul and Tokyo talk.").relevant  # 21 characters
    longer = "Seoul and Tokyo talk about many things."  # 39 characters
    assert not rules.classify("Talks", longer).relevant
    assert rules.classify("Talks", longer + " Seoul and Tokyo agree.").relevant
    assert not rules.classify("Talks", "Seoul talks.").relevant  # a side is still needed


def test_topic_within_words_and_exclusion_anywhere() -> None:
    rules = parse_rules(
        GATED.replace("within: 1 sentence", "within: 3 words").replace(
            "none: [{terms: [K-pop], in: title}]", "none: [K-pop]"
        )
    )
    assert rules.classify("Talks", "Seoul and Tokyo. Seoul, then Tokyo.").relevant
    far = "Seoul and again Seoul, one of many capitals far away from the city of Tokyo and Tokyo."
    assert not rules.classify("Talks", far).relevant
    vetoed = rules.classify("Talks in Seoul, Tokyo", "About K-pop.")
    assert not vetoed.relevant
    assert [(e.rule, e.term, e.where) for e in vetoed.gate_evidence][-1] == (
        "topic.none",
        "K-pop",
        "body",
    )


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


# defaults.fallback: an item headlined with both sides gets its best type below threshold

FALLBACK_TYPES = (
    "  weak:\n    any:\n      - terms: [visit]\n        weight: 0.3\n"
    "  weaker:\n    any:\n      - terms: [talks]\n        weight: 0.2\n"
)


def fallback_rules(fallback: str | None) -> RuleSet:
    extra = f"defaults:\n  fallback: {fallback}\n" if fallback is not None else ""
    return parse_rules(rules_text(FALLBACK_TYPES, extra))


def test_fallback_assigns_the_best_type_of_a_headlined_item() -> None:
    rules = fallback_rules("0.25")
    # body scores: visit 0.3 (below its threshold 0.5), talks 0.2
    verdict = rules.classify("Seoul and Tokyo", "A visit. Talks.")
    assert verdict.types == ("weak",)
    assert verdict.labels[0].score == 0.3
    assert verdict.relevant


def test_fallback_needs_every_side_in_the_title() -> None:
    rules = fallback_rules("0.25")
    verdict = rules.classify("Seoul news", "Tokyo and Seoul. A visit. Japan, South Korea.")
    assert verdict.scores == {"weak": 0.3}  # on topic, scored, but not headlined
    assert verdict.types == ()


def test_fallback_needs_its_score_and_is_off_by_default() -> None:
    assert fallback_rules("0.35").classify("Seoul and Tokyo", "A visit.").types == ()
    assert fallback_rules(None).classify("Seoul and Tokyo", "A visit.").types == ()


def test_fallback_is_not_used_when_a_type_reaches_its_threshold() -> None:
    rules = fallback_rules("0.1")
    verdict = rules.classify("Seoul and Tokyo visit", "Talks.")  # visit in the title: 0.6
    assert verdict.types == ("weak",)


def test_fallback_in_the_evaluation_is_the_classifiers() -> None:
    from monitor.classify.evaluate import LabelledItem, Scored

    rules = fallback_rules("0.25")
    for title, text in [("Seoul and Tokyo", "A visit."), ("Seoul", "Tokyo, Japan. A visit.")]:
        verdict = rules.classify(title, text)
        item = LabelledItem("x", title, text, frozenset(), False, "en")
        predicted = Scored(item, verdict).predicted({"weak": 0.5, "weaker": 0.5}, rules.fallback)
        assert predicted == set(verdict.types)


def test_a_fallback_label_is_explained_as_one() -> None:
    from monitor.classify.explain import explain

    rules = fallback_rules("0.25")
    text = explain(rules.classify("Seoul and Tokyo", "A visit."), rules)
    assert "weak 0.30 (below its threshold 0.50" in text and "defaults.fallback" in text
    assert "defaults.fallback" not in explain(rules.classify("Seoul and Tokyo visit", ""), rules)


def _nearest_in(
    found: list[int],
    p: int,
    allowed: Callable[[int, int], bool],
    numbers: dict[int, int],
    steps: int,
    reach: int | None,
) -> int | None:
    """The hit of ``found`` nearest to ``p`` (the earlier of two as near) in range and
    ``allowed``: every hit measured, one by one."""
    near = [
        q
        for q in found
        if allowed(p, q)
        and abs(numbers[p] - numbers[q]) <= steps
        and (reach is None or abs(p - q) <= reach)
    ]
    nearest = min((abs(q - p) for q in near), default=None)
    return next((q for q in near if abs(q - p) == nearest), None)


def test_nearest_hits_and_shared_sentences_are_those_of_every_hit(shipped: RuleSet) -> None:
    """``Doc.nearest_each`` and ``Doc.shares_sentence`` look at the hits next to a
    position only; measured against every hit of the group, one by one, they give the
    same answers (the nearest in range, the earlier of two as near) on generated text."""
    from monitor.classify.doc import Doc, Prepared
    from monitor.classify.text import SENTENCE_BREAK, word_starts

    vocabulary = (
        "Yoon Kishida Lee Ishiba summit summits will meet held talks Japan Korea Tokyo Seoul "
        "the a and of in president prime minister foreign ministers phone call visit. "
        "extraordinarily-long-hyphenated-compound-words-that-run-on. 정상회담 일본 한국 "
        "외교장관 전화 회담을 방한 首脳会談 日韓 外相 電話会談 訪韓。 U.S. S. Korea!"
    ).split()
    groups = {g for t in shipped.types for c in t.clues for g in c.groups}
    distances = {c.within for t in shipped.types for c in t.clues if c.kind == "near"}
    distances |= {(1, "words"), (3, "words"), (1, "sentences"), (2, "sentences")}
    rng = random.Random(11)
    checked = 0
    for _ in range(12):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 90)))
        doc = Doc(shipped, Prepared("Korea and Japan", text))
        marks = {
            "words": (word_starts(doc.low), bisect_left),
            "sentences": ([m.start() for m in SENTENCE_BREAK.finditer(doc.low)], bisect_right),
        }
        at = sorted({p for found in doc.hits.values() for p in found})
        numbers = {unit: {p: index(m, p) for p in at} for unit, (m, index) in marks.items()}
        title_end = doc.title_end
        sentence = numbers["sentences"]
        parts: dict[str, Callable[[int, int], bool]] = {  # may q be the nearest hit to p?
            "sentence": lambda p, q, n=sentence: n[p] == n[q],
            "title": lambda p, q, end=title_end: q < end,
            "body": lambda p, q, end=title_end: q >= end,
        }
        for group in {g for g in groups if not doc.found.isdisjoint(g)}:
            found = doc.positions(group)[0]
            for count, unit in distances:
                steps, reach = (count, 25 * count + 30) if unit == "words" else (count - 1, None)
                expected: list[int | None] = []
                for p in at:
                    near = [
                        q
                        for q in found
                        if abs(numbers[unit][p] - numbers[unit][q]) <= steps
                        and (reach is None or abs(p - q) <= reach)
                    ]
                    nearest = min((abs(q - p) for q in near), default=None)
                    expected.append(next((q for q in near if abs(q - p) == nearest), None))
                assert doc.nearest_each(group, at, (count, unit)) == expected, (text, unit)
                checked += len(at)
                for inside, allowed in parts.items():  # only the hits in that part
                    kept = [_nearest_in(found, p, allowed, numbers[unit], steps, reach) for p in at]
                    assert doc.nearest_each(group, at, (count, unit), inside) == kept, inside
            sentence = numbers["sentences"]
            same = [any(sentence[q] == sentence[p] for q in found) for p in at]
            assert doc.shares_sentence(group, at) == same, text
    assert checked > 5_000  # (the generated texts have hits to check)


def _holds_and_lacks(
    rules: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """The item's types hold every one of ``present`` and none of ``absent``."""
    types = set(rules.classify(title, text).types)
    assert present <= types
    assert not absent & types


def _lacks_and_has(
    rules: RuleSet, title: str, text: str, absent: str | None, present: str | None
) -> None:
    """The item's types lack ``absent`` and hold ``present`` (None or "": not asked)."""
    types = rules.classify(title, text).types
    if absent:
        assert absent not in types
    if present:
        assert present in types


@pytest.mark.parametrize(
    ("title", "text", "absent", "present"),
    [
        (  # the congratulations of a first call belong to the call ...
            "Lee, Ishiba agree on stable ties in first phone talks",
            "President Lee Jae-myung and Prime Minister Shigeru Ishiba spoke by phone on Monday. "
            "Ishiba congratulated Lee on his election, and the two leaders agreed to develop "
            "relations between South Korea and Japan in a stable manner.",
            "political_change",
            "leaders_call",
        ),
        (  # ... and a message of congratulation alone is the change of leader
            "Ishiba congratulates Lee on election, hopes for stable ties",
            "Prime Minister Shigeru Ishiba congratulated Lee Jae-myung on his election as South "
            "Korea's president on Wednesday and said he hoped to develop relations between Japan "
            "and South Korea in a stable manner.",
            "leaders_call",
            "political_change",
        ),
        (  # a spokesperson's statement (대변인 논평) is the government's word ...
            "일본 방위백서 독도 주장에 대한 외교부 대변인 논평",
            "정부는 일본 정부가 방위백서에서 독도에 대한 부당한 영유권 주장을 되풀이한 데 대해 "
            "강력히 항의하며, 이를 즉각 철회할 것을 촉구한다.",
            "commentary",
            "territorial_dispute",
        ),
        (  # ... a paper's [논평] is an opinion piece
            "[논평] 일본 방위백서 독도 주장, 한일관계 해친다",
            "일본 정부가 방위백서에서 독도에 대한 부당한 영유권 주장을 되풀이했다. 한일 관계 개선 "
            "흐름에 찬물을 끼얹는 일이다.",
            "economy_trade",
            "commentary",
        ),
        (  # a won-yuan swap is Seoul's with Beijing ...
            "한중 정상, 원·위안 통화스와프 갱신 합의",
            "이재명 대통령과 시진핑 주석은 원·위안 통화스와프 계약을 갱신하기로 합의했다. "
            "이 대통령은 전날 다카이치 사나에 일본 총리와 한일 정상회담을 했다.",
            "economy_trade",
            "summit_held",
        ),
        (  # ... a swap of the two leaders' is between the two
            "한일 정상, 원·엔 통화스와프 복원 합의",
            "이재명 대통령과 다카이치 사나에 일본 총리는 통화스와프 계약을 복원하기로 합의했다.",
            "commentary",
            "economy_trade",
        ),
    ],
    ids=["first-call", "congratulations", "spokesperson", "opinion", "won-yuan", "won-yen"],
)
def test_the_shipped_rules_read_the_subject_of_a_report(
    shipped: RuleSet, title: str, text: str, absent: str, present: str
) -> None:
    _lacks_and_has(shipped, title, text, absent, present)


@pytest.mark.parametrize(
    ("title", "text", "korea"),
    [
        (
            "Korea, U.S., Japan begin sharing missile warning data",
            "The three countries' defense ministries said the system went live on Tuesday.",
            1.0,
        ),
        (  # the North's name is not the South's
            "North Korea fires missile toward Japan",
            "The missile fell into the sea outside Japan's exclusive economic zone, Tokyo said. "
            "North Korea did not comment.",
            None,
        ),
        (  # "South Korea" is one mention, not two (its "Korea" does not count again)
            "Japan and China agree to ease visa rules",
            "Tokyo will relax visa requirements for Chinese travellers. South Korea was not "
            "part of the talks.",
            1.0,
        ),
    ],
    ids=["korea-alone", "north-korea", "south-korea-once"],
)
def test_korea_alone_names_the_south(
    shipped: RuleSet, title: str, text: str, korea: float | None
) -> None:
    found = shipped.classify(title, text)
    mentions = {e.rule: e.weight for e in found.gate_evidence}
    assert mentions.get("topic.korea") == korea
    assert found.relevant == (korea is not None and title.startswith("Korea"))


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (  # "会談が開かれるのは初めて": the holding of a meeting, named as a noun, is no plan
            "日韓首脳が会談",
            "安倍晋三首相は2日、ソウルで朴槿恵大統領と会談した。安倍首相と朴大統領の首脳会談が"
            "開かれるのは初めて。",
            ("summit_held",),
        ),
        (  # an official sent to a memorial of the past is part of the history dispute
            "Seoul skips Sado mine memorial",
            "Seoul boycotted the memorial in Sado on Sunday. Tokyo sent Akiko Ikuina, a "
            "parliamentary vice foreign minister, to the memorial. In Seoul, the foreign minister "
            "told lawmakers the government would hold its own memorial.",
            ("historical_issue",),
        ),
    ],
    ids=["ja-noun-meeting", "memorial"],
)
def test_the_shipped_rules_read_what_the_sentence_does(
    shipped: RuleSet, title: str, text: str, expected: tuple[str, ...]
) -> None:
    assert shipped.classify(title, text).types == expected


@pytest.mark.parametrize(
    ("title", "text", "absent", "present"),
    [
        (
            "Moon, Abe agree to push for tougher sanctions after missile launch",
            "President Moon Jae-in and Prime Minister Shinzo Abe agreed in a phone call on "
            "Friday to seek stronger sanctions against North Korea after its latest missile "
            "launch.",
            "summit_announced",
            "leaders_call",
        ),
        (
            "Yoon eyes summit with Kishida on G7 sidelines",
            "President Yoon Suk Yeol eyes a summit with Prime Minister Fumio Kishida on the "
            "sidelines of the G7 meeting in Hiroshima next month, officials said.",
            "summit_held",
            "summit_announced",
        ),
        (
            "South Korea, US seal tariff deal",
            "Seoul agreed to a 15 percent tariff on its exports to the United States on "
            "Thursday. The terms mirror those Japan secured last week, when Tokyo agreed to "
            "a 15 percent tariff and a large investment package.",
            "economy_trade",
            "",
        ),
        (
            "기시다 총리 다음 달 방한",
            "기시다 후미오 일본 총리가 다음 달 7일 방한한다. 기시다 총리는 "
            "윤석열 대통령과 정상회담을 갖고 만찬을 할 예정이다.",
            "summit_held",
            "summit_announced",
        ),
        (
            "Korean airlines cut Japan flights as bookings fall",
            "South Korean airlines are suspending flights to Japan, as a boycott triggered "
            "by the countries' trade dispute keeps travellers away. Korean visitors to "
            "Japan fell by half in August.",
            "economy_trade",
            "people_exchange",
        ),
        (
            "한일 통화스와프 100억달러 발효",
            "한국과 일본의 통화스와프 계약이 1일 발효됐다. 양국 재무장관은 "
            "지난 6월 한일 재무장관회의에서 스와프 복원에 합의한 바 있다.",
            "ministerial_talks",
            "economy_trade",
        ),
        (
            "Takaichi elected prime minister; Seoul hopes ties keep improving",
            "Sanae Takaichi was elected Japan's prime minister on Tuesday, and Seoul said "
            "it hoped relations with Japan would keep improving. Takaichi has regularly "
            "made an offering to the Yasukuni Shrine in the past, and she has regularly "
            "visited Yasukuni as a minister.",
            "historical_issue",
            "political_change",
        ),
        (
            "한일 정상 첫 통화 조율",
            "이재명 대통령과 이시바 시게루 일본 총리의 첫 전화 통화가 조율되고 있다.",
            "summit_announced",
            "leaders_call",
        ),
        (
            "Lee to visit Nara for talks with Takaichi in January",
            "President Lee Jae-myung will travel to Nara in January for talks with Prime "
            "Minister Sanae Takaichi, officials said. The two leaders first met on the "
            "sidelines of the APEC summit in Gyeongju, where they agreed to keep up shuttle "
            "diplomacy.",
            "summit_held",
            "summit_announced",
        ),
        (
            "Japan, South Korea spar over radar incident",
            "Japan said a South Korean destroyer had locked its fire-control radar on a "
            "Japanese patrol plane. Officials from the two countries held a video "
            "conference on Thursday but failed to narrow their differences.",
            "ministerial_talks",
            "official_exchange",
        ),
        (
            "Lee, Trump hold first summit at the White House",
            "President Lee Jae-myung and President Donald Trump held their first summit in "
            "Washington on Monday. Lee, who flew in from Tokyo after talks with Japanese "
            "Prime Minister Shigeru Ishiba, urged Trump to reopen dialogue with North "
            "Korea.",
            "summit_held",
            "",
        ),
        (
            "North Korea fires missile into sea, Tokyo and Seoul say",
            "North Korea fired a ballistic missile off its east coast on Sunday, Japan's "
            "defence ministry and South Korea's military said. It flew about 1,000 km.",
            "security_defense",
            "",
        ),
        (
            "Seoul and Tokyo should compare notes on US tariffs",
            "South Korea and Japan ended up with the same tariff rate in their deals with "
            "Washington. A Seoul official said there were no plans for Trade Minister Yeo "
            "Han-koo to meet Japan's Ryosei Akazawa, and Korea and Japan have no channel to "
            "compare notes.",
            "ministerial_talks",
            "",
        ),
        (
            "[사설] 다카이치 총리 시대, 셔틀외교 동력 잃지 말아야",
            "다카이치 사나에 자민당 총재가 21일 일본 총리에 올랐다. "
            "한일 관계에도 변화의 바람이 불 수밖에 없게 됐다. "
            "새 총리가 한국과의 관계를 어떻게 이끌지 주목된다.",
            "summit_held",
            "political_change",
        ),
        (
            "한일 국장급 협의…강제징용 '피고기업 사과' 놓고 접점 모색",
            "한국과 일본 외교 당국이 15일 서울에서 국장급 협의를 열고 "
            "강제징용 피해자 배상 문제 해법을 논의했다.",
            "economy_trade",
            "historical_issue",
        ),
        (
            "「日韓交流おまつり」都内で開幕",
            "日韓の市民が音楽や踊りを通じて交流する「日韓交流おまつり」が27日、東京・日比谷公園で開幕した。国交正常化60周年を記念して規模を拡大した。",
            "summit_held",
            "people_exchange",
        ),
        (
            "No Moon-Abe talks at Osaka G20",
            "Prime Minister Shinzo Abe hosted the Group of 20 summit in Osaka without "
            "holding talks with President Moon Jae-in. Japan tightened exports of chip "
            "materials to South Korea days later.",
            "summit_held",
            "",
        ),
        (
            "国連総会での日韓首脳会談「予定なし」",
            "菅義偉官房長官は20日の記者会見で、"
            "国連総会に合わせた安倍晋三首相と韓国の文在寅大統領との首脳会談について「現時点で予定はない」と述べた。",
            "summit_announced",
            "",
        ),
        (
            "石破首相、30日に釜山訪問へ　李大統領と会談",
            "林芳正官房長官は26日の記者会見で、"
            "石破茂首相が30日に韓国の釜山を訪れ、"
            "李在明大統領と会談すると発表した。",
            "summit_held",
            "summit_announced",
        ),
        (
            "北朝鮮ICBM、EEZ内に落下　政府が抗議",
            "北朝鮮が発射した弾道ミサイルが日本の排他的経済水域（EEZ）内に落下し、"
            "政府は北京の大使館ルートを通じて抗議した。韓国軍も発射を確認し、"
            "日韓は情報を共有した。",
            "territorial_dispute",
            "",
        ),
        (
            "South Korea, US kick off summer drills",
            "South Korea and the United States began their annual summer military "
            "exercise on Monday. Their leaders pledged with Japan's prime minister last "
            "year to deepen security cooperation, and Tokyo said it would watch North "
            "Korea's response.",
            "security_defense",
            "",
        ),
        (
            "Park, Abe agree to speed up talks on comfort women",
            "President Park Geun-hye and Prime Minister Shinzo Abe agreed on Monday to "
            "speed up talks on the comfort women issue at their first summit, held in "
            "Seoul a day after a trilateral summit with Chinese Premier Li Keqiang.",
            "trilateral",
            "summit_held",
        ),
    ],
    ids=[
        "proposal-verb",
        "proposal-with-meeting",
        "us-deal-headline",
        "ko-plan-end",
        "amid",
        "ko-recalled-talks",
        "leader-record",
        "ko-call-arranged",
        "first-met",
        "officials-of-both",
        "stopover",
        "sources",
        "denied",
        "shuttle-weighed",
        "defendant-companies",
        "ja-festival",
        "no-meeting",
        "ja-denied",
        "ja-announcing-secretary",
        "ja-eez-missile",
        "us-drills",
        "day-before",
    ],
)
def test_the_shipped_rules_tell_the_event_from_its_background(
    shipped: RuleSet, title: str, text: str, absent: str, present: str
) -> None:
    """What the item reports, not what it recalls, plans, denies or names as a source:
    a proposal verb needs the meeting; a deal with Washington, a leg of a trip, a dispute
    "amid" which something happens and a leader's record are background; a plan at the
    end of a Korean sentence makes its connective verbs a plan ("" present: the item
    reports nothing of the two)."""
    _lacks_and_has(shipped, title, text, absent, present)


@pytest.mark.parametrize(
    ("title", "text", "absent", "present"),
    [
        (
            "Biden hosts Yoon and Kishida at Camp David",
            "President Joe Biden sat down with President Yoon Suk Yeol and Prime Minister "
            "Fumio Kishida at Camp David on Friday. Biden said the three countries would "
            "speak with one voice on North Korea.",
            "summit_held",
            "trilateral",
        ),
        (
            "South Korea, Japan defence ministers meet in Singapore",
            "South Korean Defense Minister Shin Won-sik met Japanese Defense Minister "
            "Minoru Kihara in Singapore on Sunday. Defence ties, which soured over the "
            "court rulings on wartime forced labour, have recovered since last year.",
            "historical_issue",
            "ministerial_talks",
        ),
        (
            "日韓外相が会談\u3000協力継続を確認",
            "岩屋毅外相は13日、ソウルで韓国の趙兌烈外相と会談した。"
            "元徴用工訴訟問題で冷え込んだ両国関係は改善が続いており、"
            "両外相は協力を続けることで一致した。",
            "historical_issue",
            "ministerial_talks",
        ),
        (
            '한일 정상, 첫 정상회담…"협력 강화"',
            "윤석열 대통령은 10일 이시바 시게루 일본 총리와 첫 한일 정상회담을 가졌다. "
            "두 정상은 지난 2일 전화 통화로 첫인사를 나눈 바 있다.",
            "leaders_call",
            "summit_held",
        ),
        (
            "Korea, Japan coast guard chiefs agree on joint rescue drill",
            "The coast guard chiefs of South Korea and Japan met in Tokyo on Wednesday "
            "and agreed to hold a joint search and rescue drill next year.",
            "ministerial_talks",
            "official_exchange",
        ),
        (
            "Jeju Air to fly Busan-Nagasaki route from March",
            "Jeju Air will start flights between Busan and Nagasaki in March, the airline "
            "said. The route will link Nagasaki with Busan three times a week.",
            "economy_trade",
            "people_exchange",
        ),
        (
            "한일, 국장급 협의 개최",
            "한국과 일본 정부가 16일 서울에서 국장급 협의를 열었다. "
            "이번 협의는 지난달 열린 한미일 정상회의 합의에 따라 마련됐다.",
            "trilateral",
            "official_exchange",
        ),
        (
            "Hayashi meets Yoon, hands over Kishida's letter",
            "Japanese Foreign Minister Yoshimasa Hayashi called on President Yoon Suk "
            "Yeol in Seoul on Tuesday and handed over a letter from Prime Minister Fumio "
            "Kishida. Hayashi also held talks with his South Korean counterpart Park Jin.",
            "summit_held",
            "ministerial_talks",
        ),
        (
            "Lee, Ishiba hold talks in Tokyo, agree to deepen cooperation",
            "President Lee Jae-myung and Prime Minister Shigeru Ishiba held talks in Tokyo "
            "on Saturday and agreed to deepen cooperation. Relations soured over the "
            "export controls Japan imposed on chip materials, but have improved steadily.",
            "economy_trade",
            "summit_held",
        ),
        (
            "South Korea, Japan agree to double youth exchanges",
            "South Korea and Japan agreed on Monday to double the number of students in "
            "their youth exchange programmes. Ties, long strained by Seoul's decision to "
            "terminate the military intelligence-sharing pact GSOMIA, have warmed.",
            "security_defense",
            "people_exchange",
        ),
        (
            "日韓議連が合同総会　交流拡大へ共同声明",
            "日韓議員連盟と韓日議員連盟は13日、東京で合同総会を開き、"
            "青少年交流の拡大をうたう共同声明を採択した。"
            "今年8月には李在明大統領が来日し、石破茂首相と会談している。",
            "summit_held",
            "official_exchange",
        ),
        (
            "한일 하늘길 코로나 이전 넘어…주 1,300회 운항",
            "한국과 일본을 오가는 항공편이 주 1,300회를 넘어 코로나19 이전 수준을 회복했다. "
            "양국 관계는 2018년 강제징용 판결 이후 최악의 상황에 빠졌었다. "
            "국토교통부는 한일 노선 여객이 올해 역대 최다를 기록할 것으로 내다봤다.",
            "historical_issue",
            "people_exchange",
        ),
    ],
    ids=[
        "three-leaders",
        "history-backdrop",
        "ja-history-backdrop",
        "ko-recalled-call",
        "agency-chiefs",
        "regional-route",
        "ko-three-way-recalled",
        "hayashi",
        "economy-soured",
        "security-strained",
        "ja-perfect",
        "ko-past-perfect",
    ],
)
def test_the_shipped_rules_tell_who_met_from_the_backdrop(
    shipped: RuleSet, title: str, text: str, absent: str, present: str
) -> None:
    """A third leader at the table makes a meeting three-way; a dispute told as the
    backdrop of other news ("ties, which soured over the rulings", 冷え込んだ, …빠졌었다),
    a call recalled in the report of a meeting (…바 있다), a meeting in the Japanese
    perfect (会談している) and a three-way summit of last month are not reported; agency
    chiefs are officials; a flight route names a Japanese city and a Korean one; a bare
    "Hayashi" is the minister."""
    _lacks_and_has(shipped, title, text, absent, present)


@pytest.mark.parametrize(
    ("title", "text", "absent", "present"),
    [
        (
            "日韓首脳会談見送りへ\u3000政府、成果見込めず",
            "政府は、大阪で開く20カ国・地域首脳会議に合わせた日韓首脳会談を見送る方向で調整に入った。"
            "韓国側は文在寅大統領と安倍晋三首相の会談を打診していたが、"
            "政府は「会談しても成果は見込めない」と判断した。",
            "summit_held",
            "summit_announced",
        ),
        (
            "日米韓首脳が会談\u3000北朝鮮対応で連携",
            "安倍晋三首相は25日、ハーグで、オバマ米大統領、韓国の朴槿恵大統領と日米韓首脳会談を行った。"
            "3首脳は北朝鮮の核・ミサイル開発への対応で緊密に連携することを確認した。",
            "summit_held",
            "trilateral",
        ),
        (
            '李대통령, 이시바 총리와 첫 정상회담…"협력 발전"',
            "이재명 대통령은 17일 캐나다에서 이시바 시게루 "
            "일본 총리와 첫 한일 정상회담을 하고 인공지능과 "
            "저출생 대응 등 양국 공통 과제에서 협력을 확대하기로 "
            "했다. 두 정상은 이달 9일 전화 통화를 한 바 "
            "있으며, 대면 회담은 이번이 처음이다.",
            "leaders_call",
            "summit_held",
        ),
        (
            "Foreign ministers agree to arrange Lee-Takaichi meeting",
            "Japanese Foreign Minister Toshimitsu Motegi and his South Korean counterpart "
            "Cho Hyun agreed in phone talks on Thursday to arrange a meeting between "
            "Prime Minister Sanae Takaichi and President Lee Jae-myung later this month.",
            "leaders_call",
            "ministerial_talks",
        ),
        (
            "한일의원연맹 회장, 스가 총리 예방",
            "한일의원연맹 회장인 김진표 의원이 13일 도쿄에서 "
            "스가 요시히데 총리를 예방했다. 김 회장은 면담 "
            '후 기자들과 만나 "스가 총리에게 문재인 대통령의 '
            '관계 개선 의지를 전달했다"며 "도쿄올림픽이 한일 '
            '대화의 계기가 될 수 있도록 협력하자고 했다"고 '
            "말했다.",
            "summit_held",
            "official_exchange",
        ),
        (
            "Japan to lift chip curbs as Yoon, Kishida revive visits",
            "Japan will lift export restrictions on chip materials bound for South "
            "Korea, the two governments said, as President Yoon Suk Yeol and Prime "
            "Minister Fumio Kishida held the first standalone summit in Tokyo in 12 "
            "years.",
            None,
            "summit_held",
        ),
        (
            "Hayashi, Park agree to seek early solution on labour issue",
            "Japanese Foreign Minister Yoshimasa Hayashi and his South Korean counterpart "
            "Park Jin held talks in Tokyo on Monday. The two ministers agreed to work "
            "toward a meeting between President Yoon Suk Yeol and Prime Minister Fumio "
            "Kishida.",
            None,
            "summit_announced",
        ),
        (
            "高市首相、トランプ大統領と初の対面会談",
            "高市早苗首相は28日、来日中のトランプ米大統領と東京で会談した。"
            "首相は会談後、韓国・慶州で開かれるアジア太平洋経済協力会議に向かい、"
            "李在明大統領との初会談に臨む。",
            "summit_held",
            None,
        ),
        (
            "Seoul and Tokyo explore a first Lee-Takaichi meeting",
            "The two governments are exploring a first meeting between President Lee "
            "Jae-myung and Prime Minister Sanae Takaichi at the APEC summit in Gyeongju "
            "at the end of the month, a senior official said.",
            None,
            "summit_announced",
        ),
        (
            "Japan protests South Korean survey near disputed islets",
            "Japan lodged a protest with South Korea on Wednesday after a South Korean "
            "research vessel was seen conducting a survey in waters around the Seoul-controlled "
            "islets, the Foreign Ministry said. Tokyo regards the area as its exclusive "
            "economic zone near Takeshima, known in South Korea as Dokdo.",
            None,
            "territorial_dispute",
        ),
        (
            "Kishida, Yoon hold talks in Seoul",
            "Japanese Prime Minister Fumio Kishida held talks with South Korean President "
            "Yoon Suk Yeol in Seoul on Sunday. Kishida said Tokyo stood by past cabinets' "
            "expressions of remorse.",
            None,
            "historical_issue",
        ),
        (
            "South Korea widens ban on Japanese fishery imports",
            "South Korea said on Friday it will ban all fishery imports from eight "
            "Japanese prefectures near the Fukushima nuclear plant. Japan asked Seoul "
            "to base its decisions on science.",
            None,
            "economy_trade",
        ),
        (
            "Lee taps veteran diplomat as next ambassador to Tokyo",
            "President Lee Jae-myung has named a veteran diplomat as South Korea's "
            "next ambassador to Japan, a choice officials say signals Seoul's wish "
            "to keep relations with Tokyo steady.",
            None,
            "political_change",
        ),
        (
            "日韓首脳、LINE問題で意思疎通を確認",
            "岸田文雄首相は26日、ソウルで尹錫悦大統領と会談した。"
            "両首脳はLINE問題について意思疎通を続けることを確認した。",
            None,
            "economy_trade",
        ),
        (
            "U.S., Japan, S.Korea begin first 'Freedom Edge' drills",
            "The United States, Japan and South Korea on Thursday began their first "
            "Freedom Edge exercise south of Jeju Island, South Korea's navy said.",
            None,
            "trilateral",
        ),
        (
            "Moon scraps Tokyo Olympics trip, no summit with Suga",
            "South Korean President Moon Jae-in will not attend the opening of the "
            "Tokyo Olympics, his office said on Monday, after weeks of talks with Japan.",
            "summit_held",
            None,
        ),
        (
            "Ishiba attends Korean embassy reception in Tokyo",
            "Prime Minister Shigeru Ishiba attended a reception hosted by the South "
            "Korean Embassy in Tokyo on Monday to mark 60 years of diplomatic relations "
            "between Japan and South Korea. The event comes as Ishiba and President "
            "Lee Jae-myung prepare for their first face-to-face meeting, expected on "
            "the sidelines of the Group of Seven summit this week.",
            "summit_held",
            "summit_announced",
        ),
        (
            "日米韓防衛相が会談\u3000東京で初",
            "木原稔防衛相は28日、オースティン米国防長官、韓国の申源湜国防相と防衛省で会談し、"
            "3カ国の安全保障協力を確認した。日米韓防衛相会談が日本で開かれるのは初めて。"
            "日韓防衛相の個別会談は今回は行わなかった。",
            "ministerial_talks",
            "trilateral",
        ),
        (
            "Lee, Ishiba hold first phone call",
            "President Lee Jae-myung and Prime Minister Shigeru Ishiba held their first "
            "phone call on Monday. During the 25-minute call, held five days after "
            "the new president took office, they discussed trade and North Korea. The "
            "leaders agreed to meet in person at an early date, a spokesperson said. "
            "It was the second call with a foreign leader after U.S. President Donald "
            "Trump.",
            None,
            "summit_announced",
        ),
        (
            "Japan to ease export curbs on South Korea",
            "Japan will lift its export curbs on chip materials to South Korea, the "
            "two governments said on Thursday, hours before President Yoon Suk Yeol "
            "was due to land in Tokyo for a summit with Prime Minister Fumio Kishida. "
            "It is the first bilateral visit to Japan by a South Korean leader in 12 "
            "years.",
            "summit_held",
            "summit_announced",
        ),
        (
            "日米韓首脳、北朝鮮への圧力で一致\u3000NYで会談",
            "安倍晋三首相は21日、トランプ米大統領、韓国の文在寅大統領と国連本部近くのホテルで昼食を取りながら会談した。"
            "3首脳は北朝鮮への最大限の圧力で一致した。",
            "summit_held",
            "trilateral",
        ),
        (
            "Seoul should keep science and politics apart on Fukushima water",
            "South Korea's government will send experts to inspect the Fukushima plant "
            "before Japan releases its treated water. The inspection must be judged "
            "on science, not on the state of relations with Tokyo.",
            None,
            "commentary",
        ),
        (
            "日韓首脳、韓国人原爆犠牲者慰霊碑をそろって参拝",
            "岸田文雄首相と尹錫悦大統領は21日、広島市の平和記念公園にある韓国人原爆犠牲者慰霊碑をそろって参拝した。",
            None,
            "historical_issue",
        ),
        (
            "Kishida, Xi hold first face-to-face talks",
            "Japanese Prime Minister Fumio Kishida and Chinese President Xi Jinping "
            "held talks in San Francisco on Thursday, in their first in-person meeting "
            "since Kishida took office. The roughly 45-minute talks on the sidelines "
            "of the Asia-Pacific Economic Cooperation forum came as the two countries "
            "mark 50 years of ties. The two agreed to launch a defence hotline. Seoul, "
            "which held its own talks with Beijing this week, said it welcomed dialogue "
            "between its neighbours. South Korea hopes to host a three-way summit with "
            "Japan and China next year.",
            "summit_held",
            None,
        ),
    ],
    ids=[
        "ja-called-off",
        "ja-three-way-held",
        "ko-recalled-call-connective",
        "ministers-phone",
        "ko-met-reporters",
        "held-the-first",
        "work-toward-a-meeting",
        "ja-third-leader-in-person",
        "exploring-a-meeting",
        "islets-second-reference",
        "stood-by-remorse",
        "fishery-imports",
        "next-ambassador",
        "ja-line-issue",
        "freedom-edge",
        "headline-no-summit",
        "expected-meeting",
        "ja-no-separate-talks",
        "the-leaders-agreed-to-meet",
        "due-to-land",
        "ja-third-leader-in-the-sentence",
        "should-headline",
        "ja-korean-a-bomb-victims",
        "third-leader-in-person",
    ],
)
def test_the_shipped_rules_tell_what_took_place_and_in_whose_voice(
    shipped: RuleSet, title: str, text: str, absent: str | None, present: str | None
) -> None:
    """A summit called off (見送り) or only supposed ("会談しても"), a meeting with a third
    leader in its sentence (日米韓首脳会談, トランプ米大統領、韓国の文在寅大統領と…会談した) or
    next to "in person", a leader's talks with the press ("기자들과 만나"), a call recalled in
    a Korean connective (…한 바 있으며), ministers' phone talks about their leaders' meeting
    and a bilateral meeting "not held" (行わなかった) are not the meeting or call; "held the
    first summit" states one held, and "work toward", "exploring", "expected on the
    sidelines", "due to land for" and "the leaders agreed to meet" one to come. Wire
    reports' second references and set phrases ("the Seoul-controlled islets", "stood by
    past cabinets' expressions of remorse", "fishery imports", a "next ambassador", LINE問題,
    Freedom Edge, the memorial to Korean atomic bomb victims) name their subject; a
    headline telling a side what it should do is an editorial's."""
    _lacks_and_has(shipped, title, text, absent, present)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "日中韓サミット、4年半ぶりソウルで 共同宣言を採択",
            "岸田文雄首相は27日、韓国の尹錫悦大統領、中国の李強首相とソウルで日中韓首脳会議を"
            "開いた。3首脳は協力を進める共同宣言を採択した。",
            {"trilateral"},
            {"anniversary"},
        ),
        (
            "Seoul, Tokyo leaders issue first joint document in 17 years, pledge stable ties",
            "South Korean President Lee Jae-myung and Japanese Prime Minister Shigeru Ishiba "
            "held talks in Tokyo on Saturday and issued a joint press document.",
            {"summit_held"},
            {"anniversary"},
        ),
        (
            # (a summit called off is the one sought: see the test of summits called off)
            "G20、日韓首脳会談の予定なし 徴用工問題で溝",
            "政府は、大阪で開くG20の日程を調整している。政府関係者は「日韓首脳会談を行う予定は"
            "ない」としている。",
            set(),
            {"summit_announced"},
        ),
        (
            '北, 탄도미사일 발사…합참 "한미 긴밀 공조"',
            "북한이 8일 동해상으로 탄도미사일을 발사했다. 합참은 한미 긴밀 공조 하에 추적했다고 "
            "밝혔다. 일본 방위성도 발사 사실을 발표했다.",
            set(),
            {"security_defense"},
        ),
        (
            "APEC leaders meet in Lima",
            "Biden met South Korean President Yoon Suk Yeol and Japanese Prime Minister Shigeru "
            "Ishiba for a three-way summit on the sidelines of the APEC gathering on Friday. Yoon "
            "and Ishiba also held a separate bilateral meeting of about 30 minutes, agreeing to "
            "keep up shuttle diplomacy.",
            {"trilateral", "summit_held"},
            set(),
        ),
        (
            "Japan protests China's radar lock as Seoul watches",
            "Japan's defence ministry said a fighter from the Chinese carrier Liaoning directed "
            "its fire-control radar at Japanese jets. South Korea said it was watching closely, "
            "and Seoul and Tokyo both urged restraint.",
            set(),
            {"security_defense"},
        ),
        (
            "Seoul and Tokyo mark 60 years",
            "South Korea and Japan on Monday marked 60 years since the two countries normalised. "
            "Seoul and Tokyo exchanged messages.",
            {"anniversary"},
            set(),
        ),
        (
            "日米韓外相がミュンヘンで会合",
            "岩屋毅外相は15日、ミュンヘンで、ルビオ米国務長官、韓国の趙兌烈外相と会談した。3氏は"
            "北朝鮮の非核化で一致した。",
            {"trilateral"},
            {"ministerial_talks"},
        ),
        (
            "慰安婦訴訟で賠償命令　外務次官、韓国大使に抗議",
            "ソウル中央地裁は8日、日本政府に元慰安婦への賠償を命じた。秋葉外務次官は同日、韓国の"
            "南官杓大使を外務省に呼び出し、抗議した。",
            {"historical_issue"},
            {"official_exchange"},
        ),
        (
            "外交青書を報告",
            "上川陽子外相は16日の閣議で、2024年版外交青書を報告した。韓国については重要な隣国と"
            "位置づけた。一方、竹島については「歴史的事実に照らしても、かつ国際法上も明らかに日本"
            "固有の領土」とする従来の記述を維持した。これに対し韓国外務省は同日、報道官論評で抗議"
            "するとともに、在韓日本大使館の総括公使を呼び出した。",
            {"territorial_dispute"},
            set(),
        ),
    ],
    ids=[
        "years-since",
        "first-in-years",
        "no-plans",
        "korea-us-only",
        "sidelines",
        "china-radar",
        "normalised",
        "us-secretary",
        "summoned-ambassador",
        "summoned-over-islets",
    ],
)
def test_the_shipped_rules_on_what_was_reported_and_what_was_not(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """Years since an event ("4年半ぶり", "first in 17 years") are no anniversary, ties
    "normalised" are; a summit with "no plans" is none to come; coordination with the
    United States alone is not the two's; a three-way summit on the sidelines of another
    meeting is three-way, and "held a separate bilateral meeting" a summit; China's radar is
    not the two's security; a US secretary beside the two ministers makes it three-way; an
    ambassador summoned in protest is the dispute's, and over the islets it is one."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "韓国大統領に李在明氏　石破首相「早期に意思疎通を」",
            "韓国大統領選で当選した李在明氏が4日、大統領に就任した。石破茂首相は記者団に"
            "「早期に意思疎通を図りたい」と述べた。",
            {"political_change"},
            set(),
        ),
        (
            "自民総裁に石破氏　決選投票で高市氏破る",
            "自民党総裁選は27日、決選投票で石破茂元幹事長が高市早苗経済安全保障相を破った。"
            "韓国メディアも速報で伝えた。",
            set(),
            {"political_change"},
        ),
        (
            '주일대사에 박철희 국립외교원장…"한일관계 개선 흐름 이어갈 적임자"',
            "윤석열 대통령은 신임 주일대사에 박철희 국립외교원장을 내정했다. 대통령실은 한일관계 "
            "개선 흐름을 이어갈 적임자라고 설명했다.",
            {"political_change"},
            set(),
        ),
        (
            "Analysis: Ishiba's exit leaves Seoul wondering whether the thaw will last",
            "Japanese Prime Minister Shigeru Ishiba's decision to step down has left officials in "
            "Seoul asking whether his successor will keep up the shuttle diplomacy with South "
            "Korea.",
            {"political_change"},
            set(),
        ),
        (
            "Moon names Japan expert Kang Chang-il as ambassador to Tokyo",
            "South Korean President Moon Jae-in on Thursday named Kang Chang-il, a former "
            "lawmaker who heads a Korea-Japan parliamentary league, as ambassador to Japan.",
            {"political_change"},
            set(),
        ),
        (
            "PM nominee Kim Min-seok meets Japanese ambassador",
            "Prime Minister nominee Kim Min-seok met Japanese Ambassador Koichi Mizushima in "
            "Seoul on Monday and discussed cooperation between South Korea and Japan.",
            set(),
            {"political_change"},
        ),
        (
            "Moon Jae-in wins South Korean presidency; Tokyo urges him to honour deal",
            "Moon Jae-in was sworn in as South Korea's president on Wednesday. Japan's chief "
            "cabinet secretary said Tokyo wanted to work with the new government.",
            {"political_change"},
            set(),
        ),
        (
            "Biden, Yoon, Kishida open 'new era' of three-way cooperation at Camp David",
            "U.S. President Joe Biden hosted South Korean President Yoon Suk Yeol and Japanese "
            "Prime Minister Fumio Kishida at Camp David and agreed to hold three-way drills.",
            set(),
            {"political_change"},
        ),
        (
            "Moon congratulates Suga, says ready to talk 'anytime'",
            "President Moon Jae-in sent a congratulatory letter to Yoshihide Suga after the "
            "Japanese parliament elected him prime minister, saying he was ready to talk.",
            {"political_change"},
            set(),
        ),
        (
            '자민당 새 총재에 다카이치…정부 "새 내각과 긴밀 소통"',
            "일본 자민당 총재 선거에서 다카이치 사나에 전 경제안보상이 당선됐다. 정부는 새 내각과 "
            "긴밀히 소통하겠다고 밝혔다. 외교부는 한일관계 개선 흐름이 이어지길 기대했다.",
            {"political_change"},
            set(),
        ),
        (
            "李大統領、23日に来日　石破首相と首脳会談へ　就任後初の2国間訪問",
            "韓国の李在明大統領が23日に来日し、石破茂首相と首脳会談を行う。就任後初めての"
            "2国間訪問となる。",
            {"summit_announced"},
            {"political_change"},
        ),
        (
            "이 대통령, 13일 총리에 방일 준비 점검 지시",
            "이재명 대통령은 13일 김민석 국무총리에게 다음 달 일본 방문 준비를 "
            "점검하라고 지시했다. 대통령실은 한일 정상회담 의제를 조율하고 있다고 밝혔다.",
            {"summit_announced"},
            {"political_change"},
        ),
        (
            "Seoul cautious as hawkish Takaichi heads for Japan's top job",
            "South Korea's government said on Saturday it hoped relations with Japan would "
            "keep improving after Sanae Takaichi won the ruling party's leadership vote.",
            {"political_change"},
            set(),
        ),
    ],
    ids=[
        "other-side-leader-formula",
        "home-side-formula",
        "envoy-formula-ko",
        "leaders-exit",
        "names-ambassador",
        "nominee-meets",
        "three-word-name-wins",
        "new-era-pledged",
        "congratulated-in-headline",
        "ldp-leader-formula-ko",
        "since-taking-office",
        "a-date-before-the-pm",
        "top-job",
    ],
)
def test_the_shipped_rules_on_changes_of_leader_as_headlines_name_them(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """The other country's new leader or envoy in each press's election-result headline
    ("韓国大統領に李在明氏", "주일대사에 박철희") is a change with the bilateral angle, the
    home side's own ("自民総裁に石破氏") is domestic news; a leader's exit or win (a
    three-word name too), "Japan's top job", the other leader congratulated and an
    ambassador named in the headline are changes; a nominee meeting an ambassador is a
    meeting, a "new era" pledged is no leader's era, and "since taking office" (就任後初)
    and a date before the prime minister ("13일 총리에") date another event."""
    _holds_and_lacks(shipped, title, text, present, absent)


def test_a_trade_measure_beside_chinas_leader_is_chinas(shipped: RuleSet) -> None:
    """A currency swap renewed with Xi, or China's seafood ban put to Li Qiang, is China's
    trade with one side, not trade between the two; the same measure between the two
    leaders is."""
    title = "Lee, Xi agree to renew currency swap in Gyeongju talks"
    text = (
        "President Lee Jae-myung and Chinese President Xi Jinping agreed on Saturday to renew "
        "their currency swap at talks in Gyeongju, where Japanese Prime Minister Sanae "
        "Takaichi also attended the APEC meeting."
    )
    assert "economy_trade" not in shipped.classify(title, text).types
    title = "Lee, Takaichi agree to renew currency swap in Gyeongju talks"
    text = (
        "President Lee Jae-myung and Japanese Prime Minister Sanae Takaichi agreed on Saturday "
        "to renew their currency swap at talks in Gyeongju, on the sidelines of the APEC "
        "meeting."
    )
    assert "economy_trade" in shipped.classify(title, text).types


def test_normalisation_is_not_the_leaders(shipped: RuleSet) -> None:
    """정상 ("the leaders") inside 국교정상화 ("normalisation of ties") does not make the
    festival marking the anniversary the leaders' comings and goings."""
    title = "국교정상화 60주년 '한일축제한마당' 서울서 개막"
    text = (
        "한일 국교정상화 60주년을 기념하는 '한일축제한마당'이 서울에서 개막했다. 한국과 일본의 "
        "시민 수만 명이 전통 공연과 음식을 즐겼다."
    )
    assert "people_exchange" in shipped.classify(title, text).types


def test_a_parliamentary_leagues_visit_to_the_leader_is_no_summit(shipped: RuleSet) -> None:
    """Lawmakers of a parliamentary league calling on the other side's leader are an
    exchange of officials: their visit is not the leaders' summit."""
    title = "日韓議連の額賀会長ら訪韓、尹大統領と面会　交流拡大へ意見交換"
    text = (
        "日韓議員連盟の額賀福志郎会長ら超党派の議員団が訪韓し、尹錫悦大統領と面会した。"
        "双方は議員交流の拡大で一致した。"
    )
    types = set(shipped.classify(title, text).types)
    assert "official_exchange" in types
    assert not {"summit_held", "summit_announced"} & types


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "최종건 차관, 워싱턴서 대북 공조 논의",
            "최종건 외교부 1차관은 13일 워싱턴에서 모리 다케오 일본 외무성 사무차관, 웬디 셔먼 "
            "미 국무부 부장관과 한미일 외교차관 협의회를 열었다. 세 차관은 북한의 탄도미사일 "
            "발사를 규탄했다.",
            {"trilateral"},
            set(),
        ),
        (
            "森次官、ワシントンで北朝鮮対応を協議",
            "森健良外務次官は13日、ワシントンで韓国の崔鍾建第1外務次官、米国のシャーマン国務副長官と"
            "日米韓外務次官協議を行った。3氏は北朝鮮の弾道ミサイル発射を非難した。",
            {"trilateral"},
            set(),
        ),
        (
            "Seoul, Tokyo officials meet on export curbs",
            "Trade officials from South Korea and Japan held their first meeting on Friday since "
            "Tokyo tightened controls on exports of three chip materials, but the session "
            "produced no narrowing of differences.",
            {"official_exchange"},
            set(),
        ),
        (
            "U.S., Japan, South Korea deputies meet in Washington",
            "Deputy Secretary of State Wendy Sherman hosted her Japanese and South Korean "
            "counterparts for talks on North Korea. Japanese Vice Foreign Minister Takeo Mori and "
            "South Korean First Vice Foreign Minister Choi Jong-kun also held separate bilateral "
            "talks on the sidelines, officials said.",
            set(),
            {"ministerial_talks"},
        ),
        (
            "문 대통령, 아베 총리와 첫 통화",
            "문재인 대통령은 11일 아베 신조 일본 총리와 첫 전화 통화를 했다. 문 대통령은 조만간 "
            "문희상 의원을 일본에 특사로 보내 새 정부의 대일 정책을 설명하겠다고 밝혔다.",
            {"official_exchange"},
            set(),
        ),
        (
            "Japan finishes third, South Korea eighth on Paris medal table",
            "Japan finished third on the medal table at the Paris Olympics, while South Korea, "
            "which sent its smallest delegation in decades to the Games, came eighth. Japan's "
            "athletes won 20 golds.",
            set(),
            {"official_exchange"},
        ),
        (
            "S. Korea, Japan defence chiefs agree to put radar row behind them",
            "South Korean Defence Minister Shin Won-sik and Japanese Defence Minister Minoru "
            "Kihara agreed on Saturday to prevent a recurrence of the 2018 radar row and to resume "
            "exchanges between their militaries.",
            {"security_defense"},
            set(),
        ),
        (
            "안규백 국방장관, 쿠알라룸푸르서 헤그세스와 회동",
            "안규백 국방부 장관은 1일 쿠알라룸푸르에서 피트 헤그세스 미국 국방장관과 만나 "
            "한미안보협의회의 의제를 조율했다. 안 장관은 이날 고이즈미 신지로 일본 방위상과도 "
            "처음으로 회담을 갖고 국방 교류를 이어가기로 했다.",
            {"ministerial_talks"},
            set(),
        ),
        (
            "岩屋外相、ミュンヘンで会談",
            "岩屋毅外相は15日、訪問先のドイツ・ミュンヘンで、ルビオ米国務長官、韓国の趙兌烈外相と"
            "会談した。北朝鮮の完全な非核化に向けて連携することを確認した。",
            set(),
            {"ministerial_talks"},
        ),
    ],
    ids=[
        "three-way-vice-ministers-ko",
        "three-way-vice-ministers-ja",
        "officials-meet-headline",
        "vice-ministers-separate-talks",
        "envoy-to-be-sent",
        "team-sent-to-the-games",
        "radar-row",
        "the-other-sides-minister-met",
        "a-us-minister-beside-them",
    ],
)
def test_the_shipped_rules_on_officials_envoys_and_the_minister_met(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """The vice-ministers' three-way consultations (협의회, 協議) are a three-way event;
    "Seoul, Tokyo officials meet" in a headline is officials' talks, and vice-ministers'
    separate bilateral talks are not the ministers'; an envoy sent (or to be sent) to the
    other country is contact between officials, a team sent to the Games is not; the 2018
    radar row by that name is a security matter; the other side's minister named as the
    one met ("일본 방위상과도 … 회담을 갖고") is ministers' talks, unless a US or Chinese
    minister is met with them."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Story one.\nRelated articles\nLee and Ishiba meet", "Story one.\n"),
        ("Body.\nRead more:\nx", "Body.\n"),
        ("기사 본문.\n[주요뉴스]\n- 한일 외교장관 첫 통화", "기사 본문.\n"),
        ("기사 본문.\n▶ 관련기사\n- 한일 외교장관 첫 통화", "기사 본문.\n"),
        ("記事本文。\n【関連記事】\n・李在明氏、韓国大統領に就任", "記事本文。\n"),
        ("記事本文。\n関連ニュース：\n・李在明氏", "記事本文。\n"),
        # (a heading first: nothing before it to keep; the words inside a sentence)
        ("Related articles\nStory", "Related articles\nStory"),
        (
            "He read more books.\nRelated to this, the talks",
            "He read more books.\nRelated to this, the talks",
        ),
        ("One line: related articles follow", "One line: related articles follow"),
    ],
)
def test_the_text_ends_at_a_heading_of_related_stories(text: str, kept: str) -> None:
    assert without_related(text) == kept


def test_related_stories_after_the_text_are_not_its_news(shipped: RuleSet) -> None:
    """A page's text that ends with headlines of other stories (a scraped page, a feed's
    full content) is classified from its own news: the list's Korea-Japan headlines add
    no label and do not make it relevant."""
    title = "TWICE、日産スタジアムで2日間公演"
    text = (
        "韓国の9人組ガールズグループTWICEが27、28日の2日間、横浜市の日産スタジアムで"
        "単独公演を開いた。2日間で約14万人を動員した。\n"
        "関連記事\n"
        "・日韓、青少年交流で新事業　国交正常化60年に向け\n"
        "・岸田首相と尹大統領、ソウルで会談へ"
    )
    verdict = shipped.classify(title, text)
    assert not verdict.relevant
    assert not verdict.types


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Moon scraps Tokyo Olympics trip as summit talks with Suga falter",
            "South Korean President Moon Jae-in will not travel to Tokyo for the opening of the "
            "Olympics, his office said Monday, after weeks of talks on a first summit with "
            "Japanese Prime Minister Yoshihide Suga failed to produce an agreement.",
            {"summit_announced"},
            set(),
        ),
        (
            "文대통령 방일 무산…한일 정상회담 불발",
            "문재인 대통령의 도쿄올림픽 계기 방일이 무산됐다. 청와대는 19일 스가 요시히데 일본 "
            "총리와의 첫 정상회담을 위한 협의가 충분한 성과를 내지 못했다고 밝혔다.",
            {"summit_announced"},
            set(),
        ),
        (
            "文大統領の訪日見送り 五輪開会式に合わせた首脳会談、実現せず",
            "韓国大統領府は19日、文在寅大統領が東京五輪の開会式に合わせた訪日を見送ると発表した。"
            "菅義偉首相との初の首脳会談は実現しなかった。",
            {"summit_announced"},
            set(),
        ),
        (
            "Seoul calls off foreign minister's Tokyo trip after Yasukuni visits",
            "South Korea's Foreign Minister Yun Byung-se called off a planned two-day visit to "
            "Tokyo on Monday after Japanese cabinet ministers visited the Yasukuni Shrine.",
            set(),
            {"summit_announced"},
        ),
        (
            "문 대통령-기시다 총리 첫 통화…현안 해결 위해 대화 가속",
            "문재인 대통령은 15일 기시다 후미오 일본 총리와 첫 전화 통화를 했다. 지난 6월 영국 "
            "콘월에서 열린 G7 정상회의에서도 한일 정상 간 약식 회담이 추진됐으나 무산된 바 있다.",
            {"leaders_call"},
            {"summit_announced"},
        ),
        (
            "日中韓首脳会議、年内開催を断念 韓国の政局混乱で",
            "日中韓3カ国の首脳会議について、議長国の日本は年内の開催を断念した。韓国の政局混乱を"
            "受け、日程の調整がつかなかった。",
            {"trilateral"},
            {"summit_announced"},
        ),
        (
            "Japan's Takaichi, China's Xi hold first talks on APEC sidelines in Gyeongju",
            "GYEONGJU, South Korea (Reuters) - Japanese Prime Minister Sanae Takaichi and Chinese "
            "President Xi Jinping held their first talks on Friday, agreeing to pursue a mutually "
            "beneficial relationship. The meeting took place at a hotel in the South Korean city "
            "hosting the Asia-Pacific Economic Cooperation forum.",
            set(),
            {"summit_held", "summit_announced"},
        ),
        (
            "Lee, Takaichi meet on APEC sidelines in Gyeongju",
            "South Korean President Lee Jae-myung and Japanese Prime Minister Sanae Takaichi held "
            "their first summit on the sidelines of the APEC forum in Gyeongju on Thursday, "
            "agreeing to keep up shuttle diplomacy.",
            {"summit_held"},
            set(),
        ),
        (
            "Korean Air posts record revenue as travel demand stays strong",
            "Korean Air said Wednesday its third-quarter revenue reached a record, as the airline "
            "added flights on short-haul routes. Data released by the Japan National Tourism "
            "Organization showed about 6.5 million South Koreans visited Japan in the first nine "
            "months, the most of any nationality.",
            {"people_exchange"},
            set(),
        ),
        (
            "Japan's foreign minister in Seoul for talks",
            "Japanese Foreign Minister Takeshi Iwaya visited South Korea on Monday for talks with "
            "his counterpart Cho Tae-yul on North Korea and the 60th anniversary of ties.",
            {"ministerial_talks"},
            {"people_exchange"},
        ),
        (
            "李대통령·다카이치, 나라서 정상회담…유해 감정 협력",
            "이재명 대통령과 다카이치 사나에 일본 총리는 13일 일본 나라현에서 정상회담을 하고 "
            "탄광 수몰 사고 희생자 유해의 신원 확인에 협력하기로 했다.",
            {"summit_held"},
            {"summit_announced"},
        ),
        (
            "李대통령·다카이치, 나라서 정상회담…유해 감정 협력",
            "이재명 대통령은 다음 달 13일 일본 나라현을 방문해 다카이치 사나에 일본 총리와 "
            "정상회담을 할 예정이라고 대통령실이 밝혔다.",
            {"summit_announced"},
            {"summit_held"},
        ),
    ],
    ids=[
        "scraps-trip",
        "무산",
        "見送り",
        "minister-trip",
        "recalled",
        "three-way",
        "a-third-leader-met",
        "the-two-met",
        "koreans-visited-japan",
        "a-minister-visited",
        "하고-held",
        "할-예정",
    ],
)
def test_the_shipped_rules_on_summits_called_off_and_people_who_travel(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A summit or trip called off is the meeting sought (summit_announced, as the dev
    corpus labels "Moon Opts Not to Visit Japan in Time for Tokyo Olympics"), not a
    minister's trip, a cancellation recalled or a three-way summit; a leader's talks with a
    third country's leader on a gathering's sidelines are no summit of the two; one side's
    people visiting the other said as a sentence are travellers, a minister's visit is
    not; "정상회담을 하고" states the meeting as done, as "회담을 갖고" does (the headline
    without a tense takes it, not the "-기로" that follows)."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Seoul hopes for steady ties as Takaichi takes the helm in Tokyo",
            "South Korea's government said it hoped relations with Japan would keep improving "
            "under Sanae Takaichi, who became Japan's prime minister on Tuesday. Officials in "
            "Seoul noted her past visits to the Yasukuni Shrine.",
            {"political_change"},
            set(),
        ),
        (
            "Lee Jae-myung's win puts Tokyo on alert over ties",
            "Japanese officials are studying what the new South Korean president's record means "
            "for relations with Seoul. Lee has criticised Japan in the past.",
            {"political_change"},
            set(),
        ),
        (
            "Cabinet returns South Korea to preferential export list",
            "The Ministry of Economy, Trade and Industry (METI) said the cabinet approved an "
            "order returning South Korea to Group A, the list of countries with the simplest "
            "procedures. METI said it had reviewed Korea's export controls in a policy dialogue "
            "and found them effective, including the catch-all controls on sensitive items and "
            "the measures against diversion. The revised order will be promulgated next week "
            "and take effect on July 21, the ministry said.",
            {"economy_trade"},
            set(),
        ),
        (
            "Busan, Fukuoka mayors agree to expand youth exchanges",
            "Busan Mayor Park Heong-joon and Fukuoka Mayor Soichiro Takashima met in Fukuoka on "
            "Tuesday and agreed to expand student exchanges between the two cities, Busan City "
            "said.",
            {"official_exchange", "people_exchange"},
            set(),
        ),
        (
            "Busan mayor welcomes first flight from Osaka",
            "Busan Mayor Park Heong-joon welcomed passengers on the first flight of a new route "
            "from Osaka at Gimhae airport on Tuesday. Japanese tourists to Busan rose 30 percent "
            "this year.",
            {"people_exchange"},
            {"official_exchange"},
        ),
    ],
    ids=["takes-the-helm", "name-s-win", "meti", "mayors-met", "mayor-welcomes-a-flight"],
)
def test_the_shipped_rules_on_new_leaders_and_the_two_sides_cities(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A leader who takes the helm is a change of leader, and "Lee Jae-myung's win" is a
    leader's win though the name and the possessive take four words; METI is Japan's
    ministry (the other side's second mention in the topic gate); the heads of a Korean
    and a Japanese city who meet or agree are officials in contact, a mayor who welcomes
    a flight from the other side's city is not."""
    _holds_and_lacks(shipped, title, text, present, absent)


def test_a_title_veto_unless_the_title_names_every_group() -> None:
    """A type's `none` entry with `unless` vetoes only when the title lacks a term of
    some `unless` group: a headline of one side with a third country is vetoed, one that
    names both sides is not; the topic gate's `none` reads `unless` the same way."""
    body = (
        "    none:\n"
        "      - in: title\n"
        "        terms: [Biden]\n"
        "        unless: [$korea, [Tokyo, Japan]]\n"
        "    any:\n"
        "      - terms: [drills]\n"
    )
    rules = one_type(body)
    text = "Seoul and Tokyo watched. Seoul and Tokyo spoke."
    assert not assigned(rules, "Biden, Seoul agree on drills", text)
    assert assigned(rules, "Biden, Seoul, Tokyo agree on drills", text)
    assert assigned(rules, "Seoul, Tokyo agree on drills", text)
    # the unless groups are read in the filter's place: the body's Tokyo does not count
    assert not assigned(rules, "Biden, Seoul agree on drills", text + " Tokyo, Japan.")
    (miss,) = near_misses(rules, "Biden, Seoul agree on drills", text)
    assert miss.blocked == "vetoed by 'Biden' in the title (the type's `none`)"
    gated = parse_rules(
        GATED.replace(
            "none: [{terms: [K-pop], in: title}]",
            "none: [{terms: [K-pop], in: title, unless: [[Korea-Japan]]}]",
        )
    )
    assert not gated.classify("K-pop talks in Seoul, Tokyo", "").relevant
    assert gated.classify("K-pop and Korea-Japan talks", "").relevant


def test_unless_in_reads_the_unless_groups_elsewhere() -> None:
    """`unless_in` says where the `unless` groups are looked for: a headline veto whose
    exception may stand anywhere in the item (the topic gate's and a type's alike)."""
    gated = parse_rules(
        GATED.replace(
            "none: [{terms: [K-pop], in: title}]",
            "none: [{terms: [K-pop], in: title, unless: [[Korea-Japan]], unless_in: any}]",
        )
    )
    assert not gated.classify("K-pop talks in Seoul, Tokyo", "Seoul and Tokyo met.").relevant
    assert gated.classify("K-pop talks in Seoul, Tokyo", "The Korea-Japan talks.").relevant
    body = (
        "    none:\n"
        "      - in: title\n"
        "        terms: [Biden]\n"
        "        unless: [[Tokyo]]\n"
        "        unless_in: body\n"
        "    any:\n"
        "      - terms: [drills]\n"
    )
    rules = one_type(body)
    text = "Seoul and Japan watched. Seoul and Japan spoke."
    assert not assigned(rules, "Biden, Seoul agree on drills", text)
    assert assigned(rules, "Biden, Seoul agree on drills", text + " Tokyo too.")
    # (the title's Tokyo is not the body's)
    assert not assigned(rules, "Biden, Seoul, Tokyo agree on drills", text)


@pytest.mark.parametrize(
    ("title", "text", "relevant"),
    [
        (
            "日中首脳が初会談　「戦略的互恵関係」推進を確認　韓国・慶州で",
            "高市首相は31日、APEC首脳会議が開かれている韓国・慶州で中国の習近平国家主席と初めて"
            "会談した。両首脳は戦略的互恵関係を推進することを確認した。首相は日本産水産物の輸入"
            "再開や、レアアースの輸出規制についても取り上げた。",
            False,
        ),
        (
            "日中首脳が初会談　「戦略的互恵関係」推進を確認",
            "高市首相は31日、韓国・慶州で中国の習近平国家主席と初めて会談した。首相は前日、"
            "李在明大統領とも初めて会談し、日韓関係を安定的に発展させることで一致した。",
            True,
        ),
        (
            "한미 정상, 관세협상 최종 타결…투자 구조 합의",
            "이재명 대통령과 트럼프 대통령이 경주에서 정상회담을 열고 관세 협상을 타결했다. "
            "일본도 앞서 미국과 관세 협상을 타결한 바 있다. 일본의 대미 투자 규모와 비교된다.",
            False,
        ),
        (
            "日米防衛相が会談　在日米軍の司令部格上げで合意",
            "中谷防衛相は30日、ヘグセス米国防長官と防衛省で会談し、在日米軍の統合軍司令部への"
            "格上げ作業を進めることで合意した。両氏は北朝鮮のミサイル発射への対応で連携すること"
            "も確認した。韓国との防衛交流にも触れた。韓国国防省も同日、弾道ミサイル発射を"
            "発表した。",
            False,
        ),
        (
            "Foundation pays court-ordered compensation to more forced labor victims' families",
            "The Foundation for Victims of Forced Mobilization by Imperial Japan said Thursday it "
            "had paid court-ordered compensation to the families of three more victims, funded "
            "by contributions from Korean companies, bringing the number of plaintiffs who "
            "have accepted the payments to 11 of the 15 who won final rulings. The Japanese "
            "defendants have not contributed to the fund and have refused to comply with the "
            "rulings. Victims' groups said the payments could not replace a sincere apology.",
            True,
        ),
    ],
    ids=[
        "japan-china-in-gyeongju",
        "with-the-pair-in-the-body",
        "korea-us-deal",
        "japan-us-defence-ministers",
        "forced-mobilization-names-both",
    ],
)
def test_the_shipped_gate_on_a_summit_with_a_third_country(
    shipped: RuleSet, title: str, text: str, relevant: bool
) -> None:
    """A headline of one side's summit or ministers' talks with the US or China is that
    relationship's news, the other side its venue or its comparison, unless the item names
    the two as a pair (the same leader's Korea–Japan summit the day before; "forced
    mobilization", the colonial-era labour that is itself a matter of the two)."""
    assert shipped.classify(title, text).relevant is relevant


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            '北, 동해상으로 탄도미사일 발사…합참 "비행거리 약 800㎞"',
            "북한이 14일 오전 동해상으로 탄도미사일 1발을 발사했다고 합동참모본부가 밝혔다. "
            '합참은 "한미 공조 하에 추가 발사에 대비하고 있다"고 말했다. 대통령실은 '
            "국가안보실장 주재로 긴급 안보상황점검회의를 열고 대응 방안을 논의했다. 일본 "
            "방위성도 북한의 탄도미사일 발사를 발표했다.",
            set(),
            {"security_defense"},
        ),
        (
            "Lee to visit Nara for summit with Takaichi next week",
            "President Lee Jae-myung will visit Nara next week for a summit with Japanese Prime "
            "Minister Sanae Takaichi, his office said on Friday. The visit includes a dinner "
            "hosted by Takaichi, National Security Adviser Wi Sung-lac told a briefing. The "
            "leaders will discuss North Korea and issues the two countries share, Wi said.",
            {"summit_announced"},
            {"security_defense"},
        ),
        (
            "한일 안보실장, 北 도발 대응 공조 논의",
            "위성락 국가안보실장은 이날 일본 국가안전보장국장과 회동하고 북한의 도발에 대한 "
            "공조 방안을 논의했다. 두 사람은 한일 안보 협력을 이어가기로 했다.",
            {"security_defense"},
            set(),
        ),
    ],
    ids=["own-security-meeting", "adviser-briefs-a-summit", "the-two-security-chiefs"],
)
def test_the_shipped_rules_on_security_chiefs(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A security chief counts for the two sides' security ties only with the other side
    in his sentence: one side's own emergency meeting on a North Korean launch, or the
    adviser who briefs the press on a coming summit, is no security cooperation."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Lee, Takaichi agree to keep 'shuttle diplomacy' alive in first meeting",
            "GYEONGJU, Oct 30 (Reuters) - South Korean President Lee Jae-myung and Japanese "
            "Prime Minister Sanae Takaichi agreed on Thursday to keep up reciprocal visits. The "
            "two leaders agreed in a meeting that ran past its scheduled time to develop "
            "relations in a future-oriented direction, officials from both sides said.",
            {"summit_held"},
            {"official_exchange"},
        ),
        (
            "Seoul, Tokyo defence officials discuss radar incident",
            "Defence officials from the two countries held a video conference on Thursday to "
            "discuss the radar incident, South Korea's defence ministry said. Japan's defence "
            "ministry said the talks would continue.",
            {"official_exchange"},
            set(),
        ),
    ],
    ids=["officials-as-the-source", "officials-who-met"],
)
def test_the_shipped_rules_on_officials_of_both_sides(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A report's "officials from both sides said" names its source, not a meeting of
    officials; officials of the two countries who held talks are one."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        (
            "김진표 한일의원연맹 회장 등 의원 대표단이 13일 도쿄에서 일본 측 인사들을 만났다. "
            "지난 10일에는 국가정보원장이 스가 총리를 면담한 바 있어, 한국 측 인사들의 잇단 "
            "방일이 관계 개선의 계기가 될지 주목된다.",
            False,
        ),
        (
            "문재인 대통령은 유엔총회 참석 계기 아베 총리와 만나 양국 관계를 논의했다. 문 "
            "대통령의 방일은 이번이 처음이다.",
            True,
        ),
    ],
    ids=["an-opportunity", "on-the-occasion-of"],
)
def test_the_shipped_rules_on_gyegi(shipped: RuleSet, text: str, held: bool) -> None:
    """계기 beside a meeting is its occasion ("유엔총회 참석 계기"); "관계 개선의 계기가 될지"
    (an opportunity for better ties) puts no leader at a summit."""
    title = "한일 관계 개선 움직임"
    assert ("summit_held" in shipped.classify(title, text).types) is held


def test_the_shipped_rules_on_an_editorial_about_a_matter_of_the_two(shipped: RuleSet) -> None:
    """An editorial whose subject is a matter of the two (wartime labour, Dokdo, GSOMIA) is
    commentary about the relationship, though it never says "relations"."""
    title = "Editorial: Tokyo must meet Seoul halfway on wartime labor"
    text = (
        "The Yoon Suk Yeol administration's decision to compensate former wartime laborers "
        "through a Korean foundation, rather than insist on payment from the Japanese "
        "companies concerned, is a politically risky step that deserves a sincere response. "
        "The Kishida government and the firms involved should contribute to the foundation."
    )
    assert {"commentary", "historical_issue"} <= set(shipped.classify(title, text).types)


def test_the_shipped_rules_on_a_province_of_korea(shipped: RuleSet) -> None:
    """A province names its country as a city does: Gangwon's governor in Tottori is an
    exchange between the two sides."""
    title = "강원-돗토리 우호 교류 30년…도지사 상호 방문"
    text = (
        "강원특별자치도 대표단이 19일 돗토리현을 찾아 자매결연 30주년 기념식에 참석했다. "
        "양 지역 지사는 관광과 청소년 교류를 넓히는 협약에 서명하고 크루즈 노선 재개를 "
        "함께 추진하기로 했다. 도는 내년 돗토리현 고교생 방문단을 초청할 계획이다."
    )
    result = shipped.classify(title, text)
    assert result.relevant
    assert "people_exchange" in result.types


def test_the_shipped_rules_on_an_exchange_festival_with_k_pop(shipped: RuleSet) -> None:
    """K-pop in a headline marks a chart or a concert, unless the headline names a festival
    of the two sides' exchange, where K-pop is on the stage."""
    title = "「日韓交流おまつり」ソウルで開幕　K-POPや和太鼓に人の波"
    text = (
        "日韓の市民が交流する恒例行事「日韓交流おまつり」が27日、ソウル市内で始まった。"
        "両国の伝統芸能や料理の屋台が並び、家族連れでにぎわった。"
    )
    result = shipped.classify(title, text)
    assert result.relevant
    assert "people_exchange" in result.types
    # the chart itself stays out
    chart = shipped.classify("K-POP新曲がオリコン首位　日韓で同時配信", text)
    assert "people_exchange" not in chart.types


def test_the_shipped_rules_on_an_appointment_then_talks_in_a_headline(shipped: RuleSet) -> None:
    """A two-part headline, "names X foreign minister; Seoul eyes talks", is the
    appointment: talks later in it do not make it a meeting, as they do beside the nominee."""
    title = "Tokyo names Iwaya foreign minister; Seoul eyes talks at ASEAN"
    text = (
        "Japan's new prime minister appointed Takeshi Iwaya as foreign minister on Tuesday. "
        "South Korean officials said they expect continuity in Japan's policy toward Seoul."
    )
    assert "political_change" in shipped.classify(title, text).types


def test_the_shipped_rules_on_two_ministers_calling_under_their_leaders(
    shipped: RuleSet,
) -> None:
    """The two ministers on the phone with their leaders' governments named beside them
    ("이재명 정부", "다카이치 내각") is the ministers' call, not the leaders'."""
    title = "외교장관 첫 통화…정상회담 준비 본격화"
    text = (
        "조현 외교부 장관이 22일 모테기 도시미쓰 일본 외무상과 첫 통화를 했다. "
        "두 장관은 약 20분간 통화하며 이재명 정부 출범 이후 이어온 관계 개선 흐름을 "
        "다카이치 내각에서도 이어가자는 데 뜻을 모았다."
    )
    assert "leaders_call" not in shipped.classify(title, text).types


def test_the_shipped_rules_on_an_official_s_visit(shipped: RuleSet) -> None:
    """An official's own visit ("安保室長の来日") is not a leader's, though the headline speaks
    of the leaders he prepares for."""
    title = "韓国安保室長の来日、首脳の「地ならし」に"
    text = (
        "韓国の国家安保室長が来日し、首相官邸で国家安全保障局長と会談した。"
        "北朝鮮への対応で連携を確認した。"
    )
    assert "summit_held" not in shipped.classify(title, text).types


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "韓国情報機関トップ、菅首相と面会　関係改善の意向伝達",
            "韓国の情報機関トップを務める朴氏は10日、首相官邸で約20分間、菅首相と向き合った。"
            "韓国政府の高官が首相と会うのは新政権発足後初めて。"
            "朴氏は大統領の関係改善への意向を伝えたという。",
        ),
        (
            "韓国特使が訪日",
            "韓国の大統領特使として訪日した文喜相氏は18日、安倍首相と官邸で向き合い、"
            "親書を手渡した。文氏はこれに先立ち岸田文雄外相とも会談した。会談後、記者団に"
            "「大統領の意思を伝えた」と語った。両国の関係改善に向けた一歩となる。",
        ),
    ],
    ids=["a senior official", "told the press"],
)
def test_the_shipped_rules_on_an_envoy_s_talks_told_to_the_press(
    shipped: RuleSet, title: str, text: str
) -> None:
    """A senior official meeting the prime minister ("高官が首相と会う") and the talks an
    envoy told the press about ("会談後、記者団に") are no summit."""
    assert "summit_held" not in shipped.classify(title, text).types


def test_the_shipped_rules_on_a_summit_named_by_its_month(shipped: RuleSet) -> None:
    """ "９月の日韓首脳会談で" dates an earlier summit in a report of something else; the
    report's own event has its day."""
    title = "韓国、慰安婦財団を解散へ　日本は抗議"
    text = (
        "韓国政府は21日、2015年の日韓合意に基づく財団を解散すると発表した。"
        "財団を巡っては、文在寅大統領が9月の日韓首脳会談で安倍晋三首相に解散を示唆していた。"
        "日本政府は強く抗議した。"
    )
    result = shipped.classify(title, text)
    assert "historical_issue" in result.types
    assert "summit_held" not in result.types


def test_the_shipped_rules_on_the_korean_press_s_own_government(shipped: RuleSet) -> None:
    """The Korean press's bare 정부 is Seoul's ("정부, 수입금지 유지"); another country's
    government is named ("일본 정부", "기시다 정부") and stays that country's."""
    title = '정부 "후쿠시마 등 8개 현 수산물 수입금지 유지"'
    text = (
        "정부는 24일 일본의 오염수 해양 방류와 관계없이 후쿠시마 등 8개 현 수산물에 대한 "
        '수입금지 조치를 유지하겠다고 밝혔다. 정부 관계자는 "국민 건강이 최우선"이라고 '
        "말했다. 일본 측은 과학적 근거에 따른 조기 해제를 요구해 왔다."
    )
    result = shipped.classify(title, text)
    assert result.relevant
    assert "economy_trade" in result.types
    # Japan's own government, named, does not stand for Korea
    japanese = shipped.classify(
        "기시다 정부, 방위비 증액안 확정",
        "일본 정부는 16일 각의에서 방위비 증액안을 확정했다. 기시다 정부는 5년간 43조 엔을 "
        "투입한다. 일본 정부 관계자는 중국과 북한을 이유로 들었다.",
    )
    assert not japanese.relevant
    # "our" companies are Korea's too
    ours = shipped.classify(
        "라인야후 지분 매각 압박…외교 문제로 번지나",
        "일본 총무성이 라인야후에 자본 관계 재검토를 요구한 데 대해 우리 기업에 대한 "
        "부당한 압박이라는 지적이 나온다. 우리 기업의 해외 사업 전반에 영향을 줄 수 있다는 "
        "우려도 크다.",
    )
    assert "economy_trade" in ours.types


def test_the_shipped_rules_on_a_bilateral_beside_a_three_way_summit(shipped: RuleSet) -> None:
    """A bilateral summit on the margins of a three-way one reports both: the three-way
    summit named as the occasion counts with the three capitals acting together."""
    title = "Moon, Abe hold first formal talks in 15 months"
    text = (
        "CHENGDU, China -- South Korean President Moon Jae-in and Japanese Prime Minister "
        "Shinzo Abe held talks on Tuesday on the margins of a three-way summit with Chinese "
        "Premier Li Keqiang, their first formal meeting in 15 months. Seoul, Tokyo and "
        "Beijing agreed to keep working together on North Korea, Moon told reporters."
    )
    assert {"summit_held", "trilateral"} <= set(shipped.classify(title, text).types)


def test_unless_in_without_unless_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    body = "    none:\n      - in: title\n        terms: [x]\n        unless_in: any\n"
    path = tmp_path / "rules.yaml"
    path.write_text(
        rules_text("  t:\n" + body + "    any:\n      - terms: [talks]\n"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"rules\.yaml:\d+.*unless_in without unless"):
        load_rules(path)


def test_an_unknown_list_in_unless_is_an_error() -> None:
    body = "    none:\n      - in: title\n        terms: [x]\n        unless: [$nope]\n"
    with pytest.raises(ConfigError, match=r"types\.t\.none\[0\]\.unless\[0\].*unknown list"):
        one_type(body + "    any:\n      - terms: [talks]\n")


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Lee, Xi agree to restore ties, renew currency swap in Gyeongju",
            "South Korean President Lee Jae-myung and Chinese President Xi Jinping agreed on "
            "Saturday to restore relations and signed a renewed currency swap, on the sidelines "
            "of the APEC summit. Xi had met Japanese Prime Minister Sanae Takaichi in the same "
            "city a day earlier. Japan and South Korea were both represented at the forum.",
            set(),
            {"economy_trade", "people_exchange"},
        ),
        (
            "Yoon, Biden agree to expand joint drills at first summit",
            "South Korean President Yoon Suk Yeol and U.S. President Joe Biden agreed to expand "
            "joint military drills to deter North Korea. Biden flies to Tokyo on Sunday for "
            "talks with Japanese Prime Minister Fumio Kishida. Japan is watching closely.",
            set(),
            {"security_defense"},
        ),
        (
            "Biden, Yoon and Kishida pledge to share missile warning data in real time",
            "The leaders of the United States, South Korea and Japan agreed at Camp David to "
            "share North Korean missile warning data in real time and to hold joint drills "
            "every year. Yoon and Kishida also met separately.",
            {"security_defense"},
            set(),
        ),
        (
            "Ishiba wins Trump's praise at White House as Seoul looks on",
            "Japanese Prime Minister Shigeru Ishiba won warm words from U.S. President Donald "
            "Trump at the White House. South Korea has yet to hold a summit with the new U.S. "
            "administration, and Seoul said it hoped its own ties with Tokyo would keep "
            "improving under the new administration in Washington.",
            set(),
            {"political_change"},
        ),
        (
            "Liberal candidate wins South Korean presidency",
            "Japan's government said it hoped relations with Seoul would keep improving under "
            "Lee, who takes office on Wednesday. Lee has been critical of Japan in the past.",
            {"political_change"},
            set(),
        ),
        (
            "Japan vows to keep working with Yoon after ruling party loss",
            "Tokyo, April 11 -- Japan will continue to work closely with the administration of "
            "South Korean President Yoon Suk Yeol, Japan's top government spokesman said, after "
            "Yoon's party suffered a heavy defeat in the general election. Japanese officials "
            "worry the result may weaken Seoul's push to improve ties.",
            {"political_change"},
            set(),
        ),
    ],
    ids=["korea-china-summit", "korea-us-drills", "three-way", "us-praise", "presidency", "loss"],
)
def test_the_shipped_rules_on_third_countries_in_the_headline_and_elections_lost(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A headline of one side's leader with the US or Chinese leader is about that pair:
    their trade, exchanges, alliance drills and praise are not Seoul–Tokyo news (unless the
    headline names the other side too, as a three-way summit's does); an election won or
    lost in the headline ("wins South Korean presidency", "ruling party loss") is a change
    reported for its meaning for ties."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "尹大統領の弾劾訴追案を可決　韓悳洙首相が代行",
            "【ソウル共同】韓国国会は14日、尹錫悦大統領の弾劾訴追案を可決した。尹氏は職務停止となり、"
            "韓悳洙首相が大統領権限を代行する。",
            set(),
            {"political_change"},
        ),
        (
            "Suga tells Moon ties are in a severe state in first phone talks",
            "Japanese Prime Minister Yoshihide Suga told South Korean President Moon Jae-in on "
            "Thursday that relations remained severe, and urged Seoul to resolve the ruling on "
            "Koreans forced to work for Japanese companies during the war. The two leaders "
            "spoke for 20 minutes.",
            {"leaders_call", "historical_issue"},
            set(),
        ),
        (
            '한일 수출규제 첫 실무회의…"철회 요청" vs "설명회일 뿐"',
            "한국과 일본 정부가 12일 도쿄에서 일본의 수출규제 조치를 둘러싼 첫 실무회의를 열었다. "
            "산업통상자원부 과장급 관계자들은 일본 경제산업성 측에 조치 철회를 요청했다.",
            {"official_exchange", "economy_trade"},
            set(),
        ),
        (
            "(News Focus) Kishida's farewell trip to Seoul aims to lock in the thaw",
            "Japanese Prime Minister Fumio Kishida will visit Seoul this week for talks with "
            "President Yoon Suk Yeol, a farewell trip meant to lock in the improvement in "
            "relations before he leaves office, officials in both countries said.",
            {"commentary", "summit_announced"},
            set(),
        ),
        (
            '이 대통령, 이시바 총리와 첫 통화…"조속히 만나 협력 논의"',
            "이재명 대통령은 9일 이시바 시게루 일본 총리와 취임 후 첫 통화를 했다. 두 정상은 "
            "약 25분간 통화하며 한일관계를 미래지향적으로 발전시켜 나가자는 데 뜻을 같이했다.",
            {"leaders_call", "summit_announced"},
            set(),
        ),
    ],
    ids=["korean-pm", "forced-to-work", "working-level", "news-focus", "meet-soon"],
)
def test_the_shipped_rules_on_korea_s_premiers_working_level_talks_and_meetings_soon(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """韓悳洙首相 is South Korea's prime minister, not Japan's (a Korean impeachment brief
    has no Japanese side); Koreans forced to work, with the ruling to resolve, in a
    leaders' call are the labour dispute; a working-level meeting is officials' contact;
    Yonhap's "(News Focus)" heads an analysis; "조속히 만나" is a meeting to come."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Lee, Ishiba issue first joint document in 17 years",
            "South Korea and Japan released their first joint document in 17 years on "
            "Saturday, with President Lee Jae-myung and Prime Minister Shigeru Ishiba pledging "
            "future-oriented relations. The statement called for wider youth exchanges.",
            {"summit_held"},
            set(),
        ),
        (
            "Lee, Ishiba pledge stable ties, agree to widen youth exchange",
            "South Korean President Lee Jae-myung and Japanese Prime Minister Shigeru Ishiba "
            "agreed on Saturday to expand exchanges between young people. The two leaders met "
            "at the prime minister's office for two hours on Lee's first visit to Japan since "
            "taking office in June.",
            {"summit_held"},
            set(),
        ),
        (
            "Lee, Ishiba issue first joint document, widen youth exchanges",
            "South Korean President Lee Jae-myung and Japanese Prime Minister Shigeru Ishiba "
            "agreed Saturday to expand working-holiday exchanges. The two leaders talked for "
            "nearly two hours. Ishiba will visit South Korea next year.",
            {"summit_held"},
            set(),
        ),
        (
            "Park, Abe agree to speed up talks on 'comfort women' at first summit",
            "South Korean President Park Geun-hye and Japanese Prime Minister Shinzo Abe agreed "
            "Monday to accelerate negotiations on the comfort women issue. The talks ran longer "
            "than planned, in what was their first formal bilateral summit since both took "
            "office.",
            {"summit_held"},
            {"summit_announced"},
        ),
    ],
    ids=["released", "since-taking-office-in-june", "talked", "than-planned"],
)
def test_the_shipped_rules_on_summits_held_told_in_other_words(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A joint document released, leaders who talked for two hours, two leaders who met on
    a first visit "since taking office in June" (the month dates the taking office, not
    the meeting) and talks that ran "longer than planned" (nothing to come) are a summit
    held."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Kishida, Yoon agree to ease travel procedures in farewell summit",
            "Prime Minister Fumio Kishida and South Korean President Yoon Suk Yeol agreed Friday "
            "to consider measures to speed up immigration checks for travelers between the two "
            "countries.",
            {"people_exchange"},
            set(),
        ),
        (
            "[Editorial] Sixty years on, history still needs tending",
            "Sixty years ago this month, Seoul and Tokyo normalized their relations. The "
            "comfort women and forced labour disputes remain, and both governments should "
            "keep talking about them.",
            {"anniversary", "commentary"},
            set(),
        ),
    ],
    ids=["immigration-checks-sped-up", "sixty-years-ago"],
)
def test_the_shipped_rules_on_travel_eased_and_years_of_ties(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """Immigration checks sped up for travellers are a travel measure agreed; "Sixty years
    ago this month, Seoul and Tokyo normalized" counts the years of ties (eight words
    apart)."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "Japan's Hayashi hands Yoon a letter from Kishida on inauguration day",
            "Japanese Foreign Minister Yoshimasa Hayashi met President Yoon Suk Yeol on "
            "Tuesday, hours after Yoon took office, and delivered a letter from Prime Minister "
            "Fumio Kishida.",
            {"ministerial_talks"},
            set(),
        ),
        (
            "Kishida meets his foreign minister before Seoul trip",
            "Prime Minister Fumio Kishida met Foreign Minister Yoshimasa Hayashi on Monday to "
            "prepare for talks with South Korea. Seoul and Tokyo are expected to discuss "
            "export controls.",
            set(),
            {"ministerial_talks"},
        ),
    ],
    ids=["minister-meets-the-other-leader", "minister-meets-his-own-leader"],
)
def test_the_shipped_rules_on_a_minister_who_meets_the_other_side_s_leader(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """A minister who meets the other country's leader holds ministers' talks (mixed
    ranks, as event-types.md decides them); one who meets his own leader does not."""
    _holds_and_lacks(shipped, title, text, present, absent)


def test_the_shipped_rules_on_the_islets_as_wire_services_name_them(shipped: RuleSet) -> None:
    """ "Disputed islets" in the headline, and "a pair of islets ... claimed by both
    countries" in the body, are the islets as wire services name them before (or
    without) their names."""
    title = "Japan protests S. Korean lawmakers' landing on disputed islets"
    text = (
        "TOKYO -- Japan lodged a protest with South Korea on Saturday after a group of South "
        "Korean lawmakers landed on a pair of islets claimed by both countries, calling the "
        "visit regrettable. The islets are controlled by Seoul."
    )
    assert "territorial_dispute" in shipped.classify(title, text).types


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        (
            "新任の駐韓日本大使、趙兌烈外相と面会",
            "【ソウル時事】新たに着任した日本の駐韓大使は12日、ソウルの外交省で趙兌烈外相と面会した。"
            "大使は「日韓関係をさらに発展させたい」と述べた。",
            {"official_exchange"},
            {"ministerial_talks"},
        ),
        (
            "유네스코, 日 군함도 후속조치 미흡에 '강한 유감'",
            "유네스코 세계유산위원회가 일본이 군함도의 강제노역 역사를 제대로 알리지 않았다며 "
            "강한 유감을 표명하는 결정문을 채택했다. 외교부는 일본에 충실한 이행을 촉구했다.",
            {"historical_issue"},
            {"security_defense"},
        ),
    ],
    ids=["korean-foreign-minister-in-japanese", "battleship-island"],
)
def test_the_shipped_rules_on_words_inside_names(
    shipped: RuleSet, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    """外相 after a South Korean foreign minister's name is Korea's minister, so Japan's
    ambassador who meets him holds no ministers' talks; 군함도 (Battleship Island, the
    heritage row) holds no warship."""
    _holds_and_lacks(shipped, title, text, present, absent)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "日韓外相が電話会談",
            "茂木敏充外相は22日、韓国の趙顕外交部長官と約20分間電話で会談した。"
            "両外相は、今月末の国際会議の機会に日韓首脳会談を実施すべく、緊密に連携していくことで一致した。",
        ),
        (
            "조현 외교장관, 모테기 외무상과 첫 통화",
            "조현 외교부 장관은 22일 모테기 도시미쓰 일본 외무상과 첫 전화 통화를 했다. "
            "두 장관은 이달 말 경주에서 한일 정상회담이 성공적으로 열릴 수 있도록 "
            "긴밀히 협력하기로 했다.",
        ),
    ],
    ids=["japanese-readout", "korean-wire"],
)
def test_the_shipped_rules_on_ministers_working_for_their_leaders_summit(
    shipped: RuleSet, title: str, text: str
) -> None:
    """Two ministers who agree to work closely so that their leaders' summit takes place
    ("会談を実施すべく、緊密に連携", "성공적으로 열릴 수 있도록 긴밀히 협력") announce it."""
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_a_lawmakers_delegation_calling_on_the_leader(
    shipped: RuleSet,
) -> None:
    """A delegation's own visit (방일단, 訪韓団) is the officials' visit, not the leader's."""
    title = "한일의원연맹 방일단, 총리 예방"
    text = (
        "한일의원연맹 소속 여야 의원들로 구성된 방일단이 일본을 방문해 이시바 시게루 총리를 "
        "예방했다. 방일단은 전날 도쿄 총리관저에서 이시바 총리와 40여 분간 면담하고 내년 국교 "
        "정상화 60주년을 계기로 양국 의회 간 교류를 확대하자는 데 뜻을 모았다."
    )
    _holds_and_lacks(
        shipped, title, text, {"official_exchange"}, {"summit_held", "summit_announced"}
    )


def test_the_shipped_rules_on_a_step_dated_by_an_earlier_summit(shipped: RuleSet) -> None:
    """A step dated by an earlier summit ("会談した際、…を表明していた") is the report's
    news, not a summit held."""
    title = "韓国、協定の正常化を日本に通知"
    text = (
        "韓国国防省は21日、日本との軍事情報包括保護協定（GSOMIA）の運用を完全に正常化するとの"
        "書簡を日本政府に送ったと発表した。尹錫悦大統領が16日に東京で岸田文雄首相と会談した際、"
        "正常化を表明していた。"
    )
    _holds_and_lacks(shipped, title, text, {"security_defense"}, {"summit_held"})


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "対韓輸出管理で事務レベル会合",
            "経済産業省は12日、韓国向け輸出管理の見直しを巡り、韓国の担当者と東京で会合を開いた。"
            "議論は平行線に終わった。",
        ),
        (
            "한일 북핵 대표, 미사일 발사에 전화 협의",
            "외교부 한반도평화교섭본부장은 18일 일본 외무성 아시아대양주국장과 전화 협의를 하고 "
            "북한의 탄도미사일 발사에 대한 대응 방안을 논의했다.",
        ),
    ],
    ids=["working-level-meeting", "envoys-phone-consultation"],
)
def test_the_shipped_rules_on_officials_talks_at_the_working_level(
    shipped: RuleSet, title: str, text: str
) -> None:
    """A working-level meeting (事務レベル会合) and two envoys' phone consultation (전화
    협의를 하고) are officials' contact."""
    _holds_and_lacks(shipped, title, text, {"official_exchange"}, set())


def test_the_shipped_rules_on_an_ambassador_who_hopes_to_meet_the_country_s_leaders(
    shipped: RuleSet,
) -> None:
    """A country's leaders in general ("Japanese leaders") are not its leader: an
    ambassador who hopes to meet them soon announces no summit."""
    title = "New South Korean envoy arrives in Tokyo"
    text = (
        "TOKYO -- South Korea's new ambassador to Japan arrived in Tokyo on Friday. Speaking to "
        "reporters at the airport, he said he would work to restore trust between the two "
        "governments and hoped to meet Japanese leaders soon."
    )
    assert "summit_announced" not in shipped.classify(title, text).types


def test_the_shipped_rules_on_clouds_over_shuttle_diplomacy(shipped: RuleSet) -> None:
    """Shuttle diplomacy under a cloud (暗雲) is what is at stake, not a visit."""
    title = "＜解説＞大統領の弾劾可決　日韓「シャトル外交」に暗雲"
    text = (
        "韓国国会が14日、尹錫悦大統領の弾劾訴追案を可決し、尹氏の職務は停止された。"
        "日韓関係の改善を主導してきた大統領の失脚は、日本外交にとっても打撃となる。"
    )
    _holds_and_lacks(
        shipped, title, text, {"political_change"}, {"summit_held", "summit_announced"}
    )


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "＜解説＞韓国大統領に保守系候補が当選　日韓改善の好機か",
            "韓国大統領選で保守系候補が当選した。当選者は選挙戦で、1998年の日韓共同宣言を"
            "引き合いに「未来志向の関係」を掲げた。日本政府は関係改善に期待を寄せる。",
        ),
        (
            "Seoul unveils plan to compensate wartime labourers",
            "SEOUL -- South Korea announced a plan on Monday to compensate Koreans forced to work "
            "for Japanese companies during World War Two, aiming to end a dispute that has soured "
            "ties with Tokyo for years. Japan's foreign minister said his government upheld the "
            "positions of past cabinets, including the 1998 joint declaration.",
        ),
    ],
    ids=["the-declaration-s-year", "ties-soured-for-years"],
)
def test_the_shipped_rules_on_years_that_count_no_anniversary(
    shipped: RuleSet, title: str, text: str
) -> None:
    """The year that dates the declaration (1998年の日韓共同宣言) and ties soured "for years"
    count no years of ties: the declaration cited is no anniversary."""
    types = shipped.classify(title, text).types
    assert types
    assert "anniversary" not in types


def test_the_shipped_rules_on_a_third_country_s_leader_in_the_headline(
    shipped: RuleSet,
) -> None:
    """China's leader and Japan's meeting in South Korea make no Korea-Japan summit, the
    third leader standing at the head of the title."""
    title = "Xi, Takaichi meet for first time on APEC sidelines in South Korea"
    text = (
        "GYEONGJU, South Korea (AP) -- Chinese leader Xi Jinping and Japan's new Prime Minister "
        "Sanae Takaichi held their first meeting on Friday on the sidelines of a regional forum "
        "in the South Korean city of Gyeongju. The meeting lasted about 30 minutes."
    )
    assert "summit_held" not in shipped.classify(title, text).types


def test_the_shipped_rules_on_three_leaders_who_will_meet_every_year(shipped: RuleSet) -> None:
    """A standing commitment to meet every year, made by three leaders at their summit, is
    no bilateral summit to come."""
    title = "US, Japan and South Korea pledge to consult on threats"
    text = (
        "CAMP DAVID -- The leaders of the United States, Japan and South Korea agreed on Friday "
        "to expand security cooperation at their first stand-alone three-way summit. Biden, "
        "South Korean President Yoon Suk Yeol and Japanese Prime Minister Fumio Kishida also "
        "committed to hold annual military exercises, to meet as leaders every year and to share "
        "missile warning data."
    )
    _holds_and_lacks(shipped, title, text, {"trilateral"}, {"summit_announced"})


def test_the_shipped_rules_on_a_summit_eyed_in_the_headline(shipped: RuleSet) -> None:
    """A summit "eyed" in the headline is one to come, not one held."""
    title = "Lee congratulates Takaichi, summit eyed on sidelines of Gyeongju APEC"
    text = (
        "SEOUL (Yonhap) -- President Lee Jae-myung on Tuesday congratulated Sanae Takaichi on "
        "her election as Japan's prime minister and said he looked forward to working with her."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_an_opportunity_in_japanese(shipped: RuleSet) -> None:
    """機に (on the occasion of) inside 契機に (an opportunity) is no meeting's occasion."""
    title = "尹錫悦氏の当選「日韓関係を健全に戻す契機に」　官房長官"
    text = (
        "松野博一官房長官は10日の記者会見で、韓国大統領選で尹錫悦氏が当選したことについて"
        "「日韓関係を健全な関係に戻すため、新大統領のリーダーシップに期待したい」と述べた。"
        "尹氏は選挙戦で、首脳間のシャトル外交の復活に意欲を示してきた。"
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, {"summit_announced"})


def test_the_shipped_rules_on_ministers_keeping_in_touch_for_the_summit(
    shipped: RuleSet,
) -> None:
    """Two ministers who agree to keep in close touch (緊密に意思疎通) toward their leaders'
    summit announce it."""
    title = "日韓外相電話会談"
    text = (
        "茂木敏充外務大臣は24日、韓国の趙顕外交部長官と約20分間、日韓外相電話会談を行った。"
        "両外相は、APEC首脳会議の機会を捉えた日韓首脳会談の実施に向け、"
        "引き続き緊密に意思疎通していくことで一致した。"
    )
    assert "summit_announced" in shipped.classify(title, text).types


def test_the_shipped_rules_on_supply_chains_in_japanese(shipped: RuleSet) -> None:
    """供給網 and 重要鉱物 (supply chains, critical minerals) are fields of business."""
    title = "日韓経産相が会談　重要鉱物の供給網で連携"
    text = (
        "赤沢亮正経済産業相は29日、韓国・慶州で韓国の金正官産業通商相と会談した。"
        "両氏は重要鉱物の供給網の強化で一致した。"
    )
    assert "economy_trade" in shipped.classify(title, text).types


def test_a_company_s_abbreviation_ends_no_sentence() -> None:
    """A company's abbreviation ("Corp.", "Co.", "Inc.", "Ltd.") leaves the sentence open,
    as "Mr." and "Aug." do; a full stop after another word still ends it."""
    rules = one_type(
        "    any:\n      - near: [ordered, forced to work]\n        within: 1 sentence\n"
        "        weight: 0.5\n"
    )
    for name in ["Nippon Steel Corp.", "Mitsubishi Heavy Industries Co.", "Acme Inc.", "Acme Ltd."]:
        text = f"The court ordered {name} to pay four Korean men who were forced to work."
        assert assigned(rules, GATE, text), name
    assert not assigned(
        rules, GATE, "The court ordered a steelmaker to pay. They were forced to work."
    )


@pytest.mark.parametrize(
    ("title", "text", "topic"),
    [
        (
            "[Column] The ruling Tokyo calls unthinkable is about dignity",
            "When the Supreme Court ordered a Japanese steelmaker to pay four Koreans forced to "
            "work in its mills during the colonial era, Japan's response was immediate. The "
            "Japanese government argues that Seoul is breaking an international promise.",
            "historical_issue",
        ),
        (
            "[Column] Why Japanese tourists are slower to return to Seoul",
            "Eight million Koreans visited Japan last year, while fewer than three million "
            "Japanese tourists came to South Korea. Cheap flights run full in one direction.",
            "people_exchange",
        ),
    ],
    ids=["a-ruling", "travel"],
)
def test_the_shipped_rules_on_columns_about_a_ruling_and_about_travel(
    shipped: RuleSet, title: str, text: str, topic: str
) -> None:
    """A column about a ruling on people forced to work in the colonial era, or about the
    two peoples' tourists, is about the two sides' matters: it is commentary."""
    _holds_and_lacks(shipped, title, text, {"commentary", topic}, set())


def test_the_shipped_rules_on_leaders_who_work_toward_meeting(shipped: RuleSet) -> None:
    """Leaders who agree to work "toward meeting at an early date" announce a summit."""
    title = "Abe, Moon agree to build future-oriented ties in first phone call"
    text = (
        "TOKYO -- Japanese Prime Minister Shinzo Abe and South Korean President Moon Jae-in "
        "spoke by phone for the first time on Thursday. The two leaders agreed to work toward "
        "meeting at an early date, officials in both capitals said."
    )
    assert {"leaders_call", "summit_announced"} <= set(shipped.classify(title, text).types)


def test_the_shipped_rules_on_the_follow_up_to_a_summit(shipped: RuleSet) -> None:
    """Vice ministers who discuss the follow-up to their leaders' summit (정상회담 후속 조치)
    report their own talks, not a summit held."""
    title = "박윤주 제1차관, 후나코시 일본 외무사무차관과 회담"
    text = (
        "박윤주 외교부 제1차관은 17일 도쿄에서 후나코시 다케히로 일본 외무성 사무차관과 한일 차관 "
        "회담을 갖고, 8월 한일 정상회담 후속 조치 이행 방안 등 양국 관계 전반에 대해 협의했다."
    )
    _holds_and_lacks(shipped, title, text, {"official_exchange"}, {"summit_held"})


def test_the_shipped_rules_on_a_summit_being_explored(shipped: RuleSet) -> None:
    """Officials who "explore" a leaders' meeting, and discuss "arrangements for a possible"
    one, announce it; none has been held."""
    title = "S. Korea, Japan hold talks on forced labor, explore Yoon-Kishida meeting at UN"
    text = (
        "TOKYO (Yonhap) -- Senior diplomats of South Korea and Japan met in Tokyo on Thursday "
        "to discuss the forced labor issue. The two also discussed arrangements for a possible "
        "bilateral meeting between President Yoon Suk Yeol and Prime Minister Fumio Kishida on "
        "the sidelines of the General Assembly in New York."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_the_export_list_by_its_name(shipped: RuleSet) -> None:
    """グループA, the name of Japan's export white list since 2019, is a trade measure."""
    title = "韓国を「グループA」に再指定　政令改正を閣議決定"
    text = (
        "日本政府は27日の閣議で、輸出管理上の優遇対象国「グループA」に韓国を再び指定する政令改正を"
        "決定した。2019年8月に韓国を除外してから約4年ぶりの復帰となる。日本の閣僚は"
        "記者会見で韓国の対応を説明した。"
    )
    assert "economy_trade" in shipped.classify(title, text).types


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "岩屋外相、李大統領と会談　石破首相の親書手渡す",
            "【ソウル共同】韓国を訪問中の岩屋毅外相は14日、ソウルの大統領府で李在明大統領と約30分間"
            "会談した。岩屋氏は石破茂首相の親書を手渡し、日韓関係の安定的な発展に向けて協力する考えを"
            "伝えた。",
        ),
        (
            "趙顕外相が石破首相と面会　関係発展へ意思疎通",
            "来日中の韓国の趙顕外相は8日、首相官邸で石破茂首相と面会した。趙氏は日韓関係の"
            "安定的な発展に向けた李在明大統領の考えを伝え、両国の意思疎通を続ける方針を確認した。",
        ),
    ],
    ids=["japanese-minister", "korean-minister"],
)
def test_the_shipped_rules_on_a_minister_who_meets_the_other_leader_in_japanese(
    shipped: RuleSet, title: str, text: str
) -> None:
    """A minister who meets (会談した, 面会した) the other country's leader holds ministers'
    talks, as the English and Korean readouts of such a meeting say; no summit was held."""
    _holds_and_lacks(shipped, title, text, {"ministerial_talks"}, {"summit_held"})


def test_the_shipped_rules_on_a_leaders_record_on_history(shipped: RuleSet) -> None:
    """What a leader did about the past in earlier years, told in a report of his fall
    ("解決策を打ち出し、…改善を主導してきた"), is his record: the report is no news of the
    history dispute."""
    title = "【解説】韓国の尹大統領が罷免　日本政府、関係の行方注視"
    text = (
        "韓国の憲法裁判所は4日、尹錫悦大統領の罷免を決定した。日本政府は日韓関係への影響を"
        "注視している。尹氏は元徴用工問題の解決策を打ち出し、日韓関係の改善を主導してきた。"
        "外務省幹部は「次の政権の対日姿勢を見極めたい」と話した。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"historical_issue"})


def test_the_shipped_rules_on_ties_worsened_by_a_trade_measure(shipped: RuleSet) -> None:
    """Ties "worsened by" export controls (수출규제 등으로 악화한 한일관계) are the
    background of an ambassador's appointment, not trade news."""
    title = "주일대사에 일본통 외교관 내정…한일관계 복원 과제"
    text = (
        "정부는 새 주일대사에 일본 전문가인 전직 외교관을 내정했다. 수출규제 등으로 악화한 "
        "한일관계를 복원하겠다는 대통령의 의지가 반영됐다는 평가다. 일본 정부도 환영의 뜻을 밝혔다."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, {"economy_trade"})


def test_the_shipped_rules_on_the_new_president_named_first(shipped: RuleSet) -> None:
    """A Japanese headline that names the new Korean president before his post
    ("文在寅氏が韓国大統領に") reports the change, as "韓国大統領に文在寅氏" does."""
    title = "文在寅氏が韓国大統領に　「対話の扉開く」"
    text = (
        "韓国大統領選で当選した文在寅氏が10日、大統領に就任した。日本政府は日韓関係の改善に"
        "期待を示した。菅義偉官房長官は記者会見で、日本として新政権と緊密に意思疎通していく考えを示した。"
    )
    assert "political_change" in shipped.classify(title, text).types


def test_the_shipped_rules_on_a_summit_that_ends_a_plan(shipped: RuleSet) -> None:
    """A briefing's "정상회담을 갖고, 이어 … 만찬을 할 예정이다": the sentence's end (예정)
    makes the meeting a plan, however many words after the verb it comes; no summit has
    been held yet."""
    title = '대통령실 "기시다 총리 6~7일 방한"'
    text = (
        "대통령실은 기시다 후미오 일본 총리가 6일부터 1박 2일 일정으로 방한한다고 밝혔다. "
        "윤석열 대통령과 기시다 총리는 6일 오후 용산 대통령실에서 한일 정상회담을 갖고, "
        "이어 두 정상 내외가 함께하는 만찬을 할 예정이다."
    )
    assert "summit_held" not in shipped.classify(title, text).types


def test_the_shipped_rules_on_a_visit_at_an_early_date(shipped: RuleSet) -> None:
    """Ministers who agree to work so that their president's visit "can be realized at an
    early date" announce it: "at an early date" is a future cue."""
    title = "Outcome of Korea-Japan Foreign Ministers' Talks"
    text = (
        "Minister of Foreign Affairs Cho Hyun held talks with Japanese Minister for Foreign "
        "Affairs Takeshi Iwaya in Kuala Lumpur on July 11. The two ministers assessed that the "
        "meeting between President Lee and Prime Minister Ishiba on the occasion of the G7 "
        "Summit last month had laid a good foundation for ties. They agreed to keep in close "
        "contact through diplomatic channels so that President Lee's visit to Japan can be "
        "realized at an early date."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_an_official_who_became_a_minister(shipped: RuleSet) -> None:
    """加藤勝信, on the officials' list as chief cabinet secretary, is a minister when the
    press names him finance minister (加藤勝信財務相): his talks are ministers' talks."""
    title = "日韓財務相が会談　金融協力で一致"
    text = (
        "加藤勝信財務相は11日、来日した韓国の企画財政相と財務省で会談した。両氏は日韓の金融協力を"
        "強化することで一致した。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks"}, {"official_exchange"})


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "조현 장관, 미즈시마 주한 日대사 접견",
            "조현 외교부 장관은 20일 미즈시마 고이치 주한 일본대사를 접견하고 한일 관계 "
            "발전 방안을 논의했다. 조 장관은 양국 간 소통을 강화하자고 말했다.",
        ),
        (
            "李赫駐日韓国大使による岩屋外務大臣表敬",
            "岩屋毅外務大臣は、着任した李赫駐日韓国大使の表敬を受けた。岩屋大臣は日韓関係の"
            "発展に向けて協力していきたいと述べた。",
        ),
    ],
    ids=["korean", "japanese"],
)
def test_the_shipped_rules_on_an_ambassadors_call_on_a_minister(
    shipped: RuleSet, title: str, text: str
) -> None:
    """An ambassador's courtesy call on the other side's minister (접견, 表敬) is officials'
    contact, not ministers' talks."""
    _holds_and_lacks(shipped, title, text, {"official_exchange"}, {"ministerial_talks"})


def test_the_shipped_rules_on_officials_who_go_over_a_summits_agenda(shipped: RuleSet) -> None:
    """Officials who go over a coming summit's schedule and agenda (정상회담 일정과 의제를
    점검) are preparing it: the summit is announced."""
    title = "한일 국장급 협의 개최"
    text = (
        "외교부 아시아태평양국장은 12일 서울에서 일본 외무성 아시아대양주국장과 한일 "
        "국장급 협의를 개최하였다. 양 국장은 대통령의 일본 방문을 앞두고 정상회담 일정과 "
        "의제 등 방일 관련 사항을 점검하였다."
    )
    assert "summit_announced" in shipped.classify(title, text).types


def test_the_shipped_rules_on_a_us_secretary_in_the_ministers_sentence(shipped: RuleSet) -> None:
    """Two ministers who meet with a US secretary named in the same sentence ("…国防相、
    オースティン米国防長官と会談した") hold a three-way meeting, not bilateral talks."""
    title = "日米韓防衛相が会談　協力枠組みの文書に署名"
    text = (
        "木原稔防衛相は28日、韓国の申源湜（シン・ウォンシク）国防相、オースティン米国防長官と"
        "防衛省で会談した。"
        "3氏は日米韓の安全保障協力を制度化する覚書に署名した。"
    )
    _holds_and_lacks(shipped, title, text, {"trilateral"}, {"ministerial_talks"})


def test_the_shipped_rules_on_a_bilateral_summit_beside_a_three_way_one(
    shipped: RuleSet,
) -> None:
    """A sentence that names the leaders' own meeting "bilateral" announces it, though a
    three-way summit is named in the same sentence (the other summit clues step back for
    that word)."""
    title = "Park to hold first summit with Abe after three-way meeting with China"
    text = (
        "SEOUL -- President Park Geun-hye will hold her first bilateral summit with Japanese "
        "Prime Minister Shinzo Abe in Seoul on Nov. 2, a day after the two leaders join "
        "Chinese Premier Li Keqiang for the first trilateral summit of the three neighbors in "
        'three years, the presidential office said. "We hope the meeting will open a new '
        'chapter in relations," a senior presidential secretary said.'
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced", "trilateral"}, {"summit_held"})


def test_the_shipped_rules_on_leaders_who_can_hold_a_meeting(shipped: RuleSet) -> None:
    """Ministers who prepare "so that" their leaders "can hold" a first meeting at a coming
    forum announce it: "can hold" is a future cue."""
    title = "FM Cho, Motegi agree to prepare for Lee-Takaichi talks at APEC"
    text = (
        "SEOUL -- Foreign Minister Cho Hyun held phone talks with his new Japanese counterpart "
        "Toshimitsu Motegi on Thursday, the foreign ministry said. The two ministers agreed to "
        "make thorough preparations so that President Lee Jae-myung and Takaichi can hold their "
        "first meeting on the margins of the Asia-Pacific Economic Cooperation (APEC) forum, "
        "the ministry said."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_a_new_leaders_habit_of_shrine_visits(shipped: RuleSet) -> None:
    """A new prime minister's habit of years ("과거 야스쿠니신사를 정기적으로 참배해 왔고"),
    told in the report of the change, is background, not news of the history dispute."""
    title = '다카이치 총리 취임…대통령실 "한일관계 안정적 발전 기대"'
    text = (
        "다카이치 사나에 자민당 총재가 21일 일본 총리로 선출됐다. 대통령실은 한일관계의 안정적 "
        "발전을 기대한다고 밝혔다. 다카이치 총리는 과거 야스쿠니신사를 정기적으로 참배해 왔고, "
        "역사 문제에서 강경한 입장을 보여 왔다."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, {"historical_issue"})


def test_the_shipped_rules_on_a_korean_minister_named_with_his_reading(
    shipped: RuleSet,
) -> None:
    """The Japanese press gives a Korean minister's reading at the first mention
    ("康京和（カン・ギョンファ）外相"): 外相 there is still the Korean minister, so one
    minister's announcement is no ministers' talks."""
    title = "慰安婦合意で韓国が新方針　日本政府は反発"
    text = (
        "韓国の康京和（カン・ギョンファ）外相は9日、慰安婦問題を巡る2015年の日韓合意について、"
        "日本に再交渉は求めないとする新方針を発表した。日本政府は合意の着実な履行を求めた。"
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue"}, {"ministerial_talks"})


def test_the_shipped_rules_on_the_republic_of_korea_in_japanese(shipped: RuleSet) -> None:
    """大韓民国, the country's full name in a Japanese ministry's notice, names Korea (it
    holds no 韓国: 大韓民国 is 大・韓・民・国)."""
    title = "大韓民国向け輸出管理の運用の見直しについて"
    text = (
        "経済産業省は1日、大韓民国向けの輸出管理の運用を見直すと発表した。フッ化水素など半導体材料"
        "3品目の大韓民国への輸出について、包括許可の対象から外し、個別の輸出許可を求める。"
    )
    _holds_and_lacks(shipped, title, text, {"economy_trade"}, set())


def test_the_shipped_rules_on_japans_trade_minister_by_his_full_title(
    shipped: RuleSet,
) -> None:
    """経済産業大臣, the trade minister's full title in his ministry's releases, is Japan's
    minister, as 経済産業相 is."""
    title = "経済産業大臣が韓国産業通商資源部長官と会談"
    text = (
        "経済産業大臣は20日、訪日中の韓国産業通商資源部長官と都内で会談し、半導体の供給網や"
        "水素分野での協力を進めることで一致した。両大臣は事務レベルの対話を続けることも確認した。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "economy_trade"}, set())


def test_the_shipped_rules_on_a_briefings_formal_present(shipped: RuleSet) -> None:
    """A Korean briefing states the schedule in the formal present ("정상회담을 갖습니다"):
    the summit is to come, not held."""
    title = "[브리핑] 대변인, 기시다 일본 총리 방한 관련 브리핑"
    text = (
        "윤석열 대통령은 7일 서울에서 기시다 후미오 일본 총리와 한일 정상회담을 갖습니다. 이번 "
        "방한은 3월 윤 대통령의 일본 방문에 대한 답방 성격입니다. 양 정상은 회담 뒤 만찬을 "
        "함께합니다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_a_readouts_numbered_paragraphs(shipped: RuleSet) -> None:
    """A foreign ministry's readout numbers its paragraphs ("3. Minister … conveyed Japan's
    position on the issue of former civilian workers from the Korean Peninsula"): the
    numbers start no sentences, so the issue raised in the third paragraph is in the
    type's lead, and the ministry's English name for the labour issue is the issue."""
    title = "Japan-ROK Foreign Ministers' Meeting"
    text = (
        "On May 3, Mr. KISHIDA Fumio, Minister for Foreign Affairs of Japan, held a meeting "
        "with Mr. YUN Byung-se, Minister of Foreign Affairs of the Republic of Korea. The "
        "overview is as follows.\n1. The two Ministers welcomed the progress of relations.\n"
        "2. They agreed to cooperate on North Korea.\n3. Minister Kishida conveyed Japan's "
        "position on the issue of former civilian workers from the Korean Peninsula. Minister "
        "Yun explained the efforts of his government."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "historical_issue"}, set())


def test_the_shipped_rules_on_the_security_dialogue_in_japanese(shipped: RuleSet) -> None:
    """安全保障対話, the two sides' standing security talks in Japanese, is a security
    clue, as 安保対話 and 안보대화 are (with North Korea beside it, security news)."""
    title = "日韓の局長級協議、ソウルで開催"
    text = (
        "日韓安全保障対話が10日、ソウルで約5年ぶりに開かれた。両国の外務・防衛当局の局長級が"
        "出席し、北朝鮮情勢や両国の防衛政策について意見を交わした。"
    )
    _holds_and_lacks(shipped, title, text, {"security_defense"}, set())


def test_the_shipped_rules_on_a_readouts_concurred_meeting(shipped: RuleSet) -> None:
    """A readout's English ("the two leaders concurred on meeting in person at an early
    date") announces the meeting, as "agreed to meet" does."""
    title = "Japan-ROK Summit Telephone Talk"
    text = (
        "On June 9, Mr. ISHIBA Shigeru, Prime Minister of Japan, held a telephone talk with "
        "H.E. Mr. LEE Jae-myung, President of the Republic of Korea. The overview is as "
        "follows. 1. The Prime Minister congratulated the President. 2. The two leaders "
        "concurred on meeting in person at an early date."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_a_line_of_north_korea_coordination(shipped: RuleSet) -> None:
    """One line of a call's report in which the leaders agree to coordinate on North
    Korea's missiles is not security news; the item is the call."""
    title = "石破首相、尹大統領と初の電話会談"
    text = (
        "石破茂首相は2日夜、韓国の尹錫悦大統領と就任後初めて電話会談した。両首脳は日韓関係を"
        "引き続き発展させることで一致した。両首脳は北朝鮮の核・ミサイル問題で緊密に連携していく"
        "ことも確認した。"
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call"}, {"security_defense"})


def test_the_shipped_rules_on_ministers_who_agree_to_officials_talks(
    shipped: RuleSet,
) -> None:
    """Two defence ministers who agree to hold their officials' working talks report the
    ministers' meeting; the officials' talks to come are its outcome, not an officials'
    exchange of their own."""
    title = "한일 국방장관회담 개최 결과"
    text = (
        "국방부 장관은 1일 싱가포르에서 일본 방위대신과 한일 국방장관회담을 가졌다. 양 장관은 "
        "국방교류협력을 추진해 나가기로 하고, 실무급 협의와 부대 간 교류를 활성화하기로 하였다. "
        "양국 국방당국 간 협의 결과도 확인하였다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks"}, {"official_exchange"})


@pytest.mark.parametrize(
    "title",
    [
        "FOCUS: Lee, Takaichi open cautiously, vow to keep shuttle diplomacy",
        "[OUTLOOK] Why Seoul keeps its seafood ban on Japan",
    ],
)
def test_the_shipped_rules_on_a_wires_focus_and_a_dailys_outlook(
    shipped: RuleSet, title: str
) -> None:
    """A wire service's analysis label ("FOCUS:") and a daily's column label ("[OUTLOOK]")
    head commentary."""
    text = (
        "South Korea and Japan have kept their relationship steady this year. Seoul and Tokyo "
        "still differ on the seafood ban, and their ties will be tested again."
    )
    _holds_and_lacks(shipped, title, text, {"commentary"}, set())


def test_the_shipped_rules_on_an_early_meeting_proposed_in_korean(shipped: RuleSet) -> None:
    """A call's report that the leaders "조기에 대면 회담을 갖자" (let us hold an in-person
    meeting early) announces the meeting, as "조속히 만나자" does."""
    title = "윤석열 대통령, 일본 신임 총리와 통화"
    text = (
        "윤석열 대통령은 오늘 오후 이시바 시게루 일본 신임 총리와 약 20분간 통화를 했습니다. "
        "양 정상은 이달 다자회의 계기에 조기에 대면 회담을 갖자는 데 뜻을 같이했습니다."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_a_summit_the_ministers_work_for(shipped: RuleSet) -> None:
    """Ministers who agree to work "for a successful summit meeting" between their leaders
    announce it: the cue of the summit's own phrase is nearer than "agreed"."""
    title = "Outcome of Telephone Conversation between ROK and Japanese Foreign Ministers"
    text = (
        "Minister of Foreign Affairs Cho Hyun held a telephone conversation with Minister for "
        "Foreign Affairs of Japan Motegi Toshimitsu on Thursday. The two Ministers agreed to "
        "work closely together for a successful summit meeting between President Lee Jae Myung "
        "and Prime Minister Takaichi Sanae through shuttle diplomacy between the leaders."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_a_visa_waiver_to_restore(shipped: RuleSet) -> None:
    """A visa waiver written as one word ("비자면제") and to be restored ("복원") is a
    travel measure, as "무비자" widened is."""
    title = "박진 외교장관, 하야시 외무상과 도쿄서 회담"
    text = (
        "박진 외교부 장관은 18일 도쿄에서 하야시 요시마사 일본 외무대신과 한일 외교장관회담을 "
        "개최하였다. 박 장관은 양국 국민 간 교류 활성화를 위해 코로나19로 중단된 비자면제 조치의 "
        "조속한 복원이 필요하다고 하였다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "people_exchange"}, set())


def test_the_shipped_rules_on_a_readouts_three_country_name(shipped: RuleSet) -> None:
    """A readout names the three countries in full ("Japan-United States-Republic of
    Korea"): the ministers' meeting is three-way, not the two's."""
    title = "Japan-United States-Republic of Korea Foreign Ministers' Meeting"
    text = (
        "On February 15, Mr. IWAYA Takeshi, Minister for Foreign Affairs of Japan, held a "
        "meeting with Mr. Marco Rubio, Secretary of State of the United States, and the "
        "Minister of Foreign Affairs of the Republic of Korea, Cho Tae-yul, in Munich. The "
        "three Ministers issued a joint statement."
    )
    _holds_and_lacks(shipped, title, text, {"trilateral"}, {"ministerial_talks"})


def test_the_shipped_rules_on_north_koreas_military_cooperation_with_russia(
    shipped: RuleSet,
) -> None:
    """North Korea's military cooperation with Russia ("러시아와의 군사협력") is the threat
    the two discuss, not their own security cooperation."""
    title = "박윤주 외교1차관, 후나코시 日외무차관과 전략대화"
    text = (
        "박윤주 외교부 제1차관은 17일 서울에서 후나코시 다케히로 일본 외무성 사무차관과 한일 "
        "외교차관 전략대화를 열었다. 두 차관은 북한의 핵·미사일 개발과 러시아와의 군사협력에 대한 "
        "우려를 공유하고 긴밀히 공조해 나가기로 했다."
    )
    _holds_and_lacks(shipped, title, text, {"official_exchange"}, {"security_defense"})


def test_the_shipped_rules_on_a_new_leaders_record_continued(shipped: RuleSet) -> None:
    """A new prime minister's record told as what she "continued" ("참배를 이어왔고") or
    "has shown" ("입장을 보여 왔다") is background of the change, not history news."""
    title = '다카이치 日 총리 선출…정부 "한일관계 안정적 발전 기대"'
    text = (
        "다카이치 사나에 자민당 총재가 21일 일본 총리로 선출됐다. 외교부는 한일 관계를 안정적으로 "
        "발전시켜 나가기를 기대한다고 밝혔다. 강경 보수 성향인 다카이치 총리는 그동안 야스쿠니신사 "
        "참배를 이어왔고 과거사 문제에서도 강경한 입장을 보여 왔다."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, {"historical_issue"})


def test_the_shipped_rules_on_a_meeting_at_an_early_opportunity(shipped: RuleSet) -> None:
    """A call's readout in which the leaders "would meet at an early opportunity" announces
    the meeting, as "at an early date" does."""
    title = "Japan-ROK Summit Telephone Talk"
    text = (
        "On June 9, Mr. ISHIBA Shigeru, Prime Minister of Japan, held a telephone talk with "
        "H.E. Mr. LEE Jae-myung, President of the Republic of Korea. The two leaders shared the "
        "view that they would meet at an early opportunity and continue to communicate closely."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_an_issue_pressed_in_a_japanese_readout(
    shipped: RuleSet,
) -> None:
    """A readout's long sentence in which one side presses the other on the labour issue
    ("…旧朝鮮半島出身労働者問題について、日本の一貫した立場に基づき、韓国側に適切な対応を強く
    求めていく旨述べました") reports the issue raised in the call."""
    title = "日韓首脳電話会談"
    text = (
        "本24日、菅義偉内閣総理大臣は、文在寅大韓民国大統領と電話会談を行ったところ、概要は以下"
        "のとおりです。また、菅総理から、旧朝鮮半島出身労働者問題をはじめとする両国間の懸案に"
        "ついて、日本の一貫した立場に基づき、今後とも韓国側に適切な対応を強く求めていく旨述べました。"
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "historical_issue"}, set())


def test_the_shipped_rules_on_an_import_ban_kept_in_force(shipped: RuleSet) -> None:
    """A government that keeps its import ban on the other side's seafood in force ("수입
    금지 조치를 … 유지할 것") decides on a trade measure."""
    title = "후쿠시마 원전 오염수 방류 관련 일일 브리핑"
    text = (
        "국무조정실 차장은 25일 일본 후쿠시마 원전 오염수 방류 관련 일일 브리핑을 "
        '실시하였다. 차장은 "정부는 후쿠시마 인근 8개 현의 모든 수산물에 대한 수입 금지 '
        '조치를 계속 유지할 것"이라고 밝혔다. 일본산 수산물에 대해서는 방사능 검사를 계속 '
        "실시하고 있다고 설명했다."
    )
    _holds_and_lacks(shipped, title, text, {"economy_trade"}, set())


def test_the_shipped_rules_on_a_korean_minister_by_surname_and_title(
    shipped: RuleSet,
) -> None:
    """A Japanese readout names the Korean minister by surname and title ("趙長官"): with
    the Japanese minister in the sentence, the two ministers met, though a three-way
    meeting heads the readout."""
    title = "外務大臣の日中韓外相会議出席及び日韓外相会談"
    text = (
        "3月22日、岩屋毅外務大臣は、東京において日中韓外相会議を主催しました。また、同日、岩屋"
        "大臣は趙長官と日韓外相会談を行いました。北朝鮮への対応で緊密に連携していくことで一致"
        "しました。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "trilateral"}, set())


def test_the_shipped_rules_on_leaders_who_will_meet_in_person_soon(shipped: RuleSet) -> None:
    """A call's report that the leaders will meet in person soon ("두 정상은 조만간 직접 만나
    … 나누기로 했습니다") announces the meeting."""
    title = "[서면 브리핑] 이재명 대통령, 이시바 시게루 일본 총리와 통화"
    text = (
        "이재명 대통령은 오늘 오후 이시바 시게루 일본 총리와 취임 후 첫 통화를 했습니다. 두 정상은 "
        "조만간 직접 만나 양국 관계 발전 방안에 대해 허심탄회하게 의견을 나누기로 했습니다."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_a_leader_looking_forward_to_meeting(shipped: RuleSet) -> None:
    """A headline in which a leader "looks forward to meeting" the other ("…서 만나길
    고대") announces the meeting; it has not taken place."""
    title = '이 대통령, 다카이치 신임 日총리에 축하 서한…"경주 APEC서 만나길 고대"'
    text = (
        "이재명 대통령은 21일 다카이치 사나에 일본 총리에게 축하 서한을 보냈다고 대통령실 대변인이 "
        "밝혔습니다. 이 대통령은 양국 관계를 미래지향적으로 발전시켜 나가기를 기대한다고 했습니다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_a_new_party_leader_in_korean(shipped: RuleSet) -> None:
    """The LDP's new leader in a Korean headline ("자민당 새 총재") names the change, as
    "자민당 총재" does."""
    title = "日자민당 새 총재에 '아베 계승자' 다카이치…한일관계 '불확실성' 커져"
    text = (
        "일본 집권 자민당의 새 총재로 강경 보수 성향의 다카이치 사나에 전 경제안보담당상이 4일 "
        "선출됐다. 외교가에서는 한일관계 개선 흐름이 이어질지 주목하고 있다."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, {"summit_held"})


def test_the_shipped_rules_on_one_sides_tariff_deal_with_the_us(shipped: RuleSet) -> None:
    """An editorial on one side's tariff deal with the US, the other side only its
    benchmark ("일본과 같은 15%"), is about that deal, not the two's relations."""
    title = "[사설] 한·미 관세협상 타결, 투자의 청구서 꼼꼼히 따져야"
    text = (
        "한·미 관세협상이 타결됐다. 상호관세는 일본과 같은 15%로 정해졌다. 일본은 5500억 달러 "
        "투자를 약속했고, 우리는 3500억 달러를 내기로 했다. 정부는 투자 방식과 수익 배분을 꼼꼼히 "
        "따져 국익을 지켜야 한다. 통상 외교의 역량을 모을 때다."
    )
    types = set(shipped.classify(title, text).types)
    assert not types


def test_the_shipped_rules_on_fields_listed_with_middle_dots(shipped: RuleSet) -> None:
    """A list of fields with middle dots ("안보·경제·인적교류") loses them when normalised:
    경제인적 there is the economy, then people's exchange, not 경제인 (business leaders)."""
    title = "尹-기시다, 서울서 정상회담"
    text = (
        "윤석열 대통령과 기시다 후미오 일본 총리는 7일 용산 대통령실 청사에서 정상회담을 갖고 "
        "안보·경제·인적교류 등 다방면에서 협력을 강화하기로 했다. 일본 총리의 한국 방문은 "
        "5년 만이다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"economy_trade"})


def test_the_shipped_rules_on_the_apec_forums_korean_name(shipped: RuleSet) -> None:
    """아시아태평양경제협력체 (APEC) holds 경제협력 but is a forum, not the two sides'
    economic cooperation."""
    title = "李대통령, 다카이치 日총리와 첫 정상회담"
    text = (
        "이재명 대통령은 30일 다카이치 사나에 일본 총리와 첫 정상회담을 하고 양국 간 셔틀외교를 "
        "이어가며 미래지향적 협력을 강화하기로 했다. 아시아태평양경제협력체(APEC) 정상회의 참석차 "
        "방한한 다카이치 총리와의 회담은 경주의 한 호텔에서 열렸다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"economy_trade"})


def test_the_shipped_rules_on_a_japanese_ministrys_notice(shipped: RuleSet) -> None:
    """A Japanese ministry's notice names its own government by its laws and cabinet
    (外為法, 閣議決定), not by 日本: they stand for Japan."""
    title = "大韓民国向け輸出管理の運用の見直しについて"
    text = (
        "経済産業省は、外為法に基づく輸出管理を適切に実施する観点から、韓国向けの輸出管理の運用を"
        "見直します。韓国をホワイト国から外す政令改正は、閣議決定を経て施行します。輸出管理制度は"
        "国際的な信頼関係を前提として成り立つものですが、関係省庁で検討した結果、信頼関係が著しく"
        "損なわれたと判断せざるを得ません。フッ化ポリイミド、レジスト、フッ化水素の3品目については"
        "包括輸出許可の対象から外し、個別に輸出許可の申請と審査を求めることとします。あわせて、"
        "製造技術の移転についても同様の扱いとします。意見募集は本日から30日間行い、寄せられた"
        "意見を踏まえて最終的な判断を行います。"
        "なお、本件は安全保障上の観点から行う運用の見直しであり、今後も関係国と必要な意思疎通を"
        "続けてまいります。"
    )
    _holds_and_lacks(shipped, title, text, {"economy_trade"}, set())


def test_the_shipped_rules_on_a_contributed_column(shipped: RuleSet) -> None:
    """A contributed column's bracketed label ([Contribution]) marks opinion like [Column]."""
    title = "[Contribution] Why the Busan-Fukuoka ferry matters more than summits"
    text = (
        "Every spring the ferry between Busan and Fukuoka fills with students, "
        "retirees and small traders, and the relationship between South Korea and "
        "Japan looks very different from the deck than from the podiums in Seoul and "
        "Tokyo. Local governments on both sides have quietly kept their exchange "
        "programmes going through years of diplomatic frost. The two central "
        "governments would do well to learn from them and fund the school trips and "
        "homestays that build trust one family at a time."
    )
    _holds_and_lacks(shipped, title, text, {"commentary"}, set())


def test_the_shipped_rules_on_the_three_way_summit_in_japanese(shipped: RuleSet) -> None:
    """The three-way summit by its Japanese word (日中韓サミット) is a three-way event."""
    title = "岸田首相、ソウルで尹大統領と会談　連携強化で一致"
    text = (
        "岸田文雄首相は26日、ソウルで韓国の尹錫悦大統領と会談し、日韓関係の改善の流れを"
        "確かなものにするため緊密に連携することで一致した。首相は翌27日に開かれる日中韓"
        "サミットに出席するため韓国を訪れている。両首脳は経済安全保障や人的交流での協力を"
        "欠だ」と述べた。政府関係者によると、来年の首相訪韓についても意見を交わしたという。"
        "欠だ」と述べた。政府関係者によると、来年の首相訪韓についても意見を交わしたという"
    )
    _holds_and_lacks(shipped, title, text, {"trilateral"}, set())


def test_the_shipped_rules_on_the_ministers_in_person_meeting(shipped: RuleSet) -> None:
    """The defence ministers' in-person talks (국방장관 대면 회담) are no summit, whatever
    government they are dated by."""
    title = "[분석] 일본 방위상 10년 만의 방한…국방 교류 복원 시험대"
    text = (
        "나카타니 겐 일본 방위상이 29일 방한해 안규백 국방부 장관과 한일 "
        "국방장관 회담을 했다. 일본 방위상의 방한은 10년 만이다. 두 장관은 "
        "북한의 핵·미사일 위협에 대응해 양국 간 안보 협력을 강화하고, 부대 "
        "간 교류를 활성화하기로 했다. 이번 방한은 국방 당국 간 실무 협의가 "
        "일단락된 것을 계기로 이재명 대통령의 승인을 거쳐 성사됐다. 이재명 "
        "정부 출범 이후 처음 열린 국방장관 대면 회담이라는 점에서, 대일 안보 "
        "협력 기조가 이어질지 가늠할 시험대라는 평가가 나온다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks"}, {"summit_held"})


def test_the_shipped_rules_on_an_annual_ritual(shipped: RuleSet) -> None:
    """A claim repeated like an annual ritual (연례행사처럼) is no ceremony of the anniversary."""
    title = "[사설] 또 되풀이된 '다케시마의 날' 행사, 언제까지 방치하나"
    text = (
        "일본 시마네현이 22일 올해도 '다케시마의 날' 행사를 열고 독도 "
        "영유권을 주장했다. 일본 정부는 차관급 인사를 보내 힘을 실었다. "
        "외교부는 대변인 성명을 내고 강하게 항의했고 주한 일본대사관 총괄공사를 "
        "초치했다. 올해는 한일 국교정상화 60주년이다. 양국 정상이 미래지향적 "
        "관계를 말하면서도 한쪽에서는 영토 도발을 연례행사처럼 되풀이하는 모순은 "
        "해소되지 않고 있다. 정부는 항의에 그치지 말고 독도에 대한 실효적 "
        "지배를 차분하게 강화해야 한다."
    )
    _holds_and_lacks(shipped, title, text, {"territorial_dispute"}, {"anniversary"})


def test_the_shipped_rules_on_a_summit_expected(shipped: RuleSet) -> None:
    """A summit expected to take place (首脳会談が行われる見通し) is to come, not held."""
    title = "李大統領の来日、準備大詰め"
    text = (
        "韓国の李在明大統領の来日に向けた準備が大詰めを迎えている。外交筋によると、李氏は"
        "今月下旬に東京を訪れ、石破茂首相との首脳会談が行われる見通しだ。会談では北朝鮮の"
        "核・ミサイル問題への対応や経済分野の協力について意見を交わす。両政府はシャトル外"
        "交の本格的な再開を確認したい考えで、首脳会談の成果文書についても調整を続けている"
        "。李氏にとって大統領就任後、初めての日本訪問となる。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_a_us_secretarys_visit(shipped: RuleSet) -> None:
    """The US defence secretary's visit to Tokyo is no minister of the two."""
    title = "Japan, US agree on command upgrade as Hegseth visits Tokyo"
    text = (
        "TOKYO -- Defense Minister Gen Nakatani and U.S. Defense Secretary Pete "
        "Hegseth agreed on Sunday to move ahead with upgrading U.S. Forces Japan "
        "into a joint force headquarters. The two men also discussed Japan's defence "
        "budget and the production of missiles in Japan. Nakatani said the alliance "
        "was the cornerstone of regional peace. The Pentagon chief, who stopped in "
        "Manila before arriving in Japan, did not travel on to South Korea. Seoul is "
        "watching the changes closely as it weighs its own command arrangements with "
        "Washington."
    )
    _holds_and_lacks(shipped, title, text, set(), {"ministerial_talks"})


def test_the_shipped_rules_on_a_guest_country(shipped: RuleSet) -> None:
    """A guest country of the G7 (招待国として出席) is no invitation to a meeting to come."""
    title = "日韓首脳、広島で韓国人原爆犠牲者慰霊碑に献花"
    text = (
        "先進7カ国首脳会議（G7サミット）に招待国として出席した韓国の尹錫悦大統領と岸田"
        "文雄首相は21日朝、広島市の平和記念公園にある韓国人原爆犠牲者慰霊碑を訪れ、そろ"
        "って献花した。日韓首脳がそろって同碑を訪れるのは初めて。両首脳は碑の前で黙とうを"
        "ささげた。岸田氏は記者団に「犠牲者の冥福を祈ることは日韓の未来にとって大切だ」と"
        "語った。両首脳はこの後、市内のホテルで約30分間会談した。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"summit_announced"})


def test_the_shipped_rules_on_sados_mine_by_its_full_name(shipped: RuleSet) -> None:
    """Sado's mine by its full Japanese name, and the workers from the Peninsula, name
    both sides as the other names of the dispute do."""
    title = "「佐渡島の金山」世界遺産登録に関する外務大臣談話"
    text = (
        "本日、世界遺産委員会において「佐渡島の金山」を世界遺産一覧表に記載することが決定"
        "されました。今回の決定に当たっては、委員国との間で丁寧な議論を重ねてきました。我"
        "が国は、戦時中を含む全体の歴史を現地において理解できるよう、朝鮮半島出身者を含む"
        "鉱山労働者の当時の生活状況を紹介する展示を新たに設置しました。また、全ての労働者"
        "を追悼するため、追悼式を毎年現地で開催していく考えです。政府としては、この遺産の"
        "価値を国内外に発信してまいります。"
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue"}, set())


def test_the_shipped_rules_on_visitors_from_korea(shipped: RuleSet) -> None:
    """Visitors to Japan from Korea (韓国からの訪日者) are travellers between the two."""
    title = "訪日外客数、年間で過去最高を更新"
    text = (
        "日本政府観光局は、昨年の訪日外客数が約3,690万人となり、過去最高を更新したと"
        "発表した。国・地域別では、韓国からの訪日者数が約880万人で最も多かった。円安が"
        "追い風となったほか、地方空港への直行便の増便が寄与した。12月単月でも冬休みの旅"
        "行需要が高まり、単月として過去最高を記録した。観光局は今年も地方への誘客に力を入"
        "れる方針だ。"
    )
    _holds_and_lacks(shipped, title, text, {"people_exchange"}, set())


def test_the_shipped_rules_on_the_korean_press_hanja_pairs(shipped: RuleSet) -> None:
    """A Korean headline of the tariff talks with the US in hanja (韓美 관세협상) is that
    relationship's news, Japan its benchmark."""
    title = "[사설] 韓美 관세협상 타결, 청구서는 이제부터"
    text = (
        "한미 관세협상이 극적으로 타결됐다. 미국은 한국산 제품에 대한 "
        "상호관세를 25%에서 15%로 낮추고, 한국은 대규모 대미 투자 펀드를 "
        "조성하기로 했다. 자동차 관세도 15%로 정해져 일본, 유럽연합과 같은 "
        "조건을 확보했다. 경쟁국인 일본보다 불리한 조건을 피했다는 점에서 "
        "최악은 면했다. 그러나 투자 펀드의 구체적인 운용 방식은 아직 정해지지 "
        "않았다. 정부는 후속 협상에서 국익을 지키는 데 총력을 기울여야 한다."
    )
    _holds_and_lacks(shipped, title, text, set(), {"economy_trade"})


def test_the_shipped_rules_on_a_call_before_the_meeting(shipped: RuleSet) -> None:
    """The leaders' call of earlier this month, recalled in a meeting's readout, is no call."""
    title = "Japan-ROK Summit Meeting"
    text = (
        "On June 17, for approximately 30 minutes, Mr. ISHIBA Shigeru, Prime "
        "Minister of Japan, who is visiting Canada to attend the G7 Summit, held a "
        "meeting with H.E. Mr. LEE Jae-myung, President of the Republic of Korea. At "
        "the outset, Prime Minister Ishiba expressed his pleasure at holding the "
        "first in-person meeting with President Lee following their telephone talk "
        "earlier this month. The two leaders confirmed that they would make this "
        "milestone year an opportunity to further develop Japan-ROK relations. The "
        "two leaders also exchanged views on regional affairs, including North "
        "Korea, and confirmed that Japan and the ROK will continue to closely "
        "coordinate."
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"leaders_call"})


def test_the_shipped_rules_on_koreas_defence_ministry_in_english(shipped: RuleSet) -> None:
    """Korea's Ministry of National Defense names Korea."""
    title = "[Column] The radar quarrel serves only Pyongyang"
    text = (
        "The quarrel over whether a South Korean destroyer locked its fire-control "
        "radar onto a Japanese Maritime Self-Defense Force patrol plane is now in "
        "its second month. Japan's Defense Ministry released cockpit video and then "
        "what it said was a recording of the radar signal. The Ministry of National "
        "Defense answered with a video of its own, insisting the ship was searching "
        "for a drifting fishing boat. Each side now talks past the other. Both "
        "militaries should return to quiet working-level talks before the dispute "
        "damages cooperation they both need."
    )
    _holds_and_lacks(shipped, title, text, {"security_defense"}, set())


def test_the_shipped_rules_on_a_face_to_face_meeting_to_hold(shipped: RuleSet) -> None:
    """A call's readout in which the leaders will hold a face-to-face meeting at an early
    date announces it."""
    title = "Japan-ROK Summit Telephone Talk"
    text = (
        "On June 9, for approximately 25 minutes, Mr. ISHIBA Shigeru, Prime Minister "
        "of Japan, held a telephone talk with H.E. Mr. LEE Jae-myung, President of "
        "the Republic of Korea. Prime Minister Ishiba congratulated President Lee on "
        "his assumption of office. The two leaders exchanged views on North Korea "
        "and confirmed that Japan and the ROK would closely coordinate. The two "
        "leaders shared the view to hold a face-to-face meeting at an early date."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_an_early_meeting_in_korean(shipped: RuleSet) -> None:
    """Leaders who agree to meet soon (조속히 만나) announce a meeting."""
    title = '문 대통령, 아베 총리와 첫 통화…"북핵 긴밀 공조"'
    text = (
        "문재인 대통령은 11일 오전 아베 신조 일본 총리와 취임 후 첫 "
        "전화통화를 했다고 청와대 대변인이 밝혔다. 아베 총리는 문 대통령의 "
        "취임을 축하하고 양국 관계를 미래지향적으로 발전시켜 나가자고 말했다. "
        "양 정상은 북핵 문제 해결을 위해 긴밀히 협력하기로 했으며, 7월 주요 "
        "20개국 정상회의 등 계기에 조속히 만나 셔틀외교를 복원하자는 데 "
        "의견을 같이했다."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_a_summit_to_be_brought_about(shipped: RuleSet) -> None:
    """Ministers who work so that a summit comes about (성사될 수 있도록) prepare one."""
    title = '한일 외교장관 통화…"APEC 계기 정상회담 긴밀 협의"'
    text = (
        "조현 외교부 장관은 23일 모테기 도시미쓰 일본 외무상과 전화 통화를 "
        "하고 한일관계의 안정적 발전을 위해 긴밀히 소통해 나가기로 했다고 "
        "외교부가 밝혔다. 양 장관은 이달 말 경주에서 열리는 "
        "아시아태평양경제협력체 정상회의를 계기로 한일 정상회담이 성사될 수 "
        "있도록 외교 당국 간 협의를 가속하기로 했다. 두 장관은 북한 문제와 "
        "관련한 공조의 중요성도 재확인했다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_a_summits_schedule(shipped: RuleSet) -> None:
    """Officials who check the schedule of a summit to come (정상회담을 갖는 일정) announce it."""
    title = "한일 국장급 협의 개최 결과"
    text = (
        "외교부 아시아태평양국장은 24일 서울에서 일본 외무성 아시아대양주국장과 "
        "한일 국장급 협의를 갖고 양국 관계 현안에 대해 협의하였다. 양측은 "
        "이시바 시게루 총리가 이달 30일 부산을 방문해 이재명 대통령과 "
        "정상회담을 갖는 일정을 최종 점검하였다. 양측은 정상회담 계기에 논의될 "
        "공동 사회 문제 대응 협력 방안에 대해서도 의견을 교환하였다."
    )
    _holds_and_lacks(shipped, title, text, {"official_exchange", "summit_announced"}, set())


def test_the_shipped_rules_on_chinese_warships_passing(shipped: RuleSet) -> None:
    """Chinese warships passing the strait are no naval contact of the two."""
    title = "中国海軍艦艇の動向について"
    text = (
        "12日午前9時頃、海上自衛隊第4護衛隊所属の「いかづち」が、長崎県男女群島の南西"
        "約200kmの海域において、北東進する中国海軍艦艇2隻を確認した。2隻は、これに"
        "先立ち韓国・済州島の南方海域を東進した後、対馬海峡を北東進し、日本海へ向けて航行"
        "した。防衛省・自衛隊は、同隊により警戒監視・情報収集を行った。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"security_defense"})


def test_the_shipped_rules_on_future_generations_alone(shipped: RuleSet) -> None:
    """Future generations alone (미래 세대에 갈등 물려줄) are no exchange between the two."""
    title = "[사설] 또 독도 왜곡 교과서, 미래 세대에 갈등 물려줄 셈인가"
    text = (
        "일본 문부과학성이 초등학교 사회 교과서 검정 결과를 발표했다. 검정을 "
        "통과한 교과서 모두에 독도가 일본 고유 영토로 기술됐다. 외교부는 "
        "대변인 성명을 내고 주한 일본대사관 총괄공사를 초치해 항의했다. 양국 "
        "정부는 지난 1년간 관계 개선에 공을 들여 왔다. 그러나 어린 "
        "학생들에게 왜곡된 영토 인식을 주입한다면 그 노력은 모래 위의 성이 될 "
        "수밖에 없다."
    )
    _holds_and_lacks(shipped, title, text, {"territorial_dispute"}, {"people_exchange"})


def test_the_shipped_rules_on_a_summit_listed_among_past_steps(shipped: RuleSet) -> None:
    """A summit listed among last month's steps (会談を行うなど) is no meeting to come."""
    title = "【解説】竹島の日式典、閣僚派遣見送りへ"
    text = (
        "政府は、島根県が22日に開く「竹島の日」記念式典に、閣僚の派遣を見送る方向で調整"
        "に入った。例年通り内閣府政務官を出席させる。高市早苗首相は総裁選で閣僚派遣に前向"
        "きな姿勢を示していた。だが首相就任後、先月には奈良で李在明大統領と首脳会談を行う"
        "など、日韓関係の安定を重視する姿勢を鮮明にしている。"
    )
    _holds_and_lacks(shipped, title, text, {"territorial_dispute"}, {"summit_announced"})


def test_the_shipped_rules_on_sados_mine_as_the_statement_says(shipped: RuleSet) -> None:
    """The workers of the Sado mine from the Peninsula (佐渡鉱山, 朝鮮半島出身者) are the
    history issue."""
    title = "世界遺産登録に関する外務大臣談話"
    text = (
        "本日、世界遺産委員会において、新潟県の鉱山遺跡を世界遺産一覧表に記載することが決"
        "定されました。日本政府は、本件登録に向けて、韓国政府との間で誠実に協議を重ねてき"
        "ました。日本政府は、委員会での議論を踏まえ、朝鮮半島出身者を含む佐渡鉱山における"
        "全ての労働者の歴史について、現地の展示施設において説明を行うとともに、毎年、全て"
        "の労働者のための追悼式を開催していく考えです。引き続き韓国政府と緊密に意思疎通を"
        "行っていく考えです。"
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue"}, set())


def test_the_shipped_rules_on_japan_time(shipped: RuleSet) -> None:
    """The time zone of a dateline (日本時間) names no side."""
    title = "韓国憲法裁、尹大統領の罷免を決定　60日以内に大統領選"
    text = (
        "【ソウル共同】韓国の憲法裁判所は4日午前（日本時間同）、「非常戒厳」を宣布して国"
        "会で弾劾訴追された尹錫悦大統領の罷免を決定した。宣告は午前11時22分（日本時間"
        "同）で、裁判官8人全員一致の判断だった。尹氏は即時に失職した。憲法裁は、尹氏が宣"
        "布した戒厳は憲法と法律が定める要件を満たさず、国会の権限を侵害したと認定した。憲"
        "法の規定により、60日以内に大統領選が実施される。選挙までは首相が大統領権限を代"
        "行する。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"political_change"})


def test_the_shipped_rules_on_a_tokyo_market_report(shipped: RuleSet) -> None:
    """A Tokyo market report (東京市場) is a market report."""
    title = "東京市場、半導体株が上昇　韓国メーカーの好決算受け"
    text = (
        "24日の東京株式市場は、半導体関連株を中心に買いが優勢となり、日経平均は大幅に値"
        "上がりして取引を終えた。韓国の半導体大手が前日に発表した四半期決算で、AI向けメ"
        "モリーの販売が好調だったことから、半導体需要の先行きに対する期待が広がった。製造"
        "装置の関連銘柄が軒並み値上がりした。韓国の株式市場でも総合株価指数が上昇した。市"
        "場関係者は「米国の金融政策の行方を見極めたい雰囲気も根強い」と話している。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"economy_trade"})


def test_the_shipped_rules_on_a_statement_dated_by_a_summit(shipped: RuleSet) -> None:
    """A summit named as the time of an earlier statement (会談を行った際) is no summit now."""
    title = "韓国、GSOMIAを完全正常化　日本政府に書簡で通知"
    text = (
        "韓国政府は21日、日本との間で結んでいる軍事情報包括保護協定（GSOMIA）につ"
        "いて、運用を完全に正常化したと発表した。韓国外交省によると、2019年の終了通告"
        "を撤回する内容の書簡を日本政府に送った。尹錫悦大統領は今月16日、東京で岸田首相"
        "と首脳会談を行った際、GSOMIAの完全な正常化を表明していた。今回の手続きによ"
        "って協定の法的な不安定さが解消される。"
    )
    _holds_and_lacks(shipped, title, text, {"security_defense"}, {"summit_held"})


def test_the_shipped_rules_on_a_summit_to_be_held(shipped: RuleSet) -> None:
    """Ministers who stay in touch for a summit to be held (개최를 위해) prepare one."""
    title = '한일 외교장관 첫 통화…"한미일 공조 재확인"'
    text = (
        "조현 외교부 장관은 22일 모테기 도시미쓰 신임 일본 외무상과 첫 전화 "
        "통화를 하고, 이달 말 경주 아시아태평양경제협력체 정상회의를 계기로 한 "
        "한일 정상회담 개최를 위해 긴밀히 소통해 나가기로 했다고 외교부가 "
        "밝혔다. 조 장관은 모테기 외무상의 취임을 축하했다. 두 장관은 북한 "
        "문제 등 지역 정세에 대해서도 의견을 교환했다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_a_meetings_direction(shipped: RuleSet) -> None:
    """Leaders who agree to work toward holding talks (회담을 갖는 방향) announce them."""
    title = "대변인 서면 브리핑: 윤석열 대통령, 이시바 총리와 통화"
    text = (
        "윤석열 대통령은 오늘 오후 약 20분간 이시바 시게루 일본 총리와 취임 "
        "축하 통화를 했습니다. 윤 대통령은 이시바 총리의 취임을 축하하고, "
        "한일 관계 개선의 흐름을 이어 나가자고 했습니다. 양 정상은 앞으로도 "
        "정상 간 긴밀히 소통해 나가기로 했습니다. 양 정상은 다음 주 "
        "라오스에서 첫 대면 회담을 갖는 방향으로 협의해 나가기로 했습니다."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_trips_to_japan(shipped: RuleSet) -> None:
    """Koreans' trips to Japan are travellers between the two."""
    title = "A record year for short trips as the yen stays weak"
    text = (
        "South Koreans made a record 8.8 million trips to Japan last year, up by "
        "about a quarter from the year before, according to figures released on "
        "Wednesday. Industry officials credited the weak yen and new low-cost routes "
        "to regional cities in Japan. Short stays of two or three days have become "
        "routine for people in their twenties and thirties, an industry official in "
        "Seoul said."
    )
    _holds_and_lacks(shipped, title, text, {"people_exchange"}, set())


def test_the_shipped_rules_on_a_position_conveyed_anew(shipped: RuleSet) -> None:
    """A readout's minister who conveys the position anew on the labour ruling
    (立場を改めて伝達) raises the issue of the past."""
    title = "日韓外相会談"
    text = (
        "2月22日、G20外相会合出席のため訪問中の上川外務大臣は、趙兌烈韓国外交部長官"
        "と約40分間会談を行いました。両外相は、日韓関係の流れを維持・発展させるため、緊"
        "密に意思疎通を図っていくことで一致しました。上川大臣から、旧朝鮮半島出身労働者問"
        "題に関する大法院判決について日本の立場を改めて伝達しました。両外相は、北朝鮮によ"
        "る弾道ミサイル発射等を踏まえ、緊密に連携していくことを確認しました。"
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue", "ministerial_talks"}, set())


def test_the_shipped_rules_on_an_overseas_vote(shipped: RuleSet) -> None:
    """A Korean election's overseas vote in Japan (在外投票) is the election's logistics,
    no change reported for the two's ties."""
    title = "韓国大統領選、日本でも在外投票始まる　大阪・東京の投票所に列"
    text = (
        "6月3日投開票の韓国大統領選で、在外有権者による投票が20日、日本を含む世界各地"
        "の在外公館などで始まった。東京の駐日韓国大使館や大阪の総領事館には、朝から在日韓"
        "国人や留学生らが列をつくった。在外投票は25日までの6日間。大阪市の投票所を訪れ"
        "た会社員の男性は「次の大統領には経済を立て直してほしい」と話した。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"political_change"})


def test_the_shipped_rules_on_the_islets_raised_in_a_readout(shipped: RuleSet) -> None:
    """A readout's representation on the islets (竹島に関する…立場に基づき申入れ) is the
    territorial dispute raised."""
    title = "日韓外相が会談、意思疎通の継続で一致"
    text = (
        "上川外務大臣は22日、訪問先のリオデジャネイロで韓国の趙兌烈外交部長官と会談した"
        "。両外相は日韓関係の改善の流れを維持するため、緊密に意思疎通を図っていくことで一"
        "致した。上川大臣は、大法院判決をめぐる最近の動きは極めて遺憾であると述べた。また"
        "、竹島に関する日本の立場に基づき申入れを行った。両外相は北朝鮮のミサイル発射を踏"
        "まえ、日米韓でも緊密に連携していくことを確認した。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "territorial_dispute"}, set())


def test_the_shipped_rules_on_a_three_way_coordination_beside_a_meeting_to_come(
    shipped: RuleSet,
) -> None:
    """A call's readout whose sentence names the three-way coordination on North Korea
    and a meeting in person at an early opportunity announces the two leaders' meeting."""
    title = "Japan-ROK Summit Telephone Talk"
    text = (
        "On June 9, for approximately 25 minutes, Mr. ISHIBA Shigeru, Prime Minister "
        "of Japan, held a summit telephone talk with H.E. Mr. LEE Jae-myung, "
        "President of the Republic of Korea. Prime Minister Ishiba congratulated "
        "President Lee on his inauguration. The two leaders also confirmed the "
        "importance of Japan-ROK and Japan-U.S.-ROK coordination on North Korea, and "
        "shared the view to meet in person at an early opportunity."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_leaders_among_themselves_meeting_early(shipped: RuleSet) -> None:
    """Leaders among themselves (首脳同士) who agree to meet next at an early date
    (次回は早期に…会談を行うことで一致) announce that meeting."""
    title = "首脳会談の概要"
    text = (
        "高市総理は30日、慶州で李在明大統領と会談を行いました。首脳同士が互いの国を行き"
        "来するシャトル外交を継続し、次回は早期に日本で会談を行うことで一致しました。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, set())


def test_the_shipped_rules_on_the_leaders_first_meeting_being_prepared(shipped: RuleSet) -> None:
    """Ministers who prepare so that the leaders' first meeting comes about
    (정상 간 첫 회담이 성사될 수 있도록) announce it."""
    title = "외교장관 전화 통화 결과"
    text = (
        "조현 외교부 장관은 23일 모테기 외무대신과 통화를 갖고, 이달 말 "
        "APEC 정상회의를 계기로 양국 정상 간 첫 회담이 성사될 수 있도록 "
        "외교당국 간 준비를 가속화하기로 하였다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, set())


def test_the_shipped_rules_on_an_advisers_briefing_on_the_summit(shipped: RuleSet) -> None:
    """The security adviser's briefing on the summit (국가안보실장, 한일 정상회담 결과
    브리핑) is the summit's news: the adviser meets no one and talks no security."""
    title = "위성락 국가안보실장, 한일 정상회담 결과 브리핑"
    text = (
        "이재명 대통령은 오늘 오후 부산에서 이시바 총리와 정상회담을 "
        "가졌습니다. 양 정상은 저출생과 지방 소멸 등 공통의 사회 문제에 함께 "
        "대응하기 위해 협의체를 출범시키기로 했습니다."
    )
    _holds_and_lacks(
        shipped, title, text, {"summit_held"}, {"official_exchange", "security_defense"}
    )


def test_the_shipped_rules_on_the_travel_authorisation_waiver_extended(shipped: RuleSet) -> None:
    """The waiver of the electronic travel authorisation (K-ETA) extended for the
    Japanese is a travel measure between the two."""
    title = "전자여행허가(K-ETA) 한시 면제 1년 연장"
    text = (
        "법무부는 일본, 대만 등 22개 국가·지역 국민에 대한 "
        "전자여행허가(K-ETA) 한시 면제 조치를 1년 연장한다고 밝혔다. "
        "일본인 방한객은 올해 300만 명에 이른다."
    )
    _holds_and_lacks(shipped, title, text, {"people_exchange"}, set())


def test_the_shipped_rules_on_an_issue_pressed_in_a_readouts_english(shipped: RuleSet) -> None:
    """A readout's English for an issue of the past pressed on the other side
    ("strongly request ... based on Japan's consistent position") raises it."""
    title = "Summit Telephone Talk"
    text = (
        "Prime Minister Suga held a telephone talk with President Moon Jae-in. Prime "
        "Minister Suga stated that relations are in a very severe situation due to "
        "the issue of former civilian workers from the Korean Peninsula, and that he "
        "would strongly request the ROK side to take action based on Japan's "
        "consistent position."
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue", "leaders_call"}, set())


def test_the_shipped_rules_on_a_visit_announced_in_the_past_tense(shipped: RuleSet) -> None:
    """A visit announced (방문한다고 발표했다): the announcing verb's past is not the
    visit's, and the headline above it speaks of what is to come."""
    title = "윤 대통령 16일 방일"
    text = (
        "대통령실은 9일 윤석열 대통령이 일본 총리의 초청으로 16일부터 이틀간 "
        "일본을 방문한다고 발표했다. 윤 대통령은 도쿄에서 기시다 총리와 "
        "정상회담을 하고 만찬을 함께할 예정이다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, set())


def test_the_shipped_rules_on_the_two_summit_prepared_by_ministers(shipped: RuleSet) -> None:
    """Ministers who work so that the two's summit is held successfully
    (한일 정상회담이 성공적으로 열릴 수 있도록) announce it, though they spoke by phone."""
    title = "외교장관 첫 통화"
    text = (
        "조현 외교부 장관은 모테기 외무상과 첫 통화를 하고 이달 말 APEC "
        "정상회의를 계기로 한 한일 정상회담이 성공적으로 열릴 수 있도록 긴밀히 "
        "협력하기로 했다."
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_smoother_entry_procedures(shipped: RuleSet) -> None:
    """Leaders who agree to make entry procedures smoother (出入国手続の円滑化) agree a
    travel measure."""
    title = "首脳会談の概要"
    text = (
        "岸田総理は6日、ソウルで尹錫悦大統領と首脳会談を行いました。両首脳は、"
        "両国国民がより円滑に往来できるよう、出入国手続の円滑化に向けた検討を"
        "進めることで一致しました。"
    )
    _holds_and_lacks(shipped, title, text, {"people_exchange", "summit_held"}, set())


def test_the_shipped_rules_on_economic_security_in_a_summits_outcome(shipped: RuleSet) -> None:
    """Economic security among the fields of a summit's cooperation (경제안보…협력을
    강화하기로) is no business agreed between the two."""
    title = "이 대통령, 이시바 총리와 정상회담"
    text = (
        "이재명 대통령은 오늘 도쿄에서 이시바 총리와 정상회담을 가졌습니다. 두 "
        "정상은 셔틀외교를 이어 가면서 경제안보와 과학기술, 청년 분야에서 "
        "협력을 강화하기로 했습니다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"economy_trade"})


def test_the_shipped_rules_on_market_participants(shipped: RuleSet) -> None:
    """Market participants (市場関係者) are no relations between the two: a market
    explainer is no commentary on them."""
    title = "【解説】円高進む　ウォンも上昇"
    text = (
        "外国為替市場で円相場が上昇し、韓国ウォンも対ドルで買われた。市場関係者は"
        "「日本の金融政策の変更観測が円を支えている」と話す。韓国の輸出企業には"
        "追い風との見方もある。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"commentary"})


def test_the_shipped_rules_on_an_asian_markets_report(shipped: RuleSet) -> None:
    """An Asian markets report ("Asian markets slide ... Tokyo, Seoul") is a market
    report, not trade between the two."""
    title = "Asian markets slide as tariff worries drag Tokyo, Seoul"
    text = (
        "Asian stocks fell on Tuesday as fresh U.S. tariff threats hit exporters. "
        "Japan's Nikkei lost 2.1 percent and South Korea's benchmark fell 1.8 "
        "percent, with semiconductor makers and automakers leading the decline. "
        "Investors are watching trade talks between Washington and its Asian "
        "partners."
    )
    _holds_and_lacks(shipped, title, text, set(), {"economy_trade"})


def test_the_shipped_rules_on_martial_law_and_the_relations(shipped: RuleSet) -> None:
    """Martial law declared at the top, with what it means for the relations
    ("Martial law shock leaves Tokyo unsure of its partner in Seoul"), is a change of
    government reported for the ties."""
    title = "Analysis: Martial law shock leaves Tokyo unsure of its partner in Seoul"
    text = (
        "TOKYO, Dec. 5 -- The brief declaration of martial law by South Korea's "
        "president this week has left Japanese officials worried about the future of "
        "relations with Seoul. A senior Japanese diplomat said the government was "
        "watching events closely and hoped ties would stay on track."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, set())


def test_the_shipped_rules_on_a_leader_set_to_become_pm(shipped: RuleSet) -> None:
    """A leader "set to become Japan's PM", headlined with the other side's hopes
    for the ties, is a change of leader."""
    title = "Seoul hopes for better ties as Kishida set to become Japan's PM"
    text = (
        "SEOUL, Sept. 30 -- South Korea's foreign ministry said on Thursday it hoped "
        "to work with the incoming Japanese cabinet. Fumio Kishida won the governing "
        "party's leadership vote and is expected to be chosen by parliament next "
        "week."
    )
    _holds_and_lacks(shipped, title, text, {"political_change"}, set())


def test_the_shipped_rules_on_the_korean_hortative_of_a_meeting(shipped: RuleSet) -> None:
    """Leaders who agree to meet and discuss (만나 … 논의하자는 데 의견을 모았다) speak
    of a meeting to come: the hortative is a future."""
    title = '尹대통령, 기시다 총리와 첫 통화…"G20 계기 만나 협력 방안 논의"'
    text = (
        "윤석열 대통령은 8일 기시다 후미오 일본 총리와 전화 통화를 하고 양국 "
        "관계 개선에 공감했다. 대변인은 두 정상은 이달 열리는 주요 "
        "20개국(G20) 정상회의를 계기로 직접 만나 현안을 논의하자는 데 "
        "의견을 모았다고 전했다."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "summit_announced"}, set())


def test_the_shipped_rules_on_a_call_recalled_in_a_summits_readout(shipped: RuleSet) -> None:
    """A readout of a summit that recalls the recent call (先般の電話会談に続き)
    reports the summit, not a call."""
    title = "日韓首脳会談"
    text = (
        "現地時間9月21日、国連総会出席のためニューヨークを訪問中の岸田総理大臣は、尹錫"
        "悦大韓民国大統領との間で日韓首脳会談を行ったところ、概要は以下のとおりです。冒頭"
        "、岸田総理から、先般の電話会談に続き、尹大統領と会談できて嬉しい旨述べました。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"leaders_call"})


def test_the_shipped_rules_on_the_broadcasters_formal_present(shipped: RuleSet) -> None:
    """The broadcasters' formal present (정상회담을 합니다) tells a summit to come,
    though the shuttle diplomacy agreed before it is past."""
    title = '대통령실 "기시다 총리 7일 방한…한일 정상회담"'
    text = (
        "기시다 후미오 일본 총리가 이달 7일 서울을 찾아 윤석열 대통령과 "
        "정상회담을 합니다. 지난 3월 윤 대통령의 도쿄 방문에 대한 답방 "
        "형식으로, 두 정상이 합의한 셔틀외교의 일환입니다."
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})


def test_the_shipped_rules_on_two_leaders_condemn_a_launch(shipped: RuleSet) -> None:
    """The two leaders who condemn a North Korean launch together answer it
    together: security between the two."""
    title = "Moon, Abe condemn North Korean missile launch in phone talks"
    text = (
        "SEOUL, Aug. 30 -- President Moon Jae-in and Japanese Prime Minister Shinzo "
        "Abe held phone talks on Wednesday. Moon and Abe condemned North Korea's "
        "missile launch over Japan as a grave provocation, the presidential office "
        "said."
    )
    _holds_and_lacks(shipped, title, text, {"leaders_call", "security_defense"}, set())


def test_the_shipped_rules_on_vice_fms_in_a_headline(shipped: RuleSet) -> None:
    """ "Vice FMs", the press's short form, are vice foreign ministers: their
    agreement is contact between officials."""
    title = "S. Korea, Japan vice FMs agree to keep up dialogue on wartime labor"
    text = (
        "SEOUL, Feb. 2 -- The top deputies of the foreign ministries of South Korea "
        "and Japan agreed on Thursday to keep talking about how to settle the "
        "wartime labor dispute, Seoul's foreign ministry said."
    )
    _holds_and_lacks(shipped, title, text, {"official_exchange"}, set())


def test_the_shipped_rules_on_differences_of_opinion(shipped: RuleSet) -> None:
    """ "Differences of opinion" quoted in a headline mark no opinion piece."""
    title = "Seoul to skip Japan's mine memorial, citing 'differences of opinion'"
    text = (
        "South Korea will not attend a memorial ceremony Japan is holding for "
        "workers at the Sado mine, including Koreans forced to work there during the "
        "war, the foreign ministry said, deepening a row over the site."
    )
    _holds_and_lacks(shipped, title, text, {"historical_issue"}, {"commentary"})


def test_the_shipped_rules_on_a_summit_to_be_realised(shipped: RuleSet) -> None:
    """Ministers who coordinate so that a summit is realised (首脳会談を実現すべく)
    announce it."""
    title = "日韓外相電話会談"
    text = (
        "本日、林外務大臣は、朴振韓国外交部長官と電話会談を行いました。両大臣は、来月の国"
        "連総会の機会に日韓首脳会談を実現すべく、引き続き外交当局間で緊密に調整していくこ"
        "とで一致しました。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_a_trip_to_washington_on_tariffs(shipped: RuleSet) -> None:
    """A headline of a minister's trip to Washington for tariff talks (訪米し
    関税協議) is that side's trade with the US, whatever the other side does."""
    title = "経済再生相、訪米し関税協議　韓国の動向も注視"
    text = (
        "経済再生担当相は来週訪米し、米政府と関税をめぐる協議を行う。自動車関税の引き下げ"
        "を求める。政府内では、同様に対米交渉を進める韓国の動向も注視している。日韓両国は"
        "ともに米国の追加関税の対象となっており、輸出規制の緩和も議題になる。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"economy_trade"})


def test_the_shipped_rules_on_an_agreement_recalled_in_the_japanese_perfect(
    shipped: RuleSet,
) -> None:
    """A step the leaders had agreed before, told in the Japanese perfect
    (首脳会談で…合意していました), recalls their summit: it reports no summit."""
    title = "韓国の専門家視察団、福島第1原発を訪問　処理水設備を確認"
    text = (
        "韓国政府の専門家視察団が23日、東京電力福島第1原発を訪れ、処理水の放出設備を確"
        "認した。視察団の派遣は、ソウルでの日韓首脳会談で尹錫悦大統領と岸田文雄首相が合意"
        "していました。"
    )
    _holds_and_lacks(shipped, title, text, set(), {"summit_held"})


def test_the_shipped_rules_on_a_visit_under_way_in_a_readout(shipped: RuleSet) -> None:
    """A readout's "pleasure at being able to visit" speaks of the visit under
    way: no summit to come."""
    title = "Japan-ROK Summit Meeting"
    text = (
        "On May 7, Mr. KISHIDA Fumio, Prime Minister of Japan, who was visiting the "
        "Republic of Korea, held a Japan-ROK Summit Meeting with H.E. Mr. YOON Suk "
        "Yeol, President of the ROK, in Seoul. Prime Minister Kishida expressed his "
        "pleasure at being able to visit the ROK and meet President Yoon again."
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"summit_announced"})


def test_the_shipped_rules_on_a_first_visit_told_as_a_noun(shipped: RuleSet) -> None:
    """A first visit told as a noun (李氏が来日するのは初めて) dates nothing to
    come: a held summit's report announces no summit."""
    title = "日韓首脳、東京で会談\u3000経済安保で協力拡大"
    text = (
        "石破茂首相は23日、首相官邸で韓国の李在明大統領と会談した。石破首相の就任後、李"
        "氏が来日するのは初めて。両首脳は経済安全保障や人的交流での協力を広げることで一致"
        "した。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"summit_announced"})


def test_the_shipped_rules_on_an_anniversary_as_the_occasion(shipped: RuleSet) -> None:
    """An anniversary as the occasion (60주년을 계기로) of a minister's talk with a
    former leader, beside shuttle diplomacy recalled, reports no summit."""
    title = "외교장관 '수교 60년 성과 이어가자'"
    text = (
        "외교부 장관은 3일 서울에서 방한 중인 이시바 시게루 전 일본 총리를 접"
        "견하고 수교 60주년을 계기로 양국 협력을 이어가자고 말했다. 이시바 전"
        ' 총리는 이날 한 포럼에서 "이재명 대통령과 이어온 셔틀외교는 두 나라의'
        ' 자산"이라고 말했다.'
    )
    _holds_and_lacks(shipped, title, text, set(), {"summit_held"})


def test_the_shipped_rules_on_a_summit_to_be_made_to_happen(shipped: RuleSet) -> None:
    """Ministers who work so that a summit is made to happen (首脳会談を実現させる
    ため) announce it."""
    title = "日韓外相が電話会談\u3000首脳会談実現へ連携"
    text = (
        "岩屋毅外相は5日、韓国の趙兌烈外相と電話で会談した。両外相は、来月の国際会議の際"
        "に両国の首脳会談を実現させるため、緊密に連携することを確認した。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks", "summit_announced"}, set())


def test_the_shipped_rules_on_an_editorials_ending(shipped: RuleSet) -> None:
    """A Japanese headline that ends telling what cannot be let pass (…看過できない)
    is an editorial's."""
    title = "竹島周辺の調査\u3000韓国の一方的な行動は看過できない"
    text = (
        "韓国の海洋調査船が島根県・竹島周辺の日本の排他的経済水域で調査を行った。日本政府"
        "は外交ルートで抗議した。日韓関係の改善が進む中で、韓国側の一方的な行動は関係に水"
        "を差す。"
    )
    _holds_and_lacks(shipped, title, text, {"commentary", "territorial_dispute"}, set())


def test_the_shipped_rules_on_the_call_a_meeting_follows(shipped: RuleSet) -> None:
    """The call a meeting follows (電話会談に続いて), in a summit's readout, is no
    call."""
    title = "日韓首脳会談"
    text = (
        "石破総理大臣は、訪日中の李在明大統領と約1時間、首脳会談を行いました。冒頭、石破"
        "総理から、李大統領の就任に改めて祝意を表するとともに、電話会談に続いて早期に対面"
        "で会談できたことを嬉しく思う旨述べました。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_held"}, {"leaders_call"})


def test_the_shipped_rules_on_chinas_tourists_by_their_korean_name(shipped: RuleSet) -> None:
    """China's tourists by their Korean name (유커) are China's travellers, whatever
    the other side's share of them."""
    title = '中 관광객 무비자 입국 확대…"일본 가던 유커 잡아라"'
    text = (
        "정부가 중국 단체관광객의 무비자 입국을 다음 달부터 확대한다. 관광업계는 엔저로 "
        "일본에 몰렸던 유커를 되찾을 기회로 보고 있다. 올해 일본을 찾은 중국 관광객은 "
        "한국의 두 배에 이른다."
    )
    _holds_and_lacks(shipped, title, text, set(), {"people_exchange"})


def test_the_shipped_rules_on_a_drill_around_the_disputed_islets(shipped: RuleSet) -> None:
    """One side's military drill around the disputed islets belongs to the dispute,
    not to security between the two."""
    title = "Tokyo protests Seoul's military drills near the disputed islets"
    text = (
        "Japan lodged a protest on Tuesday after South Korea's navy held military drills "
        "around Dokdo, islets Tokyo calls Takeshima, with destroyers and marines taking "
        "part. A Japanese government spokesman called the exercise unacceptable given "
        "Japan's claim to the islets. Seoul said the drill was routine and that the "
        "islets are its territory."
    )
    _holds_and_lacks(shipped, title, text, {"territorial_dispute"}, {"security_defense"})


def test_the_shipped_rules_on_a_third_leader_who_meets_each(shipped: RuleSet) -> None:
    """A third leader who meets each of the two in turn, named in the sentence of
    their names, held no summit of theirs."""
    title = "China's leader holds back-to-back talks at APEC"
    text = (
        "Chinese President Xi Jinping held talks with South Korean President Lee "
        "Jae-myung in Gyeongju on Saturday, a day after meeting Japanese Prime Minister "
        "Sanae Takaichi on the sidelines of the forum. Xi and Lee agreed to expand tourism "
        "and renewed a currency swap, Seoul said. Tokyo said Takaichi had raised the "
        "detention of Japanese nationals in China."
    )
    _holds_and_lacks(shipped, title, text, set(), {"summit_held"})


def test_the_shipped_rules_on_a_minister_named_by_surname_and_title(shipped: RuleSet) -> None:
    """A readout names its minister by surname and title after the first mention
    (林大臣は…表敬し): the minister who calls on the other leader holds ministers' talks."""
    title = "林大臣の訪問（結果）"
    text = (
        "林外務大臣は、9日から10日まで韓国を訪問したところ、概要は以下のとおりです。\n"
        "1　大統領表敬\n10日、林大臣は尹錫悦大統領を表敬し、岸田総理大臣からの親書を手交しま"
        "した。"
    )
    _holds_and_lacks(shipped, title, text, {"ministerial_talks"}, set())


def test_the_shipped_rules_on_an_agreement_recalled_as_confirmed_before(
    shipped: RuleSet,
) -> None:
    """What the leaders had confirmed at their last meeting (確認していた) recalls
    it: a report of the next summit being arranged reports no summit held."""
    title = "石破首相、来年1月に訪韓で調整"
    text = (
        "石破首相が来年1月にも韓国を訪問し、尹錫悦大統領と会談する方向で調整に入った。両首"
        "脳は今月、リマで会談し、シャトル外交の継続を確認していた。"
    )
    _holds_and_lacks(shipped, title, text, {"summit_announced"}, {"summit_held"})
