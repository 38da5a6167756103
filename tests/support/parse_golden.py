"""The golden feed fixtures in tests/data/feeds/ and their expected normalised fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
FEED_URL = "https://news.example.org/feeds/"
FIXTURES = sorted(p.name.removesuffix(".expected.json") for p in FEEDS.glob("*.expected.json"))


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FEEDS / f"{name}.expected.json").read_text("utf-8"))
    return data


def body(name: str) -> bytes:
    return (FEEDS / name).read_bytes()
