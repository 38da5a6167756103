"""`stmon run` as a real process: it polls, and SIGTERM mid-cycle exits cleanly, losing nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.feedserver import FeedServer
from tests.support.wait import wait_for

FIXTURES = Path(__file__).parent / "data" / "feeds"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer(FIXTURES) as srv:
        yield srv


def write_config(tmp_path: Path, server: FeedServer) -> Path:
    feeds = {
        "wire": "/rss20.xml",
        "atom": "/atom.xml",
        "json": "/jsonfeed.json",
        "stuck": "/slow/rss10.rdf?delay=60",
    }
    lines = [f"storage:\n  url: sqlite:///{tmp_path / 'stmon.db'}", "watches: []", "feeds:"]
    lines += [f"  - name: {n}\n    url: {server.url(p)}" for n, p in feeds.items()]
    path = tmp_path / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stmon(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", *args]


def count(db: Path, sql: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def test_run_refuses_a_database_without_schema(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, server)
    done = subprocess.run(stmon("--config", str(config), "run"), capture_output=True, text=True)
    assert done.returncode == 1
    assert "stmon db upgrade" in done.stderr


def test_sigterm_mid_cycle_exits_zero_and_keeps_what_was_fetched(
    tmp_path: Path, server: FeedServer
) -> None:
    config = write_config(tmp_path, server)
    db = tmp_path / "stmon.db"
    subprocess.run(stmon("--config", str(config), "db", "upgrade"), check=True, capture_output=True)
    proc = subprocess.Popen(
        stmon("--config", str(config), "run"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        polled = wait_for(
            lambda: count(db, "SELECT count(*) FROM feeds WHERE last_success IS NOT NULL") == 3,
            timeout=30,
        )
        assert polled, "the three quick feeds were not polled"
        assert server.wait_until(lambda: server.hits("/slow/rss10.rdf") >= 1)
        stored = count(db, "SELECT count(*) FROM items")
        assert stored > 0
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert '"event": "stopped"' in err
    assert count(db, "SELECT count(*) FROM items") == stored
    assert count(db, "SELECT count(*) FROM item_sources") == stored
