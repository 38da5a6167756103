"""Steady state of the daemon: RSS and CPU of `stmon run` with N feeds at a 5-minute
interval, served by a local farm (tests/support/farm.py), every feed gaining one new item every
5 minutes. After the first full cycle (warm-up), RSS and CPU use (of the daemon and its
parser process together) are sampled every 10 s for the measured period; the medians
are printed. Targets: < 150 MB RSS, < 5 % of a core.

    .venv/bin/python bench/bench_steady.py [--feeds 1000] [--minutes 10] [--warmup 360]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

# the feed farm is the test suite's (tests/support/farm.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.farm import start

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (the daemon's parser process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds of the daemon and its child processes."""
    total = 0.0
    for member in family(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return total


def rss_of(pid: int) -> float:
    """Resident memory of one process, in MB."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


class Sample(NamedTuple):
    rss: float  # MB, the daemon and its parser processes summed
    cpu: float  # % of a core over the last interval
    own: float  # MB, the daemon's own
    processes: int  # the daemon and its parser processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=360, help="seconds before sampling")
    args = parser.parse_args()
    farm, port = start(args.feeds, args.items)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "steady.yaml"
        rules = REPO / "config" / "rules" / "seoul-tokyo.yaml"
        lines = [
            f"storage:\n  url: sqlite:///{Path(tmp) / 'steady.db'}",
            "logging:\n  level: warning",
            "fetch:\n  interval: 5m\n  per_host: 8",
            "channels:\n  console:\n    type: log",
            f"watches:\n  - name: w\n    rules: {rules}\n    routes:\n"
            "      - types: ['*']\n        channels: [console]",
            "feeds:",
        ] + [
            f"  - name: f{i}\n    url: http://127.0.0.1:{port}/feed/{i}.xml"
            for i in range(args.feeds)
        ]
        config.write_text("\n".join(lines) + "\n")
        stmon = [str(Path(sys.executable).parent / "stmon"), "--config", str(config)]
        subprocess.run([*stmon, "db", "upgrade"], check=True, capture_output=True)
        daemon = subprocess.Popen([*stmon, "run"], stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            time.sleep(args.warmup)
            samples: list[Sample] = []
            last_cpu, last_t = cpu_seconds(daemon.pid), time.monotonic()
            next_advance = time.monotonic() + 300
            end = time.monotonic() + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(10)
                if time.monotonic() >= next_advance:
                    urllib.request.urlopen(
                        urllib.request.Request(
                            f"http://127.0.0.1:{port}/advance?n=1", method="POST"
                        )
                    ).read()
                    next_advance += 300
                cpu, now = cpu_seconds(daemon.pid), time.monotonic()
                members = family(daemon.pid)
                samples.append(
                    Sample(
                        rss=sum(rss_of(m) for m in members),
                        cpu=100 * (cpu - last_cpu) / (now - last_t),
                        own=rss_of(daemon.pid),
                        processes=len(members),
                    )
                )
                last_cpu, last_t = cpu, now
            rss = statistics.median(s.rss for s in samples)
            cpu_median = statistics.median(s.cpu for s in samples)
            cpu_mean = (cpu_seconds(daemon.pid) - 0) / (time.monotonic() - started)
            print(
                f"steady state, {args.feeds} feeds at 5m, {args.minutes:g} min after "
                f"{args.warmup:g} s warm-up: median RSS {rss:.1f} MB (max "
                f"{max(s.rss for s in samples):.1f}), median CPU {cpu_median:.2f} % of a core "
                f"(mean over 10 s samples {statistics.fmean(s.cpu for s in samples):.2f} %; "
                f"incl. warm-up {100 * cpu_mean:.1f} %)"
            )
            # what moves the median: how many samples found parser processes alive
            alone = [s.own for s in samples if s.processes == 1]
            print(
                f"samples: {len(samples)}, {len(samples) - len(alone)} with parser processes "
                f"({sum(s.processes - 1 for s in samples)} process-samples); the daemon's own RSS "
                f"median {statistics.median(s.own for s in samples):.1f} MB, alone "
                + (f"{statistics.median(alone):.1f} MB" if alone else "never")
            )
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
            farm.terminate()
            farm.wait()


if __name__ == "__main__":
    main()
