"""A fetched body as the items a poll stores: parse, then normalise every entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.errors import ParseError
from monitor.model import Item
from monitor.parse import parse
from monitor.parse.normalise import normalise


@dataclass(frozen=True, slots=True)
class FeedItems:
    """What a poll needs of a parsed document: its items and the parser's remarks."""

    items: list[Item]
    ttl_minutes: int | None = None
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # why entries were left out (one odd entry, not the feed)


# Entries read from one document: news feeds carry tens to a few hundred (the largest of
# 2,500 real feeds in the test material has 730); a document with more is not a feed to
# store whole in one poll.
MAX_ENTRIES = 1_000


def parse_items(
    body: bytes, content_type: str, url: str, source: str, fetched: datetime
) -> FeedItems:
    """Parse a body and normalise its first ``MAX_ENTRIES`` entries (raises ParseError)."""
    try:
        parsed = parse(body, content_type)
    except RecursionError:  # nesting deeper than the parsers go (JSON, XML)
        raise ParseError("the document is nested too deeply to read") from None
    items: list[Item] = []
    skipped: list[str] = []
    warnings = parsed.warnings
    if len(parsed.entries) > MAX_ENTRIES:
        warnings += (
            f"{len(parsed.entries)} entries in one document: the first {MAX_ENTRIES} are read",
        )
    for entry in parsed.entries[:MAX_ENTRIES]:
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
        except RecursionError:
            skipped.append("an entry nested too deeply to read")
    return FeedItems(items, parsed.ttl_minutes, warnings, tuple(skipped))
