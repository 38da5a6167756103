"""Parser processes: the same items as parsing in the poller; a dead worker costs no feed;
a document over the memory limit, or a worker killed while parsing, fails its feed only."""

from __future__ import annotations

import array
import asyncio
import fcntl
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.classify import load_rules
from monitor.errors import ParseError
from monitor.model import Classification, Evidence, Label, guid_key
from monitor.novelty.minhash import signature, story_text
from monitor.parse.items import FeedItems, parse_items
from monitor.poll.parse_pool import ParsePool

FIXTURES = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FORMATS = ["rss20.xml", "atom.xml", "jsonfeed.json", "rss20_euc-kr.xml"]


def test_a_worker_gives_the_items_parsing_here_gives() -> None:
    bodies = {name: (FIXTURES / name).read_bytes() for name in FORMATS}

    async def scenario() -> dict[str, object]:
        pool = ParsePool(1)
        try:
            return {
                name: await pool.parse(body, "", f"https://example.org/{name}", name, NOW)
                for name, body in bodies.items()
            }
        finally:
            await pool.close()

    remote = asyncio.run(scenario())
    for name, body in bodies.items():
        local = parse_items(body, "", f"https://example.org/{name}", name, NOW)
        assert local.items, name
        assert remote[name] == local, name


def test_a_parse_error_comes_back_as_a_parse_error() -> None:
    async def scenario() -> None:
        pool = ParsePool(1)
        try:
            await pool.parse(b"<html><body>no feed</body></html>", "text/html", "", "x", NOW)
        finally:
            await pool.close()

    with pytest.raises(ParseError, match="HTML page"):
        asyncio.run(scenario())


def test_a_dead_worker_costs_no_feed_and_is_replaced() -> None:
    body = (FIXTURES / "rss20.xml").read_bytes()

    async def scenario() -> tuple[int, int, int]:
        pool = ParsePool(1)
        try:
            first = await pool.parse(body, "", "https://example.org/a", "a", NOW)
            (worker,) = pool._all
            worker.proc.kill()  # killed between two documents
            await worker.proc.wait()
            second = await pool.parse(body, "", "https://example.org/b", "b", NOW)
            third = await pool.parse(body, "", "https://example.org/c", "c", NOW)
            assert pool._all and pool._all[0] is not worker  # a new one took over
            return len(first.items), len(second.items), len(third.items)
        finally:
            await pool.close()

    counts = asyncio.run(scenario())
    assert counts[0] > 0 and len(set(counts)) == 1


def test_a_worker_started_beside_another_monitor_package_uses_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker imports this install's ``monitor``, not one in the working directory
    (``python -m`` would put that first on sys.path), and computes no signatures (the
    novelty stage computes those of relevant items)."""
    (tmp_path / "monitor").mkdir()
    (tmp_path / "monitor" / "__init__.py").write_text("raise ImportError('the wrong monitor')\n")
    monkeypatch.chdir(tmp_path)
    body = (FIXTURES / "rss20.xml").read_bytes()

    async def scenario() -> FeedItems:
        pool = ParsePool(1)
        try:
            return await pool.parse(body, "", "https://example.org/a", "a", NOW)
        finally:
            await pool.close()

    parsed = asyncio.run(scenario())
    local = parse_items(body, "", "https://example.org/a", "a", NOW).items
    assert parsed.items and parsed.items == local
    assert all(item.minhash is None for item in parsed.items)


RULES = Path(__file__).parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
STORY = (
    "<item><guid>s1</guid><title>Lee and Ishiba hold summit in Tokyo</title><description>"
    "President Lee Jae-myung and Prime Minister Shigeru Ishiba held a summit in Tokyo on "
    "Saturday, the leaders of South Korea and Japan said.</description></item>"
)


def test_a_worker_leaves_out_known_entries_and_classifies_the_others_as_here() -> None:
    """Entries whose GUID key is known are left out (and counted); every other item
    comes with each watch's verdict, the one the same rules give in this process, also
    when the worker already holds the rules (the second document)."""
    body = (
        (FIXTURES / "rss20.xml").read_bytes().replace(b"</channel>", STORY.encode() + b"</channel>")
    )
    rules = load_rules(RULES)
    local = parse_items(body, "", "https://example.org/a", "a", NOW).items
    known = frozenset({guid_key(local[0].guid), guid_key(local[1].guid)})

    async def scenario() -> tuple[FeedItems, FeedItems]:
        pool = ParsePool(1)
        try:
            first = await pool.parse(body, "", "https://example.org/a", "a", NOW,
                                     known=known, rules=[("w", rules), ("v", rules)])  # fmt: skip
            second = await pool.parse(body, "", "https://example.org/a", "a", NOW,
                                      rules=[("w", rules)])  # fmt: skip
            return first, second
        finally:
            await pool.close()

    first, second = asyncio.run(scenario())
    unsigned = [replace(i, minhash=None) for i in first.items]
    assert unsigned == local[2:] and first.known == 2
    assert [replace(i, minhash=None) for i in second.items] == local and second.known == 0
    for found, watches in ((first, {"w", "v"}), (second, {"w"})):
        assert set(found.verdicts) == {(i.title, i.text) for i in found.items}
        for item in found.items:
            verdicts = found.verdicts[item.title, item.text]
            assert set(verdicts) == watches
            for verdict in verdicts.values():
                assert verdict == rules.classify(item.title, item.text)
            # signed when relevant (as the novelty stage would sign it), else not
            if any(v.relevant for v in verdicts.values()):
                sig = signature(story_text(item.title, item.text))
                assert item.minhash == (b"" if sig is None else sig)
            else:
                assert item.minhash is None
    assert any(
        v.relevant for f in (first, second) for vs in f.verdicts.values() for v in vs.values()
    )


WORKER_LOADS_RULES = """
import pickle, sys
from datetime import datetime, UTC
from monitor.poll.parser_process import parse_packed
body, blob = pickle.loads(sys.stdin.buffer.read())
packed = parse_packed(body, "", "https://example.org/a", "a", datetime.now(UTC),
                      rules=(("w", "key", blob),))
