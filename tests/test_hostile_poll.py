"""Hostile feeds against `stmon poll --once`, each case its own process on 127.0.0.1,
its peak memory (summed over its processes) under ``RSS_LIMIT``: copies of one text by
the thousand, and a feed whose poll fails in a way no code path expects."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.hostile import MB, RSS_LIMIT, Answer, HostileServer, poll_once_config, run_stmon

RSS = [("Content-Type", "application/rss+xml")]
SUMMIT = (
    "South Korean President Yoon Suk Yeol and Japanese Prime Minister Fumio Kishida will hold a "
    "summit in Tokyo next week, the presidential office said on Monday. The leaders are expected "
    "to discuss security cooperation and trade, officials said, adding that details were still "
    "being worked out by both sides."
)


def rss(entries: list[tuple[str, str]], prefix: str = "a") -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>http://news.example/{prefix}/{n}</link>"
        f"<guid>{prefix}-{n}</guid><description>{body}</description>"
        "<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>"
        for n, (title, body) in enumerate(entries)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://news.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def stmon(config: Path, *args: str) -> tuple[int, str]:
    done = run_stmon("--config", str(config), *args)
    assert done.peak_rss < RSS_LIMIT, (args, done.peak_rss)
    return done.returncode, done.output


def status(config: Path) -> dict[str, dict[str, object]]:
    code, output = stmon(config, "status", "--json")
    assert code == 0, output
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {str(row["feed"]): row for row in rows if "feed" in row}


def test_thousands_of_copies_of_one_relevant_text_in_one_document(tmp_path: Path) -> None:
    """8,000 near-identical items that the shipped rules find relevant (each goes through
    near-duplicate detection): the poll finishes, stores what it reads, in one story."""
    entries = [(f"Yoon and Kishida to hold summit in Tokyo ({n})", f"{SUMMIT} Ref {n}.")
               for n in range(8000)]  # fmt: skip
    with HostileServer() as server:
        url = server.serve("/copies.xml", Answer(rss(entries), headers=RSS))
        config = poll_once_config(tmp_path, {"copies": url})
        assert stmon(config, "db", "upgrade")[0] == 0
        code, output = stmon(config, "poll", "--once")
    assert code == 0, output
    assert "Traceback" not in output
    with sqlite3.connect(tmp_path / "stmon.db") as conn:
        stored, relevant, stories = conn.execute(
            "SELECT count(*), sum(relevant), count(DISTINCT story_id) FROM items"
        ).fetchone()
    assert stored >= 1000 and relevant == stored
    assert stories == 1


def test_a_feed_whose_poll_fails_unexpectedly_fails_alone(tmp_path: Path) -> None:
    """The store refuses one feed's outcome (a SQLite trigger: a failure no code path
    expects). That feed's poll fails, named with its reason in the command's output and
    shown failing by `stmon status`; the sibling polled with it is stored; no traceback."""
    with HostileServer() as server:
        config = poll_once_config(
            tmp_path,
            {
                "refused": server.serve(
                    "/a.xml", Answer(rss([("alpha", "one")], "a"), headers=RSS)
                ),
                "sibling": server.serve("/b.xml", Answer(rss([("beta", "two")], "b"), headers=RSS)),
            },
            extra="fetch:\n  failing_after: 1\n",
        )
        assert stmon(config, "db", "upgrade")[0] == 0
        with sqlite3.connect(tmp_path / "stmon.db") as conn:
            conn.execute(
                "CREATE TRIGGER refuse_outcome BEFORE UPDATE OF last_success ON feeds"
                " WHEN NEW.name = 'refused'"
                " BEGIN SELECT RAISE(ABORT, 'the outcome of this feed is refused'); END"
            )
        code, output = stmon(config, "poll", "--once")
        assert server.hits == {"/a.xml": 1, "/b.xml": 1}
    assert code == 0, output
    assert "Traceback" not in output
    assert "1 failed" in output
    assert "refused: IntegrityError: the outcome of this feed is refused" in output
    with sqlite3.connect(tmp_path / "stmon.db") as conn:
        titles = {title for (title,) in conn.execute("SELECT title FROM items")}
    assert titles == {"beta"}
    feeds = status(config)
    assert feeds["refused"]["state"] == "failing" and feeds["refused"]["errors"] == 1
    assert "the outcome of this feed is refused" in str(feeds["refused"]["last_error"])
    assert feeds["sibling"]["state"] == "ok"
    code, table = stmon(config, "status")
    assert code == 0 and "failing" in table and "1 failing" in table


def test_a_document_nested_too_deeply_fails_its_feed_alone(tmp_path: Path) -> None:
    """A JSON Feed nested deeper than any parser goes is that feed's parse failure."""
    deep = b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": '
    deep += b"[" * 200_000 + b"]" * 200_000 + b"}"
    with HostileServer() as server:
        config = poll_once_config(
            tmp_path,
            {
                "deep": server.serve("/deep.json", Answer(deep, headers=[("Content-Type",
                                                                           "application/feed+json")])),
                "sibling": server.serve("/b.xml", Answer(rss([("beta", "two")], "b"), headers=RSS)),
            },
        )  # fmt: skip
        assert stmon(config, "db", "upgrade")[0] == 0
        code, output = stmon(config, "poll", "--once")
    assert code == 0, output
    assert "Traceback" not in output
    assert "deep: " in output and "nested too deeply" in output
    with sqlite3.connect(tmp_path / "stmon.db") as conn:
        titles = {title for (title,) in conn.execute("SELECT title FROM items")}
    assert titles == {"beta"}
    assert status(config)["deep"]["state"] == "error"


def test_the_measured_peak_memory_is_the_commands_own() -> None:
    """A child shows its parent's memory until its exec: the bound must not count the
    test process (which grows as the suite runs), nor miss the command itself."""
    alone = run_stmon("version").peak_rss
    ballast = bytearray(200 * MB)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))
    beside = run_stmon("version").peak_rss
    del ballast
    assert 10 * MB < alone < 150 * MB
    assert abs(beside - alone) < 30 * MB
