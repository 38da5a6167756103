"""The outbox: alerts waiting for delivery, sent, dead, or folded into digests (``alerts``).

Rows are added with ``add_alert`` (keyed by an idempotency key, ON CONFLICT DO NOTHING),
claimed by a delivery worker with ``claim_due_alerts`` (a lease; on PostgreSQL ``FOR
UPDATE SKIP LOCKED``), and settled by ``record_sent`` or ``record_failed`` followed by
``mark_dead`` or ``retry_at``. Digests and storm control read the queue per channel.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store.driver import dialect_insert
from monitor.store.tables import Alert

Payload = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FailedAlert:
    """An alert whose delivery just failed, as ``record_failed`` left it."""

    id: int
    channel: str
    kind: str
    attempts: int
    last_error: str | None
    failing_since: datetime


def add_alert(
    session: Session,
    *,
    key: str,
    channel: str,
    kind: str,
    delivery: str,
    payload: Payload,
    event_id: int | None,
    next_attempt: datetime,
    now: datetime,
    status: str | None = None,
) -> int:
    """Insert one outbox row unless its idempotency key exists; returns 1 if inserted."""
    result = session.execute(
        dialect_insert(session)(Alert)
        .values(
            idempotency_key=key,
            event_id=event_id,
            channel=channel,
            kind=kind,
            delivery=delivery,
            payload=payload,
            status=status or ("pending" if delivery == "immediate" else "digest"),
            attempts=0,
            next_attempt=next_attempt,
            created=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Alert.id)
    )
    return len(result.all())


def known_keys(session: Session, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` that some outbox row has already."""
    return set(
        session.scalars(select(Alert.idempotency_key).where(Alert.idempotency_key.in_(keys)))
    )


# --- the delivery worker ---------------------------------------------------------------


def release_claims(session: Session) -> None:
    """Forget every lease on pending alerts (single-instance databases, at start)."""
    session.execute(
        update(Alert)
        .where(Alert.status == "pending", Alert.claimed_by.is_not(None))
        .values(claimed_by=None, claimed_until=None)
    )


def due_channels(session: Session, now: datetime) -> list[str]:
    """The channels that have due pending alerts nobody holds, by name."""
    query = (
        select(Alert.channel)
        .where(
            Alert.status == "pending",
            Alert.next_attempt <= now,
            or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
        )
        .distinct()
        .order_by(Alert.channel)
    )
    return list(session.scalars(query))


def claim_due_alerts(
    session: Session,
    instance: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    channel: str | None = None,
) -> list[tuple[int, str, Payload]]:
    """Claim up to ``limit`` due pending alerts (to ``channel``, when given) for
    ``instance`` until ``now + lease``: (id, channel, payload), the longest waiting
    first. On PostgreSQL the rows are locked and locked rows skipped, so two instances
    never claim the same alert."""
    query = (
        select(Alert.id, Alert.channel, Alert.payload)
        .where(
            Alert.status == "pending",
            Alert.next_attempt <= now,
            or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
        )
        .order_by(Alert.next_attempt, Alert.id)
        .limit(limit)
    )
    if channel is not None:
        query = query.where(Alert.channel == channel)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [(row_id, channel, dict(payload)) for row_id, channel, payload in session.execute(query)]
    if rows:
        session.execute(
            update(Alert)
            .where(Alert.id.in_([row[0] for row in rows]))
            .values(claimed_by=instance, claimed_until=now + lease)
        )
    return rows


def record_sent(
    session: Session, alert_id: int, instance: str, now: datetime, detail: str
) -> str | None:
    """The alert was delivered: sent, its lease ended. Returns its channel, or None (and
    changes nothing) when ``instance`` no longer holds it."""
    row = session.get(Alert, alert_id)
    if row is None or row.claimed_by != instance:
        return None
    row.status, row.sent, row.detail = "sent", now, detail[:2000]
    row.attempts += 1
    row.failing_since = None
    row.claimed_by = row.claimed_until = None
    return row.channel


def record_failed(
    session: Session, alert_id: int, instance: str, error: str, now: datetime
) -> FailedAlert | None:
    """A delivery attempt failed at ``now``: one more attempt, the error kept, the lease
    ended, ``failing_since`` set by the first failure; then ``mark_dead`` or ``retry_at``.
    None (and nothing changed) when ``instance`` no longer holds the alert."""
    row = session.get(Alert, alert_id)
    if row is None or row.claimed_by != instance:
        return None
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_by = row.claimed_until = None
    if row.failing_since is None:
        row.failing_since = now
    return FailedAlert(
        row.id, row.channel, row.kind, row.attempts, row.last_error, row.failing_since
    )


def mark_dead(session: Session, alert_id: int, now: datetime) -> None:
    """Give up on an alert ``record_failed`` just settled (the same UPDATE: the row is held
    by the session, changed and not yet written); ``next_attempt`` keeps when."""
    row = _held(session, alert_id)
    row.status, row.next_attempt = "dead", now


def retry_at(session: Session, alert_id: int, when: datetime) -> None:
    """Try an alert ``record_failed`` just settled again at ``when`` (the same UPDATE)."""
    _held(session, alert_id).next_attempt = when


def _held(session: Session, alert_id: int) -> Alert:
    row = session.get(Alert, alert_id)  # changed rows stay in the session: no SELECT
    assert row is not None
    return row


# --- quiet hours, storms and digests ---------------------------------------------------


def hold_until(session: Session, channel: str, until: datetime) -> None:
    """Pending alerts to ``channel`` wait until ``until`` (quiet hours)."""
    session.execute(
        update(Alert)
        .where(Alert.channel == channel, Alert.status == "pending", Alert.next_attempt < until)
        .values(next_attempt=until)
    )


