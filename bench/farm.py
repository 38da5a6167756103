"""A local feed farm for benchmarks: N generated RSS feeds × M items on 127.0.0.1.

Run as a separate process so its work does not share the measured process's GIL:

    python bench/farm.py --feeds 500 --items 50      # prints "port=NNNN", serves until killed

``GET /feed/{i}.xml`` serves feed i with an ETag and honours If-None-Match (304).
``POST /advance?n=2`` adds n new items to every feed (the oldest fall off the end).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = (
    "seoul tokyo summit minister talks trade security agreement president prime cooperation "
    "delegation visit bilateral ties history dispute island exports investment tourism "
    "students flights anniversary statement regional partners officials economy policy"
).split()


def paragraph(seed: int, words: int = 300) -> str:
    out = []
    state = seed
    for _ in range(words):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(WORDS[state % len(WORDS)])
    return " ".join(out)


class Farm:
    def __init__(self, feeds: int, items: int) -> None:
        self.feeds, self.items = feeds, items
        self.generation = 0
        self.lock = threading.Lock()
        self.cache: dict[int, tuple[bytes, str]] = {}

    def document(self, feed: int) -> tuple[bytes, str]:
        with self.lock:
            cached = self.cache.get(feed)
            if cached is None:
                cached = self._render(feed)
                self.cache[feed] = cached
            return cached

    def advance(self, n: int) -> None:
        with self.lock:
            self.generation += n
            self.cache.clear()

    def _render(self, feed: int) -> tuple[bytes, str]:
        base = datetime(2026, 1, 1, tzinfo=UTC)
        newest = self.items + self.generation
        entries = []
        for number in range(newest, newest - self.items, -1):
            uid = f"{feed}-{number}"
            when = format_datetime(base + timedelta(minutes=number))
            text = paragraph(feed * 100003 + number, 60)
            entries.append(
                f"<item><title>Report {uid}: {text[:60]}</title>"
                f"<link>http://farm.test/{feed}/{number}?utm_source=rss</link>"
                f"<guid isPermaLink='false'>{uid}</guid><pubDate>{when}</pubDate>"
                f"<description>{text}</description></item>"
            )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Farm feed {feed}</title><link>http://farm.test/{feed}</link>"
            "<description>generated</description>" + "".join(entries) + "</channel></rss>"
        ).encode()
        return body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def make_handler(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            try:
                feed = int(self.path.removeprefix("/feed/").removesuffix(".xml"))
            except ValueError:
                self._send(404, b"")
                return
            body, etag = farm.document(feed)
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", etag)
            else:
                self._send(200, body, etag)

        def do_POST(self) -> None:
            n = int(self.path.partition("n=")[2] or 2)
            farm.advance(n)
            self._send(200, b"ok")

        def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def start(feeds: int, items: int) -> tuple[subprocess.Popen[bytes], int]:
    """Run a farm of ``feeds`` × ``items`` in its own process; returns it and its port."""
    farm = subprocess.Popen(
        [sys.executable, __file__, "--feeds", str(feeds), "--items", str(items)],
        stdout=subprocess.PIPE,
    )
    assert farm.stdout is not None
    return farm, int(farm.stdout.readline().decode().strip().partition("=")[2])


def feed_entries(port: int, feeds: int) -> list[str]:
    """The ``feeds:`` entries of a stmon config for the farm's first ``feeds`` feeds."""
    return [
        f"  - name: farm-{i}\n    url: http://127.0.0.1:{port}/feed/{i}.xml" for i in range(feeds)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    farm = Farm(args.feeds, args.items)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(farm))
    server.daemon_threads = True
    server.request_queue_size = 1024
    print(f"port={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
