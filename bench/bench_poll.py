"""Poll benchmark: `stmon poll --once` against a local farm of N feeds × M items.

Measures a cold cycle (all items new), a warm cycle (every feed answers 304) and a
cycle with 2 new items per feed, each as a whole `stmon` process: wall time, feeds/s,
items/s and peak RSS (the sum of the peaks of the process and of the parser processes
it starts). In the same sitting, over the same farm and at the same concurrency:

- the floor: a bare httpx + fastfeedparser script storing nothing (bench/floor.py), its
  three cycles too (its warm cycle sends the ETags back, as stmon does);
- the httpx + feedparser floor, cold only;
- rss2email 3.14 `run --no-send`, its three cycles, when it is installed: give its `r2e`
  with `--rss2email PATH` or `STMON_BENCH_RSS2EMAIL`. Install it apart from stmon:

      python3 -m venv /tmp/r2e && /tmp/r2e/bin/pip install rss2email==3.14
      STMON_BENCH_RSS2EMAIL=/tmp/r2e/bin/r2e .venv/bin/python bench/bench_poll.py

    .venv/bin/python bench/bench_poll.py [--feeds 500] [--items 50] [--concurrency 16]
        [--rounds 3]

With ``--rounds N`` every program runs each cycle N times, the programs taking turns
(stmon, the floor, rss2email, stmon, ...), each run from the same state: a program's
files (stmon's database, the floor's ETags, rss2email's state) are put back as they
were before the cycle's first round. Each row gives the median run (by wall time) and
the range of the N; the targets are judged on the medians. On a machine shared with
other jobs, one run of each is not enough: their wall times vary by a third or more.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

# the feed farm is the test suite's (tests/support/farm.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.farm import feed_entries, start

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _peak_kb(pid: int) -> int | None:
    """The process's peak RSS so far (VmHWM), in KiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakWatch(threading.Thread):
    """Samples the peak RSS of a process and of every process it starts (parser workers),
    every 20 ms: the memory a run needs is the sum of those per-process peaks."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            stack = [self.pid]
            while stack:
                pid = stack.pop()
                peak = _peak_kb(pid)
                if peak is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), peak)
                stack.extend(_children(pid))
            self.done.wait(0.02)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, stdout, CPU seconds).

    CPU seconds are user + system time of ``cmd`` and of the processes it waited for (its
    parser processes): on a machine shared with other jobs they vary less than wall time.

    Peak RSS is the sum of the per-process peaks of ``cmd`` and the processes it starts
    (wait4's ``ru_maxrss`` alone is the largest single one of them). ``cmd``'s own peak
    is the larger of wait4's figure and the last sample when it has no children.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    watch = PeakWatch(proc.pid)
    watch.start()
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    watch.done.set()
    watch.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed: {out}")
    children = sum(kb for pid, kb in watch.peaks.items() if pid != proc.pid)
    own = watch.peaks.get(proc.pid, 0)
    if not children:
        own = max(own, usage.ru_maxrss)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, (own + children) / 1024, out, cpu


def write_config(folder: Path, port: int, feeds: int, concurrency: int, classify: bool) -> Path:
    rules = REPO / "config" / "rules" / "seoul-tokyo.yaml"
    watch = f"watches:\n  - name: seoul-tokyo\n    rules: {rules}\n    feeds: all"
    lines = [
        f"storage:\n  url: sqlite:///{folder / 'bench.db'}",
        "logging:\n  level: warning",
        f"fetch:\n  concurrency: {concurrency}\n  per_host: {concurrency}",
        "channels:\n  console:\n    type: log",
        watch if classify else "watches: []",
        "feeds:",
    ]
    lines += feed_entries(port, feeds)
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


Run = tuple[float, float, str, float]  # (wall seconds, peak RSS MB, stdout, CPU seconds)


def report(label: str, runs: list[Run], feeds: int, items: int) -> Run:
    """Print the median run of ``runs`` (by wall time; with one run, that run), the range
    of the wall times when there are several, and return the median run."""
    ordered = sorted(runs, key=lambda run: run[0])
    seconds, rss, out, cpu = ordered[(len(ordered) - 1) // 2]
    cpu = statistics.median(run[3] for run in runs)
    spread = f" ({ordered[0][0]:.2f}-{ordered[-1][0]:.2f})" if len(runs) > 1 else ""
    print(
        f"{label:<34} {seconds:7.2f} s{spread}  CPU {cpu:6.2f} s  {feeds / seconds:7.1f} feeds/s"
        f"  {items / seconds:8.1f} items/s  peak RSS {max(run[1] for run in runs):6.1f} MB"
    )
    return seconds, rss, out, cpu


class Snapshot:
    """Copies of a program's files, put back before each round of a cycle (a file that
    did not exist is removed)."""

    def __init__(self, files: list[Path], folder: Path) -> None:
        self.kept: dict[Path, Path | None] = {}
        for n, path in enumerate(files):
            copy = folder / f"snapshot-{n}-{path.name}"
            if path.exists():
                shutil.copyfile(path, copy)
                self.kept[path] = copy
            else:
                self.kept[path] = None

    def restore(self) -> None:
        for path, copy in self.kept.items():
            if copy is None:
                path.unlink(missing_ok=True)
            else:
                shutil.copyfile(copy, path)


def rss2email_command(path: str | None, folder: Path, port: int, feeds: int) -> list[str] | None:
    """``r2e run --no-send`` over the farm, with its config and state in ``folder``; None
    (and a message) when rss2email is not installed."""
    if not path or not Path(path).exists():
        print(
            "rss2email: not installed, its rows are left out (python3 -m venv /tmp/r2e && "
            "/tmp/r2e/bin/pip install rss2email==3.14; then --rss2email /tmp/r2e/bin/r2e)"
        )
        return None
    config, data = folder / "r2e.cfg", folder / "r2e.json"
    base = [path, "-c", str(config), "-d", str(data)]
    subprocess.run([*base, "new", "bench@example.org"], check=True, capture_output=True)
    sections = "".join(
        f"\n[feed.farm-{i}]\nurl = http://127.0.0.1:{port}/feed/{i}.xml\n" for i in range(feeds)
    )
    with config.open("a", encoding="utf-8") as out:
        out.write(sections)
    feed: dict[str, object] = {"etag": None, "modified": None, "seen": {}}
    state = {"version": 2, "feeds": [{"name": f"farm-{i}", **feed} for i in range(feeds)]}
    data.write_text(json.dumps(state))
    return [*base, "run", "--no-send"]


def state_files(folder: Path) -> dict[str, list[Path]]:
    """The files each program keeps between cycles (their state), in ``folder``."""
    db = folder / "bench.db"
    sqlite = [db, db.with_name("bench.db-wal"), db.with_name("bench.db-shm")]
    return {
        "stmon": sqlite,
        "floor": [folder / "etags"],
        "rss2email": [folder / "r2e.cfg", folder / "r2e.json"],
    }


CYCLES = ("cold", "warm", "new")
TARGETS = (  # (cycle, what it is compared with, at most this many times it)
    ("cold", "floor", 2.0),
    ("cold", "rss2email", 1 / 8),
    ("warm", "floor", 1.0),
    ("new", "floor", 2.0),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--no-classify", action="store_true", help="no watch: measure polling alone"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each cycle per program (medians)"
    )
    parser.add_argument(
        "--rss2email",
        default=os.environ.get("STMON_BENCH_RSS2EMAIL"),
        help="rss2email's r2e (default: $STMON_BENCH_RSS2EMAIL); its rows are left out without",
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    # stmon's own bytecode compiled, as an installed package has it (this checkout may run
    # with PYTHONDONTWRITEBYTECODE, which would compile every module at every start)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "monitor")], check=True)
    farm, port = start(args.feeds, args.items)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = write_config(folder, port, args.feeds, args.concurrency, not args.no_classify)
            stmon = [str(BIN / "stmon"), "--config", str(config)]
            subprocess.run([*stmon, "db", "upgrade"], check=True, capture_output=True)
            n = args.feeds
            print(
                f"farm: {n} feeds x {args.items} items, concurrency {args.concurrency}, "
                f"{os.cpu_count()} cores, {args.rounds} round(s) per cycle"
            )
            floor = [sys.executable, str(REPO / "bench" / "floor.py")]
            floor += [f"http://127.0.0.1:{port}/feed/{{}}.xml", str(n), str(args.concurrency)]
            runs: dict[str, list[str]] = {
                "stmon": [*stmon, "poll", "--once", "--force"],
                "floor": [*floor, "--parser", "fastfeedparser", "--state", str(folder / "etags")],
            }
            r2e = rss2email_command(args.rss2email, folder, port, n)
            if r2e:
                runs["rss2email"] = r2e
            items = {"cold": n * args.items, "warm": 0, "new": 2 * n}
            labels = {"stmon": "stmon", "floor": "httpx + fastfeedparser", "rss2email": "rss2email"}
            seconds: dict[tuple[str, str], float] = {}
            cpu: dict[tuple[str, str], float] = {}
            for cycle in CYCLES:
                if cycle == "new":
                    urllib.request.urlopen(
                        urllib.request.Request(
                            f"http://127.0.0.1:{port}/advance?n=2", method="POST"
                        )
                    ).read()
                kept = state_files(folder)
                before = {name: Snapshot(kept[name], folder) for name in runs}
                done: dict[str, list[Run]] = {name: [] for name in runs}
                for _ in range(args.rounds):
                    for name, cmd in runs.items():
                        before[name].restore()
                        done[name].append(timed(cmd))
                for name in runs:
                    median = report(f"{cycle:<5} {labels[name]}", done[name], n, items[cycle])
                    seconds[name, cycle] = median[0]
                    cpu[name, cycle] = median[3]
                if cycle == "cold":
                    slow = [timed(floor) for _ in range(args.rounds)]
                    report("cold  httpx + feedparser", slow, n, items[cycle])
            for cycle, other, most in TARGETS:
                if (other, cycle) in seconds:
                    ratio = seconds["stmon", cycle] / seconds[other, cycle]
                    by_cpu = cpu["stmon", cycle] / cpu[other, cycle]
                    verdict = "met" if ratio <= most else "NOT met"
                    print(
                        f"stmon {cycle} / {other} {cycle} = {ratio:.3f} wall, {by_cpu:.3f} CPU  "
                        f"(target <= {most:.3g}: {verdict})"
                    )
    finally:
        farm.terminate()
        farm.wait()


if __name__ == "__main__":
    main()
