"""Commands that poll: run (the daemon), poll --once, status."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from monitor.app import build_pipeline, build_service, open_database, parse_workers
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    option_problems,
    print_json_lines,
    print_table,
    terminal_safe,
)
from monitor.cli.exits import EXIT_FAILURE, EXIT_OK
from monitor.config.load import config_path
from monitor.config.schema import Config, FeedConfig
from monitor.errors import ConfigError
from monitor.log import setup_logging
from monitor.model import PollOutcome
from monitor.service.runtime import Service
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import active_feeds
from monitor.store.instances import config_errors
from monitor.store.items import item_counts
from monitor.store.outbox import outbox_by_channel

if TYPE_CHECKING:
    from monitor.store.instances import InstanceInfo

DEFAULT_DB = "sqlite:///var/stmon.db"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run the monitor until stopped (SIGTERM/SIGINT)")
    run.set_defaults(func=cmd_run)

    poll = sub.add_parser("poll", help="poll feeds once and exit (for cron, scripts, tests)")
    poll.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    poll.add_argument(
        "--feed",
        metavar="URL",
        action="append",
        default=[],
        help="poll this feed URL with default settings, no config file needed (repeatable)",
    )
    poll.add_argument("--force", action="store_true", help="poll every feed, due or not")
    add_db_option(poll)
    add_json_option(poll)
    poll.set_defaults(func=cmd_poll)

    status = sub.add_parser("status", help="show each feed's health and schedule")
    add_db_option(status)
    add_json_option(status)
    status.set_defaults(func=cmd_status)


def cmd_run(args: argparse.Namespace) -> int:
    config = config_of(args)
    setup_logging(config.logging.level, config.logging.format)
    pipeline = build_pipeline(config)
    db = open_database(config.storage.url)
    try:
        service = build_service(config, db, pipeline, parse_workers=parse_workers())
        asyncio.run(_serve(service, config_path(args.config)))
    finally:
        db.dispose()
    return EXIT_OK


async def _serve(service: Service, path: Path) -> None:
    try:
        await service.run(path)
    finally:
        await service.close()


def adhoc_config(urls: list[str]) -> Config:
    """A config with default settings and the given feeds, named after their hosts."""
    feeds = []
    for url in urls:
        host = urlsplit(url).hostname or "feed"
        digest = hashlib.sha256(url.encode()).hexdigest()[:8]
        try:
            feeds.append(FeedConfig.model_validate({"name": f"{host}-{digest}", "url": url}))
        except ValidationError as exc:
            raise ConfigError(
                f"--feed {url}: {option_problems(exc)}", hint="give a feed's http(s) URL"
            ) from None
    return Config(feeds=tuple(feeds))


def cmd_poll(args: argparse.Namespace) -> int:
    if args.feed:
        config = adhoc_config(args.feed)
        db = Database(args.db or DEFAULT_DB)
        if migrate.current_revision(db.engine) is None:
            migrate.upgrade(db.engine)  # a new database: creating it is safe
        migrate.ensure_current(db.engine)
    else:
        config = config_of(args)
        db = open_database(args.db or config.storage.url)
    setup_logging(config.logging.level, config.logging.format)
    try:
        # the rules are compiled when a first feed has news (a cycle of 304s needs none)
        service = build_service(
            config,
            db,
            None,
            parse_workers=parse_workers(),
            defer_rules=not args.feed,
            with_metrics=False,  # nothing serves them
            keep_other_feeds=bool(args.feed),  # the configured feeds stay as they are
        )
        outcomes = asyncio.run(_poll(service, bool(args.force or args.feed)))
    finally:
        db.dispose()
    if args.json:
        print_json_lines(
            {
                "feed": o.feed,
                "status": o.status,
                "entries": o.fetched,
                "new": o.new,
                "error": o.error,
                "warning": o.warning,
            }
            for o in outcomes
        )
    else:
        new = sum(o.new for o in outcomes)
        failed = [o for o in outcomes if o.status == "error"]
        print(f"polled {len(outcomes)} feeds: {new} new items, {len(failed)} failed")
        for o in failed:
            print(terminal_safe(f"  {o.feed}: {o.error}"))
    if outcomes and all(o.status == "error" for o in outcomes):
        return EXIT_FAILURE  # nothing could be polled: cron and scripts hear of it
    return EXIT_OK


async def _poll(service: Service, force: bool) -> list[PollOutcome]:
    try:
        return await service.poll_once(force=force)
    finally:
        await service.close()


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.config.service import SourceHealthSettings
    from monitor.service.health import source_health
    from monitor.store import instances

    try:
        config = None if args.db else config_of(args)
    except ConfigError as exc:  # a daemon may run on its last good config meanwhile
        exc.hint = f"{exc.hint}; `stmon status --db URL` shows the store without the config"
        raise
    url = args.db or (config.storage.url if config else DEFAULT_DB)
    settings = config.service.source_health if config else SourceHealthSettings()
    now = datetime.now(UTC)
    db = open_database(url)
    try:
        with db.session() as session:
            feeds = active_feeds(session)
            counts = item_counts(session)
            members = instances.list_instances(session, now)
            health = {h.feed: h for h in source_health(session, now, settings)}
            channels = outbox_by_channel(session)
            errors = config_errors(session)
    finally:
        db.dispose()
    rows: list[dict[str, Any]] = [
        {
            "feed": f.name,
            "state": "failing" if f.failing else ("error" if f.consecutive_errors else "ok"),
            "health": health[f.name].state if f.name in health else "unknown",
            "health_reason": health[f.name].reason if f.name in health else "",
            "last_success": f.last_success,
            "items": counts.get(f.id, 0),
            "errors": f.consecutive_errors,
            "next_run": f.next_due,
            "last_error": f.last_error,
            "last_warning": f.last_warning,
            "url": f.fetch_url,
            # what is wrong: the last error or warning, else why its health is flagged
            # (a healthy feed's rhythm, "usually every 20m", is no problem)
            "problem": f.last_error
            or f.last_warning
            or (health[f.name].reason if f.name in health and health[f.name].flagged else ""),
        }
        for f in feeds
    ]
    if args.json:
        print_json_lines(rows)
        print_json_lines({"channel": name, **counts} for name, counts in channels.items())
        print_json_lines(_instance_rows(members))
        print_json_lines({"config_error": error} for error in errors)
        return EXIT_OK
    for error in errors:
        print(f"config error (running on the last good config): {error}\n")
    if not rows:
        print("no feeds yet: run `stmon poll --once` or `stmon run`")
        return EXIT_OK
    print_table(
        ["feed", "state", "health", "last success", "items", "errors", "next run", "problem"],
        [
            [
                r["feed"],
                r["state"],
                r["health"],
                r["last_success"],
                r["items"],
                r["errors"],
                r["next_run"],
                r["problem"][:60],
            ]
            for r in rows
        ],
    )
    failing = sum(1 for r in rows if r["state"] == "failing")
    quiet = sum(1 for r in rows if r["health"] == "quiet")
    print(
        f"\n{len(rows)} feeds, {failing} failing, {quiet} quiet "
        f"(times UTC, now {now:%Y-%m-%d %H:%M})"
    )
    if channels:
        print()
        print_table(
            ["channel", "pending", "sent", "dead"],
            [
                [name, c.get("pending", 0), c.get("sent", 0), c.get("dead", 0)]
                for name, c in channels.items()
            ],
        )
        dead = sum(c.get("dead", 0) for c in channels.values())
        if dead:
            print(
                f"{dead} dead alert(s): see `stmon alerts --status dead`, resend with "
                "`stmon alerts retry ID`"
            )
    if members:
        print()
        print_table(
            ["instance", "host", "pid", "last heartbeat", "feeds", "polling", "state"],
            [
                [
                    r["instance"],
                    r["host"],
                    r["pid"],
                    r["heartbeat"],
                    r["feeds"],
                    r["polling"],
                    "alive" if r["alive"] else "silent",
                ]
                for r in _instance_rows(members)
            ],
        )
    return EXIT_OK


def _instance_rows(members: list[InstanceInfo]) -> list[dict[str, Any]]:
    """The running instances (several share one PostgreSQL database) and what each holds."""
    return [
        {
            "instance": m.id,
            "host": m.host,
            "pid": m.pid,
            "started": m.started,
            "heartbeat": m.heartbeat,
            "alive": m.alive,
            "feeds": m.feeds,
            "polling": m.polling,
        }
        for m in members
    ]
