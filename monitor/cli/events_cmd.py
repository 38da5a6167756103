"""`stmon events`: what happened, and the coverage of each event."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.app import open_database
from monitor.cli.common import (
    add_db_option,
    add_json_option,
    config_of,
    print_json_lines,
    print_table,
    terminal_safe,
)
from monitor.cli.exits import EXIT_FAILURE, EXIT_OK
from monitor.config.types import parse_duration
from monitor.store.db import Database
from monitor.store.tables import Event, EventItem, Item


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = sub.add_parser("events", help="list recent events, newest first")
    events.add_argument("--since", metavar="DURATION", default="7d",
                        help="only events seen within, e.g. 24h (default 7d)")  # fmt: skip
    events.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    add_db_option(events)
    add_json_option(events)
    events.set_defaults(func=cmd_events)
    inner = events.add_subparsers(dest="events_command", metavar="SUBCOMMAND")
    show = inner.add_parser("show", help="the timeline of one event's coverage")
    show.add_argument("id", metavar="ID", help="event uid (or numeric id)")
    add_db_option(show)
    add_json_option(show)
    show.set_defaults(func=cmd_show)


def _open(args: argparse.Namespace) -> Database:
    return open_database(args.db or config_of(args).storage.url)


def event_record(event: Event, articles: int, sources: int) -> dict[str, Any]:
    return {
        "id": event.id,
        "uid": event.uid,
        "watch": event.watch,
        "type": event.event_type,
        "state": event.state,
        "actors": list(event.actors),
        "when": event.when_text,
        "place": event.place,
        "headline": event.headline,
        "score": event.score,
        "alerting": event.alerting,
        "first_seen": event.first_seen,
        "last_seen": event.last_seen,
        "articles": articles,
        "sources": sources,
    }


def list_events(session: Session, since: datetime, limit: int) -> list[dict[str, Any]]:
    counts = (
        select(
            EventItem.event_id,
            func.count(EventItem.item_id).label("articles"),
            func.count(func.distinct(Item.source)).label("sources"),
        )
        .join(Item, Item.id == EventItem.item_id)
        .group_by(EventItem.event_id)
        .subquery()
    )
    query = (
        select(Event, counts.c.articles, counts.c.sources)
        .outerjoin(counts, counts.c.event_id == Event.id)
        .where(Event.last_seen >= since)
        .order_by(Event.first_seen.desc(), Event.id.desc())
        .limit(max(limit, 0))
    )
    return [event_record(e, a or 0, s or 0) for e, a, s in session.execute(query)]


def find_event(session: Session, ident: str) -> Event | None:
    match = Event.uid == ident
    if ident.isdigit():
        return session.scalar(select(Event).where(or_(match, Event.id == int(ident))))
    return session.scalar(select(Event).where(match))


def timeline(session: Session, event: Event) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Item, EventItem.added)
        .join(EventItem, EventItem.item_id == Item.id)
        .where(EventItem.event_id == event.id)
        .order_by(Item.published, Item.id)
    )
    return [
        {"item": item.id, "published": item.published, "added": added, "source": item.source,
         "story": item.story_id, "title": item.title, "url": item.url}
        for item, added in rows
    ]  # fmt: skip


def cmd_events(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - parse_duration(args.since)
    db = _open(args)
    try:
        with db.session() as session:
            records = list_events(session, since, args.limit)
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
            event = find_event(session, args.id)
            if event is None:
                print(f"error: no event '{args.id}'", file=sys.stderr)
                return EXIT_FAILURE
            parent = session.get(Event, event.parent_id) if event.parent_id else None
            coverage = timeline(session, event)
            record = event_record(event, len(coverage), len({c["source"] for c in coverage}))
            record["parent"] = parent.uid if parent is not None else None
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
