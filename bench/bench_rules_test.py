"""`stmon rules test` over 100,000 stored items: seconds, wall and CPU.

    .venv/bin/python bench/bench_rules_test.py [--items 100000]

Fills a SQLite store with the given number of items (the items of the English, Korean
and Japanese feeds in ../shared/realfeeds, repeated with distinct URLs), then runs
`stmon rules test` with the shipped rules against a copy whose default threshold
is lowered, over every stored item, and reports the command's wall time, CPU time and
peak memory.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from sqlalchemy import insert

from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.tables import Item

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "config" / "rules" / "seoul-tokyo.yaml"
REALFEEDS = ROOT.parent / "shared" / "realfeeds"


def feed_rows() -> list[tuple[str, str, str]]:
    """(language, title, summary) of every item of the en/ko/ja feeds, as published."""
    rows = []
    manifest = (REALFEEDS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    for line in manifest[1:]:
        cols = line.split("\t")
        if cols[5] not in ("en", "ko", "ja") or not cols[7].isdigit() or int(cols[7]) < 5:
            continue
        for entry in feedparser.parse((REALFEEDS / cols[0]).read_bytes()).entries:
            title, summary = str(entry.get("title", "")), str(entry.get("summary", ""))
            if title or summary:
                rows.append((cols[5], title, summary))
    return rows


def fill(url: str, count: int) -> None:
    db = Database(url)
    migrate.upgrade(db.engine)
    rows = feed_rows()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        batch = []
        for n in range(count):
            lang, title, summary = rows[n % len(rows)]
            link = f"https://example.org/{n}"
            when = start + timedelta(seconds=n)
            batch.append(
                {
                    "feed_id": None,
                    "source": "bench",
                    "url": link,
                    "url_key": hashlib.sha256(link.encode()).hexdigest(),
                    "guid": link,
                    "title": title,
                    "summary": summary,
                    "content": "",
                    "published": when,
                    "fetched": when,
                    "language": lang,
                    "content_hash": hashlib.sha256(f"{n}{title}".encode()).hexdigest(),
                }
            )
            if len(batch) == 10_000:
                conn.execute(insert(Item), batch)
                batch = []
        if batch:
            conn.execute(insert(Item), batch)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="stored items")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        began = time.perf_counter()
        fill(url, args.items)
        print(f"filled {args.items:,} items in {time.perf_counter() - began:.0f} s")
        edited = Path(tmp) / "edited.yaml"
        text = RULES.read_text(encoding="utf-8")
        marker = "defaults:\n  threshold: 0.5\n"
        assert marker in text
        edited.write_text(text.replace(marker, "defaults:\n  threshold: 0.4\n", 1), "utf-8")
        stmon = Path(sys.executable).with_name("stmon")
        command = [str(stmon), "rules", "test", "--rules", str(edited), "--against", str(RULES)]
        command += ["--db", url, "--limit", str(args.items)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(done.stdout.splitlines()[-1])
        print(
            f"stmon rules test over {args.items:,} stored items: {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU, peak {after.ru_maxrss / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
