"""Parser processes: parsing and classifying are most of the CPU a changed feed costs,
and parsing is the part a hostile document attacks, so ``ParsePool`` runs them in child
processes while the poller's own process keeps fetching and storing on another core.
A worker leaves out the entries the feed gave lately (the poller sends their GUID keys),
classifies the others with the watches' rules (the poller's compiled rule sets,
pickled, sent once per worker) and signs the relevant ones (MinHash).

A worker is ``python -m monitor.poll.parser_process --memory-limit BYTES``: it limits its
own address space to BYTES (``RLIMIT_AS``, ``fetch.parser_memory`` in the config) before
it reads anything, imports ``monitor.parse.items`` and little else, reads requests from
stdin and answers on stdout, one at a time (a 4-byte length, then a pickle: there, the
arguments of ``parse_packed``; back, its result and whether the worker leaves after it).
It shares nothing with the poller but the body it is sent and the items it sends back.
It ignores SIGINT and SIGTERM (the poller decides when it stops: after its polls finish,
by closing its stdin) and exits at the end of its input, so it never outlives the poller.

What goes wrong in a worker is the feed's ParseError, never the poller's: an exception
while parsing is the answer (the worker goes on); a MemoryError (the document needed
more than the limit) is answered with "parser ran out of memory (limit …)" and the
worker exits; a worker that dies while parsing (killed, crashed) fails that feed with
"parser process died"; one that gives no answer within ``ANSWER_TIMEOUT`` seconds
(stuck, stopped, its pipe out of step) is killed and fails that feed with "parser
process gave no answer". The document is never parsed again in the poller's own process,
which has no such limit. Workers start on first use; one found dead before it was
given a document is replaced, and the document goes to the new one.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import pickle
import resource
import signal
import struct
import sys
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from monitor.errors import ParseError
from monitor.log import log_event, setup_logging
from monitor.model import Classification, Item
from monitor.novelty.minhash import signatures, story_text
from monitor.parse.items import MAX_ENTRIES, FeedItems, parse_items

if TYPE_CHECKING:
    from monitor.classify.ruleset import RuleSet

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<I")
MEMORY_LIMIT = 1024**3  # bytes of address space a worker may use, unless configured
# seconds a worker may take to answer for one document: a bounded document (at most
# MAX_ENTRIES entries) takes well under a second; a worker that does not answer (stuck,
# stopped, out of step with its pipe) is killed and that feed fails, to be fetched again
ANSWER_TIMEOUT = 120.0
# seconds a worker may wait for its next document before it is stopped (``fetch.parser_idle``)
IDLE_EXIT = 60.0
# documents waiting for a parser process before one more is used (up to ``workers``):
# a daemon whose documents come one at a time keeps one process, a cycle that brings
# many at once (a first poll, a burst of news) uses every core. Measured on 2 cores: a
# cold cycle of 500 feeds took 9.0 s with two processes against 10.7 s with one
# (docs/benchmarks.md), while a second process kept for every rare overlap of two
# documents would hold ~55 MB in the daemon between cycles.
BACKLOG = 4
# a worker computes MinHash signatures with numpy: one BLAS thread is all it needs, and
# each further thread would reserve address space under the limit
_WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# how a pipe to a worker fails when the worker is gone
_GONE = (OSError, EOFError, asyncio.IncompleteReadError, pickle.PickleError)


# the rules a worker classifies with: (watch, key, the pickled rule set or None when
# the worker was sent it before under that key)
RulesRef = tuple[str, str, bytes | None]
# (error, ttl, warnings, skipped, item field tuples, entries left out as known, per item
# each watch's verdict or None)
Packed = tuple[
    str | None,
    int | None,
    tuple[str, ...],
    tuple[str, ...],
    list[tuple[Any, ...]],
    int,
    list[dict[str, Classification]] | None,
]
# rule sets by key, in a worker (a few: a reloaded rules file comes under a new key)
_COMPILED: dict[str, RuleSet] = {}
_KEEP_COMPILED = 8


def parse_packed(
    body: bytes,
    content_type: str,
    url: str,
    source: str,
    fetched: datetime,
    max_items: int = MAX_ENTRIES,
    known: frozenset[str] = frozenset(),
    rules: tuple[RulesRef, ...] = (),
) -> Packed:
    """``parse_items`` for a worker, leaving out the entries whose GUID key is in
    ``known`` (the feed gave them before: the store would skip them too), and with
    ``rules``, each watch's verdict on every item left.

    The items a watch finds relevant come with their MinHash signatures (``Item.minhash``:
    only they go into stories; most items of a document are known or irrelevant); the
    novelty stage computes those of items classified elsewhere. If classifying fails
    here, the answer carries no verdicts, and the items are classified in the poller's
    process, where a failure is the item's (logged, counted and retried as any
    processing failure)."""
    try:
        found = parse_items(body, content_type, url, source, fetched, max_items, known)
    except ParseError as exc:
        return failed(exc.message)
    items = found.items
    verdicts = _classified(items, rules, source) if rules and items else None
    sigs = _signed(items, verdicts)
    rows = [
        (i.url, i.guid, i.title, i.summary, i.content, i.author, i.published, i.language,
         i.content_hash, sig)
        for i, sig in zip(items, sigs, strict=True)
    ]  # fmt: skip
    return None, found.ttl_minutes, found.warnings, found.skipped, rows, found.known, verdicts


def _classified(
    items: list[Item], rules: tuple[RulesRef, ...], source: str
) -> list[dict[str, Classification]] | None:
    """Each watch's verdict on each item; None (and an error logged) when that failed."""
    try:
        compiled = [(watch, _compiled(key, blob)) for watch, key, blob in rules]
        return [{w: r.classify(i.title, i.text) for w, r in compiled} for i in items]
    except Exception as exc:  # classified again in the poller's process, which records it
        error = f"{type(exc).__name__}: {exc}"
        log_event(log, logging.ERROR, "parse_worker_classify_failed", feed=source,
                  error=error, hint="classified in the poller")  # fmt: skip
        return None


