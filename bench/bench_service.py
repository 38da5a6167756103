"""Cost of the service's store reads with 1,000 feeds × 50 items (SQLite file).

Times ``source_health`` (rhythm of every feed), ``health_report`` (/healthz) and one
``/metrics`` render (store gauges included); prints the median of repeated runs.

    .venv/bin/python bench/bench_service.py [--feeds 1000] [--items 50]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, update

from monitor.config.service import ServiceSettings
from monitor.service.health import SourceWatch
from monitor.service.metrics import store_metrics
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import active_feeds, sync_feeds
from monitor.store.tables import Feed, Item, ItemSource

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def fill(db: Database, feeds: int, items: int) -> None:
    with db.session() as session:
        sync_feeds(
            session, [(f"feed{n}", f"https://f{n}.example.org/rss") for n in range(feeds)], NOW
        )
        session.execute(update(Feed).values(last_success=NOW))
        for feed in active_feeds(session):
            gap = timedelta(minutes=5 + feed.id % 120)
            rows = []
            for i in range(items):
                when = NOW - gap * i
                key = hashlib.sha256(f"{feed.id}:{i}".encode()).hexdigest()
                rows.append({"feed_id": feed.id, "source": feed.name, "url": f"https://x/{key}",
                             "url_key": key, "guid": key, "title": "t", "summary": "",
                             "content": "", "published": when, "fetched": when,
                             "language": "en", "content_hash": key})  # fmt: skip
            session.execute(insert(Item), rows)
            ids = session.execute(
                Item.__table__.select().with_only_columns(Item.id, Item.published)
                .where(Item.feed_id == feed.id)
            ).all()  # fmt: skip
            session.execute(insert(ItemSource), [
                {"item_id": i, "feed_id": feed.id, "guid": str(i), "seen": p} for i, p in ids
            ])  # fmt: skip


def median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        migrate.upgrade(db.engine)
        fill(db, args.feeds, args.items)
        settings = ServiceSettings()
        metrics = store_metrics(db, clock=lambda: NOW)
        watch = SourceWatch(db, settings, started=NOW - timedelta(days=1))
        print(f"feeds={args.feeds} items/feed={args.items} (SQLite, median of 7)")
        print(
            f"SourceWatch.refresh {median_ms(lambda: watch.refresh(NOW)):8.1f} ms  (every few min)"
        )
        print(f"SourceWatch.report  {median_ms(lambda: watch.report(NOW)):8.1f} ms  (/healthz)")
        size = len(metrics.render())
        print(f"Metrics.render      {median_ms(metrics.render):8.1f} ms  (/metrics, {size} B)")
        db.dispose()


if __name__ == "__main__":
    main()
