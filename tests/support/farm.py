"""A farm of generated RSS feeds on 127.0.0.1, for the tests and the benchmarks.

In this process (a thread for each connection, as many as the clients open), recording
every fetch:

    with FeedFarm(300, keep=8, delay=0.2) as farm:
        farm.url(7)                 # http://127.0.0.1:PORT/feed/7.xml
        farm.advance()              # one new item in every feed
        farm.fetches(7)             # [Fetch(feed, start, end, status), ...] (time.monotonic)
        farm.publish(7, Story(...)) # one more item, only in feed 7 (a reprint of a story)

In a process of its own, so its work does not share the measured process's interpreter
lock (the benchmarks):

    proc, port = start(500, items=50)                      # or, from the checkout:
    python -m tests.support.farm --feeds 500 --items 50    # prints "port=NNNN", serves until killed

``GET /feed/{i}.xml`` serves feed i: its ``keep`` newest items (numbers 1..top; top starts
at ``first`` and grows with ``advance``), with an ETag, answering If-None-Match with 304.
``POST /advance?n=2`` adds n new items to every feed. ``words`` gives each generated item
a description of that many generated words (the benchmarks' articles) instead of one
sentence. ``delay`` holds every answer back a little, as a distant server would, so polls
overlap as they do in life. Both servers speak HTTP/1.1 with keep-alive and answer alike
(``route``, ``answer``, ``record``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
BASE = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = (
    "seoul tokyo summit minister talks trade security agreement president prime cooperation "
    "delegation visit bilateral ties history dispute island exports investment tourism "
    "students flights anniversary statement regional partners officials economy policy"
).split()
REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found"}


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


def paragraph(seed: int, words: int) -> str:
    """``words`` words drawn from WORDS by a small generator seeded with ``seed``."""
    out = []
    state = seed
    for _ in range(words):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(WORDS[state % len(WORDS)])
    return " ".join(out)


class FeedFarm:
    def __init__(
        self,
        feeds: int,
        *,
        keep: int = 8,
        first: int = 3,
        delay: float = 0.0,
        words: int = 0,
        port: int = 0,
    ) -> None:
        self.feeds, self.keep, self.delay, self.words = feeds, keep, delay, words
        self.top = first
        self.port = port
        self._lock = threading.Lock()
        self._log: list[Fetch] = []
        self._cache: dict[int, tuple[bytes, str]] = {}
        self._stories: dict[int, list[Story]] = {}
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- the feeds ---------------------------------------------------------------------

    def url(self, feed: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{feed}.xml"

    def advance(self, n: int = 1) -> int:
        """Publish ``n`` more items in every feed; returns the newest item number."""
        with self._lock:
            self.top += n
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
        """Feed ``feed``'s document and its ETag (made once per change)."""
        with self._lock:
            cached = self._cache.get(feed)
            if cached is None:
                cached = self._cache[feed] = self._render(feed, self.top)
            return cached

    def _render(self, feed: int, top: int) -> tuple[bytes, str]:
        entries = [story.render() for story in reversed(self._stories.get(feed, []))]
        for number in range(top, max(0, top - self.keep), -1):
            guid = item_guid(feed, number)
            when = format_datetime(BASE + timedelta(minutes=number))
            title = f"Farm report {feed}.{number}"
            if self.words:
                text = paragraph(feed * 100003 + number, self.words)
                title += f": {text[:60]}"
            else:
                text = f"Item {number} of farm feed {feed}, text {guid}."
            entries.append(
                f"<item><title>{title}</title>"
                f"<link>http://farm.test/{feed}/{number}?utm_source=rss</link>"
                f"<guid isPermaLink='false'>{guid}</guid><pubDate>{when}</pubDate>"
                f"<description>{text}</description></item>"
            )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Farm feed {feed}</title><link>http://farm.test/{feed}</link>"
            "<description>generated</description>" + "".join(entries) + "</channel></rss>"
        ).encode()
        return body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    # -- answering (both servers) -------------------------------------------------------

    def route(self, method: str, path: str) -> int | bytes:
        """The feed a request asks for, or the whole answer to any other request."""
        if method == "POST" and path.startswith("/advance"):
            self.advance(int(path.partition("n=")[2] or 1))
            return _response(200, b"ok")
        try:
            return int(path.removeprefix("/feed/").removesuffix(".xml"))
        except ValueError:
            return _response(404, b"")

    def answer(self, feed: int, if_none_match: str | None) -> tuple[int, bytes]:
        """(status, whole answer) for a GET of ``feed`` (after the farm's ``delay``)."""
        body, etag = self.document(feed)
        status = 304 if if_none_match == etag else 200
        return status, _response(status, b"" if status == 304 else body, etag)

    def record(self, fetch: Fetch) -> None:
        with self._lock:
            self._log.append(fetch)

    # -- serving in a thread of this process ---------------------------------------------

    def __enter__(self) -> FeedFarm:
        """Serve from threads of this process (one per connection) until the block ends."""
        self._server = _QuietServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    # -- serving from an event loop (a process of its own) ---------------------------------

    async def serve(self, listening: Callable[[], None] | None = None) -> None:
        """Answer on 127.0.0.1:``port`` (0: any free port, then in ``self.port``) forever.

        One loop answers every connection, so many clients at once do not queue behind
        the interpreter lock as thread-per-connection handlers would.
        """
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        if listening is not None:
            listening()
        await server.serve_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                routed = self.route(method, path)
                if isinstance(routed, bytes):
                    writer.write(routed)
                    await writer.drain()
                else:
                    start = time.monotonic()
                    if self.delay:
                        await asyncio.sleep(self.delay)  # the distant server's answer time
                    status, response = self.answer(routed, headers.get("if-none-match"))
                    writer.write(response)
                    await writer.drain()
                    self.record(Fetch(routed, start, time.monotonic(), status))
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return  # the client went away
        finally:
            writer.close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client killed mid-answer (SIGKILL in the tests) is expected


