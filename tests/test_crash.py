"""Nothing is lost when the daemon dies: SIGKILL after an event was created, before its
alert was delivered; after a restart the alert arrives, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import create_engine, text

from tests.support.feedserver import FeedServer
from tests.support.wait import wait_for
from tests.support.webhook import WebhookReceiver

REPO = Path(__file__).resolve().parents[1]
TITLE = "Lee to visit Tokyo for summit with Ishiba next week"  # a summit announcement
TEXT = (
    "President Lee Jae Myung will visit Tokyo next Saturday to hold a summit with Japanese Prime "
    "Minister Shigeru Ishiba, the presidential office in Seoul announced on Wednesday. The two "
    "leaders plan to discuss regular reciprocal visits, supply chains and closer cooperation on "
    "North Korea, officials said. A working dinner will follow the talks."
)


def feed() -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{escape(TITLE)}</title><link>https://e.test/1</link>"
        f'<guid isPermaLink="false">s1</guid><pubDate>{format_datetime(datetime.now(UTC))}'
        f"</pubDate><description>{escape(TEXT)}</description></item></channel></rss>"
    )


def test_alert_survives_sigkill_and_is_delivered_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.put("/news.xml", feed())
    hook = WebhookReceiver()
    hook.start()
    port_url = hook.url
    hook.stop()  # the receiver is down: the alert stays pending
    db = tmp_path / "stmon.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: sqlite:///{db}\n"
        f"alerts:\n  retry_delay: 1s\n  max_delay: 2s\n  max_attempts: 50\n"
        f"channels:\n  hook:\n    type: webhook\n    url: {port_url}\n"
        f"watches:\n  - name: w\n    rules: {REPO / 'config' / 'rules' / 'seoul-tokyo.yaml'}\n"
        f"    routes:\n      - types: [summit_announced]\n        channels: [hook]\n"
        f"feeds:\n  - name: news\n    url: {feed_server.url('/news.xml')}\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "monitor", "--config", str(config)]
    subprocess.run([*cmd, "db", "upgrade"], check=True, capture_output=True)
    engine = create_engine(f"sqlite:///{db}")

    def scalar(sql: str) -> object:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen([*cmd, "run"], stderr=subprocess.DEVNULL, env=env)
    try:
        assert wait_for(lambda: (scalar("SELECT max(attempts) FROM alerts") or 0) >= 1)
        assert scalar("SELECT count(*) FROM events WHERE alerting") == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        pending = scalar("SELECT count(*) FROM alerts WHERE status='pending'")
        assert pending == 1
        hook.start()
        second = subprocess.Popen([*cmd, "run"], stderr=subprocess.DEVNULL, env=env)
        try:
            assert wait_for(lambda: scalar("SELECT status FROM alerts") == "sent")
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        hook.stop()
        engine.dispose()
    keys = [r.header("Idempotency-Key") for r in hook.requests]
    assert len(keys) == 1 and keys[0]
    assert scalar_after(db, "SELECT count(*) FROM events WHERE alerting") == 1


def scalar_after(db: Path, sql: str) -> object:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()