def sent_since(session: Session, channel: str, kinds: Sequence[str], since: datetime) -> int:
    """Alerts of ``kinds`` sent to ``channel`` since ``since``."""
    count = session.scalar(
        select(func.count()).where(
            Alert.channel == channel,
            Alert.kind.in_(kinds),
            Alert.status == "sent",
            Alert.sent >= since,
        )
    )
    return count or 0


def due_unclaimed(
    session: Session, channel: str, kinds: Sequence[str], now: datetime
) -> list[tuple[int, Payload]]:
    """(id, payload) of pending alerts of ``kinds`` to ``channel`` due and not claimed,
    the longest waiting first."""
    rows = session.execute(
        select(Alert.id, Alert.payload)
        .where(
            Alert.channel == channel,
            Alert.status == "pending",
            Alert.kind.in_(kinds),
            Alert.next_attempt <= now,
            Alert.claimed_by.is_(None),
        )
        .order_by(Alert.next_attempt, Alert.id)
    )
    return [(row_id, dict(payload)) for row_id, payload in rows]


def queued_since_last_sent(session: Session, key_prefix: str, channel: str, about: str) -> bool:
    """Whether an alert whose key starts with ``key_prefix`` was queued for ``channel``
    since the last alert sent to channel ``about`` (at any time, when none ever was)."""
    last_sent = (
        select(func.max(Alert.sent))
        .where(Alert.channel == about, Alert.status == "sent")
        .scalar_subquery()
    )
    found = session.scalar(
        select(Alert.id)
        .where(
            Alert.channel == channel,
            Alert.idempotency_key.startswith(key_prefix, autoescape=True),
            or_(last_sent.is_(None), Alert.created >= last_sent),
        )
        .limit(1)
    )
    return found is not None


def first_sent_since(session: Session, channel: str, since: datetime) -> datetime | None:
    """When the first alert sent to ``channel`` since ``since`` was sent."""
    return session.scalar(
        select(func.min(Alert.sent)).where(
            Alert.channel == channel, Alert.status == "sent", Alert.sent >= since
        )
    )


def pending_of_kind(session: Session, channel: str, kind: str) -> tuple[int, Payload] | None:
    """(id, payload) of a pending alert of ``kind`` to ``channel`` (a storm summary)."""
    row = session.execute(
        select(Alert.id, Alert.payload).where(
            Alert.channel == channel, Alert.kind == kind, Alert.status == "pending"
        )
    ).first()
    return None if row is None else (row[0], dict(row[1]))


def set_payload(session: Session, alert_id: int, payload: Payload) -> None:
    session.execute(update(Alert).where(Alert.id == alert_id).values(payload=payload))


def set_status(session: Session, alert_ids: Sequence[int], status: str) -> None:
    """Set the status of these alerts (``folded`` into a storm summary, ``digested``)."""
    for start in range(0, len(alert_ids), 500):
        chunk = alert_ids[start : start + 500]
        session.execute(update(Alert).where(Alert.id.in_(chunk)).values(status=status))


def digest_queue(session: Session, channel: str, before: datetime) -> list[tuple[int, Payload]]:
    """(id, payload) of alerts to ``channel`` waiting for a digest, queued before ``before``,
    oldest first."""
    rows = session.execute(
        select(Alert.id, Alert.payload)
        .where(Alert.channel == channel, Alert.status == "digest", Alert.created < before)
        .order_by(Alert.created, Alert.id)
    )
    return [(row_id, dict(payload)) for row_id, payload in rows]


def outbox_by_channel(session: Session) -> dict[str, dict[str, int]]:
    """Alerts per channel and status (pending, sent, dead, …)."""
    out: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Alert.channel, Alert.status, func.count()).group_by(Alert.channel, Alert.status)
    )
    for channel, status, count in rows:
        out.setdefault(channel, {})[status] = count
    return dict(sorted(out.items()))


# --- for `stmon alerts` ----------------------------------------------------------------


def list_alerts(
    session: Session, *, status: str | None = None, channel: str | None = None, limit: int
) -> list[dict[str, Any]]:
    """The newest alerts (in ``status``, to ``channel``), at most ``limit``, as records."""
    query = select(Alert).order_by(Alert.created.desc(), Alert.id.desc())
    if status:
        query = query.where(Alert.status == status)
    if channel:
        query = query.where(Alert.channel == channel)
    return [_alert_record(row) for row in session.scalars(query.limit(max(limit, 0)))]


def _alert_record(row: Alert) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt": row.next_attempt,
        "created": row.created,
        "sent": row.sent,
        "headline": row.payload.get("headline", ""),
        "event": row.payload.get("event_id", ""),
        "last_error": row.last_error,
        "failing_since": row.failing_since,
        "detail": row.detail,
        "idempotency_key": row.idempotency_key,
    }


def requeue_dead(session: Session, alert_id: int, now: datetime) -> bool:
    """Queue a dead alert for delivery again, from its first attempt; False if there is
    no dead alert with that id."""
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == "dead")
        .values(
            status="pending",
            attempts=0,
            next_attempt=now,
            failing_since=None,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def event_alerts(session: Session, event_id: int) -> list[dict[str, Any]]:
    """The alerts queued for an event, oldest first, as records with the event's state and
    the kind of news (``event``, ``update``) they carried."""
    query = select(Alert).where(Alert.event_id == event_id).order_by(Alert.created, Alert.id)
    return [
        {**_alert_record(row), "state": row.payload.get("state", ""),
         "sources": list(row.payload.get("sources", []))}
        for row in session.scalars(query)
    ]  # fmt: skip
