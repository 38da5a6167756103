"""A parser process: the program ``ParsePool`` (``parse_pool.py``) runs in each child.

Parsing and classifying are most of the CPU a changed feed costs, and parsing is the
part a hostile document attacks, so they run here, while the poller's own process keeps
fetching and storing on another core. A worker leaves out the entries the feed gave
lately (the poller sends their GUID keys), classifies the others with the watches' rules
(the poller's compiled rule sets, pickled, sent once per worker) and signs the relevant
ones (MinHash).

A worker is ``python -m monitor.poll.parser_process --memory-limit BYTES``: it limits its
own address space to BYTES (``RLIMIT_AS``, ``fetch.parser_memory`` in the config) before
it reads anything, imports ``monitor.parse.items`` and little else (not asyncio, nor the
pool), reads requests from stdin and answers on stdout, one at a time (a 4-byte length,
then a pickle: there, the arguments of ``parse_packed``; back, its result and whether
the worker leaves after it). It shares nothing with the poller but the body it is sent
and the items it sends back. It ignores SIGINT and SIGTERM (the poller decides when it
stops: after its polls finish, by closing its stdin) and exits at the end of its input,
so it never outlives the poller.

What goes wrong here is the feed's ParseError, never the poller's: an exception while
parsing is the answer (the worker goes on); a MemoryError (the document needed more
than the limit) is answered with "parser ran out of memory (limit …)" and the worker
exits. ``parse_pool`` says what happens when a worker dies or does not answer.
"""

from __future__ import annotations

import argparse
import logging
import pickle
import resource
import signal
import struct
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from monitor.errors import ParseError
from monitor.log import log_event, setup_logging
from monitor.model import Classification, Item
from monitor.novelty.minhash import signatures, story_text
from monitor.parse.items import MAX_ENTRIES, parse_items

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.classify.ruleset import RuleSet

log = logging.getLogger(__name__)

LENGTH = struct.Struct("<I")  # what each request and answer starts with: its size
MEMORY_LIMIT = 1024**3  # bytes of address space a worker may use, unless configured

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


def size_text(size: int) -> str:
    """``1073741824`` as ``1 GiB``, ``805306368`` as ``768 MiB``."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


def serve(requests: BinaryIO, answers: BinaryIO, memory_limit: int = MEMORY_LIMIT) -> None:
    """A worker's loop: answer each request until the end of ``requests``, or until a
    document needed more memory than the worker has (answered, then the loop ends)."""
    while len(header := read_exactly(requests, LENGTH.size)) == LENGTH.size:
        (size,) = LENGTH.unpack(header)
        request = read_exactly(requests, size)
        if len(request) < size:
            return  # the poller went away mid-request
        data, out_of_memory = _answer(request, memory_limit)
        write_all(answers, LENGTH.pack(len(data)) + data)
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
    except (OSError, ValueError, OverflowError) as exc:
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
