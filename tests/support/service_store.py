"""Builders for the service tests: a migrated store with feeds, items, events and alerts."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor.model import Item
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import (
    active_feeds,
    errors_in_a_row,
    feed_by_name,
    record_failure,
    record_polled,
    sync_feeds,
)
from monitor.store.items import add_items
from monitor.store.tables import Classification, Event, EventItem, Feed


def migrated(url: str) -> Database:
    db = Database(url)
    migrate.upgrade(db.engine)
    return db


def make_item(n: int, source: str, published: datetime, fetched: datetime, title: str = "") -> Item:
    text = f"Article number {n} from {source}"
    return Item(
        source=source,
        url=f"https://news.example.org/{source}/{n}",
        guid=f"{source}-{n}",
        title=title or f"Headline {n}",
        summary=text,
        content="",
        author=None,
        published=published,
        fetched=fetched,
        language="en",
        content_hash=hashlib.sha256(f"{source}:{n}:{text}".encode()).hexdigest(),
    )


def add_feed(session: Session, name: str, now: datetime) -> Feed:
    sync_feeds(
        session,
        [(f.name, f.url) for f in active_feeds(session)]
        + [(name, f"https://news.example.org/{name}.xml")],
        now,
    )
    feed = feed_by_name(session, name)
    assert feed is not None
    return feed


def publish(session: Session, feed: Feed, times: list[datetime], *, start: int = 0) -> list[int]:
    """Store one item per time, each seen when published, and record a success then."""
    ids: list[int] = []
    for n, when in enumerate(times, start):
        stored = add_items(session, feed, [make_item(n, feed.name, when, when)], when)
        ids += [s.id for s in stored]
        record_polled(
            session, feed.id, "", now=when, next_due=when + timedelta(minutes=5), etag=None,
            last_modified=None, new_items=len(stored),
        )  # fmt: skip
    return ids


def fail_poll(
    session: Session,
    feed: Feed,
    *,
    now: datetime,
    next_due: datetime,
    error: str,
    failing_after: int,
) -> None:
    """Record one failed poll of ``feed``, as the poller does."""
    errors = errors_in_a_row(session, feed.id)[0] + 1
    record_failure(session, feed.id, errors=errors, now=now, next_due=next_due, error=error,
                   failing_after=failing_after)  # fmt: skip


def classify(session: Session, item_id: int, *types: str) -> None:
    for event_type in types:
        session.add(Classification(item_id=item_id, event_type=event_type, score=0.9,
                                   tense="past", evidence=[]))  # fmt: skip
    session.flush()


def add_event(
    session: Session, uid: str, item_ids: list[int], first_seen: datetime, last_seen: datetime
) -> Event:
    event = Event(
        uid=uid, key=f"key-{uid}", watch="relations", event_type="summit_held", state="held",
        actors=["KR", "JP"], headline=f"Event {uid}", score=0.9, first_seen=first_seen,
        last_seen=last_seen,
    )  # fmt: skip
    session.add(event)
    session.flush()
    for item_id in item_ids:
        session.add(EventItem(event_id=event.id, item_id=item_id, added=first_seen))
    session.flush()
    return event
