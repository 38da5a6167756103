"""`stmon alerts`: the outbox — list, re-send dead alerts, test a channel."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from monitor.alert.channels import make_channel
from monitor.alert.message import sample_message
from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    print_json_lines,
    print_table,
)
from monitor.cli.exits import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from monitor.errors import DeliveryError
from monitor.store.tables import Alert

STATUSES = ["pending", "sent", "dead", "digest", "digested", "folded"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = sub.add_parser("alerts", help="list alerts and their delivery status")
    alerts.add_argument("--status", choices=STATUSES, help="only alerts in this state")
    alerts.add_argument("--channel", metavar="NAME", help="only alerts to this channel")
    alerts.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    add_db_option(alerts)
    add_json_option(alerts)
    alerts.set_defaults(func=cmd_list)
    actions = alerts.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND")
    retry = actions.add_parser("retry", help="queue a dead alert for delivery again")
    retry.add_argument("id", type=int, help="the alert id (see `stmon alerts --status dead`)")
    add_db_option(retry)
    retry.set_defaults(func=cmd_retry)
    test = actions.add_parser("test", help="send a sample alert and show what the server said")
    test.add_argument("channel", help="a channel name from the config")
    test.set_defaults(func=cmd_test)


def alert_record(row: Alert) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt": row.next_attempt,
        "created": row.created,
        "sent": row.sent,
        "headline": row.payload.get("headline", ""),
        "event": row.payload.get("event_id", ""),
        "last_error": row.last_error,
        "detail": row.detail,
        "idempotency_key": row.idempotency_key,
    }


def cmd_list(args: argparse.Namespace) -> int:
    db = open_database(args.db or config_of(args).storage.url)
    try:
        with db.session() as session:
            query = select(Alert).order_by(Alert.created.desc(), Alert.id.desc())
            if args.status:
                query = query.where(Alert.status == args.status)
            if args.channel:
                query = query.where(Alert.channel == args.channel)
            records = [alert_record(r) for r in session.scalars(query.limit(max(args.limit, 0)))]
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
            result = session.execute(
                update(Alert)
                .where(Alert.id == args.id, Alert.status == "dead")
                .values(
                    status="pending",
                    attempts=0,
                    next_attempt=now,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
            changed = getattr(result, "rowcount", 0)
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
