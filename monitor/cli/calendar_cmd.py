"""`stmon calendar`: meetings with the date they take place, and as an iCalendar feed.

An event is on the calendar once an article states when it takes place (a day, a
week, a month: ``monitor.novelty.dates``). The feed (``--ics``) gives each event a
stable UID and a SEQUENCE that grows with each state change, so a calendar that
subscribes to the file sees a meeting move to held, postponed or cancelled.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from monitor.alert.calendar import ics_feed
from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    cannot_write,
    config_of,
    duration_arg,
    output_file,
    print_json_lines,
    print_table,
    replacing,
)
from monitor.cli.exits import EXIT_OK
from monitor.store.events import dated_events


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calendar = sub.add_parser(
        "calendar", help="meetings with the date they take place (--ics: an iCalendar feed)"
    )
    calendar.add_argument(
        "--since", metavar="DURATION", type=duration_arg, default=None,
        help="only meetings that end after this long ago, e.g. 30d (default: all)",
    )  # fmt: skip
    calendar.add_argument(
        "--ics", metavar="FILE", nargs="?", const="-", default=None,
        help="write an iCalendar feed to FILE (replaced atomically; '-' or none: stdout)",
    )  # fmt: skip
    add_db_option(calendar)
    add_json_option(calendar)
    calendar.set_defaults(func=cmd_calendar)


def cmd_calendar(args: argparse.Namespace) -> int:
    since = None
    if args.since is not None:
        since = (datetime.now(UTC) - args.since).date()
    url = args.db or config_of(args).storage.url
    target = None if args.ics in (None, "-") else output_file(args.ics, url)
    db = open_database(url)
    try:
        with db.session() as session:
            records = dated_events(session, since)
    finally:
        db.dispose()
    if args.ics is not None:
        feed = ics_feed(records, datetime.now(UTC))
        if target is None:
            sys.stdout.buffer.write(feed)
        else:
            try:
                with replacing(target, binary=True) as out:
                    out.write(feed)
            except OSError as exc:
                raise cannot_write(args.ics, exc) from None
        return EXIT_OK
    if args.json:
        print_json_lines(records)
        return EXIT_OK
    print_table(
        ["when", "state", "type", "place", "uid", "headline"],
        [[r["when"], r["state"], r["type"], r["place"], r["uid"], r["headline"][:60]]
         for r in records],
    )  # fmt: skip
    return EXIT_OK
