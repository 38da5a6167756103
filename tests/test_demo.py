"""`make demo` runs to completion offline: one alert per event, not per article."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_runs_and_alerts_once_per_event() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "demo" / "run.py"), "--duration", "6", "--interval", "10"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ok: one alert per event" in done.stdout
    assert "WEBHOOK" in done.stdout and "EMAIL" in done.stdout
