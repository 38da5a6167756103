"""One writer thread that commits what the event loop hands it, several jobs per commit.

SQLite allows one writer, and a commit costs more than most of what a poll writes (the
claim of a feed, the outcome of a 304), so jobs queued while the writer was busy are run
together in one transaction: group commit. A job's awaitable resolves only after the
transaction holding it committed, so a caller that was told "done" has its rows on disk
(a poll records its feed's items and outcome in one job: they commit together).

A commit rewrites every page it dirtied, and jobs that store items dirty index pages
all over the store (URL keys, content hashes, band keys are random): a batch holding
such a heavy job waits up to ``linger`` (50 ms) for more jobs before it commits, so a
busy cycle writes each of those pages once per batch instead of once per feed. A batch
of light jobs (a claim, a 304's outcome) waits ``light_linger`` (10 ms): a cycle of 304s
commits ten or more together instead of one or two.

If a job raises, the batch is rolled back and its jobs are run again one transaction
each, so one bad job fails alone. Jobs are therefore functions of the session and their
arguments only (running one twice after a rollback is the same as running it once).

Jobs given with ``run_together`` are calls of one function on one argument each; those
of a batch that call the same function are made as one call on all their arguments
(where the first of them was), so that work done for each of several feeds (storing
their items, recording the outcome of each feed that answered 304) costs the statements
of one feed, not of each. Run again alone after a rollback, such a job is the call on
its own argument.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from monitor.store.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A")

# Measured on a cold cycle (500 feeds x 50 items, 16 in flight, docs/benchmarks.md):
# batches hold ~70 units (~7 feeds' items) on average, what the polls in flight hand
# over within ``LINGER``; the cap binds in ~2 of ~80. Caps of 256 and 512, or a linger
# of 0.15 s (45 commits instead of ~80), changed the poller's CPU by less than the
# spread of repeated runs (±0.3 s of ~8 s); storing alone, 32 units a batch (250
# commits) cost ~1.5 s more than 128 (46). So: 128, which bounds a job's wait.
MAX_BATCH = 128  # units of work (a job's weight) per transaction
LINGER = 0.05  # seconds a batch holding a heavy job (weight > 1) waits for more
# seconds a batch of light jobs waits for more: a cycle of 500 feeds answering 304 made
# 261-422 commits of one to two outcomes without it, 27-49 with 10 ms, and took 7.7 %
# less wall time (docs/benchmarks.md); a claim or an outcome is 10 ms later on disk
LIGHT_LINGER = 0.01


@dataclass(slots=True)
class _Job(Generic[T]):
    fn: Callable[[Session], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    weight: int = 1
    result: Any = field(default=None)
    together: Callable[[Session, list[Any]], list[T]] | None = None  # run_together's fn
    arg: Any = None  # and this job's argument


class StoreWriter:
    """Runs ``fn(session)`` jobs on one thread, committing queued jobs together."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = MAX_BATCH,
        linger: float = LINGER,
        light_linger: float = LIGHT_LINGER,
        jobs: queue.SimpleQueue[Any] | None = None,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.linger = linger
        self.light_linger = light_linger
        # The queue from the event loops to the thread (``jobs``: one a test can watch).
        self._queue: queue.SimpleQueue[_Job[Any] | None] = (
            queue.SimpleQueue() if jobs is None else jobs
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="stmon-store", daemon=True)
                self._thread.start()

    async def run(self, fn: Callable[[Session], T], *, weight: int = 1) -> T:
        """Run ``fn`` in a transaction (maybe shared with other jobs); its result once committed.

        ``weight`` (say, the number of items a job stores) keeps a batch from growing
        past ``max_batch`` units of work, so no job waits long behind a large batch.
        """
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        job: _Job[T] = _Job(fn, loop.create_future(), loop, max(1, weight))
        self._queue.put(job)
        return await job.future

    async def run_together(
        self, fn: Callable[[Session, list[A]], list[T]], arg: A, *, weight: int = 1
    ) -> T:
        """``fn(session, [arg])[0]`` as a job (of ``weight``, as in :meth:`run`), except
        that the jobs of a batch that call the same ``fn`` (by equality: a bound method of
        one object is the same) make one call on all their arguments, whose results they
        share out in order."""
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        job: _Job[T] = _Job(partial(_alone, fn, arg), loop.create_future(), loop, max(1, weight))
        job.together, job.arg = fn, arg
        self._queue.put(job)
        return await job.future

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch, load = [first], first.weight
            heavy = first.weight > 1
            deadline = time.monotonic() + (self.linger if heavy else self.light_linger)
            while load < self.max_batch:
                wait = deadline - time.monotonic()
                try:
                    job = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
                load += job.weight
                if not heavy and job.weight > 1:
                    heavy = True
                    deadline = time.monotonic() + self.linger
            self._commit(batch)

    def _commit(self, batch: list[_Job[Any]]) -> None:
        try:
            with self.db.session() as session:
                for group in _calls(batch):
                    first = group[0]
                    if len(group) == 1 or first.together is None:
                        first.result = first.fn(session)
                        continue
                    results = first.together(session, [job.arg for job in group])
                    for job, result in zip(group, results, strict=True):
                        job.result = result
        except BaseException as exc:
            if len(batch) == 1:
                _settle(batch, exc)
                return
            for job in batch:  # one at a time: only the job at fault fails
                self._commit([job])
            return
        _settle(batch)


def _alone(fn: Callable[[Session, list[A]], list[T]], arg: A, session: Session) -> T:
    return fn(session, [arg])[0]


def _calls(batch: list[_Job[Any]]) -> list[list[_Job[Any]]]:
    """The batch's jobs as calls, in order: each job alone, but the ``run_together``
    jobs of one function together, where the first of them was."""
    calls: dict[Any, list[_Job[Any]]] = {}
    for n, job in enumerate(batch):
        calls.setdefault(job.together if job.together is not None else n, []).append(job)
    return list(calls.values())


def _settle(batch: list[_Job[Any]], error: BaseException | None = None) -> None:
    """Resolve the jobs' futures on their loops: one wake-up of each loop per batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job[Any]]] = {}
    for job in batch:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, jobs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, jobs, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            log.debug("store jobs finished after their event loop closed")


def _resolve(jobs: list[_Job[Any]], error: BaseException | None) -> None:
    for job in jobs:
        if job.future.done():  # the caller was cancelled; the work is committed anyway
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(job.result)
