"""A store filled by a real poll, and `stmon web` serving it, for the web page tests.

``Desk.start(tmp)`` serves two outlets' RSS feeds from a real feed server on 127.0.0.1
(a summit announced, reported by both; a foreign ministers' meeting; an article whose
title is hostile markup), runs `stmon db upgrade` and `stmon poll --once` on them with
the shipped rules, so events, evidence and alerts are real. Alerts go to a webhook on a
closed port with ``max_attempts: 1``: the outbox marks them dead. Then `stmon web` is
started as a process on a free port and waited for. ``close()`` stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest

from tests.support.feedserver import FeedServer
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "config" / "rules" / "seoul-tokyo.yaml"
HOSTILE = '<script>document.title="owned"</script><img src=x onerror=alert(1)> Leaders'
TOKEN = "a-web-token-for-the-tests-0123456789"

# outlet -> (title, text, hours ago)
ARTICLES = {
    "herald": [
        (
            "Lee Jae-myung and Ishiba to hold summit in Tokyo next month",
            "South Korean President Lee Jae-myung will visit Tokyo next month for a summit with "
            "Japanese Prime Minister Shigeru Ishiba, the presidential office said on Monday.",
            5,
        ),
        (
            "Japan, South Korea foreign ministers hold talks in Seoul",
            "Japanese Foreign Minister Takeshi Iwaya met South Korean Foreign Minister Cho Hyun "
            "in Seoul on Tuesday and discussed cooperation on North Korea and trade.",
            4,
        ),
    ],
    "yomiuri": [
        (
            "Ishiba, Lee to hold summit in Tokyo, officials say",
            "Prime Minister Shigeru Ishiba will host South Korean President Lee Jae-myung for a "
            "summit in Tokyo next month, government officials said.",
            3,
        ),
        (
            HOSTILE + " of Korea and Japan to hold summit in Osaka",
            "President Lee Jae-myung will travel to Osaka for a summit with Prime Minister "
            "Shigeru Ishiba in the spring, officials in Seoul said.",
            2,
        ),
    ],
}


def rss(outlet: str, now: datetime) -> bytes:
    items = []
    for n, (title, text, hours) in enumerate(ARTICLES[outlet]):
        when = format_datetime(now - timedelta(hours=hours), usegmt=True)
        # the title's markup is escaped twice: the feed means it as text, not as tags
        items.append(
            f"<item><title>{escape(escape(title))}</title>"
            f"<link>http://news.test/{outlet}/{n}</link><guid>{outlet}-{n}</guid>"
            f"<pubDate>{when}</pubDate><description>{escape(text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>http://news.test/{outlet}</link>"
        f"<description>{outlet}</description>{''.join(items)}</channel></rss>"
    ).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def stmon(
    *args: str, config: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, **(env or {})},
    )  # fmt: skip


def write_config(tmp: Path, server: FeedServer, web: str = "", extra: str = "") -> Path:
    config = tmp / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: sqlite:///{tmp / 'stmon.db'}\n"
        "logging:\n  format: json\n"
        "feeds:\n"
        + "".join(f"  - name: {o}\n    url: {server.url(f'/{o}.xml')}\n" for o in ARTICLES)
        + f"channels:\n  desk-hook:\n    type: webhook\n"
        f"    url: http://127.0.0.1:{free_port()}/hook\n"  # nothing listens: delivery fails
        "watches:\n  - name: seoul-tokyo\n"
        f"    rules: {RULES}\n    feeds: all\n    routes:\n"
        "      - types: [summit_announced, ministerial_talks]\n"
        "        channels: [desk-hook]\n        delivery: immediate\n"
        "alerts:\n  max_attempts: 1\n" + (f"service:\n  web:\n{web}" if web else "") + extra,
        encoding="utf-8",
    )
    return config


@dataclass
class Desk:
    """A polled store and `stmon web` serving it at ``url``."""

    config: Path
    server: FeedServer
    process: subprocess.Popen[str]
    url: str
    log: Path

    @classmethod
    def start(cls, tmp: Path) -> Desk:
        server = FeedServer(tmp / "feeds")
        server.__enter__()
        now = datetime.now(UTC)
        for outlet in ARTICLES:
            server.put(f"/{outlet}.xml", rss(outlet, now))
        config = write_config(tmp, server)
        for step in (("db", "upgrade"), ("poll", "--once")):
            done = stmon(*step, config=config)
            if done.returncode != 0:
                server.__exit__(None, None, None)
                raise RuntimeError(f"stmon {' '.join(step)} failed: {done.stderr}")
        process, url, log = serve(config, tmp / "web.log")
        return cls(config, server, process, url, log)

    def close(self) -> None:
        stop(self.process)
        self.server.__exit__(None, None, None)


def serve(
    config: Path, log: Path, listen: str | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str, Path]:
    """`stmon web` on ``listen`` (a free loopback port by default), once it answers."""
    listen = listen or f"127.0.0.1:{free_port()}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "web", "--listen", listen],
            stdout=out, stderr=subprocess.STDOUT, text=True, cwd=REPO,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    url = f"http://{listen}"

    def answers() -> bool:
        if process.poll() is not None:
            return True
        try:
            return httpx.get(url + "/static/style.css", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    if not wait_for(answers, timeout=60) or process.poll() is not None:
        stop(process)
        raise RuntimeError(f"stmon web did not start: {log.read_text()}")
    return process, url, log


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def desk_fixture(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Desk]:
    """A started desk (a real poll's store served by `stmon web`) for a module's tests."""
    tmp = tmp_path_factory.mktemp(name)
    (tmp / "feeds").mkdir()
    started = Desk.start(tmp)
    try:
        yield started
    finally:
        started.close()
