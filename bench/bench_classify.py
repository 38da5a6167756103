"""Items per second classified with the shipped rules on ~2 KB articles, single core.

    .venv/bin/python bench/bench_classify.py [--seconds 1] [--rounds 5]

Two kinds of article, each cut or repeated to about 2,000 characters:

- relevant: the seed corpus texts (English) plus Korean and Japanese Seoul-Tokyo
  samples; every one passes the topic gate and is scored for every type, and the
  repetition packs far more term hits into 2,000 characters than a real article has
  (the worst case);
- feed items: every item of the real English, Korean and Japanese publisher feeds in
  the shared realfeeds (NHK, Yonhap, Asahi, ...), as a day of those feeds brings them.

Both read the shared material: ``$STMON_SHARED``, by default ../shared beside the checkout.

Figures are the median of the timed rounds, in process CPU time, so other jobs on a
shared machine disturb them less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

# the shared material is found as the tests find it (tests/support/shared.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from monitor.classify import RuleSet, load_rules
from tests.support.shared import shared_path

ROOT = Path(__file__).resolve().parents[1]
KOREAN = [
    (
        "한일 정상, 셔틀외교 복원 합의",
        "이재명 대통령과 이시바 시게루 일본 총리는 도쿄에서 정상회담을 갖고 "
        "셔틀외교를 복원하기로 합의했다. 양 정상은 한미일 협력의 중요성도 확인했다. ",
    ),
    (
        "조현 외교장관, 이와야 외무상과 첫 통화",
        "조현 외교부 장관은 24일 이와야 다케시 일본 외무상과 취임 후 첫 전화 통화를 하고 "
        "한일 관계의 안정적 발전을 위해 긴밀히 소통하기로 했다. 두 장관은 북한 문제와 "
        "경제 협력 방안에 대해서도 의견을 교환했다. 외교부는 양측이 조만간 대면 회담을 "
        "추진하기로 했다고 밝혔다. ",
    ),
    (
        "일본 정부, 독도 영유권 주장 되풀이…외교부 항의",
        "일본 정부가 올해 방위백서에서 독도를 자국 영토라고 주장하자 외교부는 주한 일본대사관 "
        "총괄공사를 초치해 강력히 항의했다. 외교부 대변인은 논평을 내고 부당한 주장을 즉각 "
        "철회하라고 촉구했다. 국방부도 일본 방위성 관계자를 불러 유감을 표명했다. ",
    ),
]
JAPANESE = [
    (
        "石破首相、李在明大統領と電話会談",
        "石破茂首相は9日、韓国の李在明大統領と約25分間、電話会談した。"
        "両首脳は日韓関係を安定的に発展させることで一致した。",
    ),
    (
        "日韓外相会談、早期の首脳往来で一致",
        "岩屋毅外相は東京都内で韓国の趙顕外相と会談した。両外相はシャトル外交の継続を確認し、"
        "早期の首脳往来に向けて調整を進める方針で一致した。北朝鮮の核・ミサイル問題についても"
        "日米韓で緊密に連携していくことを確認した。",
    ),
    (
        "日米韓が共同訓練　防衛相会談も調整",
        "日米韓3カ国は日本海で共同訓練を実施した。防衛省によると、訓練には海上自衛隊の護衛艦が"
        "参加した。中谷元防衛相は韓国の国防相との会談を来月にも行う方向で調整している。",
    ),
]


def fit(rows: list[tuple[str, str]], size: int = 2000) -> list[tuple[str, str]]:
    """Each (title, text) with the text cut or repeated to ``size`` characters."""
    return [(title, (text * (size // max(1, len(text)) + 1))[:size]) for title, text in rows]


def english() -> list[tuple[str, str]]:
    seed = shared_path("corpus", "seed-articles.jsonl")
    rows = [json.loads(line) for line in seed.read_text(encoding="utf-8").splitlines() if line]
    return fit([(str(r["title"]), str(r["text"])) for r in rows])


def feed_items() -> list[tuple[str, str]]:
    """The items of the English, Korean and Japanese feeds of the shared realfeeds."""
    rows = []
    folder = shared_path("realfeeds")
    manifest = (folder / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    for line in manifest[1:]:
        cols = line.split("\t")
        if cols[5] not in ("en", "ko", "ja") or not cols[7].isdigit() or int(cols[7]) < 5:
            continue
        for entry in feedparser.parse((folder / cols[0]).read_bytes()).entries:
            title = str(entry.get("title", ""))
            text = str(entry.get("summary", "")) or title
            if title or text:
                rows.append((title, text))
    return fit(rows)


def rate(rules: RuleSet, items: list[tuple[str, str]], seconds: float, rounds: int) -> float:
    """Median items per CPU second over ``rounds`` rounds of about ``seconds`` each."""
    rates = []
    for _ in range(rounds):
        count, begin = 0, time.process_time()
        while time.process_time() - begin < seconds:
            for title, text in items:
                rules.classify(title, text)
            count += len(items)
        rates.append(count / (time.process_time() - begin))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per figure")
    args = parser.parse_args()
    started = time.perf_counter()
    rules = load_rules(ROOT / "config" / "rules" / "seoul-tokyo.yaml")
    load_ms = (time.perf_counter() - started) * 1000
    sets = {"english": english(), "korean": fit(KOREAN), "japanese": fit(JAPANESE)}
    sets = {"relevant": [item for items in sets.values() for item in items], **sets}
    feed = feed_items()
    sets["feed items"] = feed
    print(f"rules load+compile: {load_ms:.0f} ms ({len(rules.term_text)} terms)")
    for name, items in sets.items():
        size = sum(len(t) + len(b) for t, b in items) / len(items)
        relevant = sum(rules.classify(t, b).relevant for t, b in items)
        figure = rate(rules, items, args.seconds, args.rounds)
        print(
            f"{name:>10}: {figure:8,.0f} items/s ({len(items)} articles, mean {size:.0f} chars,"
            f" {relevant} relevant)"
        )


if __name__ == "__main__":
    main()
