"""The outbox against real servers: retries, dead alerts, quiet hours, digests, storms."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from monitor.alert.channels import make_channel
from monitor.alert.channels.email import message_id
from monitor.alert.outbox import DeliverySettings, DeliveryWorker
from monitor.alert.route import message_to_dict
from monitor.cli import main
from monitor.config.channels import ChannelConfig
from monitor.retry import MAX_RETRY_AFTER
from monitor.store.db import Database
from monitor.store.outbox import add_alert
from monitor.store.tables import Alert
from tests.support.alerts import make_message
from tests.support.clock import Clock
from tests.support.smtp import SMTPServer
from tests.support.webhook import Reply, WebhookReceiver

START = datetime(2025, 6, 2, 10, 10, tzinfo=UTC)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def channel_configs(raw: dict[str, dict[str, Any]]) -> dict[str, ChannelConfig]:
    adapter: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)
    return {name: adapter.validate_python(data) for name, data in raw.items()}


def worker(
    db: Database, raw: dict[str, dict[str, Any]], clock: Clock, **settings: Any
) -> DeliveryWorker:
    configs = channel_configs(raw)
    channels = {name: make_channel(name, config) for name, config in configs.items()}
    return DeliveryWorker(db, channels, configs, settings=DeliverySettings(**settings), clock=clock)


def enqueue(
    db: Database, channel: str, n: int, now: datetime, delivery: str = "immediate", first: int = 0
) -> None:
    """Queue ``n`` event alerts to ``channel``: events ``first``, ``first + 1``, ..."""
    with db.session() as session:
        for i in range(first, first + n):
            key = f"ev-{i}:new:{channel}:{delivery}"
            msg = make_message(event_id=f"ev-{i}", headline=f"Event number {i}")
            add_alert(
                session,
                key=key,
                channel=channel,
                kind="event",
                delivery=delivery,
                payload=message_to_dict(msg, alert_id=key, key=key),
                event_id=None,
                next_attempt=now,
                now=now,
            )


def alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def deliver(w: DeliveryWorker) -> int:
    return asyncio.run(w.deliver_due())


def test_webhook_500_then_200_arrives_once_with_the_same_key(
    db: Database, hook: WebhookReceiver
) -> None:
    clock = Clock(START)
    w = worker(db, {"hook": {"type": "webhook", "url": hook.url, "secret": "s3"}}, clock)
    hook.program(Reply(500))
    enqueue(db, "hook", 1, clock.now)
    assert deliver(w) == 0
    [row] = alerts(db)
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt > clock.now
    assert deliver(w) == 0  # not due yet: no second request
    assert len(hook.requests) == 1
    clock.advance(hours=1)
    assert deliver(w) == 1
    first, second = hook.wait_for(2)
    assert (first.status, second.status) == (500, 200)
    assert (
        first.header("Idempotency-Key") == second.header("Idempotency-Key") == row.idempotency_key
    )
    assert deliver(w) == 0
    assert len(hook.requests) == 2
    [row] = alerts(db)
    assert row.status == "sent" and row.attempts == 2 and "200" in (row.detail or "")


def test_smtp_down_then_up_delivers_exactly_once(db: Database) -> None:
    clock = Clock(START)
    with SMTPServer() as smtp:
        raw = {
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": smtp.port,
                "security": "none",
                "from": "stmon@example.org",
                "to": ["desk@example.org"],
            }
        }
        w = worker(db, raw, clock)
        smtp.stop()
        enqueue(db, "mail", 1, clock.now)
        for _ in range(2):
            assert deliver(w) == 0
            clock.advance(hours=1)
        smtp.start()
        assert deliver(w) == 1
        assert deliver(w) == 0
        [mail] = smtp.wait_for(1)
        assert len(smtp.messages) == 1
    [row] = alerts(db)
    assert row.status == "sent" and row.attempts == 3
    assert mail.message["Message-ID"] == message_id(row.idempotency_key, "stmon@example.org")


def test_permanent_refusal_goes_dead_is_listed_and_announced(
    db: Database, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    clock = Clock(START)
    raw = {"hook": {"type": "webhook", "url": hook.url}, "console": {"type": "log"}}
    w = worker(db, raw, clock)
    hook.program(then=Reply(400, body=b"bad payload"))
    enqueue(db, "hook", 1, clock.now)
    deliver(w)
    rows = alerts(db)
    dead = [r for r in rows if r.channel == "hook"]
    assert [r.status for r in dead] == ["dead"] and dead[0].attempts == 1
    assert "400" in (dead[0].last_error or "")
    health = [r for r in rows if r.kind == "health"]
    assert [r.channel for r in health] == ["console"] and health[0].status == "sent"
    assert "was given up after 1 failed attempt: " in health[0].payload["summary"]

    assert main(["alerts", "--status", "dead", "--json", "--db", db_url]) == 0
    assert f'"id": {dead[0].id}' in capsys.readouterr().out
    assert main(["alerts", "--channel", "hook", "--status", "sent", "--db", db_url]) == 0
    assert main(["alerts", "--channel", "hoook", "--db", db_url]) == 1  # a typo
    err = capsys.readouterr().err
    assert "error: no alert to a channel named 'hoook' in the store" in err
    assert "hint: channels with alerts: console, hook" in err
    assert main(["alerts", "retry", str(dead[0].id), "--db", db_url]) == 0
    hook.program(then=Reply(200))
    clock.now = datetime.now(UTC) + timedelta(seconds=1)  # retry queues it for the real now
    deliver(w)
    assert {r.channel: r.status for r in alerts(db) if r.kind == "event"} == {"hook": "sent"}


def test_dead_alerts_are_announced_once_a_spell_to_each_other_channel(
    db: Database, hook: WebhookReceiver
) -> None:
    """Three alerts to a refusing webhook die: each other channel hears of it once. After
    an alert gets through to it, the next one that dies starts a new spell, announced."""
    clock = Clock(START)
    raw = {
        "hook": {"type": "webhook", "url": hook.url},
        "console": {"type": "log"},
        "desk": {"type": "log"},
    }
    w = worker(db, raw, clock)
    hook.program(then=Reply(400, body=b"bad payload"))
    enqueue(db, "hook", 3, clock.now)
    deliver(w)
    assert [r.status for r in alerts(db) if r.channel == "hook"] == ["dead"] * 3
    health = [r for r in alerts(db) if r.kind == "health"]
    assert sorted(r.channel for r in health) == ["console", "desk"]
    assert all(r.status == "sent" for r in health)

    clock.advance(hours=1)
    hook.program(then=Reply(200))
    enqueue(db, "hook", 1, clock.now, first=3)
    assert deliver(w) == 1
    clock.advance(hours=1)
    hook.program(then=Reply(400, body=b"bad payload"))
    enqueue(db, "hook", 1, clock.now, first=4)
    deliver(w)
    health = [r for r in alerts(db) if r.kind == "health"]
    assert sorted(r.channel for r in health) == ["console", "console", "desk", "desk"]


def test_temporary_failures_give_up_after_max_attempts(db: Database, hook: WebhookReceiver) -> None:
    clock = Clock(START)
    raw = {"hook": {"type": "webhook", "url": hook.url}, "console": {"type": "log"}}
    w = worker(db, raw, clock, max_attempts=3)
    hook.program(then=Reply(503))
    enqueue(db, "hook", 1, clock.now)
    for _ in range(5):
        deliver(w)
        clock.advance(hours=2)
    assert len(hook.requests) == 3
    [dead] = [r for r in alerts(db) if r.channel == "hook"]
    assert dead.status == "dead"
    [health] = [r for r in alerts(db) if r.kind == "health"]
    assert "was given up after 3 failed attempts: " in health.payload["summary"]


def test_retry_after_is_respected(db: Database, hook: WebhookReceiver) -> None:
    clock = Clock(START)
    w = worker(db, {"hook": {"type": "webhook", "url": hook.url}}, clock, retry_delay=1)
    hook.program(Reply(429, headers={"Retry-After": "600"}))
    enqueue(db, "hook", 1, clock.now)
    deliver(w)
    assert alerts(db)[0].next_attempt >= START + timedelta(seconds=600)
    clock.advance(seconds=300)
    deliver(w)
    assert len(hook.requests) == 1


def test_quiet_hours_hold_alerts_until_they_end(db: Database, hook: WebhookReceiver) -> None:
    clock = Clock(datetime(2025, 6, 2, 22, 30, tzinfo=UTC))
    raw = {"hook": {"type": "webhook", "url": hook.url, "quiet_hours": "22:00-07:00"}}
    w = worker(db, raw, clock)
    enqueue(db, "hook", 1, clock.now)
    assert deliver(w) == 0
    clock.advance(hours=8)  # 06:30
    assert deliver(w) == 0
    assert alerts(db)[0].next_attempt == datetime(2025, 6, 3, 7, 0, tzinfo=UTC)
    clock.advance(minutes=31)  # 07:01
    assert deliver(w) == 1
    assert len(hook.requests) == 1


def test_hourly_digest_groups_what_was_queued_and_skips_empty_periods(
    db: Database, hook: WebhookReceiver
) -> None:
    clock = Clock(START)  # 10:10
    w = worker(db, {"hook": {"type": "webhook", "url": hook.url, "digest": "hourly"}}, clock)
    enqueue(db, "hook", 3, clock.now, delivery="digest")
    assert deliver(w) == 0
    clock.advance(minutes=49)  # 10:59: the period has not closed
    assert deliver(w) == 0
    clock.advance(minutes=2)  # 11:01
    assert deliver(w) == 1
    [request] = hook.wait_for(1)
    body = request.json()
    assert body["kind"] == "digest" and len(body["items"]) == 3
    clock.advance(hours=3)
    assert deliver(w) == 0
    assert len(hook.requests) == 1
    assert [r.status for r in alerts(db) if r.kind == "event"] == ["digested"] * 3


def test_storm_control_folds_the_excess_into_one_summary(
    db: Database, hook: WebhookReceiver
) -> None:
    clock = Clock(START)
    raw = {"hook": {"type": "webhook", "url": hook.url, "max_per_window": 2, "window": "1h"}}
    w = worker(db, raw, clock)
    enqueue(db, "hook", 5, clock.now)
    assert deliver(w) == 2
    enqueue(db, "hook", 7, clock.now)  # the same keys: nothing new
    clock.advance(minutes=10)
    assert deliver(w) == 0
    clock.advance(hours=1)
    assert deliver(w) == 1
    bodies = [r.json() for r in hook.wait_for(3)]
    assert [b["kind"] for b in bodies] == ["event", "event", "storm"]
    assert len(bodies[2]["items"]) == 5  # three queued at first, two more of the second batch
    statuses = [r.status for r in alerts(db) if r.kind == "event"]
    assert statuses.count("sent") == 2 and statuses.count("folded") == 5


def test_an_alert_queued_during_a_pass_is_sent_without_waiting_for_the_idle_timer(
    db: Database, hook: WebhookReceiver
) -> None:
    """The poller commits an alert and wakes the worker while the worker's pass is still
    running (its query came too early to see it): that wake-up must start another pass."""
    clock = Clock(START)
    configs = channel_configs({"hook": {"type": "webhook", "url": hook.url, "secret": "s"}})
    channels = {name: make_channel(name, config) for name, config in configs.items()}

    class RacedWorker(DeliveryWorker):
        raced = False

        def _due_channels(self) -> list[str]:
            due = super()._due_channels()
            if not self.raced:  # after this pass's query, an alert is committed and we are woken
                self.raced = True
                enqueue(db, "hook", 1, clock.now)
                self.wake.set()
            return due

    w = RacedWorker(db, channels, configs, clock=clock)

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(w.run(stop, idle=60.0))  # far longer than the wait below
        try:
            await asyncio.to_thread(hook.wait_for, 1, 10.0)
        finally:
            stop.set()
            await task

    asyncio.run(go())
    assert [a.status for a in alerts(db)] == ["sent"]


def test_retry_delay_doubles_within_jitter_up_to_the_cap_and_waits_for_retry_after(
    db: Database,
) -> None:
    w = worker(db, {}, Clock(START), retry_delay=30, max_delay=200)

    delays = [w.retry_delay(attempts, None) for attempts in range(1, 6)]

    for delay, expected in zip(delays, [30, 60, 120, 200, 200], strict=True):
        assert 0.8 * expected < delay <= expected
    assert w.retry_delay(1, 500.0) == 500.0
    assert w.retry_delay(1, float("inf")) == MAX_RETRY_AFTER  # a day at most, never an overflow
