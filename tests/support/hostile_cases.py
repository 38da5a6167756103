"""The hostile-feed cases, built at run time from small inputs, and the run of one case
as a user would see it: ``stmon db upgrade``, ``stmon poll --once`` and ``stmon status``
as separate processes against a ``HostileServer`` on 127.0.0.1.

Each case serves its hostile feed(s) beside ``GOOD``, an ordinary feed that must be
stored whatever its neighbours do. tests/test_hostile_fetch.py asserts on each case;
bench/bench_hostile.py measures them.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import brotli

from tests.support.hostile import Answer, HostileServer, Run, poll_once_config, run_stmon

MIB = 1024 * 1024
BOMB = 512 * MIB  # what each compression bomb expands to
RSS = [("Content-Type", "application/rss+xml; charset=utf-8")]
JSON_FEED = [("Content-Type", "application/feed+json")]
GOOD_TITLE = "Lee and Ishiba to meet in Tokyo next month"
GOOD = "good"


def rss(items: str, *, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{decl}\n<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def good_feed() -> Answer:
    item = f"<item><title>{GOOD_TITLE}</title><guid>good-1</guid></item>"
    return Answer(rss(item).encode(), headers=RSS)


def json_feed(items: list[dict[str, Any]]) -> str:
    """A JSON Feed 1.1 document (``json.dumps`` escapes every non-ASCII character)."""
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items})


def _zeros(size: int, step: int = 16 * MIB) -> Iterator[bytes]:
    chunk = bytes(step)
    for _ in range(size // step):
        yield chunk


def gzip_bomb(size: int = BOMB) -> bytes:
    packer = zlib.compressobj(9, wbits=zlib.MAX_WBITS | 16)
    return b"".join(packer.compress(c) for c in _zeros(size)) + packer.flush()


def deflate_bomb(size: int = BOMB) -> bytes:
    packer = zlib.compressobj(9)
    return b"".join(packer.compress(c) for c in _zeros(size)) + packer.flush()


def brotli_bomb(size: int = BOMB) -> bytes:
    packer = brotli.Compressor(quality=5)
    return b"".join(packer.process(c) for c in _zeros(size)) + packer.finish()


@dataclass
class Case:
    """Feeds (name → answer, served at /name) and settings of the ``fetch`` section."""

    name: str
    feeds: dict[str, Answer]
    fetch: dict[str, str] = field(default_factory=dict)


def _bomb_case(name: str, coding: str, body: bytes) -> Case:
    answer = Answer(body, headers=[*RSS, ("Content-Encoding", coding)])
    return Case(name, {"bomb": answer, GOOD: good_feed()})


def brotli_bomb_case() -> Case:
    return _bomb_case("brotli bomb", "br", brotli_bomb())


def gzip_bomb_case() -> Case:
    return _bomb_case("gzip bomb over max_body", "gzip", gzip_bomb())


def deflate_bomb_case() -> Case:
    return _bomb_case("deflate bomb", "deflate", deflate_bomb())


def stacked_gzip_case() -> Case:
    return _bomb_case("stacked gzip bomb", "gzip, gzip", gzip.compress(gzip_bomb(), 9))


def unknown_coding_case() -> Case:
    return _bomb_case("unknown coding", "zstd", b"\x28\xb5\x2f\xfd" + bytes(64))


def entity_bomb_case(references: int = 3000) -> Case:
    big = "A" * 100_000  # 3,000 references: 300 million characters if expanded
    decl = f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "{big}">\n]>'
    items = "".join(
        f"<item><title>Lee and Ishiba {i}</title><guid>e{i}</guid>"
        f"<description>{'&big;' * (references // 30)}</description></item>"
        for i in range(30)
    )
    answer = Answer(rss(items, decl=decl).encode(), headers=RSS)
    return Case("internal-entity bomb", {"entities": answer, GOOD: good_feed()})


def huge_title_case() -> Case:
    title = "Lee and Ishiba to meet " * 90_000  # 2 MB
    items = f"<item><title>{title}</title><guid>huge-1</guid></item>"
    return Case("2 MB title", {"huge": Answer(rss(items).encode(), headers=RSS), GOOD: good_feed()})


def many_items_case(count: int = 60_000) -> Case:
    """``count`` items, oldest first: only the newest are to be stored."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>n{i}</title><guid>m{i}</guid>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=i))}"
        "</pubDate></item>"
        for i in range(count)
    )
    answer = Answer(rss(items).encode(), headers=RSS)
    return Case(f"{count:,} items", {"many": answer, GOOD: good_feed()}, {"max_body": "20MB"})


KOREAN = ["한일 정상회담 도쿄서 개최", "한일 외교장관 전화 통화", "독도 관련 항의"]


def bad_bytes_case() -> Case:
    """One invalid byte in an EUC-KR feed and one in a UTF-8 feed, before the second
    title's second word; each title ends in its feed's name."""
    feeds = {}
    for name, charset in (("euc-kr", "euc-kr"), ("utf-8", "utf-8")):
        items = "".join(f"<item><title>{t} {name}</title><guid>{name}-{i}</guid></item>"
                        for i, t in enumerate(KOREAN))  # fmt: skip
        body = rss(items, decl=f'<?xml version="1.0" encoding="{charset}"?>').encode(charset)
        at = body.index("외교장관".encode(charset))
        body = body[:at] + b"\xff" + body[at:]
        feeds[name] = Answer(body, headers=[("Content-Type", f"text/xml; charset={charset}")])
    return Case("invalid bytes in EUC-KR and UTF-8", {**feeds, GOOD: good_feed()})


