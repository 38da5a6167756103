"""`make demo` runs to completion offline: one alert per event, not per article.

The demo's articles are the seed corpus of the shared folder, read from there; without
it the demo says where it looked and exits non-zero, and the full run is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "run.py"


def run_demo(shared: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DEMO), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "STMON_SHARED": str(shared)},
    )


def test_demo_runs_and_alerts_once_per_event(shared_dir: Path) -> None:
    done = run_demo(shared_dir, "--duration", "6", "--interval", "10", timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ok: one alert per event" in done.stdout
    assert "WEBHOOK" in done.stdout and "EMAIL" in done.stdout
    assert "articles published      18 " in done.stdout


def test_without_the_shared_articles_the_demo_names_the_path_and_fails(tmp_path: Path) -> None:
    done = run_demo(tmp_path / "no-shared", timeout=60)
    assert done.returncode == 2
    assert str(tmp_path / "no-shared" / "corpus" / "seed-articles.jsonl") in done.stderr
    assert "PUBLISH" not in done.stdout
