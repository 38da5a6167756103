"""Several instances on one PostgreSQL: feeds/s and items/s with 1, 2 and 4 `stmon run`.

Each round starts K `stmon run` processes on a fresh database against the same local
farm (tests/support/farm.py, its own process) of N feeds × M items. Every feed is overdue at
start, so the instances share one full cycle (fetch, parse, store, classify) of all N
feeds as fast as they can; the figures are measured from the feed rows (first to last
success). Also shown: the most database connections the round held at once.

Needs PostgreSQL: run it under the throwaway server of scripts/test-postgres.sh,

    scripts/test-postgres.sh .venv/bin/python bench/bench_instances.py [--feeds 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# the feed farm is the test suite's (tests/support/farm.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.support.farm import feed_entries, start
from tests.support.postgres import postgres_database

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def farm(feeds: int, items: int) -> Iterator[int]:
    proc, port = start(feeds, items)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait()


def write_config(folder: Path, url: str, port: int, feeds: int, classify: bool) -> Path:
    rules = REPO / "config" / "rules" / "seoul-tokyo.yaml"
    watch = f"watches:\n  - name: seoul-tokyo\n    rules: {rules}\n    feeds: all"
    lines = [
        f"storage:\n  url: {url}",
        "logging:\n  level: warning",
        # One round per run: the interval is longer than the round.
        "fetch:\n  interval: 1h\n  concurrency: 32\n  per_host: 32",
        watch if classify else "watches: []",
        "feeds:",
    ]
    lines += feed_entries(port, feeds)
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stmon(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


def one_round(
    admin_url: str, port: int, feeds: int, instances: int, classify: bool
) -> tuple[float, int, int]:
    """(seconds from first to last feed done, items stored, peak connections)."""
    with postgres_database(admin_url, "stmon_bench") as url, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), url, port, feeds, classify)
        subprocess.run(stmon(config, "db", "upgrade"), check=True, capture_output=True)
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        procs = [
            subprocess.Popen(stmon(config, "run"), stderr=subprocess.DEVNULL)
            for _ in range(instances)
        ]
        try:
            peak = wait_for_round(engine, feeds, procs)
            with engine.connect() as conn:
                first, last = conn.execute(
                    text("SELECT min(last_success), max(last_success) FROM feeds")
                ).one()
                items = int(conn.execute(text("SELECT count(*) FROM items")).scalar_one())
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait()
            engine.dispose()
        return (last - first).total_seconds(), items, peak


def wait_for_round(engine: Engine, feeds: int, procs: list[subprocess.Popen[bytes]]) -> int:
    peak = 0
    with engine.connect() as conn:
        while True:
            done, connections = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM feeds WHERE last_success IS NOT NULL),"
                    " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())"
                )
            ).one()
            conn.rollback()
            peak = max(peak, int(connections) - 1)  # not counting this one
            if done >= feeds:
                return peak
            if any(proc.poll() is not None for proc in procs):
                raise SystemExit("an instance exited early")
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--instances", default="1,2,4")
    parser.add_argument("--no-classify", action="store_true", help="store only, no rules")
    args = parser.parse_args()
    admin_url = os.environ.get("STMON_TEST_POSTGRES_URL")
    if not admin_url:
        raise SystemExit("run under scripts/test-postgres.sh (STMON_TEST_POSTGRES_URL is unset)")
    classify = not args.no_classify
    print(
        f"{args.feeds} feeds x {args.items} items, classify={'on' if classify else 'off'}, "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    )
    with farm(args.feeds, args.items) as port:
        for count in (int(n) for n in args.instances.split(",")):
            seconds, items, peak = one_round(admin_url, port, args.feeds, count, classify)
            print(
                f"{count} instance{'s' if count > 1 else ' '}  {seconds:7.1f} s  "
                f"{args.feeds / seconds:7.1f} feeds/s  {items / seconds:8.0f} items/s  "
                f"{items} items  peak {peak} connections"
            )


if __name__ == "__main__":
    main()
