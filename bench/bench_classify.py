"""Items per second classified with the shipped rules on ~2 KB articles, single core.

    .venv/bin/python bench/bench_classify.py [--seconds 5]

Articles are the seed corpus texts cut or repeated to about 2,000 characters, plus
Korean and Japanese samples; the figure is the median of five timed rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from monitor.classify import load_rules

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "corpus" / "seed-articles.jsonl"
EXTRA = [
    (
        "한일 정상, 셔틀외교 복원 합의",
        "이재명 대통령과 이시바 시게루 일본 총리는 도쿄에서 정상회담을 갖고 "
        "셔틀외교를 복원하기로 합의했다. 양 정상은 한미일 협력의 중요성도 확인했다. ",
    ),
    (
        "石破首相、李在明大統領と電話会談",
        "石破茂首相は9日、韓国の李在明大統領と約25分間、電話会談した。"
        "両首脳は日韓関係を安定的に発展させることで一致した。",
    ),
]


def articles(size: int = 2000) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line]
    out = [(str(r["title"]), str(r["text"])) for r in rows] + EXTRA
    return [(title, (text * (size // max(1, len(text)) + 1))[:size]) for title, text in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    args = parser.parse_args()
    started = time.perf_counter()
    rules = load_rules(ROOT / "config" / "rules" / "seoul-tokyo.yaml")
    load_ms = (time.perf_counter() - started) * 1000
    items = articles()
    rates = []
    for _ in range(5):
        count, begin = 0, time.perf_counter()
        while time.perf_counter() - begin < args.seconds:
            for title, text in items:
                rules.classify(title, text)
            count += len(items)
        rates.append(count / (time.perf_counter() - begin))
    size = sum(len(t) + len(b) for t, b in items) / len(items)
    print(f"rules load+compile: {load_ms:.0f} ms ({len(rules.term_text)} terms)")
    print(f"articles: {len(items)} distinct, mean {size:.0f} chars")
    print(f"classify: {statistics.median(rates):,.0f} items/s (median of 5; min {min(rates):,.0f})")


if __name__ == "__main__":
    main()