def _handler(farm: FeedFarm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            routed = farm.route("GET", self.path)
            if isinstance(routed, bytes):
                self.wfile.write(routed)
                return
            start = time.monotonic()
            status = 0
            try:
                if farm.delay:
                    time.sleep(farm.delay)  # the distant server's answer time
                status, response = farm.answer(routed, self.headers.get("If-None-Match"))
                self.wfile.write(response)
            finally:
                farm.record(Fetch(routed, start, time.monotonic(), status))

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            routed = farm.route("POST", self.path)
            self.wfile.write(routed if isinstance(routed, bytes) else _response(404, b""))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _response(status: int, body: bytes, etag: str | None = None) -> bytes:
    head = [
        f"HTTP/1.1 {status} {REASONS[status]}",
        "Content-Type: application/rss+xml",
        f"Content-Length: {len(body)}",
    ]
    if etag:
        head.append(f"ETag: {etag}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def start(feeds: int, items: int) -> tuple[subprocess.Popen[bytes], int]:
    """A farm of ``feeds`` feeds × ``items`` items in its own process; it and its port."""
    farm = subprocess.Popen(
        [sys.executable, "-m", "tests.support.farm", "--feeds", str(feeds), "--items", str(items)],
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    assert farm.stdout is not None
    with farm.stdout:  # the farm prints nothing after its port
        port = int(farm.stdout.readline().decode().strip().partition("=")[2])
    return farm, port


def feed_entries(port: int, feeds: int) -> list[str]:
    """The ``feeds:`` entries of a stmon config for the farm's first ``feeds`` feeds."""
    return [
        f"  - name: farm-{i}\n    url: http://127.0.0.1:{port}/feed/{i}.xml" for i in range(feeds)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50, help="items in each feed")
    parser.add_argument("--words", type=int, default=60, help="words in each item's text")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    farm = FeedFarm(args.feeds, keep=args.items, first=args.items, words=args.words, port=args.port)

    def listening() -> None:
        print(f"port={farm.port}", flush=True)

    asyncio.run(farm.serve(listening))


if __name__ == "__main__":
    main()
