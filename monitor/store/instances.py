"""Several `stmon run` instances on one database: membership, heartbeats, feed leases.

Each running instance has a row in ``instances`` (id ``host:pid:random``), refreshes its
heartbeat every ``HEARTBEAT`` and deletes the row when it stops. An instance whose
heartbeat is older than ``EXPIRY`` is dead: ``reclaim``, run by every live instance with
each heartbeat, frees its feed leases and alert claims and deletes its row, so the work
of a crashed instance moves to the others within ``EXPIRY + HEARTBEAT``.

A feed is polled by the instance that claims it: ``monitor.store.leases`` (its names
are re-exported here) takes and releases the feed leases.

SQLite cannot be shared like this: ``lock_sqlite`` holds an fcntl lock on ``<db>.lock``
for the life of the process, and a second `stmon run` on the same file is refused,
naming the pid of the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.clock import utcnow
from monitor.errors import MonitorError, StoreError
from monitor.log import log_event
from monitor.model import Claim
from monitor.store.db import Database
from monitor.store.leases import (
    DUE_SLACK,
    FEED_LEASE,
    NotClaimed,
    claim_feed,
    claim_feeds,
    release_feed,
)
from monitor.store.tables import Alert, Feed, Instance

__all__ = [
    "DUE_SLACK",
    "FEED_LEASE",
    "Claim",
    "Membership",
    "NotClaimed",
    "claim_feed",
    "claim_feeds",
    "release_feed",
]

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=10)  # how often a running instance says it is alive
EXPIRY = timedelta(seconds=30)  # silent this long: dead, its leases are free


def new_instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- membership ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """One registered instance, as `stmon status` shows it."""

    id: str
    host: str
    pid: int
    started: datetime
    heartbeat: datetime
    alive: bool  # heartbeat within EXPIRY
    feeds: int  # feeds it polled last (and so polls next)
    polling: int  # feeds whose lease it holds right now
    status: str | None = None


def register(session: Session, instance_id: str, now: datetime) -> None:
    """Add (or refresh) this instance's row."""
    host, _, rest = instance_id.partition(":")
    pid = int(rest.partition(":")[0]) if rest.partition(":")[0].isdigit() else os.getpid()
    row = session.get(Instance, instance_id)
    if row is None:
        session.execute(
            insert(Instance).values(id=instance_id, host=host, pid=pid, started=now, heartbeat=now)
        )
    else:
        row.heartbeat = now


def heartbeat(session: Session, instance_id: str, now: datetime) -> bool:
    """Refresh the heartbeat; False if the row was gone (reclaimed) and had to be re-added."""
    result = session.execute(
        update(Instance).where(Instance.id == instance_id).values(heartbeat=now)
    )
    if _rowcount(result) == 1:
        return True
    register(session, instance_id, now)
    return False


def unregister(session: Session, instance_id: str) -> None:
    """Remove this instance and free whatever it still holds (at a clean shutdown)."""
    _free(session, [instance_id])
    session.execute(delete(Instance).where(Instance.id == instance_id))


def reclaim(
    session: Session, now: datetime, *, expiry: timedelta = EXPIRY, keep: str | None = None
) -> list[str]:
    """Free the leases of instances silent for ``expiry`` and remove them; returns their ids."""
    query = select(Instance.id).where(Instance.heartbeat < now - expiry)
    if keep is not None:
        query = query.where(Instance.id != keep)
    dead = list(session.scalars(query))
    if dead:
        _free(session, dead)
        session.execute(delete(Instance).where(Instance.id.in_(dead)))
    return dead


def _free(session: Session, owners: list[str]) -> None:
    session.execute(
        update(Feed).where(Feed.lease_owner.in_(owners)).values(lease_owner=None, lease_until=None)
    )
    session.execute(
        update(Alert)
        .where(Alert.claimed_by.in_(owners), Alert.status == "pending")
        .values(claimed_by=None, claimed_until=None)
    )


