"""Deleting old data: items older than a cutoff, and (optionally) old events and alerts.

An item is old when both its publication and the time it was stored lie before the
cutoff. Its classifications, sources, story bands and coverage links go with it;
stories left with no item go too. An event kept whose coverage would all go keeps its
first article. With ``events``, events last seen before the cutoff go with their alerts,
except events with an alert still waiting for delivery, and finished alerts of no
event created before the cutoff go too. Pending alerts are never deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Delete, delete, exists, func, select, update
from sqlalchemy.orm import Session

from monitor.store.tables import (
    Alert,
    Classification,
    Event,
    EventItem,
    EventState,
    Item,
    ItemSource,
    Story,
    StoryBand,
)

WAITING = ("pending", "digest")


@dataclass
class PruneCounts:
    items: int = 0
    classifications: int = 0
    sources: int = 0
    stories: int = 0
    events: int = 0
    alerts: int = 0
    kept_for_events: int = 0


def prune(
    session: Session, cutoff: datetime, *, events: bool, dry_run: bool = False
) -> PruneCounts:
    """Delete what is older than ``cutoff`` (see the module docstring); returns counts.
    With ``dry_run`` only the counts: the transaction is rolled back."""
    counts = PruneCounts()
    if events:
        counts.events, counts.alerts = _prune_events(session, cutoff)
    old = select(Item.id).where(Item.published < cutoff, Item.fetched < cutoff)
    covered_now = select(EventItem.event_id).where(EventItem.item_id.not_in(old))
    keep = (
        select(func.min(EventItem.item_id))
        .where(EventItem.event_id.not_in(covered_now))
        .group_by(EventItem.event_id)
    )
    doomed = old.where(Item.id.not_in(keep))
    counts.kept_for_events = (
        session.scalar(
            select(func.count(func.distinct(EventItem.item_id))).where(EventItem.item_id.in_(keep))
        )
        or 0
    )
    doomed_ids = [row for row in session.scalars(doomed)]
    for chunk in _chunks(doomed_ids, 500):
        counts.classifications += _count(
            session, delete(Classification).where(Classification.item_id.in_(chunk))
        )
        counts.sources += _count(session, delete(ItemSource).where(ItemSource.item_id.in_(chunk)))
        session.execute(delete(StoryBand).where(StoryBand.item_id.in_(chunk)))
        session.execute(delete(EventItem).where(EventItem.item_id.in_(chunk)))
        session.execute(
            update(EventState).where(EventState.item_id.in_(chunk)).values(item_id=None)
        )
        session.execute(
            update(Story).where(Story.first_item_id.in_(chunk)).values(first_item_id=None)
        )
        counts.items += _count(session, delete(Item).where(Item.id.in_(chunk)))
    empty = ~exists().where(Item.story_id == Story.id)
    counts.stories = _count(session, delete(Story).where(Story.created < cutoff, empty))
    if dry_run:
        session.rollback()
    return counts


def _prune_events(session: Session, cutoff: datetime) -> tuple[int, int]:
    waiting = select(Alert.event_id).where(Alert.status.in_(WAITING), Alert.event_id.is_not(None))
    old = select(Event.id).where(Event.last_seen < cutoff, Event.id.not_in(waiting))
    old_ids = list(session.scalars(old))
    alerts = 0
    for chunk in _chunks(old_ids, 500):
        alerts += _count(session, delete(Alert).where(Alert.event_id.in_(chunk)))
        session.execute(update(Event).where(Event.parent_id.in_(chunk)).values(parent_id=None))
        session.execute(delete(EventItem).where(EventItem.event_id.in_(chunk)))
        session.execute(delete(EventState).where(EventState.event_id.in_(chunk)))
        session.execute(delete(Event).where(Event.id.in_(chunk)))
    alerts += _count(
        session,
        delete(Alert).where(
            Alert.event_id.is_(None), Alert.created < cutoff, Alert.status.not_in(WAITING)
        ),
    )
    return len(old_ids), alerts


def _count(session: Session, statement: Delete) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
