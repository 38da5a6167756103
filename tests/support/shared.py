"""The shared folder (``../shared``: corpora, seed pages, real feeds) for the tests that read it.

Its texts are news of others: tests read them from there and never copy them into the
project. ``STMON_SHARED`` names the folder (default: ``<repo>/../shared``). Without it, a
test that needs it is skipped with a message naming the path; with
``STMON_REQUIRE_SHARED=1`` (as CI sets) it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The shared folder; skips the calling test (or fails it, if required) when it is absent."""
    path = Path(os.environ.get("STMON_SHARED") or REPO.parent / "shared")
    if not path.is_dir():
        message = f"shared folder not found at {path} (set STMON_SHARED)"
        if os.environ.get("STMON_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
