"""The fast path (feedparser-rs): which documents it reads, which it leaves to feedparser,
and that what it reads comes out as the feedparser path reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.model import Item, ParsedFeed, guid_key
from monitor.parse import parse
from monitor.parse.fast import ReadLazily, parse_fast
from monitor.parse.normalise import html_to_text, normalise
from monitor.parse.rss_atom import MAX_ENTITY_TEXT, entry_from, parse_xml
from tests.support.parse_golden import FIXTURES, body

CLEAN = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Desk &amp; wire</title><language>ko-KR</language>
<ttl>30</ttl><item><title>Summit &amp; talks</title><link>https://n.example/a?id=1</link>
<guid>g-1</guid><description>&lt;p&gt;Seoul and Tokyo&lt;/p&gt;</description>
<author>desk@n.example (Desk)</author><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate></item>
</channel></rss>"""


def items(feed: ParsedFeed | None) -> list[Item]:
    """What stmon keeps of a document: its entries normalised (the raw entries may differ
    in form, e.g. a title escaped as plain text on one path and read as HTML on the other)."""
    assert feed is not None
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        normalise(e, source="s", feed_url="https://n.example/feed", fetched=fetched,
                  feed_language=feed.language)
        for e in feed.entries
    ]  # fmt: skip


def feedparser_records(document: bytes) -> list[object]:
    """feedparser-rs's records of a document, as the fast path asks for them."""
    import feedparser_rs

    parsed = feedparser_rs.parse_with_limits(
        document, sanitize_html=False, resolve_relative_uris=False
    )
    return list(parsed.entries)


def rss(items: bytes, head: bytes = b'<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return head + b'<rss version="2.0"><channel><title>T</title>' + items + b"</channel></rss>"


ITEM = b"<item><title>a</title><link>https://n.example/1</link><guid>g1</guid></item>"


def test_a_clean_feed_is_read_by_the_fast_path_as_feedparser_reads_it():
    fast = parse_fast(CLEAN)
    assert fast is not None
    assert parse(CLEAN) == fast
    assert items(fast) == items(parse_xml(CLEAN))
    assert items(fast)[0].title == "Summit & talks"
    assert (fast.format, html_to_text(fast.title), fast.language, fast.ttl_minutes) == (
        "rss20",
        "Desk & wire",
        "ko-KR",
        30,
    )
    assert html_to_text(fast.title) == html_to_text(parse_xml(CLEAN).title)


# the golden fixtures the fast path reads (the others are JSON or legacy encodings)
FAST_FIXTURES = [n for n in FIXTURES if not n.endswith((".json", "euc-kr.xml", "shift_jis.xml"))]


@pytest.mark.parametrize("name", FAST_FIXTURES)
def test_golden_fixtures_read_the_same_on_both_paths(name):
    fast = parse_fast(body(name))
    assert fast is not None
    assert items(fast) == items(parse_xml(body(name)))


def test_atom_links_have_their_references_decoded():
    doc = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>e1</id>'
        b'<title>x</title><link href="https://n.example/?a=1&amp;b=2&#38;c=3"/></entry></feed>'
    )
    fast = parse_fast(doc)
    assert fast is not None
    assert fast.entries[0].link == "https://n.example/?a=1&b=2&c=3"
    assert items(fast) == items(parse_xml(doc))


LEFT_TO_FEEDPARSER = {
    "doctype": rss(ITEM, b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]>'),
    "euc-kr declared": rss(ITEM, b'<?xml version="1.0" encoding="euc-kr"?>'),
    "euc-kr by http": rss(ITEM, b'<?xml version="1.0"?>'),
    "invalid utf-8": rss(ITEM.replace(b">a<", b">\xff\xfe<")),
    "utf-16": "\ufeff".encode("utf-16-le") + rss(ITEM).decode().encode("utf-16-le"),
    "ill-formed": rss(ITEM)[:-20],
    "undeclared entity": rss(ITEM.replace(b">a<", b">&nbsp;<")),
    "rss 0.91": rss(ITEM).replace(b'version="2.0"', b'version="0.91"'),
    "no entries": rss(b""),
    "xml:base": rss(ITEM.replace(b"<item>", b'<item xml:base="https://b.example/">')),
    "late declaration": b"\n  " + rss(ITEM),
    "nested author": rss(ITEM.replace(b"<guid>", b"<author><name>N</name></author><guid>")),
    "nested items": rss(b"<item><title>o</title>" + ITEM + b"</item>"),
    "markup in an rss title": rss(ITEM.replace(b">a<", b">a &lt;b&gt; c<")),
    "reference in an rss link": rss(ITEM.replace(b"/1<", b"/1?a=1&amp;amp;b=2<")),
    "too deep": rss(ITEM.replace(b"<guid>", b"<x>" * 200 + b"</x>" * 200 + b"<guid>")),
    "more entries than a poll reads": rss(ITEM * 1_001),
}


@pytest.mark.parametrize("name", LEFT_TO_FEEDPARSER, ids=list(LEFT_TO_FEEDPARSER))
def test_documents_the_fast_path_leaves_to_feedparser(name):
    content_type = "text/xml; charset=euc-kr" if name == "euc-kr by http" else ""
    assert parse_fast(LEFT_TO_FEEDPARSER[name], content_type) is None


def test_a_document_of_a_thousand_entries_is_still_read_by_the_fast_path():
    assert parse_fast(rss(ITEM * 1_000)) is not None


def test_entities_reach_feedparser_bounded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
        + b"x" * 1000
        + b'">]><rss version="2.0"><channel><title>t</title><item><title>'
        + b"&a;" * (MAX_ENTITY_TEXT // 1000 + 10)
        + b"</title><guid>g</guid></item></channel></rss>"
    )
    assert parse_fast(bomb) is None
    feed = parse(bomb)
    assert len(feed.entries[0].title) < MAX_ENTITY_TEXT
    assert any("entity declaration" in w for w in feed.warnings)


@pytest.mark.parametrize("name", FAST_FIXTURES)
def test_entries_read_lazily_in_any_order_are_the_same(name):
    """An entry is read from its record on first access, whatever the order; its GUID
    can be had before (the fixtures read by both paths alike: the golden test above)."""
    forward, backward = parse_fast(body(name)), parse_fast(body(name))
    assert forward is not None and backward is not None
    assert isinstance(forward.entries, ReadLazily) and isinstance(backward.entries, ReadLazily)
    guids = [backward.entries.guid(i) for i in range(len(backward.entries))]
    in_order = list(forward.entries)
    assert list(reversed(backward.entries)) == in_order[::-1]
    assert [e.guid for e in in_order] == guids and backward.entries[:] == in_order
    assert len(in_order) == len(feedparser_records(body(name)))


def test_a_poll_reads_only_the_entries_it_does_not_know(monkeypatch):
    """Of a document of 50 entries the feed gave 48 of before, two are read and normalised:
    the known ones cost their GUID."""
    from monitor.parse import fast
    from monitor.parse.items import parse_items

    doc = rss(b"".join(ITEM.replace(b"g1", b"g%d" % i) for i in range(50)))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    everything = parse_items(doc, "", "https://n.example/f", "f", now)
    read: list[str] = []

    def counted(record, get):
        read.append(get(record, "id"))
        return entry_from(record, get)

    monkeypatch.setattr(fast, "entry_from", counted)
    known = frozenset(guid_key(f"g{i}") for i in range(50) if i not in (7, 30))
    found = parse_items(doc, "", "https://n.example/f", "f", now, known=known)

    assert read == ["g7", "g30"]
    assert found.items == [everything.items[7], everything.items[30]] and found.known == 48
