"""Fixtures shared by the whole suite: paths, databases, environment hygiene."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store.db import Database
from tests.support import shared
from tests.support.feedserver import feed_server
from tests.support.postgres import postgres_database
from tests.support.service_store import migrated

__all__ = ["feed_server"]  # fixtures shared by the whole suite

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("STMON_TEST_POSTGRES_URL")
KEPT_ENV = (shared.ENV, shared.REQUIRE_ENV, "STMON_TEST_POSTGRES_URL")  # settings of the run


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


def _need_shared() -> Path:
    """The shared material's folder; skips the test when it is missing (fails when required)."""
    problem = shared.missing()
    if problem is None:
        return shared.shared_dir()
    if shared.required():
        pytest.fail(f"{problem}; {shared.REQUIRE_ENV}=1 makes that a failure", pytrace=False)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``$STMON_SHARED`` (default ../shared): the third-party corpora, seeds and real feeds."""
    return _need_shared()


@pytest.fixture(scope="session")
def seed_corpus(shared_dir: Path) -> Path:
    """The 18 labelled seed articles (JSON lines)."""
    return shared_dir / "corpus" / "seed-articles.jsonl"


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes ``shared_dir`` is marked ``shared`` (``-m "not shared"`` leaves it out)."""
    for item in items:
        if "shared_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared") is not None:
        _need_shared()


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own stmon settings."""
    for name in list(os.environ):
        if name.startswith("STMON_") and name not in KEPT_ENV:
            monkeypatch.delenv(name)


DB_BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(params=DB_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, and PostgreSQL too when STMON_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stmon.db'}"
    else:
        assert POSTGRES_URL is not None
        with postgres_database(POSTGRES_URL) as url:  # a fresh one for each test
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'stmon.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database at the current schema, on each backend of ``db_url``."""
    database = migrated(db_url)
    yield database
    database.dispose()
