"""A fetched body as the items a poll stores: parse, then normalise every entry.

A document gives at most ``max_items`` items (``fetch.max_items`` in the config): the
newest by published (else updated) time, undated entries last and, between equals, the
one nearer the top of the document first. Text fields longer than their limits
(``monitor.parse.normalise.LIMITS``) are cut. Both are said in the feed's warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.model import Classification, Entry, Item, guid_key
from monitor.parse import parse
from monitor.parse.fast import ReadLazily
from monitor.parse.normalise import LIMITS, clean_text, normalise


@dataclass(frozen=True, slots=True)
class FeedItems:
    """What a poll needs of a parsed document: its items and the parser's remarks."""

    items: list[Item]
    ttl_minutes: int | None = None
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # why entries were left out (one odd entry, not the feed)
    # entries left out because the feed gave them before (a parser process told which)
    known: int = 0
    # each watch's verdict on an item, by (title, text), when a parser process classified it
    verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] = field(default_factory=dict)


# Entries read from one document by default: news feeds carry tens to a few hundred (the
# largest of 2,500 real feeds in the test material has 730); a document with more is not
# a feed to store whole in one poll.
MAX_ENTRIES = 1_000
_UNDATED = datetime.min.replace(tzinfo=UTC)


def parse_items(
    body: bytes,
    content_type: str,
    url: str,
    source: str,
    fetched: datetime,
    max_items: int = MAX_ENTRIES,
    known: frozenset[str] = frozenset(),
) -> FeedItems:
    """Parse a body and normalise its newest ``max_items`` entries (raises ParseError;
    ``parse`` makes a document nested too deeply for the parsers one).

    The entries whose GUID key is in ``known`` (the feed gave them before) are left out
    and counted in ``FeedItems.known``; an entry with a GUID of its own is left out
    before it is normalised (its GUID is that text, stripped), so a feed that gained two
    entries costs two entries' normalising, not fifty."""
    parsed = parse(body, content_type)
    items: list[Item] = []
    skipped: list[str] = []
    warnings = parsed.warnings
    entries = parsed.entries
    chosen = newest(entries, max_items)
    if len(chosen) < len(entries):
        warnings += (f"{len(entries)} entries in one document: the newest {max_items} are read",)
    cut: list[str] = []
    left_out = 0
    for index in chosen:
        if known:
            given = _guid(entries, index)
            guid = clean_text(given).strip() if given else ""  # the item's GUID (``normalise``)
            if guid and guid_key(guid) in known:
                left_out += 1
                continue
        entry = entries[index]  # (on the fast path, the entry is read here: see _guid)
        try:
            item = normalise(
                entry,
                source=source,
                feed_url=url,
                fetched=fetched,
                feed_language=parsed.language,
                notes=cut,
            )
        except (ValueError, TypeError, OverflowError) as exc:
            skipped.append(str(exc))
            continue
        except RecursionError:
            skipped.append("an entry nested too deeply to read")
            continue
        if known and guid_key(item.guid) in known:  # a GUID made of its link or title
            left_out += 1
            continue
        items.append(item)
    warnings += tuple(_cut_warning(field, times) for field, times in Counter(cut).items())
    return FeedItems(items, parsed.ttl_minutes, warnings, tuple(skipped), left_out)


def newest(entries: Sequence[Entry], limit: int) -> Sequence[int]:
    """The indexes of the ``limit`` newest of ``entries``, in document order (see the
    module docstring)."""
    if len(entries) <= limit:
        return range(len(entries))
    ranked = sorted(range(len(entries)), key=lambda i: (_when(entries[i]), -i), reverse=True)
    return sorted(ranked[:limit])


def _guid(entries: Sequence[Entry], index: int) -> str | None:
    """An entry's GUID as the feed gave it; the fast path's entries give it without being
    read, so an entry left out as known costs its GUID only."""
    if isinstance(entries, ReadLazily):
        return entries.guid(index)
    return entries[index].guid


def _when(entry: Entry) -> datetime:
    when = entry.published or entry.updated
    if when is None:
        return _UNDATED
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _cut_warning(field: str, times: int) -> str:
    limit: int = getattr(LIMITS, field)
    return f"{field} longer than {limit:,} characters cut in {times} item(s)"
