"""Reads for health, the status line and /metrics: counts and times across the tables.

Nothing here writes. Each function is one query (``recent_item_times`` one windowed
query over all active feeds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.tables import Alert, Event, Feed, Item, ItemSource


def recent_item_times(session: Session, history: int) -> dict[int, list[tuple[datetime, datetime]]]:
    """(published, seen) of each active feed's ``history`` most recently seen items, by
    feed id."""
    rank = func.row_number().over(
        partition_by=ItemSource.feed_id,
        order_by=(ItemSource.seen.desc(), Item.published.desc(), Item.id.desc()),
    )
    recent = (
        select(ItemSource.feed_id, Item.published, ItemSource.seen, rank.label("rank"))
        .join(Item, Item.id == ItemSource.item_id)
        .join(Feed, Feed.id == ItemSource.feed_id)
        .where(Feed.active)
        .subquery()
    )
    rows: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for feed_id, published, seen in session.execute(
        select(recent.c.feed_id, recent.c.published, recent.c.seen).where(recent.c.rank <= history)
    ):
        rows[feed_id].append((published, seen))
    return rows


def active_feed_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Feed).where(Feed.active)) or 0


def last_success(session: Session) -> datetime | None:
    """When an active feed was last polled successfully."""
    return session.scalar(select(func.max(Feed.last_success)).where(Feed.active))


def oldest_due_alert(session: Session, now: datetime) -> tuple[str, datetime] | None:
    """(channel, next attempt) of the pending alert that has been due longest."""
    row = session.execute(
        select(Alert.channel, Alert.next_attempt)
        .where(Alert.status == "pending", Alert.next_attempt <= now)
        .order_by(Alert.next_attempt)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def first_due_attempt(session: Session, now: datetime) -> datetime | None:
    """The earliest next attempt of the pending alerts due at ``now``."""
    return session.scalar(
        select(func.min(Alert.next_attempt)).where(
            Alert.status == "pending", Alert.next_attempt <= now
        )
    )


def dead_alerts_since(session: Session, since: datetime) -> list[tuple[str, int]]:
    """(channel, count) of alerts given up since ``since`` (a dead alert's
    ``next_attempt`` is when it was given up)."""
    rows = session.execute(
        select(Alert.channel, func.count())
        .where(Alert.status == "dead", Alert.next_attempt >= since)
        .group_by(Alert.channel)
    )
    return [(channel, count) for channel, count in rows]


def events_since(session: Session, since: datetime) -> int:
    """Events first seen since ``since``."""
    count = session.scalar(select(func.count()).select_from(Event).where(Event.first_seen >= since))
    return count or 0


def alerts_by_status(session: Session, statuses: Sequence[str]) -> dict[str, int]:
    """Alerts in each of ``statuses`` (absent: none)."""
    rows = session.execute(
        select(Alert.status, func.count())
        .where(Alert.status.in_(tuple(statuses)))
        .group_by(Alert.status)
    )
    return {status: count for status, count in rows}


def queued_by_channel(session: Session, statuses: Sequence[str]) -> list[tuple[str, str, int]]:
    """(channel, status, count) of alerts in ``statuses``."""
    rows = session.execute(
        select(Alert.channel, Alert.status, func.count())
        .where(Alert.status.in_(tuple(statuses)))
        .group_by(Alert.channel, Alert.status)
    )
    return [(channel, status, count) for channel, status, count in rows]


def items_per_day(session: Session, since: datetime) -> dict[int, dict[str, int]]:
    """Items each feed carried per day (``YYYY-MM-DD``, UTC) since ``since``, by feed id."""
    day = func.date(ItemSource.seen)
    rows = session.execute(
        select(ItemSource.feed_id, day, func.count())
        .where(ItemSource.seen >= since)
        .group_by(ItemSource.feed_id, day)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for feed_id, when, count in rows:
        out[feed_id][str(when)[:10]] = count
    return dict(out)
