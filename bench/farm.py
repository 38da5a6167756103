"""A local feed farm for benchmarks: N generated RSS feeds × M items on 127.0.0.1.

Run as a separate process so its work does not share the measured process's GIL:

    python bench/farm.py --feeds 500 --items 50      # prints "port=NNNN", serves until killed

``GET /feed/{i}.xml`` serves feed i with an ETag and honours If-None-Match (304).
``POST /advance?n=2`` adds n new items to every feed (the oldest fall off the end).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

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
        self.cache: dict[int, tuple[bytes, str]] = {}

    def document(self, feed: int) -> tuple[bytes, str]:
        cached = self.cache.get(feed)
        if cached is None:
            cached = self.cache[feed] = self._render(feed)
        return cached

    def advance(self, n: int) -> None:
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


class Server:
    """HTTP/1.1 with keep-alive on one asyncio loop: just enough for the poller and the floor.

    One thread answers every connection, so 16 clients at once do not queue behind a
    shared interpreter lock as a thread-per-connection server's handlers would.
    """

    def __init__(self, farm: Farm) -> None:
        self.farm = farm

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                writer.write(self.answer(method, path, headers.get("if-none-match")))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        finally:
            writer.close()

    def answer(self, method: str, path: str, if_none_match: str | None) -> bytes:
        if method == "POST":
            self.farm.advance(int(path.partition("n=")[2] or 2))
            return _response(200, b"ok")
        try:
            feed = int(path.removeprefix("/feed/").removesuffix(".xml"))
        except ValueError:
            return _response(404, b"")
        body, etag = self.farm.document(feed)
        if if_none_match == etag:
            return _response(304, b"", etag)
        return _response(200, body, etag)


def _response(status: int, body: bytes, etag: str | None = None) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    head = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/rss+xml",
        f"Content-Length: {len(body)}",
    ]
    if etag:
        head.append(f"ETag: {etag}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


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
    asyncio.run(serve(Farm(args.feeds, args.items), args.port))


async def serve(farm: Farm, port: int) -> None:
    server = await asyncio.start_server(Server(farm).handle, "127.0.0.1", port, backlog=1024)
    print(f"port={server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    main()
