"""Server time of each web page over a store of 100,000 items and 5,000 events.

    .venv/bin/python bench/bench_web.py [--items 100000] [--events 5000] [--requests 21]

Fills a SQLite store with bulk inserts: 20 feeds; the items, each carried by one feed
over the last 30 days; the events (summit, talks, …; 10 articles each, every article
with its stored classification and evidence) and two alerts per event (one in ten
dead). Then serves the web app in this process (httpx's ASGI transport: no network,
the time is the server's: routing, queries, templates) and requests each page
``--requests`` times, printing the first request's time and the median. The target is a median
under 100 ms per page. The first request of a page pays for what the pages keep for
a minute (feed health, the filter choices: ``monitor.web.desk.SLOW_TTL``). The
playground's `rules test` (a POST that re-classifies the newest 5,000 items twice) is
measured too, apart.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from monitor.config.schema import Config
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.tables import Alert, Classification, Event, EventItem, Feed, Item, ItemSource
from monitor.web.app import create_app
from monitor.web.desk import Desk

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "config" / "rules" / "seoul-tokyo.yaml"
FEEDS = 20
PER_EVENT = 10
TYPES = ["summit_announced", "summit_held", "ministerial_talks", "leaders_call",
         "territorial_dispute", "economy_trade", "security_defense"]  # fmt: skip
STATES = ["announced", "held", "postponed", "cancelled"]
LANGS = ["en", "ko", "ja"]
WORDS = ("seoul tokyo summit minister talks trade security agreement president prime "
         "cooperation delegation visit bilateral ties history island exports").split()  # fmt: skip


def title(n: int) -> str:
    return " ".join(WORDS[(n * k + k) % len(WORDS)] for k in range(1, 10)).capitalize() + f" {n}"


def fill(db: Database, items: int, events: int, now: datetime) -> None:
    start = now - timedelta(days=30)
    step = (now - start) / items
    with db.engine.begin() as conn:
        conn.execute(insert(Feed), [
            {"id": f + 1, "name": f"outlet-{f + 1}", "url": f"https://news{f}.test/rss",
             "fetch_url": f"https://news{f}.test/rss", "last_success": now, "last_fetch": now,
             "next_due": now + timedelta(minutes=10), "consecutive_errors": 0, "failing": False,
             "active": True, "created": start}
            for f in range(FEEDS)
        ])  # fmt: skip
        for lo in range(0, items, 10_000):
            rows, sources = [], []
            for n in range(lo, min(lo + 10_000, items)):
                link, when = f"https://news.test/{n}", start + step * n
                rows.append({
                    "id": n + 1, "feed_id": n % FEEDS + 1, "source": f"outlet-{n % FEEDS + 1}",
                    "url": link, "url_key": hashlib.sha256(link.encode()).hexdigest(),
                    "guid": link, "title": title(n), "summary": f"{title(n + 1)}. {title(n + 2)}.",
                    "content": "", "published": when, "fetched": when, "language": LANGS[n % 3],
                    "content_hash": hashlib.sha256(link.encode()).hexdigest(),
                    "relevant": n % 2 == 0, "classified": when,
                })  # fmt: skip
                sources.append({"item_id": n + 1, "feed_id": n % FEEDS + 1, "guid": link,
                                "seen": when})  # fmt: skip
            conn.execute(insert(Item), rows)
            conn.execute(insert(ItemSource), sources)
        fill_events(conn, items, events, start, step)


def fill_events(conn: Any, items: int, events: int, start: datetime, step: timedelta) -> None:
    spacing = max(items // (events * PER_EVENT), 1)
    evs, links, labels, alerts = [], [], [], []
    for e in range(events):
        first = e * PER_EVENT * spacing
        kind = TYPES[e % len(TYPES)]
        when = start + step * first
        evs.append({
            "id": e + 1, "uid": f"ev-{e:016x}", "key": f"bench:{e}", "watch": "seoul-tokyo",
            "event_type": kind, "state": STATES[e % len(STATES)],
            "actors": ["KR:president", "JP:prime_minister"], "place": "Tokyo",
            "when_text": None, "headline": title(first), "score": 0.9, "alerting": True,
            "parent_id": None, "first_seen": when, "last_seen": when + step * PER_EVENT * spacing,
        })  # fmt: skip
        for k in range(PER_EVENT):
            item = min(first + k * spacing, items - 1) + 1
            links.append({"event_id": e + 1, "item_id": item, "added": when + step * k})
            evidence = [
                {"rule": f"{kind}.leaders meet", "term": "summit + president", "where": "title",
                 "weight": 0.7,
                 "snippet": f"…the president and the prime minister at summit {item}…"},
                {"rule": f"{kind}.visit", "term": "visit Tokyo", "where": "body", "weight": 0.3,
                 "snippet": f"…will visit Tokyo next month for talks {item}…"},
            ]  # fmt: skip
            labels.append({"item_id": item, "event_type": kind, "score": 0.9, "tense": None,
                           "evidence": evidence})  # fmt: skip
        for c, channel in enumerate(("desk-email", "desk-hook")):
            dead = channel == "desk-hook" and e % 10 == 0
            alerts.append({
                "idempotency_key": f"bench:{e}:{channel}", "event_id": e + 1, "channel": channel,
                "kind": "event", "delivery": "immediate",
                "payload": {"event_id": f"ev-{e:016x}", "state": STATES[e % len(STATES)],
                            "headline": title(first), "kind": "event",
                            "sources": [{"name": "outlet-1", "title": title(first),
                                         "url": f"https://news.test/{first}"}]},
                "status": "dead" if dead else "sent", "attempts": 8 if dead else 1,
                "next_attempt": when, "last_error": "connection refused" if dead else None,
                "created": when + timedelta(seconds=c), "sent": None if dead else when,
            })  # fmt: skip
    conn.execute(insert(Event), evs)
    conn.execute(insert(EventItem), links)
    conn.execute(insert(Classification), labels)
    conn.execute(insert(Alert), alerts)


async def measure(
    app: Any, pages: list[tuple[str, str]], requests: int
) -> list[tuple[str, float, float]]:
    transport = httpx.ASGITransport(app=app)
    out = []
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
        page = await client.get("/alerts")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        csrf = found.group(1)
        for name, path in pages:
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                if name.startswith("POST"):
                    form = {"csrf": csrf, "watch": "seoul-tokyo", "title": title(7),
                            "text": title(8) + ". " + title(9),
                            "candidate": RULES.read_text()}  # fmt: skip
                    response = await client.post(path, data=form)
                else:
                    response = await client.get(path)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, (
                    path,
                    response.status_code,
                    response.text[:300],
                )
            out.append((name, times[0] * 1000, statistics.median(times) * 1000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="stored items")
    parser.add_argument("--events", type=int, default=5_000, help="stored events")
    parser.add_argument("--requests", type=int, default=21, help="requests per page")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db.engine)
        began = time.perf_counter()
        fill(db, args.items, args.events, now)
        print(f"filled {args.items:,} items, {args.events:,} events in "
              f"{time.perf_counter() - began:.0f} s")  # fmt: skip
        config = Config.model_validate({"watches": [{"name": "seoul-tokyo", "rules": RULES}]})
        app = create_app(Desk(db, lambda: config))
        middle = f"ev-{args.events // 2:016x}"
        pages = [
            ("events", "/"),
            ("events, filtered", "/?type=summit_held&lang=ko&from=2000-01-01&q=tokyo"),
            ("events, page 20", "/?page=20"),
            ("event", f"/events/{middle}"),
            ("feeds", "/feeds"),
            ("alerts", "/alerts"),
            ("alerts, dead", "/alerts?status=dead"),
            ("rules playground", "/rules"),
            ("POST classify", "/rules/classify"),
        ]
        results = asyncio.run(measure(app, pages, args.requests))
        rules_test = asyncio.run(measure(app, [("POST rules test", "/rules/test")], 3))
        db.dispose()
    print(f"\n{'page':<20}{'first ms':>10}{'median ms':>11}   ({args.requests} requests each)")
    for name, first, median in results:
        print(f"{name:<20}{first:>10.1f}{median:>11.1f}")
    for name, first, median in rules_test:
        print(f"{name:<20}{first:>10.1f}{median:>11.1f}   (3 requests; 5,000 items twice)")
    slowest = max(median for _, _, median in results)
    print(f"\nslowest page median: {slowest:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
