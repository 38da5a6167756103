"""Parser processes: parsing (feedparser) is most of the CPU a changed feed costs, so
``ParsePool`` runs it in child processes while the poller's own process keeps fetching
and storing on another core.

A worker is ``python -m monitor.poll.parser_process``: it imports ``monitor.parse.items`` and
little else, reads requests from stdin and answers on stdout, one at a time (a 4-byte
length, then a pickle: the arguments of ``parse_packed`` there, its result back). It
shares nothing with the poller but the body it is sent and the items it sends back.
It ignores SIGINT and SIGTERM (the poller decides when it stops: after its polls
finish, by closing its stdin) and exits at the end of its input, so it never outlives
the poller. Workers start on first use; if one dies, the feed it was parsing is parsed
in the poller and a new worker starts for the next.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import signal
import struct
import sys
from datetime import datetime
from typing import Any, BinaryIO

from monitor.errors import ParseError
from monitor.model import Item
from monitor.novelty.minhash import packed, story_text
from monitor.parse.items import FeedItems, parse_items

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<I")


Packed = tuple[str | None, int | None, tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]


def parse_packed(
    body: bytes, content_type: str, url: str, source: str, fetched: datetime, minhash: bool
) -> Packed:
    """``parse_items`` for a worker: (error, ttl, warnings, skipped, item field tuples);
    with ``minhash``, each item's signature too (``Item.minhash``), else None."""
    try:
        found = parse_items(body, content_type, url, source, fetched)
    except ParseError as exc:
        return exc.message, None, (), (), []
    texts = [story_text(i.title, i.text) for i in found.items]
    sigs: list[bytes | None] = list(packed(texts)) if minhash else [None] * len(texts)
    rows = [
        (i.url, i.guid, i.title, i.summary, i.content, i.author, i.published, i.language,
         i.content_hash, sig)
        for i, sig in zip(found.items, sigs, strict=True)
    ]  # fmt: skip
    return None, found.ttl_minutes, found.warnings, found.skipped, rows


def unpack(packed: Packed, source: str, fetched: datetime) -> FeedItems:
    """The FeedItems that ``parse_packed`` packed (raises its ParseError)."""
    error, ttl, warnings, skipped, rows = packed
    if error is not None:
        raise ParseError(error)
    items = [
        Item(source, url, guid, title, summary, content, author, published, fetched, language,
             content_hash, sig)
        for url, guid, title, summary, content, author, published, language, content_hash, sig
        in rows
    ]  # fmt: skip
    return FeedItems(items, ttl, warnings, skipped)


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def call(self, args: tuple[Any, ...]) -> Packed:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(_LENGTH.pack(len(data)) + data)
        await self.proc.stdin.drain()
        (size,) = _LENGTH.unpack(await self.proc.stdout.readexactly(_LENGTH.size))
        packed: Packed = pickle.loads(await self.proc.stdout.readexactly(size))
        return packed

    async def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class ParsePool:
    """``workers`` parser processes, each parsing one document at a time; with ``minhash``
    they also compute the items' MinHash signatures (``Item.minhash``)."""

    def __init__(self, workers: int, *, minhash: bool = False) -> None:
        self.workers = workers
        self.minhash = minhash
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._slots: asyncio.Semaphore | None = None

    async def parse(
        self, body: bytes, content_type: str, url: str, source: str, fetched: datetime
    ) -> FeedItems:
        args = (body, content_type, url, source, fetched, self.minhash)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            worker = self._idle.pop() if self._idle else await self._start()
            try:
                packed = await worker.call(args)
            except (OSError, EOFError, asyncio.IncompleteReadError, pickle.PickleError) as exc:
                log.warning("parse_worker_failed feed=%s error=%r: parsing here", source, exc)
                self._all.remove(worker)
                await worker.close()
                packed = parse_packed(*args)
            except BaseException:  # cancelled mid-answer: the worker's pipe is out of step
                self._all.remove(worker)
                await asyncio.shield(worker.close())
                raise
            else:
                self._idle.append(worker)
        return unpack(packed, source, fetched)

    async def _start(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = _Worker(proc)
        self._all.append(worker)
        return worker

    async def close(self) -> None:
        workers, self._all, self._idle = self._all, [], []
        await asyncio.gather(*(w.close() for w in workers))


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """A worker's loop: answer each request until the end of ``requests``."""
    while header := requests.read(_LENGTH.size):
        if len(header) < _LENGTH.size:
            return
        (size,) = _LENGTH.unpack(header)
        args = pickle.loads(requests.read(size))
        data = pickle.dumps(parse_packed(*args), protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_LENGTH.pack(len(data)) + data)
        answers.flush()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
