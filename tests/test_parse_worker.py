"""Parser processes: the same items as parsing in the poller, and a dead worker costs no feed."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.novelty.minhash import signature, story_text
from monitor.parse.items import FeedItems, parse_items
from monitor.poll.parser_process import ParsePool

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


def test_a_worker_asked_for_signatures_gives_those_computed_here() -> None:
    body = (FIXTURES / "rss20.xml").read_bytes()

    async def scenario() -> tuple[FeedItems, FeedItems]:
        pool, plain = ParsePool(1, minhash=True), ParsePool(1)
        try:
            return (
                await pool.parse(body, "", "https://example.org/a", "a", NOW),
                await plain.parse(body, "", "https://example.org/a", "a", NOW),
            )
        finally:
            await pool.close()
            await plain.close()

    signed, unsigned = asyncio.run(scenario())
    local = parse_items(body, "", "https://example.org/a", "a", NOW).items
    assert signed.items and all(i.minhash is None for i in unsigned.items)
    assert [replace(i, minhash=None) for i in signed.items] == local
    for item in signed.items:
        sig = signature(story_text(item.title, item.text))
        assert item.minhash == (b"" if sig is None else sig)
    assert any(item.minhash for item in signed.items)
