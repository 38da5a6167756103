"""Items as a wire feed gives them, numbered, for tests of the item store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from monitor.model import Item

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # published and fetched, unless given


def wire_item(n: int, title: str = "", summary: str = "", when: datetime = WHEN) -> Item:
    """Item number ``n``: its own GUID, URL and content hash; title and text by default
    "Title n" and "Text of item n."."""
    guid = f"guid-{n}"
    return Item(
        source="wire", url=f"https://wire.example/{n}", guid=guid, title=title or f"Title {n}",
        summary=summary or f"Text of item {n}.", content="", author=None, published=when,
        fetched=when, language="en", content_hash=hashlib.sha256(guid.encode()).hexdigest(),
    )  # fmt: skip
