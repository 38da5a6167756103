"""Walk the shared realfeeds folder through parse + normalise and record what happened to each
file (the folder is ``shared_dir / "realfeeds"``, see tests/support/shared.py)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.errors import ParseError
from monitor.model import Item
from monitor.parse import parse
from monitor.parse.normalise import normalise

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


def run_one(root: Path, rel: str) -> Outcome:
    feed_url = f"https://feeds.example.org/{rel}"
    try:
        parsed = parse((root / rel).read_bytes())
        items = [
            normalise(
                e, source=rel, feed_url=feed_url, fetched=FETCHED, feed_language=parsed.language
            )
            for e in parsed.entries
        ]
    except ParseError as exc:
        return Outcome(rel, "rejected", reason=str(exc))
    except Exception as exc:  # the test reports these as failures, file by file
        return Outcome(rel, "crashed", reason=f"{type(exc).__name__}: {exc}")
    status = "salvaged" if parsed.warnings else "parsed"
    text = "\n".join(f"{i.title}\n{i.text}" for i in items)
    problems = [p for item in items for p in _item_problems(item)]
    reason = "; ".join(parsed.warnings)
    return Outcome(rel, status, len(items), reason, text, problems)


def walk(root: Path) -> dict[str, Outcome]:
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not (p.parent == root and p.name in NOT_FEEDS) and p.name != "LICENSE"
    )
    return {rel: run_one(root, rel) for rel in files}


def summary(outcomes: dict[str, Outcome]) -> str:
    counts = Counter(o.status for o in outcomes.values())
    reasons = Counter(_reason_kind(o.reason) for o in outcomes.values() if o.status == "rejected")
    lines = [
        f"realfeeds: {len(outcomes)} files: "
        + ", ".join(f"{k} {counts[k]}" for k in ("parsed", "salvaged", "rejected", "crashed")),
        f"  items normalised: {sum(o.entries for o in outcomes.values())}",
        "  rejected by reason:",
    ]
    lines += [f"    {n:5d}  {kind}" for kind, n in reasons.most_common()]
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """The reason without line numbers and details, for grouping."""
    kind = re.sub(r" at line \d+( column \d+)?", "", reason)
    return re.sub(r"(: [^:]+)$", "", kind) if kind.count(":") > 1 else kind
