"""The shipped rules give exactly the recorded verdicts on a varied golden set.

tests/data/classify/make_golden.py wrote the items (generated English, Korean, Japanese
and mixed articles; no outside text) and their verdicts; any change to matching or scoring
that alters a label, a score or a piece of evidence fails here. The same holds on the
labelled corpora of the shared folder: their articles are read from there at test time and
compared with golden-corpus-verdicts.jsonl, which holds verdicts but none of their text.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any, cast

import pytest
import regex as regex_engine

from monitor.classify import RuleSet, diff_rulesets, load_rules, parse_rules, regexes
from monitor.classify.doc import Doc, Prepared
from monitor.classify.match import verdict
from monitor.classify.regexes import anchored, leading_literals, prefilter, regex_hits
from monitor.classify.terms import scan, scan_only, scan_rest
from monitor.classify.text import (
    _PAIRS,
    _READING,
    _WORD,
    SENTENCE_BREAK,
    nfkc,
    normalize,
    word_starts,
)

DATA = Path(__file__).resolve().parent / "data" / "classify"
RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
SHIPPED_TEXT = RULES.read_text(encoding="utf-8")
CORPORA = ("seed-articles.jsonl", "dev-articles.jsonl")
EVIDENCE_KEYS = {"rule", "term", "where", "weight"}  # no snippet: the corpora's text stays out


def _lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def same(a: Any, b: Any) -> bool:
    """Equal, with numbers compared to 1e-9."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


def test_golden_set_is_varied() -> None:
    items = _lines("golden-items.jsonl")
    verdicts = _lines("golden-verdicts.jsonl")
    assert [i["id"] for i in items] == [v["id"] for v in verdicts]
    relevant = sum(v["relevant"] for v in verdicts)
    assert 50 < relevant < len(verdicts) - 50
    for lang in ("en", "ko", "ja", "mix"):
        assert sum(i["id"].endswith(lang) for i in items) >= 50


def test_verdicts_match_the_golden_file(rules: RuleSet) -> None:
    items = _lines("golden-items.jsonl")
    expected = {v.pop("id"): v for v in _lines("golden-verdicts.jsonl")}
    changed = []
    for item in items:
        got = json.loads(
            json.dumps(dataclasses.asdict(rules.classify(item["title"], item["text"])))
        )
        if not same(got, expected[item["id"]]):
            changed.append(item["id"])
    assert changed == []