def lone_surrogate_case() -> Case:
    items = [
        {"id": "s1", "title": "Kim on the summit", "authors": [{"name": "Kim \ud800"}]},
        {"id": "s2", "title": "Seoul and Tokyo", "author": {"name": "Sato"}},
    ]
    body = json_feed(items).encode()
    assert b"\\ud800" in body  # escaped in the JSON text, as a hostile server sends it
    return Case(
        "lone surrogate in a JSON Feed author",
        {"surrogate": Answer(body, headers=JSON_FEED), GOOD: good_feed()},
    )


def nested_json_case(depth: int = 200_000) -> Case:
    body = json_feed([{"id": "n1", "title": "t"}]).encode()
    body = body[:-1] + b', "extra": ' + b"[" * depth + b"]" * depth + b"}"
    return Case(
        "deeply nested JSON", {"nested": Answer(body, headers=JSON_FEED), GOOD: good_feed()}
    )


CONTROL_TITLES = ["Lee\x00 and Ishiba", "Summit\x1b[2J announced\x07", "C1\x85\x9b here\x7f"]


def control_chars_case() -> Case:
    items = [{"id": f"c{i}", "title": t} for i, t in enumerate(CONTROL_TITLES)]
    return Case(
        "NUL and control characters in titles",
        {"control": Answer(json_feed(items).encode(), headers=JSON_FEED), GOOD: good_feed()},
    )


PRIVATE_TARGETS = {
    "to-link-local": "http://169.254.169.254/latest/meta-data/",
    "to-private": "http://10.255.255.1/feed.xml",
}


def private_redirect_case() -> Case:
    feeds = {
        name: Answer(status=status, headers=[("Location", target)])
        for (name, target), status in zip(PRIVATE_TARGETS.items(), (302, 301), strict=True)
    }
    return Case("redirect to a private address", {**feeds, GOOD: good_feed()})


def near_identical_case(count: int = 8_000) -> Case:
    """``count`` items whose texts differ by one word (near-duplicate detection's case)."""
    words = "Lee and Ishiba agreed in Tokyo on a summit next month on history and trade"
    items = "".join(
        f"<item><title>Summit talks {i}</title><guid>n{i}</guid>"
        f"<description>{words} report {i} {words}</description></item>"
        for i in range(count)
    )
    answer = Answer(rss(items).encode(), headers=RSS)
    return Case(f"{count:,} near-identical items", {"near": answer, GOOD: good_feed()})


@dataclass
class CaseRun:
    """One case as the user sees it: the poll, then ``stmon status --json``."""

    config: Path
    poll: Run
    wall: float  # seconds the poll took
    status: dict[str, dict[str, Any]]  # feed name → its status row

    def items(self, feed: str) -> list[dict[str, Any]]:
        """``stmon items --json --feed FEED`` (every item)."""
        run = run_stmon("--config", str(self.config), "items", "--json", "--feed", feed,
                        "--limit", "100000")  # fmt: skip
        assert run.returncode == 0, run.output
        return [json.loads(line) for line in run.stdout.splitlines()]

    def failure(self, feed: str) -> str:
        """The line ``stmon poll --once`` printed for the failed ``feed``."""
        lines = [line.strip() for line in self.poll.stdout.splitlines()]
        found = [line for line in lines if line.startswith(f"{feed}: ")]
        assert len(found) == 1, self.poll.output
        return found[0]


def run_case(
    case: Case, tmp: Path, *, prepare: Callable[[HostileServer], dict[str, str]] | None = None
) -> CaseRun:
    """Serve ``case`` (plus the feed URLs ``prepare`` adds) and run it; each feed is shown
    as failing after one failure."""
    settings = {"failing_after": "1", **case.fetch}
    extra = "fetch:\n" + "".join(f"  {key}: {value}\n" for key, value in settings.items())
    with HostileServer() as server:
        urls = {name: server.serve(f"/{name}", answer) for name, answer in case.feeds.items()}
        if prepare is not None:
            urls.update(prepare(server))
        config = poll_once_config(tmp, urls, extra)
        upgrade = run_stmon("--config", str(config), "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.output
        started = time.monotonic()
        poll = run_stmon("--config", str(config), "poll", "--once", timeout=300)
        wall = time.monotonic() - started
    status = run_stmon("--config", str(config), "status", "--json")
    assert status.returncode == 0, status.output
    rows = [json.loads(line) for line in status.stdout.splitlines()]
    feeds = {row["feed"]: row for row in rows if "feed" in row}
    return CaseRun(config, poll, wall, feeds)


CASES: dict[str, Callable[[], Case]] = {
    "brotli-bomb": brotli_bomb_case,
    "stacked-gzip": stacked_gzip_case,
    "deflate-bomb": deflate_bomb_case,
    "gzip-bomb": gzip_bomb_case,
    "unknown-coding": unknown_coding_case,
    "entity-bomb": entity_bomb_case,
    "huge-title": huge_title_case,
    "many-items": many_items_case,
    "bad-bytes": bad_bytes_case,
    "lone-surrogate": lone_surrogate_case,
    "nested-json": nested_json_case,
    "control-chars": control_chars_case,
    "private-redirect": private_redirect_case,
    "near-identical": near_identical_case,
}
