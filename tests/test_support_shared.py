"""tests.support.shared: skip naming the path, or fail when the shared folder is required."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.shared import REPO, shared_dir


def test_the_folder_named_by_stmon_shared_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STMON_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path


def test_the_default_is_the_sibling_of_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STMON_SHARED", raising=False)
    monkeypatch.delenv("STMON_REQUIRE_SHARED", raising=False)
    try:
        assert shared_dir() == REPO.parent / "shared"
    except pytest.skip.Exception as skipped:
        assert str(REPO.parent / "shared") in str(skipped)


def test_a_missing_folder_skips_with_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("STMON_SHARED", str(missing))
    monkeypatch.delenv("STMON_REQUIRE_SHARED", raising=False)
    with pytest.raises(pytest.skip.Exception, match=str(missing)):
        shared_dir()


def test_a_missing_folder_fails_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("STMON_SHARED", str(missing))
    monkeypatch.setenv("STMON_REQUIRE_SHARED", "1")
    with pytest.raises(pytest.fail.Exception, match=str(missing)):
        shared_dir()
