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
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    cannot_write,
    database_url,
    duration_arg,
    output_file,
    replacing,
)
from monitor.cli.exits import EXIT_OK
from monitor.errors import MonitorError, StoreError
from monitor.store.backup import backup, sqlite_path
from monitor.store.items import export_items
from monitor.store.prune import prune

EXPORT_FIELDS = ["id", "published", "fetched", "feed", "source", "language", "relevant",
                 "types", "title", "url", "summary"]  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prune = sub.add_parser("prune", help="delete old items (and, with --events, old events)")
    prune.add_argument(
        "--older-than",
        metavar="DURATION",
        required=True,
        type=duration_arg,
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
        type=duration_arg,
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


# --- prune -----------------------------------------------------------------------------


def cmd_prune(args: argparse.Namespace) -> int:
    cutoff = datetime.now(UTC) - args.older_than
    db = open_database(database_url(args))
    try:
        with db.session() as session:
            counts = prune(session, cutoff, events=args.events, dry_run=args.dry_run)
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


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
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


def write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        row = {**record, "types": ";".join(record["types"])}
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return count


def cmd_export(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - args.since
    write = write_csv if args.format == "csv" else write_jsonl
    url = database_url(args)
    target = None if args.output is None else output_file(args.output, url)
    db = open_database(url)
    try:
        with db.session() as session, _output(target) as out:
            with closing(export_items(session, since, args.relevant)) as records:
                count = write(records, out)
    except OSError as exc:  # writing the output file (a full disk); stdout's are main's
        if target is None:
            raise
        raise cannot_write(target, exc) from None
    finally:
        db.dispose()
    if args.output:
        print(f"exported {count} items to {args.output}")
    return EXIT_OK


@contextmanager
def _output(target: Path | None) -> Iterator[IO[str]]:
    """Standard output, or a file replacing ``target`` once the export is whole."""
    if target is None:
        yield sys.stdout
        return
    with replacing(target) as out:
        yield out


# --- backup ----------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    url = database_url(args)
    source = sqlite_path(url)
    target = output_file(args.path, url)
    if target.exists() and not args.force:
        raise MonitorError(f"{target} exists", hint="choose another path or add --force")
    try:
        pages = backup(source, target)
    except sqlite3.Error as exc:
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    size = target.stat().st_size
    print(f"backed up {source} to {target} ({pages} pages, {size / 1e6:.1f} MB)")
    return EXIT_OK
