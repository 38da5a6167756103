"""`stmon alerts`: the outbox — list, re-send dead alerts, test a channel."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from monitor.alert.channels import make_channel
from monitor.alert.message import sample_message
from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    count_arg,
    print_json_lines,
    print_table,
)
from monitor.cli.exits import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from monitor.errors import DeliveryError, MonitorError
from monitor.store.outbox import list_alerts, outbox_by_channel, requeue_dead

STATUSES = ["pending", "sent", "dead", "digest", "digested", "folded"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = sub.add_parser("alerts", help="list alerts and their delivery status")
    alerts.add_argument("--status", choices=STATUSES, help="only alerts in this state")
    alerts.add_argument("--channel", metavar="NAME", help="only alerts to this channel")
    alerts.add_argument(
        "--limit", type=count_arg, default=50, help="at most this many (default 50)"
    )
    add_db_option(alerts)
    add_json_option(alerts)
    alerts.set_defaults(func=cmd_list)
    actions = alerts.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND")
    retry = actions.add_parser("retry", help="queue a dead alert for delivery again")
    retry.add_argument("id", type=count_arg, help="the alert id (see `stmon alerts --status dead`)")
    add_db_option(retry)
    retry.set_defaults(func=cmd_retry)
    test = actions.add_parser("test", help="send a sample alert and show what the server said")
    test.add_argument("channel", help="a channel name from the config")
    test.set_defaults(func=cmd_test)


def cmd_list(args: argparse.Namespace) -> int:
    db = open_database(args.db or config_of(args).storage.url)
    try:
        with db.session() as session:
            records = list_alerts(
                session, status=args.status, channel=args.channel, limit=args.limit
            )
            if args.channel and not records and args.channel not in outbox_by_channel(session):
                known = ", ".join(sorted(outbox_by_channel(session))) or "none yet"
                raise MonitorError(
                    f"no alert to a channel named '{args.channel}' in the store",
                    hint=f"channels with alerts: {known}",
                )
    finally:
        db.dispose()
    if args.json:
        print_json_lines(records)
        return EXIT_OK
    print_table(
        ["id", "created", "channel", "kind", "status", "tries", "headline / last error"],
        [
            [
                r["id"],
                r["created"],
                r["channel"],
                r["kind"],
                r["status"],
                r["attempts"],
                ((r["last_error"] if r["status"] == "dead" else r["headline"]) or "")[:70],
            ]
            for r in records
        ],
    )
    return EXIT_OK


def cmd_retry(args: argparse.Namespace) -> int:
    db = open_database(args.db or config_of(args).storage.url)
    now = datetime.now(UTC)
    try:
        with db.session() as session:
            changed = requeue_dead(session, args.id, now)
    finally:
        db.dispose()
    if not changed:
        print(f"error: no dead alert with id {args.id}")
        return EXIT_FAILURE
    print(f"alert {args.id} queued again; the running monitor sends it within seconds")
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    config = config_of(args)
    channel_config = config.channels.get(args.channel)
    if channel_config is None:
        known = ", ".join(sorted(config.channels)) or "none"
        print(f"error: no channel named '{args.channel}' (configured: {known})")
        return EXIT_CONFIG
    channel = make_channel(args.channel, channel_config)
    try:
        receipt = asyncio.run(channel.send(sample_message(datetime.now(UTC))))
    except DeliveryError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        print(f"failed ({kind}): {exc}")
        return EXIT_FAILURE
    print(f"sent: {receipt.detail}")
    return EXIT_OK
