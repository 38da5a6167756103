"""Live reload of a running daemon: SIGHUP and file edits, good and broken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.feedserver import FeedServer
from tests.support.wait import wait_for

FIXTURES = Path(__file__).parent / "data" / "feeds"
SHIPPED_RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
NEWS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>n</title>
<item><title>President Lee meets Zorblat in Seoul for talks</title>
<link>https://news.example.org/zorblat</link><guid isPermaLink="false">z1</guid>
<description>President Lee held talks with Zorblat in Seoul on Monday.</description></item>
</channel></rss>"""


class Daemon:
    def __init__(self, tmp_path: Path, server: FeedServer) -> None:
        self.tmp = tmp_path
        self.server = server
        self.db = tmp_path / "stmon.db"
        self.config = tmp_path / "monitor.yaml"
        self.rules = tmp_path / "rules.yaml"
        self.rules.write_text(SHIPPED_RULES.read_text(encoding="utf-8"), encoding="utf-8")
        self.proc: subprocess.Popen[str] | None = None
        self.log = tmp_path / "daemon.log"

    def write_config(self, feeds: dict[str, str], extra: str = "") -> None:
        lines = [
            f"storage:\n  url: sqlite:///{self.db}",
            f"watches:\n  - name: w\n    rules: {self.rules}",
            "feeds:",
        ]
        lines += [f"  - name: {n}\n    url: {self.server.url(p)}" for n, p in feeds.items()]
        self.config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")

    def start(self) -> None:
        cmd = [sys.executable, "-m", "monitor", "--config", str(self.config)]
        subprocess.run([*cmd, "db", "upgrade"], check=True, capture_output=True)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [*cmd, "run"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def hup(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def query(self, sql: str) -> object:
        engine = create_engine(f"sqlite:///{self.db}")
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def polled(self, name: str) -> bool:
        sql = f"SELECT count(*) FROM feeds WHERE name='{name}' AND last_success IS NOT NULL"
        return self.query(sql) == 1

    def logged(self, needle: str) -> bool:
        return needle in self.log.read_text(encoding="utf-8")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    with FeedServer(FIXTURES) as server:
        d = Daemon(tmp_path, server)
        yield d
        assert d.proc is None or d.stop() == 0


def test_sighup_with_a_valid_edit_adds_a_feed_and_recompiles_rules(daemon: Daemon) -> None:
    daemon.server.put("/zorblat.xml", NEWS)
    daemon.write_config({"wire": "/rss20.xml"})
    daemon.start()
    assert wait_for(lambda: daemon.polled("wire"))

    rules = daemon.rules.read_text(encoding="utf-8")
    daemon.rules.write_text(rules.replace("[Shigeru Ishiba,", "[Zorblat, Shigeru Ishiba,", 1))
    daemon.write_config({"wire": "/rss20.xml", "zorblat": "/zorblat.xml"})
    daemon.hup()
    assert wait_for(lambda: daemon.polled("zorblat")), daemon.log.read_text()
    assert daemon.query("SELECT relevant FROM items WHERE guid='z1'") == 1


def test_sighup_with_a_broken_edit_keeps_the_last_good_config(daemon: Daemon) -> None:
    daemon.write_config({"wire": "/rss20.xml"})
    daemon.start()
    assert wait_for(lambda: daemon.polled("wire"))
    daemon.write_config(
        {"wire": "/rss20.xml", "atom": "/atom.xml"}, extra="fetch:\n  interval: soon\n"
    )
    daemon.hup()
    assert wait_for(lambda: daemon.logged("config_rejected"))
    assert daemon.logged(f"{daemon.config}:") and daemon.logged("invalid duration 'soon'")
    time.sleep(2)
    assert not daemon.polled("atom")
    assert daemon.proc is not None and daemon.proc.poll() is None  # still running


def test_an_edit_on_disk_is_picked_up_without_a_signal(daemon: Daemon) -> None:
    daemon.write_config({"wire": "/rss20.xml"})
    daemon.start()
    assert wait_for(lambda: daemon.polled("wire"))
    time.sleep(1)  # let the watcher settle
    daemon.write_config({"wire": "/rss20.xml", "json": "/jsonfeed.json"})
    assert wait_for(lambda: daemon.polled("json")), daemon.log.read_text()
    assert daemon.logged("config_reloaded")
