"""The compiled kernel gives exactly the reference implementation's classification.

match.py / doc.py / terms.py are the executable definition of the rule semantics; the
kernel (_kernel.c, kernel.py) must agree with them on every item: verdict, scores,
labels, tenses and evidence with snippets.
"""

from __future__ import annotations

import json
import logging
import random
import re
import unicodedata
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import monitor.classify._kernel as _kernel
from monitor.classify import RuleSet, load_rules, parse_rules
from monitor.classify.kernel import _tables
from monitor.classify.match import classify as reference
from monitor.classify.regexes import literal_prefixes
from monitor.classify.text import normalize

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "config" / "rules" / "seoul-tokyo.yaml"
PROBE = ROOT / "tests" / "data" / "classify" / "probe.jsonl"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


def _same(rules: RuleSet, title: str, text: str) -> None:
    assert rules.kernel is not None
    assert rules.classify(title, text) == reference(rules, title, text), (title, text[:200])


def test_the_shipped_rules_run_on_the_compiled_kernel(rules: RuleSet) -> None:
    assert rules.kernel is not None
    ascii_states, wide_states = rules.kernel.states
    assert ascii_states > 1000 and wide_states > 1000


def test_kernel_agrees_on_the_seed_and_probe_corpora(rules: RuleSet, shared_dir: Path) -> None:
    rows = [json.loads(line) for line in PROBE.read_text(encoding="utf-8").splitlines()]
    seed = shared_dir / "corpus" / "seed-articles.jsonl"
    rows += [json.loads(line) for line in seed.read_text(encoding="utf-8").splitlines() if line]
    relevant = 0
    for row in rows:
        _same(rules, row["title"], row["text"])
        relevant += rules.classify(row["title"], row["text"]).relevant
    assert len(rows) > 200 and relevant > 100  # the corpora exercise the scorer, not only the gate


def test_kernel_agrees_on_real_feed_items(rules: RuleSet, shared_dir: Path) -> None:
    """Every item of the English, Korean and Japanese publisher feeds of realfeeds."""
    folder = shared_dir / "realfeeds"
    count = 0
    for line in (folder / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if cols[5] not in ("en", "ko", "ja"):
            continue
        for entry in feedparser.parse((folder / cols[0]).read_bytes()).entries:
            _same(rules, str(entry.get("title", "")), str(entry.get("summary", "")))
            count += 1
    assert count > 1000


def _vocabulary(rules: RuleSet) -> list[str]:
    terms = [t for t in rules.term_text if not t.endswith("*")]
    return sorted(set(terms))


_GLUE = [
    "",
    " ",
    " ",
    " ",
    ". ",
    ", ",
    "。",
    "\n",
    "! ",
    "? ",
    " - ",
    '" ',
    "는 ",
    "은 ",
    "が",
    "の",
]
_FILLER = [
    "2025",
    "7",
    "the",
    "said",
    "on",
    "Tuesday",
    "U.S.",
    "S.",
    "정부",
    "政府",
    "(",
    ")",
    "—",
    "’",
    "Ｇ７",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_kernel_agrees_on_generated_texts(rules: RuleSet, data: st.DataObject) -> None:
    """Texts made of rule terms, filler and separators, in random case and order."""
    words = st.sampled_from(_vocabulary(rules) + _FILLER)
    cased = st.tuples(words, st.sampled_from([str, str.upper, str.title])).map(
        lambda pair: pair[1](pair[0])
    )
    pieces = st.lists(st.tuples(cased, st.sampled_from(_GLUE)), max_size=60)
    title = "".join(w + g for w, g in data.draw(pieces.map(lambda p: p[:8]), label="title"))
    text = "".join(w + g for w, g in data.draw(pieces, label="text"))
    _same(rules, title, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_kernel_agrees_on_arbitrary_text(rules: RuleSet, text: str) -> None:
    _same(rules, text[:40], text)


def test_kernel_clean_is_normalize_after_nfkc() -> None:
    rng = random.Random(7)
    alphabet = "aZ 韓国한국\t\n\u3000·ㆍ・･\u00ad\u200b\u200c\ufeff‐‑‒–—―−‘’`´“”„x.\u00a0"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        assert _kernel.clean(unicodedata.normalize("NFKC", text)) == normalize(text), repr(text)


def test_kernel_prepare_is_normalize() -> None:
    """NFKC from the tables (or unicodedata when they cannot settle a text) and clean()."""
    _tables()
    rng = random.Random(5)
    pool = "가한國韓ｶﾞ（）！１ｗ…‚·ｰが\u3099\u1161\u11a8ᄀ\u0301eé\U0001f600 "
    pool += "\u3000\u00a0—’“aZ\t\n\u200b"
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 15)))
        assert _kernel.prepare(text) == normalize(text), repr(text)


