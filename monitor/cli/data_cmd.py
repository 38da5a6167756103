"""Data care: `stmon prune`, `stmon export`, `stmon backup`.

**prune** deletes items older than ``--older-than``: an item is old when both its
publication and the time it was stored lie before the cutoff (so a back-catalogue
article fetched yesterday stays, and is not re-fetched as new tomorrow). Its
classifications, sources, story bands and coverage links go with it; stories left
with no item go too. Events and their alerts are kept unless ``--events``; an event
kept (with or without ``--events``) whose coverage would all go keeps its first
article, so every kept event still shows what it was about. With ``--events``,
events last seen before the cutoff go with their alerts, except events with an
alert still waiting for delivery, and finished alerts of no event (health, storm,
digest) created before the cutoff go too. Pending alerts are never deleted.

**backup** copies a SQLite database with SQLite's online backup API: a consistent
snapshot, taken while the daemon keeps running, checked with ``integrity_check``.
For PostgreSQL use ``pg_dump``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Delete, delete, exists, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

from monitor.app import open_database
from monitor.cli.common import add_db_option, database_url
from monitor.cli.exits import EXIT_OK
from monitor.config.types import parse_duration
from monitor.errors import MonitorError, StoreError
from monitor.store.tables import (
    Alert,
    Classification,
    Event,
    EventItem,
    Feed,
    Item,
    ItemSource,
    Story,
    StoryBand,
)

WAITING = ("pending", "digest")
EXPORT_FIELDS = ["id", "published", "fetched", "feed", "source", "language", "relevant",
                 "types", "title", "url", "summary"]  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prune = sub.add_parser("prune", help="delete old items (and, with --events, old events)")
    prune.add_argument(
        "--older-than",
        metavar="DURATION",
        required=True,
        type=_duration,
        help="delete items older than this, e.g. 180d",
    )
    prune.add_argument("--events", action="store_true", help="also old events and their alerts")
    prune.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    add_db_option(prune)
    prune.set_defaults(func=cmd_prune)
    export = sub.add_parser("export", help="write stored items with their types as JSONL or CSV")
    export.add_argument(
        "--since",
        metavar="DURATION",
        type=_duration,
        default=timedelta(days=7),
        help="items published within this, e.g. 7d (default 7d)",
    )
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--relevant", action="store_true", help="only relevant items")
    export.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    add_db_option(export)
    export.set_defaults(func=cmd_export)
    backup = sub.add_parser("backup", help="copy the SQLite database safely while it runs")
    backup.add_argument("path", metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    add_db_option(backup)
    backup.set_defaults(func=cmd_backup)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# --- prune -----------------------------------------------------------------------------


@dataclass
class PruneCounts:
    items: int = 0
    classifications: int = 0
    sources: int = 0
    stories: int = 0
    events: int = 0
    alerts: int = 0
    kept_for_events: int = 0


def prune(session: Session, cutoff: datetime, *, events: bool) -> PruneCounts:
    """Delete what is older than ``cutoff`` (see the module docstring); returns counts."""
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
            update(Story).where(Story.first_item_id.in_(chunk)).values(first_item_id=None)
        )
        counts.items += _count(session, delete(Item).where(Item.id.in_(chunk)))
    empty = ~exists().where(Item.story_id == Story.id)
    counts.stories = _count(session, delete(Story).where(Story.created < cutoff, empty))
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


def cmd_prune(args: argparse.Namespace) -> int:
    cutoff = datetime.now(UTC) - args.older_than
    db = open_database(database_url(args))
    try:
        with db.session() as session:
            counts = prune(session, cutoff, events=args.events)
            if args.dry_run:
                session.rollback()
    finally:
        db.dispose()
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb} {counts.items} items ({counts.classifications} classifications, "
        f"{counts.sources} sources), {counts.stories} stories, {counts.events} events, "
        f"{counts.alerts} alerts older than {cutoff:%Y-%m-%d %H:%M} UTC"
    )
    if counts.kept_for_events:
        print(f"kept {counts.kept_for_events} old items as the only coverage of kept events")
    return EXIT_OK


# --- export ----------------------------------------------------------------------------


def export_records(session: Session, since: datetime, relevant: bool) -> Iterator[dict[str, Any]]:
    """Items published since ``since``, oldest first, with their event types."""
    query = (
        select(Item, Feed.name)
        .outerjoin(Feed, Feed.id == Item.feed_id)
        .where(Item.published >= since)
        .order_by(Item.published, Item.id)
        .options(selectinload(Item.classifications))
        .execution_options(yield_per=500)
    )
    if relevant:
        query = query.where(Item.relevant.is_(True))
    for item, feed in session.execute(query):
        yield {
            "id": item.id,
            "published": item.published.isoformat(),
            "fetched": item.fetched.isoformat(),
            "feed": feed,
            "source": item.source,
            "language": item.language,
            "relevant": item.relevant,
            "types": sorted(c.event_type for c in item.classifications),
            "title": item.title,
            "url": item.url,
            "summary": item.summary,
        }


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...), +cmd|..., @SUM(...)); such text from a feed is exported with a
# leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        row = {**record, "types": ";".join(record["types"])}
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return count


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        yield out


def cmd_export(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - args.since
    write = write_csv if args.format == "csv" else write_jsonl
    db = open_database(database_url(args))
    try:
        with db.session() as session, _output(args.output) as out:
            count = write(export_records(session, since, args.relevant), out)
    finally:
        db.dispose()
    if args.output:
        print(f"exported {count} items to {args.output}")
    return EXIT_OK


# --- backup ----------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; a StoreError for anything else."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise StoreError(
            f"stmon backup copies SQLite databases; {parsed.get_backend_name()} is not one",
            hint="back up PostgreSQL with pg_dump, e.g. `pg_dump -Fc DBNAME > stmon.dump`",
        )
    if not parsed.database or parsed.database == ":memory:":
        raise StoreError("an in-memory database cannot be backed up")
    path = Path(parsed.database).expanduser()
    if not path.is_file():
        raise StoreError(f"no database file at {path}")
    return path


def backup(source: Path, target: Path) -> int:
    """Copy ``source`` to ``target`` with the online backup API; returns the page count."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one step: a consistent snapshot; WAL writers are not blocked
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"the backup failed its integrity check: {check}")
    os.replace(partial, target)
    return pages


def cmd_backup(args: argparse.Namespace) -> int:
    source = sqlite_path(database_url(args))
    target = Path(args.path)
    if target.exists() and not args.force:
        raise MonitorError(f"{target} exists", hint="choose another path or add --force")
    if target.resolve() == source.resolve():
        raise MonitorError("the backup would overwrite the database itself")
    try:
        pages = backup(source, target)
    except sqlite3.Error as exc:
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    size = target.stat().st_size
    print(f"backed up {source} to {target} ({pages} pages, {size / 1e6:.1f} MB)")
    return EXIT_OK