def list_instances(
    session: Session, now: datetime, expiry: timedelta = EXPIRY
) -> list[InstanceInfo]:
    """Every registered instance, oldest first, with the feeds each holds."""
    polling = func.sum(case((Feed.lease_until > now, 1), else_=0))
    held = {
        owner: (int(count), int(busy or 0))
        for owner, count, busy in session.execute(
            select(Feed.lease_owner, func.count(), polling)
            .where(Feed.lease_owner.is_not(None))
            .group_by(Feed.lease_owner)
        )
    }
    return [
        InstanceInfo(
            id=row.id,
            host=row.host,
            pid=row.pid,
            started=row.started,
            heartbeat=row.heartbeat,
            alive=row.heartbeat >= now - expiry,
            feeds=held.get(row.id, (0, 0))[0],
            polling=held.get(row.id, (0, 0))[1],
            status=row.status,
        )
        for row in session.scalars(select(Instance).order_by(Instance.started, Instance.id))
    ]


def set_instance_state(
    session: Session, instance: str, *, status: str | None = None, config_error: str | None
) -> None:
    """Record an instance's status line and config error (no-op if it is not registered)."""
    values: dict[str, Any] = {"config_error": config_error}
    if status is not None:
        values["status"] = status
    session.execute(update(Instance).where(Instance.id == instance).values(**values))


def config_errors(session: Session) -> list[str]:
    """Config errors that running instances reported after a failed reload."""
    rows = session.scalars(select(Instance.config_error).where(Instance.config_error.is_not(None)))
    return [row for row in rows if row]


# --- one instance per SQLite file --------------------------------------------------------


class FileLock:
    """An fcntl lock on a file, held until ``release`` (or the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def sqlite_lock_path(url: str) -> Path | None:
    """``<database file>.lock`` for a SQLite file URL; None for other databases."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").partition("?")[0]
    return Path(database).expanduser().with_name(Path(database).name + ".lock")


def lock_sqlite(url: str) -> FileLock | None:
    """Refuse a second `stmon run` on one SQLite file (StoreError naming the first's pid)."""
    path = sqlite_lock_path(url)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise StoreError(
            f"another stmon is already running on {path.with_suffix('')} ({holder}); "
            "SQLite allows one instance per database file",
            hint="stop it first, or use PostgreSQL to run several instances (docs/scaling.md)",
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    return FileLock(path, fd)


# --- the running instance -----------------------------------------------------------------


class Membership:
    """This process as one instance: lock (SQLite), register, heartbeat, reclaim, leave."""

    def __init__(
        self,
        db: Database,
        instance_id: str,
        *,
        every: timedelta = HEARTBEAT,
        expiry: timedelta = EXPIRY,
    ) -> None:
        self.db = db
        self.id = instance_id
        self.every = every
        self.expiry = expiry
        self._lock: FileLock | None = None
        self._task: asyncio.Task[None] | None = None

    async def join(self) -> None:
        """Take the SQLite lock, register and start heartbeating (StoreError if refused)."""
        self._lock = lock_sqlite(self.db.url)
        try:
            await asyncio.to_thread(self._register)
        except BaseException:
            self._release_lock()
            raise
        self._task = asyncio.create_task(self._beat(), name="heartbeat")
        log_event(log, logging.INFO, "instance_joined", instance=self.id)

    def _register(self) -> None:
        now = utcnow()
        with self.db.session() as session:
            register(session, self.id, now)
            # Holding the SQLite lock proves every other row is a crashed earlier run.
            expiry = timedelta(0) if self._lock is not None else self.expiry
            self._reclaimed(reclaim(session, now, expiry=expiry, keep=self.id))

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.every.total_seconds())
            try:
                await asyncio.to_thread(self._beat_once)
            except Exception as exc:  # the database went away: keep trying, never die
                log_event(log, logging.WARNING, "heartbeat_failed", error=str(exc))

    def _beat_once(self) -> None:
        now = utcnow()
        with self.db.session() as session:
            if not heartbeat(session, self.id, now):
                log_event(log, logging.WARNING, "instance_rejoined", instance=self.id)
            self._reclaimed(reclaim(session, now, expiry=self.expiry, keep=self.id))

    def _reclaimed(self, dead: list[str]) -> None:
        for other in dead:
            log_event(log, logging.WARNING, "instance_reclaimed", instance=other, by=self.id)

    async def leave(self) -> None:
        """Stop heartbeating, free what this instance holds and remove its row."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.to_thread(self._unregister)
        except (MonitorError, SQLAlchemyError) as exc:
            log_event(log, logging.WARNING, "unregister_failed", error=str(exc))
        finally:
            self._release_lock()

    def _unregister(self) -> None:
        with self.db.session() as session:
            unregister(session, self.id)

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