def _evidence(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    labels = verdict["labels"]
    return [*verdict["gate_evidence"], *(e for label in labels for e in label["evidence"])]


def test_corpus_verdicts_hold_no_text_of_the_corpora() -> None:
    verdicts = _lines("golden-corpus-verdicts.jsonl")
    assert len(verdicts) == 18 + 180
    assert set(verdicts[0]) == {"id", "relevant", "labels", "scores", "gate_evidence"}
    evidence = [e for v in verdicts for e in _evidence(v)]
    assert len(evidence) > 400
    assert all(set(e) == EVIDENCE_KEYS for e in evidence)


def test_verdicts_on_the_shared_corpora_match_the_golden_file(
    rules: RuleSet, shared_dir: Path
) -> None:
    rows = [
        json.loads(line)
        for name in CORPORA
        for line in (shared_dir / "corpus" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    expected = {v.pop("id"): v for v in _lines("golden-corpus-verdicts.jsonl")}
    assert [r["id"] for r in rows] == list(expected)
    changed = []
    for row in rows:
        got = json.loads(json.dumps(dataclasses.asdict(rules.classify(row["title"], row["text"]))))
        for evidence in _evidence(got):
            assert evidence.pop("snippet") is not None
        if not same(got, expected[row["id"]]):
            changed.append(row["id"])
    assert changed == []
    assert sum(v["relevant"] for v in expected.values()) > 100


def test_comparison_sees_a_changed_score() -> None:
    verdict = _lines("golden-verdicts.jsonl")[0]
    altered = json.loads(json.dumps(verdict))
    first = next(iter(altered["scores"]))
    altered["scores"][first] += 1e-6
    assert same(verdict, json.loads(json.dumps(verdict)))
    assert not same(verdict, altered)


# The speed-ups below must give exactly what the plain forms give.

_OLD_SENTENCE_BREAK = re.compile(
    r"(?<![\s.][a-z])(?<!^[a-z])(?<!\b(?:mr|ms|dr|st|lt|jr|sr|co))"
    r"(?<!\b(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec|mrs|gen|gov|sen|rep|col|sgt|inc|ltd))"
    r"(?<!\b(?:sept|prof|capt|corp))[.!?]['\")\]]*(?= )|[。！？]|\n"
)
_PATTERNS = [
    r"\bnew (?:south |s\. )?(?:korean )?(?:president|leader)\b",
    r"\bthe (?:writer|author) is (?:a|an|the)\b|\bthe views expressed\b|필자는|筆者は",
    r"^[\[(]?(?:opinion|analysis)\b",
    r"\bKOREA|japan\b|일본",
    r"aa|a",
    r"a(?=b)|ab",
    r"lee(?! jae)",
    r"news?",
    r"\bis\b",
    r"\d+ days",
    r"(?:relations|ties|관계|関係)[^|\n?]{0,25}\?",
    r"\bwhat (?:[^|\n]{1,60} )?means? for\b|\bmay portend\b|^why\b|어디로|どうなる",
    r"x[\]|]|y",
    r"(?:ab)?c|(?:a|b)+c|ab?c",
    r"a|(?:b|c)d",
    r"\bsummit|\bincoming (?:south )?president",
]


def _shipped_patterns() -> list[str]:
    rules = load_rules(
        Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
    )
    return [c.regex.pattern for t in rules.types for c in t.clues if c.regex is not None]


def _lows() -> list[str]:
    return [
        (normalize(i["title"]) + "\n" + normalize(i["text"])).lower()
        for i in _lines("golden-items.jsonl")
    ]


@pytest.mark.parametrize("scan_per_match", [regexes.SCAN_PER_MATCH, 0, 10**9])
def test_regex_clues_find_what_finditer_finds(
    scan_per_match: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The literal prefilter finds what a plain scan by the same engine finds, whether
    it tries each candidate (SCAN_PER_MATCH 0), scans from the first of three or more
    (10**9) or chooses; on real text the engine the rules run on (``regex``) finds what
    the stdlib's ``re`` finds."""
    monkeypatch.setattr(regexes, "SCAN_PER_MATCH", scan_per_match)
    real = _lows()
    texts = [*real, "aaaa ab", "the writer is a the author is an", "new new leader", "xy]|x"]
    texts += ["what it means for ties? the relations of 関係は?", "abc bc cd ad", "[opinion] why"]
    texts += ["is it ties? are ties? do the relations? ties, ties: why? 【主張】 どうなる"]
    texts += ["【主張】日韓関係はどうなる\nis it? why? 【主張】", "why ties?\nwhy ties?"]
    # dotless i, long s, the Kelvin sign and capital I with a dot: the regex engine
    # matches some of them to i, s and k case-insensitively; the text it reads is
    # normalised and lower-cased, where the last three are s, k and i + a dot above
    texts += [
        "ıncoming ſouth korean president; the ſummit",
        "new ıncoming leader",
        "İs it \u212aorea?",
    ]
    texts += ["[Opinion] new leader", "(analysis) ties?", "Thoughts: The Korea Herald"]
    texts = ["\n".join(normalize(part).lower() for part in text.split("\n")) for text in texts]
    for pattern in [*_PATTERNS, *_shipped_patterns()]:
        stdlib = re.compile(pattern, re.IGNORECASE)
        compiled = regex_engine.compile(pattern, regex_engine.IGNORECASE)
        starts, confirm, at_start = prefilter(compiled)
        for text in texts:
            cut = text.find("\n")  # title and body apart when the text has both
            spans = [(0, len(text))] + ([(0, cut), (cut + 1, len(text))] if cut >= 0 else [])
            for lo, hi in spans:
                plain = [(m.start(), m.group()) for m in compiled.finditer(text, lo, hi)]
                found = regex_hits(
                    compiled, starts, text, lo, hi, anchored=at_start, confirm=confirm
                )
                assert found == plain, (pattern, text[:40])
                if text in real:
                    reference = [(m.start(), m.group()) for m in stdlib.finditer(text, lo, hi)]
                    assert plain == reference, (pattern, text[:40])


def test_anchored_patterns_are_those_whose_every_alternative_starts_at_the_start() -> None:
    def at_start(pattern: str) -> bool:
        return anchored(regex_engine.compile(pattern, regex_engine.IGNORECASE))

    assert at_start(r"^(?:is|are)\b.*\?$")
    assert at_start(r"^why\b|\A【主張】")
    assert not at_start(r"^why\b|どうなる")  # one alternative may match anywhere
    assert not at_start(r"(?m)^why")  # MULTILINE: ^ also matches after a line break
    assert not at_start(r"^why(?m)")  # (an inline flag anywhere is the whole pattern's)
    assert not at_start(r"(?:^why|how)")  # inside a group: not read
    assert not at_start(r"\bwhy")


def test_only_plain_leading_literals_are_used() -> None:
    assert leading_literals(r"\bnew (?:south )?leader") == ("new leader", "new south leader")
    assert leading_literals(r"필자는|筆者は") == ("筆者は", "필자는")
    assert leading_literals(r"\bsummit|isle") == ("isle", "summit")
    assert leading_literals(r"Isle|sum") is None  # a capital I also matches the dotless ı
    assert leading_literals(r"[ab]c|d") == ("ac", "bc", "d")  # a class of plain characters
    assert leading_literals(r"[a-c]x|d") is None  # ... but not a range
    assert leading_literals(r"[\w]x|[^a]x|[[:alpha:]]x") is None  # nor \w, ^ or [:alpha:]
    assert leading_literals(r"^\[") == ("[",)
    assert leading_literals(r"^【主張】|どうなる") == ("【主張】", "どうなる")  # CJK punctuation
    # literal text, classes and all-literal groups, optional ones too, are followed as far
    # as they go
    assert leading_literals(r"\bthe (?:author|reporter) wrote") == (
        "the author wrote",
        "the reporter wrote",
    )
    assert leading_literals(r"^[\[(]?(?:op|an)\b") == ("(an", "(op", "[an", "[op", "an", "op")
    assert leading_literals(r"a(?:b|c)(?:d|e)?f") == ("abdf", "abef", "abf", "acdf", "acef", "acf")
    assert leading_literals(r"(?:ab|c[de])x") == ("ab", "c")  # a class ends its branch
    assert leading_literals(r"(?:new|old)? leader") == (" leader", "new leader", "old leader")
    assert leading_literals(r"(?:ab)?[x-z]") is None  # the group may be absent
    assert leading_literals(r"a(?:b|c)+d|x*y") is None  # repeated: no end known
    assert leading_literals(r"a(?:b|c)+d|xy*") == ("a", "x")
    assert leading_literals(r"x[\]|]|y") == ("x]", "x|", "y")  # a | inside a class does not split
    assert leading_literals(r"(?:a|b") is None
    assert len(leading_literals("(?:a|b|c|d)(?:e|f|g|h)(?:i|j|k|l)(?:m|n|o|p)") or ()) == 64
    # a literal that a shorter one starts adds no place to try; a cap stops the expansion
    assert leading_literals(r"ab(?:c)?|abd") == ("ab",)
    assert leading_literals(r": (?:the )?(?:x|y|z|w|v)", most=8) == (": ",)
    assert leading_literals(r": (?:the )?(?:x|y|z|w|v)", most=10) == (
        *(f": the {c}" for c in "vwxyz"),
        *(f": {c}" for c in "vwxyz"),
    )


def test_the_prefilter_searches_few_literals_unless_the_pattern_is_anchored() -> None:
    def starts(pattern: str) -> tuple[str, ...] | None:
        return prefilter(regex_engine.compile(pattern, regex_engine.IGNORECASE))[0]

    assert starts(r"\b(?:new|old) (?:south |north )?(?:korean |japanese )?leader") == (
        "new ",
        "old ",
    )
    assert len(starts(r"^[\[(]?(?:opinion|analysis|view)\b") or ()) == 9  # one startswith


def test_the_engine_is_tried_only_where_a_longer_literal_starts() -> None:
    """A candidate of the searched literals that none of the longer ones starts is not
    tried: each call of the engine with its time bound reads the CPU clock."""
    compiled = regex_engine.compile(
        r": (?:the )?(?:korea herald|japan times|korea times|japan news|mainichi)\s*$",
        regex_engine.IGNORECASE,
    )
    starts, confirm, at_start = prefilter(compiled)
    assert starts == (": ",) and not at_start  # (10 literals: more than are searched)
    assert confirm is not None and len(confirm) == 10 and ": the mainichi" in confirm
    tried: list[int] = []

    class Counted:
        def match(self, text: str, at: int, hi: int, **options: Any) -> Any:
            tried.append(at)
            return compiled.match(text, at, hi, **options)

    title = "seoul: tokyo talks: the japan times"
    found = regex_hits(cast(Any, Counted()), starts, title, 0, len(title), confirm=confirm)
    assert found == [(18, ": the japan times")]
    assert tried == [18]  # not 5, where ": tokyo" is


def test_word_offsets_and_sentence_breaks_match_the_plain_patterns() -> None:
    odd = [
        "a_b 日本韓国abc",
        "",
        "日本😀語 x😀y",
        "😀",
        "ab\ud800cd",
        "１２３ ǅemal",
        "日 本語の文章",
    ]
    abbreviations = [
        "on aug. 23 mr. abe met gen. kim. sept. 1",
        "the map. the sept. x",
        "dec.! x",
        "nippon steel corp. to pay. samsung co. and x inc. or y ltd. said. the corp. disco. z",
    ]
    for text in [*_lows(), "a. b", "S. Korea. A. b.c. d", "e.! x", *abbreviations, *odd]:
        assert word_starts(text) == [m.start() for m in _WORD.finditer(text)]
        assert [m.start() for m in SENTENCE_BREAK.finditer(text)] == [
            m.start() for m in _OLD_SENTENCE_BREAK.finditer(text)
        ]


def test_both_automata_find_the_same_hits(rules: RuleSet) -> None:
    def hits(text: str) -> dict[int, list[int]]:
        return {tid: sorted(at) for tid, at in scan(rules.terms, text).items()}

    def shifted(found: dict[int, list[int]], by: int) -> dict[int, list[int]]:
        return {tid: [p + by for p in at] for tid, at in found.items()}

    checked = 0
    for text in _lows():
        if text.isascii():
            continue
        plain = hits(text)
        assert hits(text + "\ud800") == plain  # a lone surrogate: the plain-character automaton
        assert hits("😀é€\n" + text) == shifted(plain, 4)  # offsets count characters
        checked += bool(plain)
    assert checked > 100


def test_the_gate_s_scan_then_the_rest_find_what_the_whole_scan_finds(rules: RuleSet) -> None:
    def ordered(found: dict[int, list[int]], only: frozenset[int] | None = None) -> Any:
        return {tid: sorted(at) for tid, at in found.items() if only is None or tid in only}

    gate = rules.gate_terms
    checked = 0
    for text in [*_lows(), "😀é€\n" + _lows()[0]]:
        whole = scan(rules.terms, text)
        alone = scan_only(rules.terms, gate, text)
        assert alone is not None
        assert ordered(alone, gate) == ordered(whole, gate)  # the gate's terms: all of them
        assert ordered(scan_rest(rules.terms, gate, text, alone)) == ordered(whole)
        checked += bool(ordered(whole, gate))
    assert checked > 100
    assert scan_only(rules.terms, gate, "Seoul \ud800 Tokyo") is None  # the whole scan reads it


def test_items_the_gate_stops_get_the_verdict_of_the_whole_scan(rules: RuleSet) -> None:
    stopped = 0
    for item in _lines("golden-items.jsonl"):
        whole = verdict(Doc(rules, Prepared(item["title"], item["text"])))
        assert rules.classify(item["title"], item["text"]) == whole
        stopped += not whole.relevant and not whole.scores and bool(whole.gate_evidence)
    assert stopped > 20  # items with one side, or both too far apart, and their evidence


def _plain_normalize(text: str) -> str:
    """text.normalize as its docstring defines it, with none of its shortcuts."""
    text = unicodedata.normalize("NFKC", text)
    for char, replacement in _PAIRS:
        text = text.replace(char, replacement)
    text = _READING.sub("", text)  # kana readings in brackets
    return " ".join(text.split())


def test_normalize_gives_what_the_plain_steps_give() -> None:
    texts = [i[k] for i in _lines("golden-items.jsonl") for k in ("title", "text")]
    texts += [
        "a`b  c\t",
        " x",
        "x ",
        "ｶﾞｷﾞ ㄱㅏ ㆍ ｗ…（１）",
        "e\u0301 \u00a8 ½",
        "\u3000日本\u3000",
        "a\n\n  b\n",  # line breaks and space runs: collapsed without splitting
        "  \n  ",
        "a     b",
        "\xa0a\u3000 b\u2003",  # spaces NFKC makes " "
        "a\u200eb c  d",  # not printable, no other whitespace
        "a\tb  c",
        "尹錫悦（ユン・ソンニョル）大統領 (ｶﾝ ｷﾞｮﾝﾌｧ) (かな) (漢字) ()",
    ]
    texts += ["".join(map(chr, range(start, start + 400))) for start in range(0, 0x3100, 400)]
    texts += ["".join(map(chr, range(0xFF00, 0xFFF0))), "a\u2028b\x85c\u1680d"]
    for text in texts:
        assert normalize(text) == _plain_normalize(text), repr(text[:40])
        assert nfkc(text) == unicodedata.normalize("NFKC", text), repr(text[:40])


def test_rules_test_shares_the_scan_only_between_equal_term_tables(rules: RuleSet) -> None:
    text = SHIPPED_TEXT.replace("threshold: 0.5", "threshold: 0.3", 1)
    weights = parse_rules(text)
    terms = parse_rules(text.replace("[Shigeru Ishiba,", "[Zorblat, Shigeru Ishiba,", 1))
    assert rules.terms.same_forms(weights.terms)
    assert not rules.terms.same_forms(terms.terms)
    items = [(i["id"], i["title"], i["text"]) for i in _lines("golden-items.jsonl")]
    for new in (weights, terms):
        changes = {c.id: c for c in diff_rulesets(rules, new, items)}
        for item_id, title, body in items:
            before, after = rules.classify(title, body), new.classify(title, body)
            if set(before.types) == set(after.types) and before.relevant == after.relevant:
                assert item_id not in changes
            else:
                assert changes[item_id].new == after
    assert diff_rulesets(rules, weights, items)  # the lower threshold changes some items


def _straddling(term: str) -> str:
    """Text whose UTF-16 bytes hold ``term``'s bytes one byte off the character grid (a
    term's UTF-8 bytes cannot straddle characters; this checks it stays so)."""
    data = b"\x4e" + term.encode("utf-16-be") + b"\x4e"
    return data.decode("utf-16-be", errors="surrogatepass")


def test_matches_straddling_two_characters_do_not_count(rules: RuleSet) -> None:
    crafted = []
    for term in rules.term_text:
        low = normalize(term).lower()
        if not low.isascii() and len(low) > 1:
            text = _straddling(low)
            if not any("\ud800" <= c <= "\udfff" for c in text):
                crafted.append(text)
    assert len(crafted) > 100
    for text in crafted:
        assert scan(rules.terms, text) == scan(rules.terms, text + "😀"), text
