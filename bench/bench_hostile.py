"""Hostile-feed benchmark: each case of tests/support/hostile_cases.py (compression bombs,
an entity bomb, a 2 MB title, 60,000 items, bad bytes, a lone surrogate, deep JSON,
control characters, a redirect into a private network, 8,000 near-identical items) as a
whole `stmon poll --once` process against a server on 127.0.0.1, beside one good feed.

Prints, per case: the peak RSS (the sum of the peaks of the process and of its parser
processes), the wall time of the poll, and what became of the hostile feed(s). Target:
every case under 250 MB.

    .venv/bin/python bench/bench_hostile.py [--case NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

# the cases and the runner are the test suite's (tests/support/hostile_cases.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.hostile_cases import CASES, GOOD, CaseRun, run_case

TARGET_MB = 250


def outcome(run: CaseRun) -> str:
    """The hostile feeds' state: ``ok (N items)`` or ``failing: reason``, one per feed."""
    parts = []
    for name, row in run.status.items():
        if name == GOOD:
            continue
        if row["state"] == "ok":
            parts.append(f"{name}: ok, {row['items']} items")
        else:
            parts.append(f"{name}: {row['state']}: {row['last_error']}")
    good = run.status.get(GOOD, {})
    if good.get("state") != "ok" or good.get("items") != 1:
        parts.append(f"good feed NOT stored: {good}")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)"
    )
    args = parser.parse_args()
    names = args.case or list(CASES)
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_case(CASES[name](), Path(tmp))
        peak = run.poll.peak_rss / 2**20
        rows.append((name, peak, run.wall, run.poll.returncode, outcome(run)))
        print(f"{name:<18} {peak:7.0f} MB {run.wall:7.1f} s", file=sys.stderr)
    print(f"{'case':<18} {'peak RSS':>10} {'wall':>8}  exit  outcome")
    for name, peak, wall, code, said in rows:
        flag = "" if peak < TARGET_MB else "  OVER TARGET"
        print(f"{name:<18} {peak:7.0f} MB {wall:6.1f} s  {code:>4}  {said}{flag}")
    over = [name for name, peak, *_ in rows if peak >= TARGET_MB]
    print(f"\ntarget: every case under {TARGET_MB} MB; over: {', '.join(over) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
