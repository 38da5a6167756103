"""Walk the shared realfeeds folder through parse + normalise and record what happened to each
file (the folder is ``shared_dir / "realfeeds"``, see tests/support/shared.py)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.errors import ParseError
from monitor.model import Item, ParsedFeed
from monitor.parse import parse
from monitor.parse.fast import parse_fast
from monitor.parse.normalise import html_to_text, normalise
from monitor.parse.rss_atom import parse_xml

FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
SKEW = timedelta(minutes=10)
NOT_FEEDS = {"README.md", "MANIFEST.tsv", "verify_manifest.py", "LICENSE"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KANA = re.compile(r"[\u3040-\u30ff]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def manifest(root: Path) -> dict[str, dict[str, str]]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {row["path"]: row for row in rows}


@dataclass
class Outcome:
    path: str
    status: str  # parsed | salvaged | rejected | crashed
    entries: int = 0
    reason: str = ""
    text: str = ""
    problems: list[str] = field(default_factory=list)
    fast: bool = False  # read by feedparser-rs (monitor.parse.fast)
    # field -> the first entry's two values, where the feedparser path reads it otherwise
    differences: dict[str, str] = field(default_factory=dict)


# What the differential test compares: the fields of an Item that later stages use
# (``text`` is the fuller of summary and content: which of the two holds an entry's text
# is not compared), the feed's language and ttl, and whether the document needed repairs.
COMPARED = ("url", "guid", "title", "text", "author", "published", "language")


def _item_problems(item: Item) -> list[str]:
    problems = []
    if item.published.tzinfo is None or item.published.utcoffset() != timedelta(0):
        problems.append(f"published not UTC: {item.published!r}")
    if item.published > FETCHED + SKEW:
        problems.append(f"published in the future: {item.published.isoformat()}")
    if not item.guid:
        problems.append("empty guid")
    if not item.language:
        problems.append("empty language")
    if not _HEX64.match(item.content_hash):
        problems.append(f"bad content_hash {item.content_hash!r}")
    return problems


def _items(parsed: ParsedFeed, rel: str) -> list[Item]:
    feed_url = f"https://feeds.example.org/{rel}"
    return [
        normalise(e, source=rel, feed_url=feed_url, fetched=FETCHED, feed_language=parsed.language)
        for e in parsed.entries
    ]


def run_one(root: Path, rel: str) -> Outcome:
    body = (root / rel).read_bytes()
    try:
        parsed = parse(body)
        items = _items(parsed, rel)
    except ParseError as exc:
        return Outcome(rel, "rejected", reason=str(exc))
    except Exception as exc:  # the test reports these as failures, file by file
        return Outcome(rel, "crashed", reason=f"{type(exc).__name__}: {exc}")
    status = "salvaged" if parsed.warnings else "parsed"
    text = "\n".join(f"{i.title}\n{i.text}" for i in items)
    problems = [p for item in items for p in _item_problems(item)]
    reason = "; ".join(parsed.warnings)
    outcome = Outcome(rel, status, len(items), reason, text, problems)
    try:
        fast = parse_fast(body)
        if fast is not None:
            outcome.fast = True
            outcome.differences = differences(fast, body, rel)
    except Exception as exc:
        return Outcome(rel, "crashed", reason=f"differential: {type(exc).__name__}: {exc}")
    return outcome


def differences(fast: ParsedFeed, body: bytes, rel: str) -> dict[str, str]:
    """Where the feedparser path reads a document the fast path read otherwise."""
    try:
        slow = parse_xml(body)
    except ParseError as exc:
        return {"rejected": str(exc)}
    found: dict[str, str] = {}
    if slow.warnings != fast.warnings:
        found["warnings"] = f"{slow.warnings} | {fast.warnings}"
    if html_to_text(slow.title) != html_to_text(fast.title):
        found["feed title"] = f"{slow.title!r} | {fast.title!r}"
    for name in ("language", "ttl_minutes"):
        if getattr(slow, name) != getattr(fast, name):
            found[f"feed {name}"] = f"{getattr(slow, name)!r} | {getattr(fast, name)!r}"
    if len(slow.entries) != len(fast.entries):
        found["entries"] = f"{len(slow.entries)} | {len(fast.entries)}"
        return found
    for one, two in zip(_items(slow, rel), _items(fast, rel), strict=True):
        for name in COMPARED:
            a, b = getattr(one, name), getattr(two, name)
            if a != b and name not in found:
                found[name] = f"{str(a)[:200]!r} | {str(b)[:200]!r}"
    return found


def walk(root: Path) -> dict[str, Outcome]:
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not (p.parent == root and p.name in NOT_FEEDS) and p.name != "LICENSE"
    )
    return {rel: run_one(root, rel) for rel in files}


def known_differences(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The documented differences (tests/data/fast_parser_differences.json): the reason
    for each kind, and for each file the kind of each field that differs."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["kinds"], data["files"]


def summary(outcomes: dict[str, Outcome]) -> str:
    counts = Counter(o.status for o in outcomes.values())
    reasons = Counter(_reason_kind(o.reason) for o in outcomes.values() if o.status == "rejected")
    lines = [
        f"realfeeds: {len(outcomes)} files: "
        + ", ".join(f"{k} {counts[k]}" for k in ("parsed", "salvaged", "rejected", "crashed")),
        f"  items normalised: {sum(o.entries for o in outcomes.values())}",
        f"  read by the fast path: {sum(o.fast for o in outcomes.values())}, differing "
        f"from the feedparser path: {sum(bool(o.differences) for o in outcomes.values())}",
        "  rejected by reason:",
    ]
    lines += [f"    {n:5d}  {kind}" for kind, n in reasons.most_common()]
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """The reason without line numbers and details, for grouping."""
    kind = re.sub(r" at line \d+( column \d+)?", "", reason)
    return re.sub(r"(: [^:]+)$", "", kind) if kind.count(":") > 1 else kind
