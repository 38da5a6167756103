"""Korean terms of the shipped rules that real text has inside longer words.

    .venv/bin/python bench/term_contexts.py [--rules PATH] [--min 3] [--show 4]

Korean terms match as substrings (particles attach at the end), so a short one also
matches inside other words: 스가 (Suga) in 버스가 and 서비스가, 비자 (visa) in 소비자. This
reads the Korean items of the real publisher feeds in the shared realfeeds (titles and
summaries; ``$STMON_SHARED``, by default ../shared beside the checkout) and, for each
Korean term of the rules, counts the hits that start a word and those inside a word,
with the commonest contexts of the latter. A term found mostly inside words is a
candidate for a leading ``^`` (it then starts a word) or for set phrases (docs/rules.md).
Terms already written with ``^`` are counted as the scan counts them: at word starts only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from monitor.classify import load_rules
from monitor.classify.terms import in_korean_word
from monitor.classify.text import is_hangul, normalize
from tests.support.shared import shared_path

ROOT = Path(__file__).resolve().parents[1]
_TAG = re.compile(r"<[^>]+>")


def korean_texts() -> list[str]:
    """The distinct items (title + summary, normalised) of the Korean realfeeds."""
    folder = shared_path("realfeeds")
    seen: set[str] = set()
    texts = []
    for line in (folder / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 6 or cols[5] != "ko":
            continue
        for entry in feedparser.parse((folder / cols[0]).read_bytes()).entries:
            text = str(entry.get("title", "")) + "\n" + _TAG.sub(" ", str(entry.get("summary", "")))
            text = normalize(text).lower()
            if text not in seen:
                seen.add(text)
                texts.append(text)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "config/rules/seoul-tokyo.yaml")
    parser.add_argument("--min", type=int, default=3, help="hits inside words to list a term")
    parser.add_argument("--show", type=int, default=4, help="contexts shown per term")
    args = parser.parse_args()
    rules = load_rules(args.rules)
    texts = korean_texts()
    text = "\n".join(texts)
    started = {tid for form in rules.terms.forms for tid in form[5]}
    rows = []
    for tid, term in enumerate(rules.term_text):
        surface = normalize(term).lower()
        if not surface or not is_hangul(surface[0]):
            continue
        at_start, inside = 0, Counter[str]()
        for found in re.finditer(re.escape(surface), text):
            start = found.start()
            if start and in_korean_word(text[start - 1]):
                if tid not in started:
                    inside[text[max(0, start - 3) : found.end() + 2].replace("\n", " ")] += 1
            else:
                at_start += 1
        if sum(inside.values()) >= args.min:
            rows.append((sum(inside.values()), at_start, term, inside.most_common(args.show)))
    print(f"{len(texts)} Korean items, {len(text):,} characters; terms with >= {args.min} hits")
    print("inside a word (listed with their contexts):")
    print(f"{'inside':>7} {'start':>6}  term: contexts")
    for count, at_start, term, contexts in sorted(rows, key=lambda r: (-r[0], r[2])):
        shown = " | ".join(f"{c} ×{n}" for c, n in contexts)
        print(f"{count:>7} {at_start:>6}  {term}: {shown}")


if __name__ == "__main__":
    main()
