"""A small synthetic labelled corpus and rules for `stmon eval` / `stmon classify` tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.classify_rules import rules_text

TYPES = """
  summit_announced:
    tense: future
    any: &summit
      - name: leaders meet
        near: [[summit, 정상회담], $kr, $jp]
        within: 10 words
        none: [phone]
        weight: 0.4
      - name: visit
        terms: [visit, 방문]
        weight: 0.2
  summit_held:
    tense: past
    any: *summit
  trade:
    threshold: 0.6
    all: [[export, exports, 수출]]
    none: [football]
    any:
      - name: curbs
        near: [[export, exports, 수출], [curbs, controls, 규제]]
        within: 4 words
        weight: 0.4
      - name: both sides
        all: [[Seoul, 한국], [Tokyo, 일본], [talks, 협의]]
        weight: 0.3
"""

TENSE = """
tense:
  within: 8 words
  future: [will, to hold, 예정]
  past: [held, met, 가졌다]
"""

RULES = rules_text(TYPES, TENSE)

A, H = ["summit_announced"], ["summit_held"]


def rows() -> list[dict[str, object]]:
    """Twenty labelled items: en, ko and no language; right, wrong and borderline ones."""
    out: list[dict[str, object]] = []

    def add(title: str, text: str, labels: list[str], lang: str | None = "en") -> None:
        row: dict[str, object] = {"id": f"s{len(out) + 1:02d}", "title": title, "text": text}
        row["labels"], row["relevant"] = labels, bool(labels)
        if lang is not None:
            row["lang"] = lang
        out.append(row)

    both = "Officials in Seoul and Tokyo said so; South Korea and Japan agree."
    for city in ("Tokyo", "Osaka", "Hiroshima", "Nara"):
        add(f"Lee Jae-myung, Ishiba will hold summit in {city}", both, A)
    for city in ("Seoul", "Busan", "Gyeongju"):
        add(f"Lee Jae-myung and Ishiba held summit in {city}", both, H)
    add("Lee Jae-myung, Ishiba will hold summit next week", both, H)  # wrong tense
    add("Seoul, Tokyo hold export talks", "Japan and South Korea discussed exports.", ["trade"])
    add("Seoul, Tokyo export curbs", "Japan eases export controls on South Korea.", ["trade"])
    add("Japan export curbs on South Korea", "The talks in Seoul and Tokyo stall.", ["trade"])
    add("Japan and South Korea export football", "Export curbs hit Seoul.", [])
    add("Seoul stocks rise", "Japan and South Korea markets were calm.", [])
    add("Tokyo weather", "Japan had rain; South Korea sun.", [], None)
    add("Lee Jae-myung phone summit with Ishiba", both, A, None)  # vetoed by 'phone'
    add("이재명 이시바 정상회담 예정", "한국과 일본 정상이 만날 예정이다.", A, "ko")
    add("이재명 이시바 정상회담 가졌다", "한국과 일본 정상회담을 가졌다.", H, "ko")
    add("한국 일본 수출 규제", "한국과 일본이 수출 규제를 협의.", ["trade"], "ko")
    add("한국 일본 날씨", "한국과 일본 비.", [], "ko")
    add(
        "Lee Jae-myung to visit Japan",
        "Seoul and Tokyo; a visit by Ishiba to South Korea.",
        A,
        None,
    )
    return out


def write(directory: Path) -> tuple[Path, Path]:
    """(rules file, corpus file) written into ``directory``."""
    rules = directory / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    corpus = directory / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows()), encoding="utf-8"
    )
    return rules, corpus


def run(argv: list[str]) -> int:
    """`stmon ARGV`, in this process."""
    from monitor.cli import main

    return main(argv)