def _signed(
    items: list[Item], verdicts: list[dict[str, Classification]] | None
) -> list[bytes | None]:
    """The signature of each item some watch found relevant (b"": its text has none)."""
    if verdicts is None:
        return [None] * len(items)
    relevant = [any(v.relevant for v in by_watch.values()) for by_watch in verdicts]
    texts = [story_text(i.title, i.text) for i, r in zip(items, relevant, strict=True) if r]
    computed = iter(signatures(texts) if texts else [])
    return [(next(computed) or b"") if r else None for r in relevant]


def _compiled(key: str, blob: bytes | None) -> RuleSet:
    rules = _COMPILED.get(key)
    if rules is None:
        if blob is None:
            raise KeyError(f"rules {key} were not sent to this worker")
        while len(_COMPILED) >= _KEEP_COMPILED:
            _COMPILED.pop(next(iter(_COMPILED)))
        rules = _COMPILED[key] = pickle.loads(blob)  # (the poller's, which it compiled)
    return rules


def failed(reason: str) -> Packed:
    """The answer for a document that gave no items: ``reason`` becomes its ParseError."""
    return reason, None, (), (), [], 0, None


def unpack(packed: Packed, source: str, fetched: datetime) -> FeedItems:
    """The FeedItems that ``parse_packed`` packed (raises its ParseError)."""
    error, ttl, warnings, skipped, rows, known, verdicts = packed
    if error is not None:
        raise ParseError(error)
    items = [
        Item(source, url, guid, title, summary, content, author, published, fetched, language,
             content_hash, sig)
        for url, guid, title, summary, content, author, published, language, content_hash, sig
        in rows
    ]  # fmt: skip
    by_text: dict[tuple[str, str], dict[str, Classification]] = {}
    if verdicts is not None:
        by_text = {(i.title, i.text): v for i, v in zip(items, verdicts, strict=True)}
    return FeedItems(items, ttl, warnings, skipped, known, by_text)