unused = ("pydantic", "yaml", "monitor.classify.compiler", "asyncio")
loaded = [m for m in unused if m in sys.modules]
sys.stdout.buffer.write(pickle.dumps((packed[-1], loaded)))
"""


def test_a_worker_classifies_with_the_poller_s_rule_set_without_compiling_it() -> None:
    """The poller sends its compiled rule set, pickled: the worker classifies with it as
    the poller would, without loading the schema's pydantic, the YAML reader or the
    compiler (nor asyncio, which only the pool in the poller's process uses)."""
    rules = load_rules(RULES)
    rules.classify("warm up", "the automata are built, and left out of the pickle")
    title = "Lee and Ishiba to hold summit in Tokyo next week"
    text = "President Lee Jae-myung will meet Prime Minister Shigeru Ishiba in Tokyo."
    body = (
        "<rss version='2.0'><channel><title>n</title><item><guid>g1</guid>"
        f"<title>{title}</title><description>{text}</description></item></channel></rss>"
    ).encode()
    request = pickle.dumps((body, pickle.dumps(rules)))
    done = subprocess.run(
        [sys.executable, "-c", WORKER_LOADS_RULES], input=request, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    verdicts, loaded = pickle.loads(done.stdout)
    assert verdicts == [{"w": rules.classify(title, text)}]
    assert verdicts[0]["w"].relevant
    assert loaded == []


def test_rules_a_worker_cannot_classify_with_leave_the_items_unclassified() -> None:
    """Classifying in the worker is an aid: if it fails, the items come without verdicts
    (the poller classifies them itself) and the document is not failed."""
    body = (FIXTURES / "rss20.xml").read_bytes()
    broken = load_rules(RULES)
    broken.types = (None,)  # type: ignore[assignment]  # (a type the matcher cannot read)

    async def scenario() -> FeedItems:
        pool = ParsePool(1)
        try:
            return await pool.parse(body, "", "https://example.org/a", "a", NOW,
                                    rules=[("w", broken)])  # fmt: skip
        finally:
            await pool.close()

    found = asyncio.run(scenario())
    assert found.items == parse_items(body, "", "https://example.org/a", "a", NOW).items
    assert found.verdicts == {}


SMALL = b"<rss version='2.0'><channel><item><guid>a</guid><title>t</title></item></channel></rss>"
# about 8 MB of text: more than a worker held to 80 MiB can parse (it peaks at ~96 MiB;
# a worker that parsed a small document peaks at ~50 MiB)
LARGE = (
    "<rss version='2.0'><channel>"
    + "".join(
        f"<item><guid>g{i}</guid><description>{'word ' * 4000}</description></item>"
        for i in range(400)
    )
    + "</channel></rss>"
).encode()


def test_a_worker_holds_its_address_space_to_the_limit() -> None:
    async def scenario() -> str:
        pool = ParsePool(1, memory_limit=300 * 1024**2)
        try:
            await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            (worker,) = pool._all
            return Path(f"/proc/{worker.proc.pid}/limits").read_text()
        finally:
            await pool.close()

    limits = asyncio.run(scenario())
    (line,) = [line for line in limits.splitlines() if line.startswith("Max address space")]
    assert line.split()[3:5] == [str(300 * 1024**2)] * 2


def test_a_document_over_the_memory_limit_fails_its_feed_and_the_next_is_parsed() -> None:
    async def scenario() -> tuple[str, int]:
        pool = ParsePool(1, memory_limit=80 * 1024**2)
        try:
            with pytest.raises(ParseError) as failed:
                await pool.parse(LARGE, "", "https://example.org/big", "big", NOW)
            after = await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            return failed.value.message, len(after.items)
        finally:
            await pool.close()

    message, items = asyncio.run(scenario())
    # Python code runs out as MemoryError; the Rust parser's allocator aborts the process
    assert message in (
        "parser ran out of memory (limit 80 MiB)",
        "parser process died while parsing (killed by SIGABRT; its memory limit is 80 MiB)",
    )
    assert items == 1


def test_a_worker_killed_while_parsing_fails_that_feed_only() -> None:
    async def scenario() -> tuple[str, int]:
        pool = ParsePool(1)
        try:
            await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            (worker,) = pool._all
            os.kill(worker.proc.pid, signal.SIGSTOP)  # it gets the document, never answers
            parsing = asyncio.create_task(pool.parse(SMALL, "", "https://example.org/b", "b", NOW))
            while pool._idle:  # the request is written as the worker leaves the idle list
                await asyncio.sleep(0)
            worker.proc.kill()
            with pytest.raises(ParseError) as failed:
                await parsing
            after = await pool.parse(SMALL, "", "https://example.org/c", "c", NOW)
            return failed.value.message, len(after.items)
        finally:
            await pool.close()

    message, items = asyncio.run(scenario())
    assert message.startswith("parser process died while parsing (killed by SIGKILL")
    assert items == 1


def test_a_worker_that_gives_no_answer_is_stopped_and_fails_that_feed_only() -> None:
    async def scenario() -> tuple[str, int, int | None, bool]:
        pool = ParsePool(1, answer_timeout=1.0)
        try:
            await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            (worker,) = pool._all
            os.kill(worker.proc.pid, signal.SIGSTOP)  # alive, but it never answers
            with pytest.raises(ParseError) as failed:
                await pool.parse(SMALL, "", "https://example.org/b", "b", NOW)
            after = await pool.parse(SMALL, "", "https://example.org/c", "c", NOW)
            return (
                failed.value.message,
                len(after.items),
                worker.proc.returncode,
                worker in pool._all,
            )
        finally:
            await pool.close()

    message, items, code, kept = asyncio.run(scenario())
    assert message == (
        "parser process gave no answer within 1 s "
        "(stopped; the feed is fetched again at its next try)"
    )
    assert code == -signal.SIGKILL and not kept  # the stuck worker is gone
    assert items == 1  # a new worker parsed the next document


def test_an_idle_worker_exits_and_the_next_document_starts_another() -> None:
    """Between poll cycles no parser process holds memory: a worker without a document
    for ``idle_exit`` seconds is stopped (it ends at the end of its input), and a worker
    kept busy is not."""

    async def scenario() -> tuple[int | None, bool, bool, int, int]:
        pool = ParsePool(2, idle_exit=1.0)
        try:
            await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            (first,) = pool._all
            for _ in range(15):  # busy: a document every 0.1 s keeps the worker
                await asyncio.sleep(0.1)
                await pool.parse(SMALL, "", "https://example.org/a", "a", NOW)
            kept = first in pool._all and first.proc.returncode is None
            await asyncio.wait_for(first.proc.wait(), timeout=10)
            gone = first not in pool._all
            after = await pool.parse(SMALL, "", "https://example.org/b", "b", NOW)
            (second,) = pool._all
            return (
                first.proc.returncode,
                kept,
                gone,
                second.proc.pid - first.proc.pid,
                len(after.items),
            )
        finally:
            await pool.close()

    code, kept, gone, new_pid, items = asyncio.run(scenario())
    assert kept  # 1.5 s of documents 0.1 s apart: longer than idle_exit, never idle that long
    assert code == 0 and gone  # it left at the end of its input, not killed
    assert new_pid != 0 and items == 1  # a new worker parsed the next document


def test_an_answer_interrupted_by_a_stop_arrives_whole_on_unbuffered_stdout() -> None:
    """Under PYTHONUNBUFFERED (``python -u``) a worker's stdout is unbuffered, and a pipe
    write that a stop and continue interrupts returns what it wrote so far (the pipe's
    64 KiB): the worker writes the rest, instead of leaving the poller waiting for it."""
    items = "".join(
        f"<item><guid>g{i}</guid><title>t{i}</title><description>{'word ' * 300}</description>"
        "</item>"
        for i in range(100)
    )
    body = f"<rss version='2.0'><channel><title>c</title>{items}</channel></rss>".encode()
    request = pickle.dumps((body, "", "https://example.org/a", "a", NOW, 1000, frozenset(), ()))
    with subprocess.Popen(
        [sys.executable, "-P", "-m", "monitor.poll.parser_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as worker:
        assert worker.stdin is not None and worker.stdout is not None
        try:
            worker.stdin.write(struct.pack("<I", len(request)) + request)
            worker.stdin.flush()
            deadline = time.monotonic() + 60
            while not _full(worker.stdout.fileno()):  # parsed: waiting on the full pipe
                assert time.monotonic() < deadline, "the worker never got to its answer"
                time.sleep(0.05)
            os.kill(worker.pid, signal.SIGSTOP)
            time.sleep(0.2)
            os.kill(worker.pid, signal.SIGCONT)
            (size,) = struct.unpack("<I", _read(worker.stdout.fileno(), 4))
            answer = _read(worker.stdout.fileno(), size)
        finally:
            worker.kill()
    assert size > 2 * 65536  # (the answer is larger than a pipe holds)
    packed, leaving = pickle.loads(answer)
    assert len(packed[4]) == 100 and not leaving


def _full(fd: int) -> bool:
    """Whether the pipe read at ``fd`` holds all it can (its writer waits for room)."""
    unread = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, unread)
    return unread[0] >= fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


def _read(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``; fails when none come for 10 s (an answer cut short)."""
    data = b""
    while len(data) < size:
        ready, _, _ = select.select([fd], [], [], 10)
        assert ready, f"answer cut short: {len(data)} of {size} bytes, then nothing"
        chunk = os.read(fd, size - len(data))
        assert chunk, f"answer cut short: {len(data)} of {size} bytes, then the end"
        data += chunk
    return data


def test_a_verdict_comes_back_from_a_pickle_whole() -> None:
    """Verdicts cross from parser processes pickled (as constructor arguments): every
    field, in its place."""
    evidence = Evidence("summit_held.met", "summit", "title", 0.6, "… held a summit …")
    other = Evidence("topic.korea", "seoul", "body", 2.0)
    label = Label("summit_held", 0.75, (evidence, other), "past")
    verdict = Classification(True, (label,), {"summit_held": 0.75, "trade": 0.2}, (other,))
    assert pickle.loads(pickle.dumps(verdict, pickle.HIGHEST_PROTOCOL)) == verdict
    assert pickle.loads(pickle.dumps(Classification(False))) == Classification(False)


def test_documents_one_at_a_time_keep_one_worker_and_a_backlog_starts_a_second() -> None:
    """A second parser process is for a backlog: documents that come one after the other
    or two at once (a daemon between bursts) never start it, a dozen queued at once do,
    and every document is parsed either way."""

    async def scenario() -> tuple[int, int, list[int]]:
        pool = ParsePool(2)
        try:
            for n in range(3):  # one after the other, then two at once (fewer than BACKLOG)
                await pool.parse(SMALL, "", f"https://example.org/{n}", str(n), NOW)
                await asyncio.gather(
                    *(pool.parse(SMALL, "", f"https://example.org/{n}{m}", "p", NOW) for m in "ab")
                )
            alone = len(pool._all)
            burst = await asyncio.gather(
                *(pool.parse(SMALL, "", f"https://example.org/{n}", str(n), NOW) for n in range(12))
            )
            return alone, len(pool._all), [len(found.items) for found in burst]
        finally:
            await pool.close()

    alone, after_burst, items = asyncio.run(scenario())
    assert alone == 1
    assert after_burst == 2  # twelve at once: the backlog admits a second worker, no third
    assert items == [1] * 12


def test_a_document_cancelled_while_waiting_for_its_turn_gives_the_turn_on() -> None:
    async def scenario() -> list[int]:
        pool = ParsePool(1)
        try:
            first = asyncio.create_task(pool.parse(SMALL, "", "https://example.org/a", "a", NOW))
            waiting = asyncio.create_task(pool.parse(SMALL, "", "https://example.org/b", "b", NOW))
            await asyncio.sleep(0)  # both asked: the first parses, the second waits its turn
            waiting.cancel()
            after = asyncio.create_task(pool.parse(SMALL, "", "https://example.org/c", "c", NOW))
            done = await asyncio.wait_for(asyncio.gather(first, after), timeout=30)
            return [len(found.items) for found in done]
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == [1, 1]


def test_a_memory_limit_the_system_cannot_take_is_logged_and_the_worker_goes_on() -> None:
    code = (
        "from monitor.poll.parser_process import limit_memory\n"
        "limit_memory(10**30)\n"
        "print('parsing')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout == "parsing\n", done.stderr
    assert "parse_worker_memory_unlimited" in done.stderr
