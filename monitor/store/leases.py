"""Feed leases: which instance polls a feed now (see ``monitor.store.instances``).

``claim_feeds`` takes the leases of many feeds in one UPDATE of the rows a subquery
picks when a feed is due and its lease free; each feed goes to exactly one of several
racing instances: on PostgreSQL the subquery is ``FOR UPDATE SKIP LOCKED`` (a row
another instance is claiming or recording is skipped, never waited for, and a row
changed meanwhile is re-checked); SQLite runs one writer at a time. The lease ends in
the transaction that records the poll's outcome (or with ``release_feed``), and
``lease_owner`` keeps naming the instance that polled the feed last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from monitor.model import Claim
from monitor.store.tables import Feed

FEED_LEASE = timedelta(minutes=5)  # longest a poll may hold a feed (longer than any fetch)
DUE_SLACK = timedelta(seconds=1)  # a job may fire a moment before the feed's next_due


_CLAIMED = aliased(Feed)  # one alias for every claim, so the statement is compiled once


@dataclass(frozen=True, slots=True)
class NotClaimed:
    """A feed that was not claimed: held by another instance, not due, or not stored."""

    name: str
    holder: str | None = None
    next_due: datetime | None = None
    stored: bool = True


CLAIM_CHUNK = 500  # feed names per claim statement


def claim_feeds(
    session: Session,
    names: Sequence[str],
    owner: str,
    now: datetime,
    lease: timedelta = FEED_LEASE,
    *,
    due_only: bool = True,
) -> dict[str, Claim | NotClaimed]:
    """Take the leases on the feeds ``names`` that are free (and, with ``due_only``, due):
    one UPDATE per ``CLAIM_CHUNK`` names. Every name is answered, claimed or not.

    Commit right after: the lease protects the fetch that follows, outside any transaction.
    """
    found: dict[str, Claim | NotClaimed] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(names), CLAIM_CHUNK):
        chunk = list(names[start : start + CLAIM_CHUNK])
        row = _CLAIMED
        conditions = [
            row.name.in_(chunk),
            or_(row.lease_until.is_(None), row.lease_until < now),
        ]
        if due_only:
            conditions.append(or_(row.next_due.is_(None), row.next_due <= now + DUE_SLACK))
        target = select(row.id).where(*conditions)
        if postgres:
            # A row another transaction is writing is being polled or claimed: skip, never wait.
            target = target.with_for_update(skip_locked=True)
        claimed = session.execute(
            update(Feed)
            .where(Feed.id.in_(target.scalar_subquery()))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(Feed.id, Feed.name, Feed.fetch_url, Feed.etag, Feed.last_modified),
            execution_options={"synchronize_session": False},
        )
        for feed_id, name, url, etag, last_modified in claimed:
            found[name] = Claim(feed_id, name, url, etag, last_modified)
        missed = [name for name in chunk if name not in found]
        if missed:
            rows = session.execute(
                select(Feed.name, Feed.lease_owner, Feed.next_due).where(Feed.name.in_(missed))
            )
            for name, holder, next_due in rows:
                found[name] = NotClaimed(name, holder, next_due)
    for name in names:
        found.setdefault(name, NotClaimed(name, stored=False))
    return found


def claim_feed(
    session: Session,
    name: str,
    owner: str,
    now: datetime,
    lease: timedelta = FEED_LEASE,
    *,
    due_only: bool = True,
) -> bool:
    """Take the lease on feed ``name`` if it is free (and, with ``due_only``, the feed due)."""
    found = claim_feeds(session, [name], owner, now, lease, due_only=due_only)
    return isinstance(found[name], Claim)


def release_feed(session: Session, name: str, owner: str) -> None:
    """End ``owner``'s lease on the feed; the feed stays listed as last polled by it."""
    session.execute(
        update(Feed).where(Feed.name == name, Feed.lease_owner == owner).values(lease_until=None)
    )
