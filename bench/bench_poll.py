"""Poll benchmark: `stmon poll --once` against a local farm of N feeds × M items.

Measures a cold cycle (all items new), a warm cycle (every feed answers 304) and a
cycle with 2 new items per feed, each as a whole `stmon` process: wall time, feeds/s,
items/s and peak RSS (the sum of the peaks of the process and of the parser processes
it starts). The floor is a bare httpx + feedparser script over the same farm at the
same concurrency, storing nothing (bench/floor.py), also timed as a process.

    .venv/bin/python bench/bench_poll.py [--feeds 500] [--items 50] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, stdout).

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
    return elapsed, (own + children) / 1024, out


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


def report(label: str, seconds: float, rss: float, feeds: int, items: int) -> None:
    print(
        f"{label:<22} {seconds:7.2f} s  {feeds / seconds:8.1f} feeds/s  "
        f"{items / seconds:9.1f} items/s  peak RSS {rss:6.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--no-classify", action="store_true", help="no watch: measure polling alone"
    )
    args = parser.parse_args()
    # stmon's own bytecode compiled, as an installed package has it (this checkout may run
    # with PYTHONDONTWRITEBYTECODE, which would compile every module at every start)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "monitor")], check=True)
    farm, port = start(args.feeds, args.items)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(
                Path(tmp), port, args.feeds, args.concurrency, not args.no_classify
            )
            stmon = [str(BIN / "stmon"), "--config", str(config)]
            subprocess.run([*stmon, "db", "upgrade"], check=True, capture_output=True)
            n, m = args.feeds, args.feeds * args.items
            print(
                f"farm: {n} feeds x {args.items} items, concurrency {args.concurrency}, "
                f"{os.cpu_count()} cores"
            )
            template = f"http://127.0.0.1:{port}/feed/{{}}.xml"
            floor = timed(
                [
                    sys.executable,
                    str(REPO / "bench" / "floor.py"),
                    template,
                    str(n),
                    str(args.concurrency),
                ]
            )
            report("floor (httpx+feedparser)", floor[0], floor[1], n, m)
            cold = timed([*stmon, "poll", "--once", "--force"])
            report("cold cycle", cold[0], cold[1], n, m)
            warm = timed([*stmon, "poll", "--once", "--force"])
            report("warm cycle (304)", warm[0], warm[1], n, 0 or n)
            urllib.request.urlopen(
                urllib.request.Request(f"http://127.0.0.1:{port}/advance?n=2", method="POST")
            ).read()
            new = timed([*stmon, "poll", "--once", "--force"])
            report("2 new items per feed", new[0], new[1], n, 2 * n)
            print(f"cold / floor = {cold[0] / floor[0]:.2f}  (target <= 1.5)")
            print(f"cold: {cold[2].strip()}\nnew: {new[2].strip()}")
    finally:
        farm.terminate()
        farm.wait()


if __name__ == "__main__":
    main()
