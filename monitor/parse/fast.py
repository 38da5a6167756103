"""Well-formed RSS 2.0, RSS 1.0 and Atom 1.0 through feedparser-rs, feedparser's record
shape at a fortieth of its cost; everything else goes to feedparser.

:func:`parse_fast` returns None, and the document goes to
:func:`monitor.parse.rss_atom.parse_xml` whole, when it is anything but a clean UTF-8
feed of one of those formats that feedparser-rs read without a complaint:

- a DOCTYPE (entity declarations are bounded only on the feedparser path, and
  feedparser-rs expands none: it reports them, which would lose their text);
- a charset other than UTF-8 declared by the HTTP header, the XML declaration or a
  UTF-16/32 byte order mark, or bytes that are not valid UTF-8 (legacy codepages and
  their supersets, damaged UTF-8: the feedparser path repairs and reports these);
- anything feedparser-rs sets ``bozo`` for: ill-formed XML, an undeclared entity, a
  nesting deeper than it goes (100 elements), more than its limits allow (10,000
  entries, 100 MB), a document it cannot decode;
- an RSS title with a ``<`` in its text (feedparser-rs reads every RSS title as HTML;
  feedparser as plain text unless it looks like HTML);
- an RSS entry link holding what looks like an XML reference (``&amp;``): feedparser-rs
  leaves references in attribute values undecoded, and an RSS link may come from an
  element or from an ``atom:link`` attribute (an Atom link, always an attribute, is
  decoded here);
- an ``xml:base`` (feedparser resolves entry links against it; feedparser-rs, asked not
  to rewrite relative URIs in content, leaves links as written);
- an XML declaration after white space (not well-formed: feedparser salvages it and says
  so);
- an RSS ``<author>`` made of elements (feedparser-rs 0.7 takes a ``<title>`` in it for
  the item's title);
- more ``<item>`` or ``<entry>`` start tags than entries read (feedparser reads an item
  nested in another; feedparser-rs does not), or more than ``MAX_ENTRIES`` of them;
- another format (RSS 0.9x, Atom 0.3, CDF) or no entries (the feedparser path tells a
  quiet feed from an HTML page or a document that is not a feed).

The records are feedparser's shape, read field by field by the feedparser path's own
adapter (:func:`monitor.parse.rss_atom.entry_from`): both paths hand the same ``Entry``
to :func:`monitor.parse.normalise.normalise`. The differences that remain on real feeds
are listed, with their reasons, in ``tests/data/fast_parser_differences.json``.

An entry is read from its record when it is first asked for (:class:`ReadLazily`), and
its GUID alone before that: reading a record's fields costs three times what
feedparser-rs takes to parse it, and a poll leaves out, by GUID, the entries a feed gave
before, most of a changed document's (``monitor.parse.items``).
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, overload

from monitor.model import Entry, ParsedFeed
from monitor.parse.rss_atom import entry_from, http_charset, text_of, ttl

FORMATS = frozenset({"rss20", "rss10", "atom10"})
# A document with more entries goes to feedparser: feedparser-rs holds every entry's record
# at once, about twice the memory of feedparser's (8,000 short entries: +53 MB against
# +28 MB), and a poll reads no more than the first thousand anyway.
MAX_ENTRIES = 1_000
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 either way round, and UTF-32-LE
_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_SNIFF = 1024
_BASE = b"xml:base"
_LATE_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s+<\?xml\b")
_ENTRY_TAG = re.compile(rb"<(?:item|entry)[> \n\t\r]")
_NESTED_AUTHOR = re.compile(rb"<author\b[^>]*>\s*<[A-Za-z]")
# the references an attribute of a document without a DOCTYPE may hold
_XML_REFERENCE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def parse_fast(body: bytes, content_type: str = "") -> ParsedFeed | None:
    """The feed, or None when the document is for feedparser (see the module docstring)."""
    if not _is_clean_utf8(body, content_type) or _DOCTYPE.search(body) or _BASE in body:
        return None
    tags = _entry_tags(body)
    if _LATE_DECLARATION.match(body) or tags > MAX_ENTRIES:
        return None
    import feedparser_rs  # on first use, as feedparser is

    doc = feedparser_rs.parse_with_limits(body, sanitize_html=False, resolve_relative_uris=False)
    if doc.bozo or doc.version not in FORMATS or not doc.entries:
        return None
    if tags > len(doc.entries):
        return None  # entries nested in entries: feedparser reads them all
    if doc.version != "atom10" and _NESTED_AUTHOR.search(body):
        return None  # feedparser-rs reads a <title> inside an RSS <author> as the item's
    records = doc.entries
    if doc.version != "atom10" and any("<" in text_of(r, "title", _get) for r in records):
        return None  # feedparser reads an RSS title as text unless it looks like HTML
    referenced = any(_XML_REFERENCE.search(_get(r, "link") or "") for r in records)
    if referenced and doc.version != "atom10":
        return None  # from <link> text, read already, or from an atom:link's href: unsure
    feed = doc.feed
    return ParsedFeed(
        format=doc.version,
        title=text_of(feed, "title", _get),
        entries=ReadLazily(records, decode_links=referenced),
        language=feed.get("language") or None,
        ttl_minutes=ttl(feed.get("ttl")),
    )


class ReadLazily(Sequence[Entry]):
    """feedparser-rs records as ``Entry``, each read on first access (and kept);
    :meth:`guid` gives an entry's GUID without reading the rest of it."""

    __slots__ = ("_decode_links", "_read", "_records")

    def __init__(self, records: Sequence[Any], decode_links: bool = False) -> None:
        self._records = records
        self._read: list[Entry | None] = [None] * len(records)
        self._decode_links = decode_links  # an Atom link holds XML references

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        entry = self._read[index]
        if entry is None:
            entry = entry_from(self._records[index], _get)
            if self._decode_links and entry.link:
                entry = replace(entry, link=_decode_references(entry.link))
            self._read[index] = entry
        return entry

    def guid(self, index: int) -> str | None:
        """``self[index].guid``, without reading the entry's other fields."""
        return _get(self._records[index], "id") or None

    def __eq__(self, other: object) -> bool:  # (two reads of one document are equal)
        if not isinstance(other, ReadLazily):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # (a list's contents, not a value)


def _entry_tags(body: bytes) -> int:
    """How many unprefixed entry start tags the document has (``<item>``, ``<entry ...>``).

    One regex pass: ten ``bytes.count`` of the tag and ending pairs took 8 times as long."""
    return len(_ENTRY_TAG.findall(body))


def _is_clean_utf8(body: bytes, content_type: str) -> bool:
    if body.startswith(_WIDE_BOMS):
        return False
    declared = [http_charset(content_type)]
    match = _XML_ENCODING.match(body[:_SNIFF])
    declared.append(match.group(1).decode("ascii", "replace") if match else "")
    if not all(_is_utf8(name) for name in declared if name):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def _decode_references(link: str | None) -> str | None:
    """An Atom link with its XML references decoded: feedparser-rs 0.7 leaves them as
    written in attribute values (``href="?a=1&amp;b=2"``), where feedparser decodes them."""
    return _XML_REFERENCE.sub(_referenced, link) if link else link


def _referenced(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
        return chr(code) if code <= sys.maxunicode else match.group()
    return _PREDEFINED[name]


def _get(record: Any, key: str) -> Any:
    """A field of a feedparser-rs record (``get`` as on a dict, None when absent)."""
    return record.get(key)