def size_text(size: int) -> str:
    """``1073741824`` as ``1 GiB``, ``805306368`` as ``768 MiB``."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


class WorkerDied(Exception):
    """The worker's pipe broke: it was gone before it was ``asked``, or died after."""

    def __init__(self, *, asked: bool) -> None:
        super().__init__("asked" if asked else "not asked")
        self.asked = asked


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.rules: set[str] = set()  # the keys of the rules it was sent
        self.idle_since = 0.0  # the event loop's time when it last answered

    async def call(self, args: tuple[Any, ...]) -> tuple[Packed, bool]:
        """The worker's answer, and whether it is leaving after it; ``WorkerDied`` when
        it is gone."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(_LENGTH.pack(len(data)) + data)
            await self.proc.stdin.drain()
        except _GONE as exc:
            raise WorkerDied(asked=False) from exc
        try:
            (size,) = _LENGTH.unpack(await self.proc.stdout.readexactly(_LENGTH.size))
            answer: tuple[Packed, bool] = pickle.loads(await self.proc.stdout.readexactly(size))
        except _GONE as exc:
            raise WorkerDied(asked=True) from exc
        return answer

    def how_it_ended(self) -> str:
        code = self.proc.returncode
        if code is None:
            return "its pipe broke"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    async def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class ParsePool:
    """Up to ``workers`` parser processes, each parsing one document at a time within
    ``memory_limit`` bytes of address space and keeping a document's newest
    ``max_items`` items. One parses at a time, and one more for every ``BACKLOG``
    documents waiting; a worker without a document for ``idle_exit`` seconds is stopped."""

    def __init__(
        self,
        workers: int,
        *,
        memory_limit: int = MEMORY_LIMIT,
        max_items: int = MAX_ENTRIES,
        answer_timeout: float = ANSWER_TIMEOUT,
        idle_exit: float = IDLE_EXIT,
    ) -> None:
        self.workers = workers
        self.memory_limit = memory_limit
        self.max_items = max_items
        self.answer_timeout = answer_timeout
        self.idle_exit = idle_exit
        self._idle: list[_Worker] = []  # the most recently used last
        self._all: list[_Worker] = []
        self._expiry: asyncio.TimerHandle | None = None
        self._stopping: set[asyncio.Task[None]] = set()  # idle workers being stopped
        self._busy = 0  # documents being parsed
        self._waiting: deque[asyncio.Future[None]] = deque()  # documents waiting, in order
        # each rule set's key and pickle, by id (the rule set kept alive with it)
        self._pickled: dict[int, tuple[RuleSet, str, bytes]] = {}

    async def parse(
        self,
        body: bytes,
        content_type: str,
        url: str,
        source: str,
        fetched: datetime,
        *,
        known: frozenset[str] = frozenset(),
        rules: Sequence[tuple[str, RuleSet]] = (),
    ) -> FeedItems:
        """The document's items, parsed in a worker (raises ParseError); the entries whose
        GUID key is in ``known`` are left out (counted in ``FeedItems.known``), and with
        ``rules`` (watch, rule set) the worker classifies the others
        (``FeedItems.verdicts``)."""
        args = (body, content_type, url, source, fetched, self.max_items, known)
        refs = [self._pickle(ruleset) for _, ruleset in rules]
        await self._enter()
        try:
            sent = [(w, *ref) for (w, _), ref in zip(rules, refs, strict=True)]
            packed = await self._call(args, source, sent)
        finally:
            self._leave()
        return unpack(packed, source, fetched)

    def _admitted(self) -> int:
        """How many documents may be parsed at once now: one, and one more for every
        ``BACKLOG`` waiting, up to ``workers``."""
        return min(self.workers, 1 + len(self._waiting) // BACKLOG)

    async def _enter(self) -> None:
        """Wait for a turn to parse (in the order documents came)."""
        if not self._waiting and self._busy < self._admitted():
            self._busy += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self._wake()  # the backlog may admit one more now
        try:
            await turn
        except BaseException:
            if turn.cancelled():
                if turn in self._waiting:
                    self._waiting.remove(turn)
            else:  # given its turn as it was cancelled: hand the turn on
                self._leave()
            raise

    def _leave(self) -> None:
        self._busy -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiting and self._busy < self._admitted():
            turn = self._waiting.popleft()
            if not turn.done():
                self._busy += 1
                turn.set_result(None)

    def _pickle(self, rules: RuleSet) -> tuple[str, bytes]:
        kept = self._pickled.get(id(rules))
        if kept is None or kept[0] is not rules:
            blob = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
            kept = (rules, hashlib.sha256(blob).hexdigest()[:16], blob)
            if len(self._pickled) > 16:  # rule sets of earlier configs
                self._pickled.clear()
            self._pickled[id(rules)] = kept
        return kept[1], kept[2]

    async def _call(
        self, args: tuple[Any, ...], source: str, rules: Sequence[tuple[str, str, bytes]] = ()
    ) -> Packed:
        for attempt in (1, 2):
            worker = self._idle.pop() if self._idle else await self._start()
            refs = tuple((w, key, None if key in worker.rules else doc) for w, key, doc in rules)
            try:
                packed, leaving = await asyncio.wait_for(
                    worker.call((*args, refs)), self.answer_timeout
                )
                worker.rules.update(key for _, key, _ in rules)
            except TimeoutError:  # (the call was cancelled: its pipe is out of step)
                await self._retire(worker, kill=True)
                log_event(log, logging.WARNING, "parse_worker_stopped", feed=source,
                          seconds=self.answer_timeout)  # fmt: skip
                return failed(
                    f"parser process gave no answer within {self.answer_timeout:g} s "
                    "(stopped; the feed is fetched again at its next try)"
                )
            except WorkerDied as exc:
                await self._retire(worker)
                ended = worker.how_it_ended()
                log_event(log, logging.WARNING, "parse_worker_died", feed=source,
                          asked=exc.asked, ended=ended)  # fmt: skip
                if exc.asked or attempt == 2:
                    return failed(
                        f"parser process died while parsing ({ended}; its memory limit is "
                        f"{size_text(self.memory_limit)})"
                    )
                continue  # it was gone before it was asked: a new one takes the document
            except BaseException:  # cancelled mid-answer: the worker's pipe is out of step
                await asyncio.shield(self._retire(worker))
                raise
            if leaving:
                await self._retire(worker)
            else:
                self._rest(worker)
            return packed
        raise AssertionError("unreachable")

    def _rest(self, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        worker.idle_since = loop.time()
        self._idle.append(worker)
        if self._expiry is None:
            self._expiry = loop.call_at(worker.idle_since + self.idle_exit, self._expire)

    def _expire(self) -> None:
        """Stop the workers idle for ``idle_exit`` seconds; look again when the next is due."""
        self._expiry = None
        loop = asyncio.get_running_loop()
        due = loop.time() - self.idle_exit
        for worker in [w for w in self._idle if w.idle_since <= due]:
            self._idle.remove(worker)
            log_event(log, logging.DEBUG, "parse_worker_idle_exit", pid=worker.proc.pid,
                      idle_seconds=self.idle_exit)  # fmt: skip
            task = loop.create_task(self._retire(worker))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        if self._idle:
            self._expiry = loop.call_at(self._idle[0].idle_since + self.idle_exit, self._expire)

    async def _retire(self, worker: _Worker, *, kill: bool = False) -> None:
        if worker in self._all:
            self._all.remove(worker)
        if kill and worker.proc.returncode is None:
            worker.proc.kill()
        await worker.close()

    async def _start(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-P",  # not the working directory first on sys.path: this install's monitor
            "-m",
            __name__,
            "--memory-limit",
            str(self.memory_limit),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **_WORKER_ENV},
        )
        worker = _Worker(proc)
        self._all.append(worker)
        return worker

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        workers, self._all, self._idle = self._all, [], []
        await asyncio.gather(*(w.close() for w in workers), *self._stopping)


def serve(requests: BinaryIO, answers: BinaryIO, memory_limit: int = MEMORY_LIMIT) -> None:
    """A worker's loop: answer each request until the end of ``requests``, or until a
    document needed more memory than the worker has (answered, then the loop ends)."""
    while len(header := read_exactly(requests, _LENGTH.size)) == _LENGTH.size:
        (size,) = _LENGTH.unpack(header)
        request = read_exactly(requests, size)
        if len(request) < size:
            return  # the poller went away mid-request
        data, out_of_memory = _answer(request, memory_limit)
        write_all(answers, _LENGTH.pack(len(data)) + data)
        if out_of_memory:
            return  # a fresh worker starts for the next document


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    """``size`` bytes of ``stream``, fewer only at its end. An unbuffered stream (the
    standard streams under ``python -u`` or PYTHONUNBUFFERED) may give fewer per read."""
    chunks, got = [], 0
    while got < size and (chunk := stream.read(size - got)):
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Write all of ``data`` and flush. An unbuffered stream (stdout under ``python -u``
    or PYTHONUNBUFFERED) may take only part of it per write: a pipe write that a signal
    interrupts (the process stopped and continued, a tracer attached) returns what it
    wrote so far, and the rest would be lost."""
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[written:]
    stream.flush()


