"""A fetched body as the items a poll stores: parse, then normalise every entry.

``parse_packed`` is what a parser process (``monitor.parse.worker``) runs: it imports
only this module's few dependencies (feedparser, the normaliser) and sends the items
back as plain tuples, which pickle faster than records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.errors import ParseError
from monitor.minhash import packed, story_text
from monitor.model import Item
from monitor.normalise import normalise
from monitor.parse import parse


@dataclass(frozen=True, slots=True)
class FeedItems:
    """What a poll needs of a parsed document: its items and the parser's remarks."""

    items: list[Item]
    ttl_minutes: int | None = None
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # why entries were left out (one odd entry, not the feed)


def parse_items(
    body: bytes, content_type: str, url: str, source: str, fetched: datetime
) -> FeedItems:
    """Parse a body and normalise its entries (raises ParseError)."""
    parsed = parse(body, content_type)
    items: list[Item] = []
    skipped: list[str] = []
    for entry in parsed.entries:
        try:
            items.append(
                normalise(
                    entry,
                    source=source,
                    feed_url=url,
                    fetched=fetched,
                    feed_language=parsed.language,
                )
            )
        except (ValueError, TypeError, OverflowError) as exc:
            skipped.append(str(exc))
    return FeedItems(items, parsed.ttl_minutes, parsed.warnings, tuple(skipped))


Packed = tuple[str | None, int | None, tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]


def parse_packed(
    body: bytes, content_type: str, url: str, source: str, fetched: datetime, minhash: bool
) -> Packed:
    """``parse_items`` for a worker: (error, ttl, warnings, skipped, item field tuples);
    with ``minhash``, each item's signature too (``Item.minhash``), else None."""
    try:
        found = parse_items(body, content_type, url, source, fetched)
    except ParseError as exc:
        return exc.message, None, (), (), []
    texts = [story_text(i.title, i.text) for i in found.items]
    sigs: list[bytes | None] = list(packed(texts)) if minhash else [None] * len(texts)
    rows = [
        (i.url, i.guid, i.title, i.summary, i.content, i.author, i.published, i.language,
         i.content_hash, sig)
        for i, sig in zip(found.items, sigs, strict=True)
    ]  # fmt: skip
    return None, found.ttl_minutes, found.warnings, found.skipped, rows


def unpack(packed: Packed, source: str, fetched: datetime) -> FeedItems:
    """The FeedItems that ``parse_packed`` packed (raises its ParseError)."""
    error, ttl, warnings, skipped, rows = packed
    if error is not None:
        raise ParseError(error)
    items = [
        Item(source, url, guid, title, summary, content, author, published, fetched, language,
             content_hash, sig)
        for url, guid, title, summary, content, author, published, language, content_hash, sig
        in rows
    ]  # fmt: skip
    return FeedItems(items, ttl, warnings, skipped)
