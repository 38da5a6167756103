"""`stmon items`: what has been stored."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    count_arg,
    duration_arg,
    print_json_lines,
    print_table,
)
from monitor.cli.exits import EXIT_OK
from monitor.errors import MonitorError
from monitor.store.feeds import feed_by_name
from monitor.store.items import recent_items


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    items = sub.add_parser("items", help="list stored items, newest first")
    items.add_argument("--feed", metavar="NAME", help="only items first stored from this feed")
    items.add_argument(
        "--since", metavar="DURATION", type=duration_arg,
        help="only items published within, e.g. 24h",
    )  # fmt: skip
    items.add_argument("--relevant", action="store_true", help="only relevant items")
    items.add_argument("--limit", type=count_arg, default=50, help="at most this many (default 50)")
    add_db_option(items)
    add_json_option(items)
    items.set_defaults(func=cmd_items)


def cmd_items(args: argparse.Namespace) -> int:
    since = None if args.since is None else datetime.now(UTC) - args.since
    db = open_database(args.db or config_of(args).storage.url)
    try:
        with db.session() as session:
            if args.feed and feed_by_name(session, args.feed) is None:
                raise MonitorError(
                    f"no feed named '{args.feed}' in the store",
                    hint="`stmon status` lists the feeds by name",
                )
            records = recent_items(
                session,
                feed=args.feed,
                since=since,
                relevant=True if args.relevant else None,
                limit=args.limit,
            )
    finally:
        db.dispose()
    if args.json:
        print_json_lines(records)
        return EXIT_OK
    print_table(
        ["id", "published", "source", "lang", "types", "title"],
        [
            [
                r["id"],
                r["published"],
                r["source"],
                r["language"],
                ",".join(r["types"]) or "-",
                r["title"][:70],
            ]
            for r in records
        ],
    )
    return EXIT_OK
