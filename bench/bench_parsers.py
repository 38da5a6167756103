"""Compare two fast feed parsers with stmon's feedparser path on the real feeds.

For every file of the shared realfeeds folder that the feedparser path reads, each
candidate's entries are turned into stmon's ``Entry`` records, normalised the same way,
and the fields stmon uses are compared (title, link, guid, published, summary, content,
author, language; feed title, language and ttl). Then the parse alone is timed on the
publisher feeds (``p1/``): microseconds per item, best of ``--repeat``.

    .venv/bin/python bench/bench_parsers.py [--shared ../shared] [--repeat 5]

Needs ``pip install fastfeedparser feedparser-rs`` in the project's venv.
"""

from __future__ import annotations

import argparse
import html
import time
from calendar import timegm
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastfeedparser
import feedparser
import feedparser_rs

from monitor.errors import ParseError
from monitor.model import Entry, Item, ParsedFeed
from monitor.parse import parse
from monitor.parse.normalise import normalise

FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = ("url", "guid", "title", "summary", "content", "author", "published", "language")
NOT_FEEDS = {"README.md", "MANIFEST.tsv", "verify_manifest.py", "LICENSE"}


def _rs_text(raw: Any, key: str) -> str:
    value = raw.get(key) or ""
    detail = raw.get(f"{key}_detail")
    if detail is not None and detail.type == "text/plain":
        return html.escape(value, quote=False)
    return str(value)


def _rs_when(parsed: Any) -> datetime | None:
    return datetime.fromtimestamp(timegm(parsed), tz=UTC) if parsed else None


def rs_feed(body: bytes) -> ParsedFeed:
    doc = feedparser_rs.parse_with_limits(body, sanitize_html=False, resolve_relative_uris=False)
    if doc.bozo or not doc.entries:
        raise ParseError(f"feedparser-rs: {doc.get('bozo_exception')}")
    entries = []
    for raw in doc.entries:
        content = max((c.value or "" for c in raw.get("content") or ()), key=len, default="")
        entries.append(
            Entry(
                guid=raw.get("id") or None,
                link=raw.get("link") or None,
                title=_rs_text(raw, "title"),
                summary=_rs_text(raw, "summary"),
                content=content,
                author=raw.get("author") or None,
                published=_rs_when(raw.get("published_parsed")),
                updated=_rs_when(raw.get("updated_parsed")),
            )
        )
    feed = doc.feed
    ttl = feed.get("ttl")
    return ParsedFeed(
        doc.version or "", feed.get("title") or "", tuple(entries), feed.get("language"),
        int(ttl) if ttl else None,
    )  # fmt: skip


def _iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def fast_feed(body: bytes) -> ParsedFeed:
    try:
        doc = fastfeedparser.parse(body)
    except ValueError as exc:
        raise ParseError(f"fastfeedparser: {exc}") from None
    if not doc.entries:
        raise ParseError("fastfeedparser: no entries")
    entries = []
    for raw in doc.entries:
        content = max((c.get("value") or "" for c in raw.get("content") or ()), key=len, default="")
        entries.append(
            Entry(
                guid=raw.get("id") or None,
                link=raw.get("link") or None,
                title=raw.get("title") or "",
                summary=raw.get("description") or "",
                content=content,
                author=raw.get("author") or None,
                published=_iso(raw.get("published")),
                updated=_iso(raw.get("updated")),
            )
        )
    feed = doc.feed
    return ParsedFeed("", feed.get("title") or "", tuple(entries), feed.get("language"), None)


def items(parsed: ParsedFeed, rel: str) -> list[Item]:
    url = f"https://feeds.example.org/{rel}"
    return [
        normalise(e, source=rel, feed_url=url, fetched=FETCHED, feed_language=parsed.language)
        for e in parsed.entries
    ]


def differences(ref: ParsedFeed, got: ParsedFeed, rel: str) -> list[str]:
    if len(ref.entries) != len(got.entries):
        return ["entry count"]
    found = []
    for a, b in zip(items(ref, rel), items(got, rel), strict=True):
        found += [f for f in FIELDS if getattr(a, f) != getattr(b, f)]
    for name in ("title", "language", "ttl_minutes"):
        if name != "title" and getattr(ref, name) != getattr(got, name):
            found.append(f"feed {name}")
    return sorted(set(found))


def compare(root: Path) -> None:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name not in NOT_FEEDS)
    candidates: dict[str, Callable[[bytes], ParsedFeed]] = {
        "feedparser-rs": rs_feed,
        "fastfeedparser": fast_feed,
    }
    stats = {name: Counter[str]() for name in candidates}
    for path in files:
        rel = path.relative_to(root).as_posix()
        body = path.read_bytes()
        try:
            ref = parse(body)
        except ParseError:
            continue
        if not ref.entries:
            continue
        for name, read in candidates.items():
            stats[name]["files"] += 1
            try:
                got = read(body)
            except ParseError:
                stats[name]["rejected (falls back)"] += 1
                continue
            except Exception:  # a candidate's crash counts against it
                stats[name]["crashed"] += 1
                continue
            diff = differences(ref, got, rel)
            stats[name]["agree" if not diff else "differ"] += 1
            for field in diff:
                stats[name][f"  differs in {field}"] += 1
    for name, counts in stats.items():
        print(f"{name}:")
        for key in sorted(counts, key=lambda k: (k.startswith(" "), k)):
            print(f"  {key:<28} {counts[key]:5d}")


def timing(root: Path, repeat: int) -> None:
    bodies = [p.read_bytes() for p in sorted((root / "p1").rglob("*")) if p.is_file()]
    bodies = [b for b in bodies if _count(b)]
    entries = sum(_count(b) for b in bodies)
    runs: dict[str, Callable[[bytes], object]] = {
        "feedparser (stmon's options)": lambda b: feedparser.parse(
            b, sanitize_html=False, resolve_relative_uris=False
        ),
        "feedparser-rs": lambda b: feedparser_rs.parse_with_limits(
            b, sanitize_html=False, resolve_relative_uris=False
        ),
        "fastfeedparser": _fast_or_none,
    }
    print(f"publisher feeds (p1/): {len(bodies)} documents, {entries} items")
    for name, run in runs.items():
        best = min(_once(run, bodies) for _ in range(repeat))
        print(f"  {name:<30} {best:7.3f} s  {best / entries * 1e6:7.1f} us/item")


def _count(body: bytes) -> int:
    try:
        return len(parse(body).entries)
    except ParseError:
        return 0


def _fast_or_none(body: bytes) -> object:
    try:
        return fastfeedparser.parse(body)
    except ValueError:
        return None


def _once(run: Callable[[bytes], object], bodies: list[bytes]) -> float:
    started = time.process_time()
    for body in bodies:
        run(body)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = args.shared / "realfeeds"
    timing(root, args.repeat)
    compare(root)


if __name__ == "__main__":
    main()
