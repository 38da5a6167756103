"""Where the third-party material lives, for the tests, the benchmarks and the data scripts.

The corpora (``corpus/*.jsonl``), the seed pages (``seeds/``), the real feeds
(``realfeeds/``) and the event-type contract (``event-types.md``) are not part of the
project: they sit in ``$STMON_SHARED``, by default the folder ``shared`` beside the
checkout (``../shared``). This module is the one place that resolves it.

In the test suite, the ``shared_dir`` fixture (tests/conftest.py) uses it: a test that
reads the material takes that fixture (it is then marked ``shared``) and is skipped,
with the missing path in the reason, when the material is absent; with
``STMON_REQUIRE_SHARED=1`` (as in CI) it fails instead. Scripts call ``shared_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "STMON_SHARED"
REQUIRE_ENV = "STMON_REQUIRE_SHARED"
REPO = Path(__file__).resolve().parents[2]
CONTRACT = "event-types.md"  # in every copy of the material: its presence tells it is there


def shared_dir() -> Path:
    """``$STMON_SHARED``, else ``shared`` beside the checkout."""
    value = os.environ.get(ENV)
    return Path(value) if value else REPO.parent / "shared"


def required() -> bool:
    """Whether missing material is a failure (``STMON_REQUIRE_SHARED=1``) or a skip."""
    return os.environ.get(REQUIRE_ENV) == "1"


def missing() -> str | None:
    """Why the material cannot be used, naming the path looked at; None when it is there."""
    folder = shared_dir()
    if (folder / CONTRACT).is_file():
        return None
    return f"shared material not found: {folder / CONTRACT} is missing (set {ENV} to its folder)"


def shared_path(*parts: str) -> Path:
    """A file or folder of the material; exits with a message naming it when it is missing."""
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        raise SystemExit(
            f"{path} not found: this needs the shared material "
            f"(${ENV}, by default ../shared beside the checkout)"
        )
    return path
