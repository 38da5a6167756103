"""A farm of generated feeds on 127.0.0.1 that records every fetch, and scratch databases.

    with FeedFarm(feeds=300, keep=8, delay=0.2) as farm:
        farm.url(7)                 # http://127.0.0.1:PORT/feed/7.xml
        farm.advance()              # one new item in every feed
        farm.fetches(7)             # [Fetch(start, end, status), ...] (time.monotonic)
        farm.publish(7, Story(...)) # one more item, only in feed 7 (a reprint of a story)

Each feed document holds its ``keep`` newest items (item numbers 1..top, top grows with
``advance``), has an ETag and answers If-None-Match with 304. ``delay`` holds every
answer back a little, as a distant server would, so polls overlap as they do in life.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Fetch:
    feed: int
    start: float
    end: float
    status: int


@dataclass(frozen=True, slots=True)
class Story:
    """An item published in one feed besides the generated ones (a news report)."""

    guid: str
    title: str
    link: str
    text: str
    published: datetime

    def render(self) -> str:
        return (
            f"<item><title>{escape(self.title)}</title><link>{escape(self.link)}</link>"
            f"<guid isPermaLink='false'>{escape(self.guid)}</guid>"
            f"<pubDate>{format_datetime(self.published)}</pubDate>"
            f"<description>{escape(self.text)}</description></item>"
        )


def item_guid(feed: int, number: int) -> str:
    return f"farm-{feed}-{number}"


class FeedFarm:
    def __init__(self, feeds: int, *, keep: int = 8, first: int = 3, delay: float = 0.0) -> None:
        self.feeds, self.keep, self.delay = feeds, keep, delay
        self.top = first
        self._lock = threading.Lock()
        self._log: list[Fetch] = []
        self._cache: dict[int, tuple[bytes, str]] = {}
        self._stories: dict[int, list[Story]] = {}
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.request_queue_size = 512
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedFarm:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def url(self, feed: int) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/feed/{feed}.xml"

    def advance(self) -> int:
        """Publish one more item in every feed; returns the newest item number."""
        with self._lock:
            self.top += 1
            self._cache.clear()
            return self.top

    def publish(self, feed: int, story: Story) -> None:
        """Add ``story`` to feed ``feed`` (on top of its generated items, kept for good)."""
        with self._lock:
            self._stories.setdefault(feed, []).append(story)
            self._cache.pop(feed, None)

    def fetches(self, feed: int | None = None) -> list[Fetch]:
        with self._lock:
            return [f for f in self._log if feed is None or f.feed == feed]

    def document(self, feed: int) -> tuple[bytes, str]:
        with self._lock:
            cached = self._cache.get(feed)
            if cached is None:
                cached = self._cache[feed] = self._render(feed, self.top)
            return cached

    def record(self, fetch: Fetch) -> None:
        with self._lock:
            self._log.append(fetch)

    def _render(self, feed: int, top: int) -> tuple[bytes, str]:
        entries = [story.render() for story in reversed(self._stories.get(feed, []))]
        for number in range(top, max(0, top - self.keep), -1):
            guid = item_guid(feed, number)
            when = format_datetime(BASE + timedelta(minutes=number))
            entries.append(
                f"<item><title>Farm report {feed}.{number}</title>"
                f"<link>http://farm.test/{feed}/{number}</link>"
                f"<guid isPermaLink='false'>{guid}</guid><pubDate>{when}</pubDate>"
                f"<description>Item {number} of farm feed {feed}, text {guid}.</description></item>"
            )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Farm feed {feed}</title><link>http://farm.test/{feed}</link>"
            "<description>generated</description>" + "".join(entries) + "</channel></rss>"
        ).encode()
        return body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client killed mid-answer (SIGKILL in the tests) is expected


def _handler(farm: FeedFarm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            start = time.monotonic()
            status = 0
            try:
                feed = int(self.path.removeprefix("/feed/").removesuffix(".xml"))
            except ValueError:
                self._send(404, b"")
                return
            try:
                if farm.delay:
                    time.sleep(farm.delay)
                body, etag = farm.document(feed)
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                self._send(status, b"" if status == 304 else body, etag)
            finally:
                farm.record(Fetch(feed, start, time.monotonic(), status))

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


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database (through the admin URL), dropped afterwards."""
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"stmon_multi_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
