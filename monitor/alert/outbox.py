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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.alert.channels.base import Channel
from monitor.alert.digest import make_digests
from monitor.alert.message import AlertMessage, notice
from monitor.alert.route import message_from_dict, queue_message
from monitor.clock import utcnow
from monitor.config.channels import ChannelConfig
from monitor.errors import DeliveryError, MonitorError
from monitor.log import log_event
from monitor.retry import MAX_RETRY_AFTER, backoff
from monitor.store.db import Database, Session
from monitor.store.outbox import (
    FailedAlert,
    claim_due_alerts,
    due_unclaimed,
    first_sent_since,
    hold_until,
    mark_dead,
    pending_of_kind,
    record_failed,
    record_sent,
    release_claims,
    retry_at,
    sent_since,
    set_payload,
    set_status,
)

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
            release_claims(session)

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
            return claim_due_alerts(session, self.instance, now, CLAIM_LEASE, BATCH)

    def _hold_quiet_and_fold_storms(self, session: Session, now: datetime) -> None:
        for name, config in self.configs.items():
            until = config.quiet_until(now)
            if until is not None:
                hold_until(session, name, until)
                continue
            self._fold_storm(session, name, config, now)

    def _fold_storm(
        self, session: Session, name: str, config: ChannelConfig, now: datetime
    ) -> None:
        since = now - config.window
        recent = sent_since(session, name, IMMEDIATE_KINDS, since)
        room = config.max_per_window - recent
        due = due_unclaimed(session, name, IMMEDIATE_KINDS, now)
        if len(due) <= max(room, 0):
            return
        overflow = due[max(room, 0) :]
        first_free = self._window_frees_at(session, name, config, now)
        summary = pending_of_kind(session, name, "storm")
        items = [payload for _, payload in overflow]
        if summary is None:
            key = f"storm:{name}:{overflow[0][0]}"
            msg = storm_message(key, [message_from_dict(i) for i in items], now)
            queue_message(
                session, msg, channel=name, kind="storm", next_attempt=first_free, now=now
            )
        else:
            summary_id, payload = summary
            payload["items"] = [*payload.get("items", []), *items]
            payload["headline"] = storm_headline(len(payload["items"]))
            set_payload(session, summary_id, payload)
        set_status(session, [alert_id for alert_id, _ in overflow], "folded")
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
        oldest = first_sent_since(session, name, now - config.window)
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
            channel = record_sent(session, alert_id, self.instance, now, detail)
            if channel is not None:
                self._count(channel, "sent")

    def _failed(self, alert_id: int, exc: DeliveryError) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = record_failed(session, alert_id, self.instance, str(exc))
            if row is None:
                return
            if exc.permanent or row.attempts >= self.settings.max_attempts:
                mark_dead(session, alert_id)
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
            retry_at(session, alert_id, now + timedelta(seconds=delay))
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
        """``retry_delay × 2^(attempts-1)``, capped, minus up to 20 % jitter; ≥ Retry-After
        (honoured up to ``MAX_RETRY_AFTER``: a day)."""
        s = self.settings
        delay = backoff(s.retry_delay, attempts - 1, cap=s.max_delay, random=self.rng.random)
        return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER))

    def _announce_dead(self, session: Session, dead: FailedAlert, now: datetime) -> None:
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
    return notice(
        "storm",
        key,
        event_type="storm",
        headline=storm_headline(len(items)),
        summary="More alerts arrived than this channel's limit allows; here they are in one.",
        at=now,
        items=items,
    )


def health_message(key: str, channel: str, error: str, now: datetime) -> AlertMessage:
    return notice(
        "health",
        key,
        event_type="health",
        headline=f"stmon cannot deliver alerts to channel '{channel}'",
        summary=f"An alert to '{channel}' was given up after repeated failures: {error}. "
        f"See `stmon alerts --status dead`; resend with `stmon alerts retry ID`.",
        at=now,
    )
