"""The delivery worker: drains the outbox, pending → sent | retry → dead.

Each channel is a lane of its own: a lane claims that channel's due rows (a lease in
``claimed_by``/``claimed_until``; on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so
several instances never take the same row), sends them one after another outside any
transaction, and records each outcome only for rows it still holds. Every send has an
overall deadline (``send_deadline``), so a receiver that answers a byte at a time holds
its own lane for that long at most, and the other channels' lanes go on meanwhile.

Whatever a send raises is that alert's failure. A failure is retried with exponential
backoff and jitter (never sooner than the server's Retry-After) until the alert has
been failing for ``give_up_after`` (or made ``max_attempts``, when set); a permanent
refusal, a template that cannot render, or giving up marks the row dead, which is
logged, counted, shown by ``stmon alerts`` and /healthz, and announced through every
other channel that still works. Before sending, quiet hours hold a row until they end,
and storm control folds what passes a channel's cap into one summary. An alert is
marked sent only after its channel took it; a crash in between re-sends it with the
same idempotency key (Message-ID / Idempotency-Key), so careful receivers see it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.alert.channels.base import Channel, DeliveryReceipt
from monitor.alert.digest import make_digests
from monitor.alert.message import AlertMessage, notice
from monitor.alert.route import message_from_dict, queue_message
from monitor.clock import utcnow
from monitor.config.channels import ChannelConfig
from monitor.errors import ConfigError, DeliveryError, MonitorError
from monitor.log import log_event
from monitor.retry import MAX_RETRY_AFTER, backoff
from monitor.store.db import Database, Session
from monitor.store.outbox import (
    FailedAlert,
    claim_due_alerts,
    due_channels,
    due_unclaimed,
    first_sent_since,
    hold_until,
    mark_dead,
    pending_of_kind,
    queued_since_last_sent,
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
BATCH = 10  # alerts a lane claims at once: its lease covers each one's send deadline
IMMEDIATE_KINDS = ("event", "update")
MAX_ROUNDS = 10  # rounds of one deliver_due: each round's failures are due only later


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    give_up_after: float = 86400.0  # seconds an alert may keep failing before it is dead
    max_attempts: int | None = None  # when set, also dead after this many attempts
    retry_delay: float = 30.0
    max_delay: float = 3600.0
    send_deadline: float = 60.0  # seconds one send may take in all


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
        self.lanes: dict[str, asyncio.Task[int]] = {}

    def release_claims(self) -> None:
        """Forget leases held by earlier runs (single-instance databases, at start)."""
        with self.db.session() as session:
            release_claims(session)

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set; wakes early when ``wake`` is set.

        Each pass makes the due digests, then starts a lane for every channel with due
        alerts that has none running; a lane stuck on a slow receiver is left to finish
        (within the send deadline per alert) while the others start again. A lane that
        fails (the database went away) leaves its claimed rows to their lease: they are
        claimed again when it ends. Anything raised here ends the task, and its
        keeper (``monitor.service.tasks``) logs it and starts it again.
        """
        try:
            while not stop.is_set():
                # cleared before the pass, not after: a wake-up that comes during the pass
                # (an alert committed after its query) starts the next pass at once
                self.wake.clear()
                self._settle_lanes()
                for name in await asyncio.to_thread(self._due_channels):
                    if name not in self.lanes:
                        self.lanes[name] = asyncio.create_task(
                            self._lane(name, stop), name=f"delivery:{name}"
                        )
                waiters: list[asyncio.Future[Any]] = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self.wake.wait()),
                    *self.lanes.values(),
                ]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters[:2]:
                    waiter.cancel()
        finally:  # lanes end after the alert they are sending (within its deadline)
            lanes = list(self.lanes.values())
            if lanes:
                await asyncio.wait(lanes, timeout=self.settings.send_deadline + 1.0)
            for lane in lanes:
                lane.cancel()
            self.lanes.clear()

    def _settle_lanes(self) -> None:
        """Forget finished lanes; a lane that raised is logged (its rows are claimed again
        when their lease ends) and raised again if it is not a store failure."""
        for name, lane in list(self.lanes.items()):
            if not lane.done():
                continue
            del self.lanes[name]
            exc = None if lane.cancelled() else lane.exception()
            if exc is None:
                continue
            if not isinstance(exc, MonitorError):
                raise exc
            log_event(log, logging.ERROR, "delivery_lane_failed", channel=name, error=str(exc))

    async def deliver_due(self) -> int:
        """Send every due alert, the channels side by side, until none is due (what a
        pass queues, such as the news of a dead alert, goes out too); returns how many
        were sent."""
        sent = 0
        for _ in range(MAX_ROUNDS):
            names = await asyncio.to_thread(self._due_channels)
            if not names:
                break
            lanes = (self._lane(name) for name in names)
            counts = await asyncio.gather(*lanes, return_exceptions=True)
            for count in counts:
                if isinstance(count, BaseException):
                    raise count  # the other lanes have finished: their outcomes are recorded
            sent += sum(c for c in counts if isinstance(c, int))
        return sent

    def _due_channels(self) -> list[str]:
        now = self.clock()
        with self.db.session() as session:
            make_digests(session, self.configs, now)
            return due_channels(session, now)

    async def _lane(self, name: str, stop: asyncio.Event | None = None) -> int:
        """Send ``name``'s due alerts one after another until none is due (or ``stop``
        is set: the alerts claimed and not sent are claimed again when the lease ends, or
        at the next start)."""
        sent = 0
        while True:
            claimed = await asyncio.to_thread(self._claim, name)
            if not claimed:
                return sent
            for alert_id, _channel, payload in claimed:
                if stop is not None and stop.is_set():
                    return sent
                sent += await self._deliver(alert_id, name, payload)

    def _claim(self, name: str) -> list[tuple[int, str, dict[str, object]]]:
        now = self.clock()
        lease = CLAIM_LEASE + BATCH * timedelta(seconds=self.settings.send_deadline)
        with self.db.session() as session:
            config = self.configs.get(name)
            if config is not None:
                until = config.quiet_until(now)
                if until is not None:
                    hold_until(session, name, until)
                    return []
                self._fold_storm(session, name, config, now)
            return claim_due_alerts(session, self.instance, now, lease, BATCH, channel=name)

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
        """Send one alert within the send deadline; any failure is this alert's."""
        try:
            receipt = await self._send(name, payload)
        except DeliveryError as exc:
            await asyncio.to_thread(self._failed, alert_id, exc)
            return 0
        await asyncio.to_thread(self._sent, alert_id, receipt.detail)
        log_event(
            log, logging.INFO, "alert_sent", alert=alert_id, channel=name, detail=receipt.detail
        )
        return 1

    async def _send(self, name: str, payload: Mapping[str, object]) -> DeliveryReceipt:
        """The channel's receipt, or DeliveryError for whatever went wrong."""
        channel = self.channels.get(name)
        if channel is None:
            raise DeliveryError(f"channel '{name}' is not configured", permanent=True)
        deadline = self.settings.send_deadline
        try:
            msg = message_from_dict(payload)
            async with asyncio.timeout(deadline):
                return await channel.send(msg)
        except DeliveryError:
            raise
        except TimeoutError:
            raise DeliveryError(f"not sent within the send deadline ({deadline:g} s)") from None
        except ConfigError as exc:  # a template that cannot render this alert
            raise DeliveryError(f"cannot render the alert: {exc}", permanent=True) from exc
        except Exception as exc:  # a channel's own failure: this alert's, retried or dead
            log.exception("delivery_crashed channel=%s", name)
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise DeliveryError(f"sending failed unexpectedly: {reason}") from exc

    def _sent(self, alert_id: int, detail: str) -> None:
        now = self.clock()
        with self.db.session() as session:
            channel = record_sent(session, alert_id, self.instance, now, detail)
            if channel is not None:
                self._count(channel, "sent")

    def _failed(self, alert_id: int, exc: DeliveryError) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = record_failed(session, alert_id, self.instance, str(exc), now)
            if row is None:
                return
            if exc.permanent or self._given_up(row, now):
                mark_dead(session, alert_id, now)
                self._count(row.channel, "dead")
                log_event(
                    log,
                    logging.ERROR,
                    "alert_dead",
                    alert=alert_id,
                    channel=row.channel,
                    attempts=row.attempts,
                    permanent=exc.permanent,
                    failing_for=round((now - row.failing_since).total_seconds()),
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

    def _given_up(self, row: FailedAlert, now: datetime) -> bool:
        """Has ``row`` been failing for ``give_up_after`` (or made ``max_attempts``)?"""
        s = self.settings
        if s.max_attempts is not None and row.attempts >= s.max_attempts:
            return True
        return (now - row.failing_since).total_seconds() >= s.give_up_after

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
        """Tell every other enabled channel that ``dead.channel`` is failing, once a spell:
        a channel told since the last alert that got through to ``dead.channel`` is not
        told again (the dead alerts are listed by `stmon alerts --status dead`)."""
        if dead.kind == "health":
            return
        spell = f"health:{dead.channel}:"
        for name, config in self.configs.items():
            if name == dead.channel or not config.enabled:
                continue
            if queued_since_last_sent(session, spell, name, about=dead.channel):
                continue
            key = f"{spell}{dead.id}:{name}"
            msg = health_message(key, dead.channel, dead.last_error or "", dead.attempts, now)
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


def health_message(
    key: str, channel: str, error: str, attempts: int, now: datetime
) -> AlertMessage:
    why = f"after {attempts} failed attempt{'s' if attempts != 1 else ''}"
    return notice(
        "health",
        key,
        event_type="health",
        headline=f"stmon cannot deliver alerts to channel '{channel}'",
        summary=f"An alert to '{channel}' was given up {why}: {error}. "
        f"Alerts to '{channel}' given up after it are not announced until one gets "
        "through. See `stmon alerts --status dead`; resend with `stmon alerts retry ID`.",
        at=now,
    )
