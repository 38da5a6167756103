"""End-to-end alert latency: from the moment the fetch of a feed holding a new summit
announcement completes to the moment a webhook receiver on 127.0.0.1 has the alert.

Each run uses a fresh SQLite database (so every run is a new event), the shipped rules,
and the real pipeline (parse → normalise → store → classify → novelty → route → outbox →
delivery worker → HTTP). Prints p50/p95/max over N runs; the target is p95 < 1 s.

    .venv/bin/python bench/bench_latency.py [--runs 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.app import build_pipeline, build_service
from monitor.config.schema import Config
from monitor.fetch.client import Fetcher
from monitor.model import Claim, FetchResult
from monitor.poll.poller import FeedSpec
from monitor.store import migrate
from monitor.store.db import Database

REPO = Path(__file__).resolve().parents[1]
TEXT = (
    "President Lee Jae-myung will visit Tokyo next month to hold a summit with Japanese Prime "
    "Minister Shigeru Ishiba, the presidential office said. The two leaders are expected to "
    "discuss shuttle diplomacy, trade and the North Korean nuclear issue. "
) * 4


class Receiver:
    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.at = time.perf_counter()
                receiver.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Feeds:
    def __init__(self) -> None:
        self.body = b""
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(feeds.body)))
                self.end_headers()
                self.wfile.write(feeds.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, n: int) -> None:
        self.body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>w</title>'
            f"<item><title>Lee, Ishiba to hold summit in Tokyo (run {n})</title>"
            f"<link>https://e.test/{n}</link><guid>run-{n}</guid>"
            f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate>"
            f"<description>{TEXT}</description></item></channel></rss>"
        ).encode()


class TimedFetcher(Fetcher):
    done = 0.0

    async def fetch(self, state: Claim) -> FetchResult:
        result = await super().fetch(state)
        TimedFetcher.done = time.perf_counter()
        return result


async def one_run(n: int, config: Config, folder: Path, feeds: Feeds, hook: Receiver) -> float:
    db = Database(f"sqlite:///{folder / f'run{n}.db'}")
    migrate.upgrade(db.engine)
    service = build_service(config, db, build_pipeline(config))
    service.poller.fetcher.__class__ = TimedFetcher
    stop = asyncio.Event()
    worker = asyncio.create_task(service.worker.run(stop))
    feeds.publish(n)
    hook.arrived.clear()
    spec = FeedSpec("wire", config.feeds[0].url.unicode_string(), 600.0)
    await service.poller.poll(spec)
    arrived = await asyncio.to_thread(hook.arrived.wait, 10)
    stop.set()
    await worker
    await service.close()
    db.dispose()
    if not arrived:
        raise SystemExit(f"run {n}: no alert arrived")
    return hook.at - TimedFetcher.done


async def main(runs: int) -> None:
    feeds, hook = Feeds(), Receiver()
    config = Config.model_validate(
        {
            "feeds": [{"name": "wire", "url": f"http://127.0.0.1:{feeds.server.server_port}/"}],
            "channels": {
                "hook": {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{hook.server.server_port}/",
                    "secret": "s",
                }
            },
            "watches": [
                {
                    "name": "w",
                    "rules": str(REPO / "config" / "rules" / "seoul-tokyo.yaml"),
                    "routes": [{"types": ["summit_announced"], "channels": ["hook"]}],
                }
            ],
        }
    )
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(runs):
            latencies.append(await one_run(n, config, Path(tmp), feeds, hook))
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"alert latency after fetch, {runs} runs: p50 {p50 * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms (target p95 < 1000 ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    asyncio.run(main(parser.parse_args().runs))
