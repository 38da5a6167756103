"""Write the classifier golden files: varied items and the verdicts the shipped rules give.

    .venv/bin/python tests/data/classify/make_golden.py [--items N] [--verdicts-only]

``golden-items.jsonl`` holds generated English, Korean, Japanese and mixed articles built
from the rules' own terms and filler, with the awkward cases (title hits, plurals and word
boundaries, hyphens, full-width letters, upper case, emoji, characters whose lower case
changes length, line breaks, tense cues in other sentences). It holds no outside text:
the corpora in ../shared are news of others, read at test time and never copied here.
``golden-verdicts.jsonl`` holds the full verdict for each item (tests/test_classify_golden.py
compares it). ``golden-corpus-verdicts.jsonl`` holds the verdicts on the labelled corpora of
the shared folder ($STMON_SHARED, default ../shared: corpus/seed-articles.jsonl and
corpus/dev-articles.jsonl) without any of their text: labels, scores, tense, and for each
piece of evidence the rule, term, place and weight, but no snippet; the test reads the
articles from the shared folder. Without that folder the corpus verdicts are left as they
are (and said so); everything else needs nothing outside the repository. Regenerate the
verdicts only after a deliberate change of rules or semantics.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path
from typing import Any

# the shared material is found as the tests find it (tests/support/shared.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.support.shared import shared_dir

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RULES = ROOT / "config" / "rules" / "seoul-tokyo.yaml"
ITEMS = HERE / "golden-items.jsonl"
VERDICTS = HERE / "golden-verdicts.jsonl"
CORPUS_VERDICTS = HERE / "golden-corpus-verdicts.jsonl"
CORPORA = ("seed-articles.jsonl", "dev-articles.jsonl")

FILLER = {
    "en": (
        "the officials said on Monday that the plan was part of a wider effort . "
        "analysts noted the move , citing sources familiar with the matter . "
        "U.S. officials and S. Korea 's envoy spoke . it was not clear when ! "
        "what comes next ? prices rose 3.5 % in Aug. as exports grew . "
        "koreans japanese summitry metallic ally allies coaches negotiating talksman"
    ).split(" "),
    "ko": (
        "정부 관계자는 이날 기자들과 만나 이같이 밝혔다 . 양측은 구체적인 일정을 "
        "공개하지 않았다 . 전문가들은 관계 개선 흐름이 이어질 것으로 내다봤다 . "
        "한편 이번 발표는 국내 정치 상황과도 맞물려 있다 ! 무엇이 달라지나 ?"
    ).split(" "),
    "ja": list(
        "政府関係者は同日、記者団に対しこう述べた。双方は具体的な日程を明らかにしていない。"
        "専門家は関係改善の流れが続くとみている！今回の発表は国内政治とも関係する？"
    ),
}
ODD = [
    "İstanbul",
    "Straße",
    "ＧＳＯＭＩＡ",
    "ｿｳﾙ",
    "😀",
    "𠮷野家",
    "é",
    "Ü-boot",
    "—",
    "·",
    "\n",
    "  ",
    "\t",
]


def script_of(term: str) -> str:
    if any("\uac00" <= c <= "\ud7af" for c in term):
        return "ko"
    if any("\u3040" <= c <= "\u9fff" for c in term):
        return "ja"
    return "en"


def vary(term: str, rng: random.Random) -> str:
    roll = rng.random()
    if script_of(term) != "en":
        if roll < 0.15:
            return term.replace(" ", "")
        if roll < 0.3:
            return term + rng.choice(["은", "과", "이", "의", "は", "と", "を"])
        return term
    if roll < 0.15:
        return term.upper()
    if roll < 0.3:
        return term.title()
    if roll < 0.4:
        return term + rng.choice(["s", "es", "ing", "'s", "x"])
    if roll < 0.5:
        return rng.choice(["x", "re", "pre-", "un"]) + term
    if roll < 0.6:
        return term.replace(" ", "-").replace("-", rng.choice([" ", "", "–", "-"]))
    return term


def article(rng: random.Random, terms: dict[str, list[str]], lang: str, size: int) -> str:
    words: list[str] = []
    length = 0
    pools = [lang] if lang != "mix" else ["en", "ko", "ja"]
    density = rng.choice([0.05, 0.15, 0.3, 0.5])
    while length < size:
        pool = rng.choice(pools)
        if rng.random() < density:
            word = vary(rng.choice(terms[pool]), rng)
        elif rng.random() < 0.01:
            word = rng.choice(ODD)
        else:
            word = rng.choice(FILLER[pool])
        joiner = "" if pool == "ja" and rng.random() < 0.8 else " "
        words.append(joiner + word)
        length += len(word) + 1
    return "".join(words).strip()


def generate(count: int) -> list[dict[str, Any]]:
    from monitor.classify import load_rules

    rules = load_rules(RULES)
    terms: dict[str, list[str]] = {"en": [], "ko": [], "ja": []}
    for term in rules.term_text:
        terms[script_of(term)].append(term.rstrip("*"))
    rng = random.Random(20250823)
    items: list[dict[str, Any]] = []
    for i in range(count):
        lang = ("en", "ko", "ja", "mix")[i % 4]
        title = article(rng, terms, lang, rng.choice([20, 40, 80]))
        text = article(rng, terms, lang, rng.choice([150, 400, 900, 1800]))
        items.append({"id": f"gen-{i:04d}-{lang}", "title": title, "text": text})
    return items


def verdict(rules: Any, item: dict[str, Any]) -> dict[str, Any]:
    found = rules.classify(item["title"], item["text"])
    return {"id": item["id"], **dataclasses.asdict(found)}


def corpus_items(shared: Path) -> list[dict[str, Any]]:
    """The articles of the labelled corpora, read where they are: none of their text is kept."""
    items = []
    for name in CORPORA:
        for line in (shared / "corpus" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append({"id": row["id"], "title": row["title"], "text": row["text"]})
    return items


def textless(found: dict[str, Any]) -> dict[str, Any]:
    """A verdict without the snippets of the article's text its evidence carries."""
    out: dict[str, Any] = json.loads(json.dumps(found))
    for evidence in [
        *out["gate_evidence"],
        *(e for label in out["labels"] for e in label["evidence"]),
    ]:
        del evidence["snippet"]
    return out


def write_corpus_verdicts(rules: Any) -> None:
    shared = shared_dir()
    if not all((shared / "corpus" / name).is_file() for name in CORPORA):
        print(
            f"{shared / 'corpus'}: no corpora there (set STMON_SHARED): "
            f"{CORPUS_VERDICTS.name} left as it is",
            file=sys.stderr,
        )
        return
    lines = [
        json.dumps(textless(verdict(rules, i)), ensure_ascii=False) for i in corpus_items(shared)
    ]
    CORPUS_VERDICTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=240, help="generated items")
    parser.add_argument("--verdicts-only", action="store_true", help="keep golden-items.jsonl")
    args = parser.parse_args()
    from monitor.classify import load_rules

    if args.verdicts_only:
        items = [json.loads(line) for line in ITEMS.read_text(encoding="utf-8").splitlines()]
    else:
        items = generate(args.items)
        lines = [json.dumps(item, ensure_ascii=False) for item in items]
        ITEMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rules = load_rules(RULES)
    lines = [json.dumps(verdict(rules, item), ensure_ascii=False) for item in items]
    VERDICTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_corpus_verdicts(rules)


if __name__ == "__main__":
    main()
