"""Failing parts around a running monitor: alerts are neither held nor lost, tasks come
back after a crash, and a hostile config edit leaves the daemon on its last good one.

Real parts on 127.0.0.1 only: webhook receivers (one that answers a byte at a time), an
SMTP server that goes down and comes back, ``stmon run`` as a separate process. The
delivery worker's own cases run in-process with an injected clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import create_engine, select, text

from monitor.alert.channels import make_channel
from monitor.alert.outbox import DeliverySettings, DeliveryWorker
from monitor.alert.route import message_to_dict
from monitor.config.channels import ChannelConfig
from monitor.metrics import Metrics
from monitor.store.db import Database
from monitor.store.outbox import add_alert
from monitor.store.tables import Alert
from tests.support.alerts import make_message
from tests.support.clock import Clock
from tests.support.feedserver import FeedServer
from tests.support.hostile import Answer, HostileServer
from tests.support.smtp import SMTPServer
from tests.support.wait import wait_for
from tests.support.webhook import WebhookReceiver

START = datetime(2025, 6, 2, 10, 10, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "data" / "feeds"


def worker(
    db: Database, raw: dict[str, dict[str, Any]], clock: Clock, **settings: Any
) -> DeliveryWorker:
    adapter: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)
    configs = {name: adapter.validate_python(data) for name, data in raw.items()}
    channels = {name: make_channel(name, config) for name, config in configs.items()}
    return DeliveryWorker(
        db, channels, configs, settings=DeliverySettings(**settings), clock=clock, metrics=Metrics()
    )


def enqueue(db: Database, channel: str, name: str, now: datetime, **message: Any) -> None:
    with db.session() as session:
        key = f"{name}:new:{channel}"
        msg = make_message(event_id=name, headline=f"Event {name}", **message)
        add_alert(
            session, key=key, channel=channel, kind="event", delivery="immediate",
            payload=message_to_dict(msg, alert_id=key, key=key), event_id=None,
            next_attempt=now, now=now,
        )  # fmt: skip


def rows(db: Database, channel: str | None = None) -> list[Alert]:
    with db.session() as session:
        query = select(Alert).order_by(Alert.id)
        if channel is not None:
            query = query.where(Alert.channel == channel)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def next_attempt(db: Database, channel: str) -> datetime:
    return max(r.next_attempt for r in rows(db, channel) if r.status == "pending")


# --- the delivery worker, in-process ------------------------------------------------------


def test_a_channel_that_raises_fails_only_its_alert_and_the_worker_goes_on(db: Database) -> None:
    """A header that cannot be encoded makes the HTTP client raise UnicodeEncodeError (no
    DeliveryError): that alert is retried, then dead; the worker keeps delivering."""
    clock = Clock(START)
    with WebhookReceiver() as good:
        w = worker(
            db,
            {
                "odd": {"type": "webhook", "url": good.url, "headers": {"X-Desk": "Séoul"}},
                "good": {"type": "webhook", "url": good.url},
            },
            clock,
            give_up_after=3600,
        )
        enqueue(db, "odd", "ev-odd", clock.now)
        enqueue(db, "good", "ev-1", clock.now)

        async def go() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(w.run(stop, idle=0.05))
            try:
                await asyncio.to_thread(good.wait_for, 1, 10.0)
                assert await asyncio.to_thread(
                    wait_for, lambda: rows(db, "odd")[0].attempts == 1, 10
                )
                enqueue(db, "good", "ev-2", clock.now)  # the worker is still there
                w.wake.set()
                await asyncio.to_thread(good.wait_for, 2, 10.0)
                clock.advance(hours=2)  # past give_up_after: the next failure is the last
                w.wake.set()
                assert await asyncio.to_thread(
                    wait_for, lambda: rows(db, "odd")[0].status == "dead", 10
                )
                assert not task.done()
            finally:
                stop.set()
                await task

        asyncio.run(go())
    odd = rows(db, "odd")[0]
    assert odd.status == "dead" and odd.attempts == 2
    assert "UnicodeEncodeError" in (odd.last_error or "")
    assert [r.status for r in rows(db, "good") if r.kind == "event"] == ["sent", "sent"]
    assert w.metrics is not None
    exposed = w.metrics.render().decode()
    assert 'stmon_alerts_total{channel="odd",outcome="retry"} 1.0' in exposed
    assert 'stmon_alerts_total{channel="odd",outcome="dead"} 1.0' in exposed


def test_a_broken_template_fails_its_alert_and_leaves_nothing_claimed(
    db: Database, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "subject.txt.j2").write_text(
        "{% if msg.event_type == 'border_incident' %}{{ 1 / 0 }}{% endif %}"
        "[stmon] {{ msg.headline }}\n",
        encoding="utf-8",
    )
    clock = Clock(START)
    with SMTPServer() as smtp:
        mail = {
            "type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "stmon <stmon@example.org>", "to": ["desk@example.org"],
            "template_dir": str(templates),
        }  # fmt: skip
        w = worker(db, {"desk": mail}, clock)
        enqueue(db, "desk", "ev-broken", clock.now, event_type="border_incident")
        enqueue(db, "desk", "ev-fine", clock.now)
        assert asyncio.run(w.deliver_due()) == 1
        received = smtp.wait_for(1)
    assert received[0].message["Subject"] == "[stmon] Event ev-fine"
    by_event = {r.payload["event_id"]: r for r in rows(db, "desk") if r.kind == "event"}
    broken = by_event["ev-broken"]
    assert broken.status == "dead" and broken.attempts == 1
    assert "subject.txt.j2" in (broken.last_error or "")
    assert "ZeroDivisionError" in (broken.last_error or "")
    assert by_event["ev-fine"].status == "sent"
    assert all(r.claimed_by is None for r in rows(db))


def test_smtp_down_for_hours_then_up_delivers_and_a_day_down_gives_up(db: Database) -> None:
    clock = Clock(START)
    with SMTPServer() as smtp:
        smtp.stop()  # down: connections are refused
        mail = {
            "type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "stmon <stmon@example.org>", "to": ["desk@example.org"],
        }  # fmt: skip
        w = worker(db, {"desk": mail}, clock, retry_delay=30, max_delay=3600)
        enqueue(db, "desk", "ev-1", clock.now)
        while clock.now - START < timedelta(hours=3):
            assert asyncio.run(w.deliver_due()) == 0
            clock.now = next_attempt(db, "desk")
        (alert,) = rows(db, "desk")
        assert alert.status == "pending" and alert.attempts > 8  # once the eighth was the last
        assert "cannot talk to SMTP server" in (alert.last_error or "")

        smtp.start()
        assert asyncio.run(w.deliver_due()) == 1
        assert len(smtp.wait_for(1)) == 1
        assert rows(db, "desk")[0].status == "sent"

        smtp.stop()
        enqueue(db, "desk", "ev-2", clock.now)
        began = clock.now
        while any(r.status == "pending" for r in rows(db, "desk")):
            assert asyncio.run(w.deliver_due()) == 0
            clock.now = (
                next_attempt(db, "desk") if rows(db, "desk")[1].status == "pending" else clock.now
            )
    gave_up = rows(db, "desk")[1]
    assert gave_up.status == "dead"
    assert gave_up.failing_since == began
    assert timedelta(hours=24) <= gave_up.next_attempt - began <= timedelta(hours=25)


class DrippingSMTP:
    """A TCP server on 127.0.0.1 that sends an SMTP greeting a byte every half second;
    ``hung_up`` is set when a write fails because the client closed the connection."""

    def __init__(self) -> None:
        hung_up, closing = self.hung_up, self.closing = threading.Event(), threading.Event()

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                greeting = b"220 " + b"slow " * 200 + b"\r\n"
                try:
                    for i in range(len(greeting)):
                        self.request.sendall(greeting[i : i + 1])
                        if closing.wait(0.5):
                            return
                except OSError:
                    hung_up.set()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> DrippingSMTP:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def test_an_smtp_server_that_drips_its_greeting_is_cut_off_at_the_send_deadline(
    db: Database,
) -> None:
    clock = Clock(START)
    with DrippingSMTP() as slow:
        mail = {
            "type": "email", "host": "127.0.0.1", "port": slow.port, "security": "none",
            "from": "stmon <stmon@example.org>", "to": ["desk@example.org"], "timeout": "30s",
        }  # fmt: skip
        w = worker(db, {"desk": mail}, clock, send_deadline=1)
        enqueue(db, "desk", "ev-1", clock.now)
        assert asyncio.run(w.deliver_due()) == 0
        # the greeting alone would take 500 s; the connection was shut down instead
        assert slow.hung_up.wait(20)
    (alert,) = rows(db, "desk")
    assert alert.status == "pending" and alert.attempts == 1
    assert "send deadline" in (alert.last_error or "")


# --- stmon run ------------------------------------------------------------------------------


class Daemon:
    """``stmon run`` on a config in ``tmp``, its log in a file, /healthz on a free port."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db_path = tmp / "stmon.db"
        self.url = f"sqlite:///{self.db_path}"
        self.config = tmp / "monitor.yaml"
        self.log = tmp / "daemon.log"
        self.proc: subprocess.Popen[str] | None = None

    def write(self, body: str) -> None:
        head = f"storage:\n  url: {self.url}\nservice:\n  metrics:\n    enabled: true\n"
        head += "    listen: 127.0.0.1:0\n"
        self.config.write_text(head + body, encoding="utf-8")

    def upgrade(self) -> Database:
        cmd = [sys.executable, "-m", "monitor", "--config", str(self.config), "db", "upgrade"]
        subprocess.run(cmd, check=True, capture_output=True)
        return Database(self.url)

    def start(self) -> None:
        cmd = [sys.executable, "-m", "monitor", "--config", str(self.config), "run"]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=log, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        # up once it says so: the endpoint listens a moment before the tasks have started
        assert wait_for(lambda: self.port is not None and bool(self.events("started")), 30), (
            self.text
        )

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    @property
    def port(self) -> int | None:
        found = re.search(r'"event": "endpoint_listening".*?"port": (\d+)', self.text)
        return int(found.group(1)) if found else None

    def events(self, event: str) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == event]

    def healthz(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as r:
                return dict(json.load(r))
        except urllib.error.HTTPError as failing:  # 503
            return dict(json.load(failing))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(tmp_path)
    yield d
    if d.proc is not None:
        assert d.stop() == 0, d.text


def sql(url: str, statement: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def test_a_dripping_receiver_holds_only_its_own_channel(daemon: Daemon) -> None:
    with HostileServer() as hostile, WebhookReceiver() as good:
        drip = hostile.serve("/drip", Answer(b"x" * 2000, drip=0.5))  # 1,000 s for the answer
        daemon.write(
            "channels:\n"
            f"  stuck:\n    type: webhook\n    url: {drip}\n"
            f"  good:\n    type: webhook\n    url: {good.url}\n"
            "alerts:\n  send_deadline: 3s\n  retry_delay: 1h\n"
        )
        db = daemon.upgrade()
        for i in range(3):  # queued first: the longest waiting
            enqueue(db, "stuck", f"ev-stuck-{i}", datetime.now(UTC))
        for i in range(3):
            enqueue(db, "good", f"ev-good-{i}", datetime.now(UTC))
        daemon.start()

        assert len(good.wait_for(3, timeout=30)) == 3
        assert all(r.status != "sent" for r in rows(db, "stuck"))
        assert wait_for(lambda: any(r.attempts for r in rows(db, "stuck")), 30), daemon.text
        failed = [r for r in rows(db, "stuck") if r.attempts]
        assert "send deadline" in (failed[0].last_error or "")
        assert failed[0].status == "pending"  # retried later, not lost
        assert [r.status for r in rows(db, "good")] == ["sent"] * 3
        assert daemon.alive()
        db.dispose()


def test_a_crashed_delivery_task_restarts_and_healthz_says_so(daemon: Daemon) -> None:
    """The outbox table goes missing under the running daemon (renamed away by hand):
    the delivery task crashes, is restarted with backoff while /healthz names it, and
    delivers again once the table is back."""
    with WebhookReceiver() as good:
        daemon.write(f"channels:\n  good:\n    type: webhook\n    url: {good.url}\n")
        db = daemon.upgrade()
        daemon.start()
        sql(daemon.url, "ALTER TABLE alerts RENAME TO alerts_away")
        try:
            assert wait_for(lambda: len(daemon.events("task_restarting")) >= 2, 60), daemon.text
            health = daemon.healthz()
            assert health["status"] == "failing"
            assert any("task 'delivery' crashed" in r for r in health["reasons"]), health
            assert health["tasks"]["delivery"]["crashes"] >= 2
            assert "no such table" in health["tasks"]["delivery"]["last_error"]
        finally:
            sql(daemon.url, "ALTER TABLE alerts_away RENAME TO alerts")
        enqueue(db, "good", "ev-after", datetime.now(UTC))
        assert len(good.wait_for(1, timeout=90)) == 1, daemon.text
        health = daemon.healthz()
        assert health["tasks"]["delivery"]["running"] is True
        assert any("restarted" in r for r in health["reasons"]), health
        assert daemon.alive()
        db.dispose()


ALIAS_BOMB = "bomb:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
    for p, n in zip("abcdefg", "bcdefgh", strict=True)
)
RECURSIVE = "feeds: &feeds\n  - name: loop\n    url: http://127.0.0.1/\n    tags: *feeds\n"


def test_an_alias_bomb_and_a_recursive_alias_are_refused_and_a_good_edit_lands(
    daemon: Daemon,
) -> None:
    with FeedServer(FIXTURES) as server:

        def feeds(*names: str) -> str:
            paths = {"wire": "/rss20.xml", "json": "/jsonfeed.json"}
            return "feeds:\n" + "".join(
                f"  - name: {n}\n    url: {server.url(paths[n])}\n" for n in names
            )

        daemon.write(feeds("wire"))
        daemon.upgrade().dispose()
        daemon.start()

        def polled(name: str) -> bool:
            query = f"SELECT count(*) FROM feeds WHERE name='{name}' AND last_success IS NOT NULL"
            return bool(sql(daemon.url, query))

        assert wait_for(lambda: polled("wire"), 30), daemon.text

        def refused(body: str, reason: str) -> bool:
            """Save ``body`` (again, until the watcher has seen it) and wait for its refusal."""

            def seen() -> bool:
                if not any(reason in e["error"] for e in daemon.events("config_rejected")):
                    daemon.write(body)
                    return False
                return True

            return wait_for(seen, 30, every=1.0)

        assert refused(feeds("wire") + ALIAS_BOMB, "expands to more than"), daemon.text
        rejected = [e for e in daemon.events("config_rejected") if "expands" in e["error"]]
        assert re.match(rf"{re.escape(str(daemon.config))}:\d+: bomb\.", rejected[0]["error"])
        assert "expands to more than" in daemon.healthz().get("config_error", "")

        assert refused(RECURSIVE, "an alias refers to a node that contains it"), daemon.text
        assert daemon.alive()

        daemon.write(feeds("wire", "json"))  # a good edit: the watcher is still there
        assert wait_for(lambda: polled("json"), 30), daemon.text
        assert daemon.events("config_reloaded")
        assert "config_error" not in daemon.healthz()