def _answer(request: bytes, memory_limit: int) -> tuple[bytes, bool]:
    """The pickled answer to one request, and whether the worker ran out of memory (and
    leaves: the answer says so)."""
    try:
        return _pickled(parse_packed(*pickle.loads(request)), False), False
    except MemoryError:  # what the document took is freed once this is handled
        reason = f"parser ran out of memory (limit {size_text(memory_limit)})"
        return _pickled(failed(reason), True), True
    except Exception as exc:  # the document's failure, not the worker's
        return _pickled(failed(f"parser failed: {type(exc).__name__}: {exc}"), False), False


def _pickled(answer: Packed, leaving: bool) -> bytes:
    return pickle.dumps((answer, leaving), protocol=pickle.HIGHEST_PROTOCOL)


def limit_memory(limit: int) -> None:
    """Hold this process's address space to ``limit`` bytes (``RLIMIT_AS``), or under
    the hard limit it already has, and make it the first process the kernel's OOM
    killer picks, before the poller. Each step that the system refuses is logged
    (a sandbox may forbid ``setrlimit``: see systemd/stmon.service)."""
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError) as exc:
        log_event(log, logging.ERROR, "parse_worker_memory_unlimited", error=str(exc))
    try:
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError as exc:
        log_event(log, logging.INFO, "parse_worker_oom_score_kept", error=str(exc))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m monitor.poll.parser_process")
    parser.add_argument("--memory-limit", type=int, default=MEMORY_LIMIT, metavar="BYTES")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    setup_logging("info", "auto")  # on the poller's stderr
    limit_memory(args.memory_limit)
    serve(sys.stdin.buffer, sys.stdout.buffer, args.memory_limit)


if __name__ == "__main__":
    main()
