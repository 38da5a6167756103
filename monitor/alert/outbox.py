"""The delivery worker: drains the outbox, pending → sent | retry → dead.

Each pass claims due rows (a lease in ``claimed_by``/``claimed_until``; on PostgreSQL
with ``FOR UPDATE SKIP LOCKED`` so several instances never take the same row), sends
each through its channel outside any transaction, and records the outcome only for
rows it still holds. A failure is retried with exponential backoff and jitter (never
sooner than the server's Retry-After) until ``max_attempts``; a permanent refusal or
the last attempt marks the row dead, which is logged and announced through every other
channel that still works. Before sending, quiet hours hold a row until they end, and
storm control folds what passes a channel's cap into one summary. An alert is marked
sent only after its channel took it; a crash in between re-sends it with the same
idempotency key (Message-ID / Idempotency-Key), so careful receivers see it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.alert.channels.base import Channel
from monitor.alert.digest import make_digests
from monitor.alert.message import AlertMessage
from monitor.alert.route import message_from_dict, queue_message
from monitor.config.channels import ChannelConfig
from monitor.errors import DeliveryError, MonitorError
from monitor.log import log_event
from monitor.retry import backoff
from monitor.store.db import Database
from monitor.store.tables import Alert

if TYPE_CHECKING:
    from monitor.metrics import Metrics

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=2)
BATCH = 50
IMMEDIATE_KINDS = ("event", "update")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    max_attempts: int = 8
    retry_delay: float = 30.0
    max_delay: float = 3600.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        configs: Mapping[str, ChannelConfig],
        *,
        settings: DeliverySettings | None = None,
        instance: str = "local",
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.channels = channels
        self.configs = configs
        self.settings = settings or DeliverySettings()
        self.instance = instance
        self.clock = clock
        self.rng = rng or random.Random()
        self.wake = asyncio.Event()

    def release_claims(self) -> None:
        """Forget leases held by earlier runs (single-instance databases, at start)."""
        with self.db.session() as session:
            session.execute(
                update(Alert)
                .where(Alert.status == "pending", Alert.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set; wakes early when ``wake`` is set."""
        while not stop.is_set():
            # cleared before the pass, not after: a wake-up that comes during the pass
            # (an alert committed after its query) starts the next pass at once
            self.wake.clear()
            try:
                await self.deliver_due()
            except MonitorError as exc:  # the database went away: try again later
                log_event(log, logging.ERROR, "delivery_pass_failed", error=str(exc))
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def deliver_due(self) -> int:
        """One pass: send every due alert; returns how many were sent."""
        sent = 0
        while True:
            claimed = await asyncio.to_thread(self._claim)
            if not claimed:
                return sent
            for alert_id, channel, payload in claimed:
                sent += await self._deliver(alert_id, channel, payload)

    def _claim(self) -> list[tuple[int, str, dict[str, object]]]:
        now = self.clock()
        with self.db.session() as session:
            make_digests(session, self.configs, now)
            self._hold_quiet_and_fold_storms(session, now)
            query = (
                select(Alert)
                .where(
                    Alert.status == "pending",
                    Alert.next_attempt <= now,
                    or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
                )
                .order_by(Alert.next_attempt, Alert.id)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.claimed_by, row.claimed_until = self.instance, now + CLAIM_LEASE
            return [(row.id, row.channel, dict(row.payload)) for row in rows]

    def _hold_quiet_and_fold_storms(self, session: Session, now: datetime) -> None:
        for name, config in self.configs.items():
            until = config.quiet_until(now)
            if until is not None:
                session.execute(
                    update(Alert)
                    .where(
                        Alert.channel == name, Alert.status == "pending", Alert.next_attempt < until
                    )
                    .values(next_attempt=until)
                )
                continue
            self._fold_storm(session, name, config, now)

    def _fold_storm(
        self, session: Session, name: str, config: ChannelConfig, now: datetime
    ) -> None:
        since = now - config.window
        recent = (
            session.scalar(
                select(func.count()).where(
                    Alert.channel == name,
                    Alert.kind.in_(IMMEDIATE_KINDS),
                    Alert.status == "sent",
                    Alert.sent >= since,
                )
            )
            or 0
        )
        room = config.max_per_window - recent
        due = list(
            session.scalars(
                select(Alert)
                .where(
                    Alert.channel == name,
                    Alert.status == "pending",
                    Alert.kind.in_(IMMEDIATE_KINDS),
                    Alert.next_attempt <= now,
                    Alert.claimed_by.is_(None),
                )
                .order_by(Alert.next_attempt, Alert.id)
            )
        )
        if len(due) <= max(room, 0):
            return
        overflow = due[max(room, 0) :]
        first_free = self._window_frees_at(session, name, config, now)
        summary = session.scalar(
            select(Alert).where(
                Alert.channel == name, Alert.kind == "storm", Alert.status == "pending"
            )
        )
        items = [dict(row.payload) for row in overflow]
        if summary is None:
            key = f"storm:{name}:{overflow[0].id}"
            msg = storm_message(key, [message_from_dict(i) for i in items], now)
            queue_message(
                session, msg, channel=name, kind="storm", next_attempt=first_free, now=now
            )
        else:
            payload = dict(summary.payload)
            payload["items"] = [*payload.get("items", []), *items]
            payload["headline"] = storm_headline(len(payload["items"]))
            summary.payload = payload
        for row in overflow:
            row.status = "folded"
        log_event(
            log,
            logging.WARNING,
            "alert_storm",
            channel=name,
            folded=len(overflow),
            cap=config.max_per_window,
        )

    def _window_frees_at(
        self, session: Session, name: str, config: ChannelConfig, now: datetime
    ) -> datetime:
        oldest = session.scalar(
            select(func.min(Alert.sent)).where(
                Alert.channel == name, Alert.status == "sent", Alert.sent >= now - config.window
            )
        )
        return (oldest + config.window) if oldest else now + config.window

    async def _deliver(self, alert_id: int, name: str, payload: dict[str, object]) -> int:
        channel = self.channels.get(name)
        if channel is None:
            await asyncio.to_thread(
                self._failed,
                alert_id,
                DeliveryError(f"channel '{name}' is not configured", permanent=True),
            )
            return 0
        try:
            receipt = await channel.send(message_from_dict(payload))
        except DeliveryError as exc:
            await asyncio.to_thread(self._failed, alert_id, exc)
            return 0
        await asyncio.to_thread(self._sent, alert_id, receipt.detail)
        log_event(
            log, logging.INFO, "alert_sent", alert=alert_id, channel=name, detail=receipt.detail
        )
        return 1

    def _sent(self, alert_id: int, detail: str) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(Alert, alert_id)
            if row is None or row.claimed_by != self.instance:
                return
            row.status, row.sent, row.detail = "sent", now, detail[:2000]
            self._count(row.channel, "sent")
            row.attempts += 1
            row.claimed_by = row.claimed_until = None

    def _failed(self, alert_id: int, exc: DeliveryError) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(Alert, alert_id)
            if row is None or row.claimed_by != self.instance:
                return
            row.attempts += 1
            row.last_error = str(exc)[:2000]
            row.claimed_by = row.claimed_until = None
            if exc.permanent or row.attempts >= self.settings.max_attempts:
                row.status = "dead"
                self._count(row.channel, "dead")
                log_event(
                    log,
                    logging.ERROR,
                    "alert_dead",
                    alert=alert_id,
                    channel=row.channel,
                    attempts=row.attempts,
                    error=str(exc),
                )
                self._announce_dead(session, row, now)
                return
            self._count(row.channel, "retry")
            delay = self.retry_delay(row.attempts, exc.retry_after)
            row.next_attempt = now + timedelta(seconds=delay)
            log_event(
                log,
                logging.WARNING,
                "alert_retry",
                alert=alert_id,
                channel=row.channel,
                attempts=row.attempts,
                retry_in=round(delay),
                error=str(exc),
            )

    def _count(self, channel: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.record_alert(channel, outcome)

    def retry_delay(self, attempts: int, retry_after: float | None) -> float:
        """``retry_delay × 2^(attempts-1)``, capped, minus up to 20 % jitter; ≥ Retry-After."""
        s = self.settings
        delay = backoff(s.retry_delay, attempts - 1, cap=s.max_delay, random=self.rng.random)
        return max(delay, retry_after or 0.0)

    def _announce_dead(self, session: Session, dead: Alert, now: datetime) -> None:
        """Tell every other enabled channel that ``dead.channel`` is failing."""
        if dead.kind == "health":
            return
        for name, config in self.configs.items():
            if name == dead.channel or not config.enabled:
                continue
            key = f"health:{dead.channel}:{dead.id}:{name}"
            msg = health_message(key, dead.channel, dead.last_error or "", now)
            queue_message(session, msg, channel=name, kind="health", next_attempt=now, now=now)


def storm_headline(count: int) -> str:
    return f"{count} more alerts held back by storm control"


def storm_message(key: str, items: list[AlertMessage], now: datetime) -> AlertMessage:
    return AlertMessage(
        alert_id=key,
        idempotency_key=key,
        kind="storm",
        event_id="",
        event_type="storm",
        headline=storm_headline(len(items)),
        summary="More alerts arrived than this channel's limit allows; here they are in one.",
        first_seen=now,
        items=items,
        state="",
    )


def health_message(key: str, channel: str, error: str, now: datetime) -> AlertMessage:
    return AlertMessage(
        alert_id=key,
        idempotency_key=key,
        kind="health",
        event_id="",
        event_type="health",
        headline=f"stmon cannot deliver alerts to channel '{channel}'",
        summary=f"An alert to '{channel}' was given up after repeated failures: {error}. "
        f"See `stmon alerts --status dead`; resend with `stmon alerts retry ID`.",
        first_seen=now,
        state="",
    )
