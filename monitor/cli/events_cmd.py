"""`stmon events`: what happened, and the coverage of each event."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    count_arg,
    duration_arg,
    print_json_lines,
    print_table,
    terminal_safe,
)
from monitor.cli.exits import EXIT_FAILURE, EXIT_OK
from monitor.store.db import Database
from monitor.store.events import event_timeline, recent_events


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = sub.add_parser("events", help="list recent events, newest first")
    events.add_argument("--since", metavar="DURATION", type=duration_arg, default=timedelta(days=7),
                        help="only events seen within, e.g. 24h (default 7d)")  # fmt: skip
    events.add_argument(
        "--limit", type=count_arg, default=100, help="at most this many (default 100)"
    )
    add_db_option(events)
    add_json_option(events)
    events.set_defaults(func=cmd_events)
    inner = events.add_subparsers(dest="events_command", metavar="SUBCOMMAND")
    show = inner.add_parser(
        "show", help="one event: its state history (with the article that moved it) and coverage"
    )
    show.add_argument("id", metavar="ID", help="event uid (or numeric id)")
    add_db_option(show)
    add_json_option(show)
    show.set_defaults(func=cmd_show)


def _open(args: argparse.Namespace) -> Database:
    return open_database(args.db or config_of(args).storage.url)


def cmd_events(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - args.since
    db = _open(args)
    try:
        with db.session() as session:
            records = recent_events(session, since, args.limit)
    finally:
        db.dispose()
    if args.json:
        print_json_lines(records)
        return EXIT_OK
    print_table(
        ["uid", "first seen", "type", "state", "sources", "articles", "headline"],
        [[r["uid"], r["first_seen"], r["type"], r["state"], r["sources"], r["articles"],
          r["headline"][:60]] for r in records],
    )  # fmt: skip
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    db = _open(args)
    try:
        with db.session() as session:
            found = event_timeline(session, args.id)
            if found is None:
                print(f"error: no event '{args.id}'", file=sys.stderr)
                return EXIT_FAILURE
            record, coverage = found
    finally:
        db.dispose()
    if args.json:
        print_json_lines([{**record, "coverage": coverage}])
        return EXIT_OK
    for key in ("uid", "type", "state", "actors", "when", "place", "parent", "first_seen",
                "last_seen", "sources", "articles", "headline"):  # fmt: skip
        value = record[key]
        shown = ", ".join(value) if isinstance(value, list) else _text(value)
        print(terminal_safe(f"{key + ':':12} {shown}"))
    print()
    print(terminal_safe("State history:"))
    print_table(
        ["at", "state", "was", "source", "article"],
        [[s["at"], s["state"], s["was"] or "-", s["source"] or "-", (s["title"] or "-")[:60]]
         for s in record["states"]],
    )  # fmt: skip
    print()
    print(terminal_safe("Coverage:"))
    print_table(
        ["published", "source", "story", "title"],
        [[c["published"], c["source"], c["story"], c["title"][:70]] for c in coverage],
    )
    return EXIT_OK


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)
