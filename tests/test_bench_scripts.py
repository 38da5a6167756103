"""The scripts of bench/ start as `make bench` runs them (`.venv/bin/python bench/X.py`):
their imports resolve from the checkout and their arguments parse. The benchmarks
themselves are not run here (their figures go to docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py"))  # the benchmarks and their helpers


def test_every_benchmark_in_the_makefile_is_checked_here() -> None:
    makefile = (BENCH.parent / "Makefile").read_text(encoding="utf-8")
    named = {word.removeprefix("bench/") for word in makefile.split() if word.startswith("bench/")}
    assert named and named <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_script_starts(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        cwd=tmp_path,  # not the checkout: imports must not depend on the working directory
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