def test_kernel_prepare_is_normalize_on_ascii_text() -> None:
    """ASCII text that clean() leaves alone is copied; any other goes the long way."""
    rng = random.Random(3)
    pool = "aZ  .`'\t\n\r\x00\x1c\x1f\x7f~"
    texts = ["", " ", "a", " a", "a ", "a  b", "a b", "`", "a\tb", "A.B"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 12))) for _ in range(5000)]
    for text in texts:
        assert _kernel.prepare(text) == normalize(text), repr(text)


def test_kernel_nfkc_tables_agree_with_unicodedata() -> None:
    _tables()
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        fast = _kernel.nfkc(char)
        assert fast is None or fast == unicodedata.normalize("NFKC", char), hex(code)
    rng = random.Random(3)
    pool = "가한國韓ｶﾞ（）！１ｗ…‚·ｰが\u3099\u1161\u11a8ᄀ\u0301eé\U0001f600 "
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
        fast = _kernel.nfkc(text)
        assert fast is None or fast == unicodedata.normalize("NFKC", text), repr(text)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bnew (?:south |s\. )?(?:korean |japanese )?(?:president|prime minister|pm)\b",
        r"^[\[(]?(?:opinion|analysis|view)\b",
        r"\bthe (?:writer|author) is (?:a|an|the)\b|필자는|筆者は",
        r"(ab|cd)+x[yz]",
    ],
)
def test_every_regex_match_starts_with_a_literal_prefix(pattern: str) -> None:
    prefixes = literal_prefixes(pattern)
    assert prefixes
    compiled = re.compile(pattern, re.IGNORECASE)

    @settings(max_examples=100, deadline=None)
    @given(st.from_regex(compiled, fullmatch=True))
    def check(text: str) -> None:
        low = text.lower()
        match = compiled.match(low)
        if match is None or any(c in low for c in "ıſ"):
            return  # lower-casing changed what matches; the kernel runs the regex then
        assert any(low.startswith(p) for p in prefixes), (low, prefixes)

    check()


def test_a_pattern_that_can_start_anywhere_has_no_prefixes() -> None:
    assert literal_prefixes(r"\w+ summit") is None
    assert literal_prefixes(r"(?:x)?y|z*") is None


def test_rules_too_large_for_the_kernel_fall_back_to_the_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = random.Random(11)
    terms = ["".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(30)) for _ in range(2600)]
    listed = "\n".join(f"      - {t}" for t in terms)
    text = (
        "topic:\n  sides:\n    korea: [Korea]\n    japan: [Japan]\n"
        "types:\n  summit_announced:\n    any:\n    - terms:\n" + listed + "\n"
    )
    with caplog.at_level(logging.WARNING):
        big = parse_rules(text)
    assert big.kernel is None
    assert "rules.kernel_unavailable" in caplog.text
    found = big.classify("Korea and Japan", f"Korea and Japan agree on {terms[5]}.")
    assert found.types == ("summit_announced",)


@pytest.mark.parametrize(
    "text",
    [
        "Korea7 and Japan2025 summit talks; 7Seoul 2Tokyo summit.",
        "South Korea's Lee and Japan's Ishiba hold summits. S. Korea, U.S. and Japan meet!",
        'Koreans, Japanese-Korean ties: Ishiba-Lee summit (talks) "next week." Japan',
        "한일정상회담을 갖고 일본과 한국은 셔틀외교를 복원하기로 합의했다。"
        "日韓首脳会談で一致した。",
        "ＧＳＯＭＩＡ 日・韓 한·일 정상 — Tokyo–Seoul talks… Japan’s “summit”",
        "İstanbul ſummit Σ Korea Japan summit will be held",
    ],
)
def test_kernel_agrees_on_edge_texts(rules: RuleSet, text: str) -> None:
    _same(rules, text[:30], text)


@pytest.mark.parametrize(
    ("title", "sentence", "filler"),
    [
        ("South Korea and Japan", "Lee and Ishiba will hold a summit in Tokyo.", "word "),
        ("South Korea and Japan", "Lee and Ishiba will hold a summit in Tokyo.", "말 "),
        ("한일 정상", "이재명 대통령과 이시바 총리가 정상회담을 갖는다", "말 "),
        ("日韓首脳", "石破首相と李在明大統領が首脳会談を行う", "あ"),
    ],
)
def test_kernel_finds_terms_at_every_offset_around_the_middle(
    rules: RuleSet, title: str, sentence: str, filler: str
) -> None:
    """The automata run as two chains, over each half of a long text; terms that
    straddle the middle, end there or start there are all found."""
    size = 700
    middle = (len(title) + 1 + size) // 2 - len(title) - 1  # the body offset of the middle
    without = rules.classify(title, (filler * size)[:size])
    for start in range(middle - len(sentence) - 3, middle + 4):
        body = ((filler * size)[:start] + sentence + filler * size)[:size]
        _same(rules, title, body)
        assert rules.classify(title, body) != without  # the sentence's terms count
