"""The poller's parser processes (``ParsePool``): each runs ``parser_process``, the
program that parses a document and classifies and signs its new items, so that a
hostile document costs a child process, not the poller.

What goes wrong in a worker is the feed's ParseError, never the poller's (see
``parser_process`` for what a worker answers); a worker that dies while parsing (killed,
crashed) fails that feed with "parser process died"; one that gives no answer within
``ANSWER_TIMEOUT`` seconds (stuck, stopped, its pipe out of step) is killed and fails
that feed with "parser process gave no answer". The document is never parsed again in
the poller's own process, which has no such limit. Workers start on first use; one
found dead before it was given a document is replaced, and the document goes to the
new one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import pickle
import signal
import sys
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.errors import ParseError
from monitor.log import log_event
from monitor.model import Classification, Item
from monitor.parse.items import MAX_ENTRIES, FeedItems
from monitor.poll.parser_process import LENGTH, MEMORY_LIMIT, Packed, failed, size_text

if TYPE_CHECKING:
    from monitor.classify.ruleset import RuleSet

log = logging.getLogger(__name__)

PROGRAM = "monitor.poll.parser_process"  # what each worker runs (``python -m``)

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
            self.proc.stdin.write(LENGTH.pack(len(data)) + data)
            await self.proc.stdin.drain()
        except _GONE as exc:
            raise WorkerDied(asked=False) from exc
        try:
            (size,) = LENGTH.unpack(await self.proc.stdout.readexactly(LENGTH.size))
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
            PROGRAM,
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
