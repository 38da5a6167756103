"""parse(): format detection, golden fixtures, encodings, and what is salvaged or refused."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor.errors import ParseError
from monitor.model import Entry
from monitor.parse import parse
from monitor.parse.rss_atom import MAX_ENTITY_TEXT
from tests.support.parse_golden import FIXTURES, body, expected

EMPTY_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>
<link>https://quiet.example.org/</link><ttl>abc</ttl></channel></rss>"""


def rss(items: str, *, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{decl}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


def test_all_golden_fixtures_are_present():
    assert {"rss20.xml", "rss10.rdf", "atom.xml", "jsonfeed.json"} <= set(FIXTURES)
    assert {"rss20_euc-kr.xml", "rss20_shift_jis.xml"} <= set(FIXTURES)


@pytest.mark.parametrize("name", FIXTURES, ids=FIXTURES)
def test_golden_feed_level_fields(name):
    want = expected(name)
    feed = parse(body(name))
    assert (feed.format, feed.title, feed.language, feed.ttl_minutes) == (
        want["format"],
        want["title"],
        want["language"],
        want["ttl_minutes"],
    )
    assert feed.warnings == ()
    assert len(feed.entries) == len(want["items"])
    assert all(type(e) is Entry for e in feed.entries)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss20_euc-kr.xml", "text/xml"),
        ("rss20_euc-kr.xml", "application/rss+xml; charset=EUC-KR"),
        ("rss20_euc-kr.xml", 'text/xml; charset="euc-kr"'),
        ("rss20_shift_jis.xml", "text/xml"),
        ("rss20_shift_jis.xml", "application/xml; charset=Shift_JIS"),
        ("jsonfeed.json", "application/feed+json"),
        ("jsonfeed.json", "application/json; charset=utf-8"),
        ("rss20.xml", "text/html; charset=utf-8"),
    ],
    ids=lambda v: v.replace(" ", ""),
)
def test_content_type_does_not_break_decoding(name, content_type):
    want = expected(name)
    feed = parse(body(name), content_type)
    assert feed.warnings == ()
    assert [" ".join(html.unescape(e.title).split()) for e in feed.entries] == [
        i["title"] for i in want["items"]
    ]


def test_wrong_http_charset_is_salvaged_from_the_declaration():
    feed = parse(body("rss20_euc-kr.xml"), "application/rss+xml; charset=utf-8")
    assert feed.entries[0].title.startswith("한일 수산 당국")
    assert any("euc-kr" in w.lower() for w in feed.warnings)


def test_cp949_text_declared_euc_kr_is_read_as_cp949():
    doc = rss(
        "<item><title>똠방각하 한일 회담</title><guid>a</guid></item>",
        decl=('<?xml version="1.0" encoding="euc-kr"?>'),
    )
    feed = parse(doc.encode("cp949"))
    assert feed.entries[0].title == "똠방각하 한일 회담"
    assert feed.warnings == ("declared euc-kr but decoded as cp949",)


def test_utf16_document_with_bom():
    doc = rss(
        "<item><title>日韓首脳会談</title></item>", decl='<?xml version="1.0" encoding="utf-16"?>'
    )
    feed = parse(doc.encode("utf-16"))
    assert [e.title for e in feed.entries] == ["日韓首脳会談"]


def test_truncated_xml_is_salvaged_with_a_warning():
    whole = body("rss20.xml")
    cut = whole[: whole.index(b"</item>", whole.index(b"</item>") + 1) + 7] + b"<item><title>bro"
    feed = parse(cut)
    assert len(feed.entries) >= 2
    assert feed.entries[0].guid == "urn:stmon:wire-001"
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("salvaged: not well-formed XML at line")


def test_undefined_entity_is_salvaged():
    feed = parse(rss("<item><title>Seoul &bogus; Tokyo</title><guid>x</guid></item>").encode())
    assert [e.guid for e in feed.entries] == ["x"]
    assert "undefined entity" in feed.warnings[0]


def test_a_large_entity_is_not_expanded():
    big = "A" * 100_000
    items = "".join(f"<item><title>t{i}</title><description>&big;&big;</description></item>"
                    for i in range(50))  # fmt: skip
    doc = rss(items, decl=f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "{big}">\n]>\n')
    feed = parse(doc.encode())
    assert len(feed.entries) == 50
    assert max(len(e.summary) for e in feed.entries) < 100
    assert "removed 1 entity declaration(s)" in feed.warnings[0]


def test_short_entities_are_kept_until_they_add_too_much_text():
    def doc(references: int) -> bytes:
        entity = "x" * 200
        items = "<item><title>&e;</title><guid>g</guid></item>" + "&e;" * references
        decl = f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY e "{entity}">\n]>\n'
        return rss(f"{items}", decl=decl).encode()

    few = parse(doc(10))
    assert few.entries[0].title == "x" * 200
    many = parse(doc(MAX_ENTITY_TEXT // 200))
    assert "removed 1 entity declaration(s)" in many.warnings[0]
    assert "x" not in many.entries[0].title


def test_character_reference_entities_are_kept():
    doc = rss(
        "<item><title>Seoul&nbsp;Tokyo</title><guid>x</guid></item>",
        decl='<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n]>\n',
    )
    feed = parse(doc.encode())
    assert feed.entries[0].title == "Seoul\u00a0Tokyo"
    assert feed.warnings == ()


def test_one_bad_byte_does_not_garble_a_utf8_feed():
    titles = [f"한일 정상회담 {i}" for i in range(5)] + ["日韓外相会談", "bad \udcff byte"]
    items = "".join(f"<item><title>{t}</title><guid>g{i}</guid></item>"
                    for i, t in enumerate(titles))  # fmt: skip
    doc = rss(items, decl='<?xml version="1.0" encoding="utf-8"?>')
    feed = parse(doc.encode("utf-8", "surrogateescape"), "application/rss+xml; charset=utf-8")
    assert [e.title for e in feed.entries] == [*titles[:-1], "bad \ufffd byte"]
    assert feed.warnings[0].startswith("invalid UTF-8 at byte")


@pytest.mark.parametrize(
    "content_type",
    ["", "text/xml", "application/rss+xml; charset=EUC-KR"],
    ids=["none", "xml", "http"],
)
def test_one_bad_byte_does_not_garble_an_euc_kr_feed(content_type: str):
    titles = [f"한일 정상회담 {i}" for i in range(5)]
    items = "".join(f"<item><title>{t}</title><guid>g{i}</guid></item>"
                    for i, t in enumerate(titles))  # fmt: skip
    doc = rss(items, decl='<?xml version="1.0" encoding="euc-kr"?>').encode("euc-kr")
    at = doc.index("정상회담 2".encode("euc-kr"))
    feed = parse(doc[:at] + b"\xff" + doc[at:], content_type)
    assert [e.title for e in feed.entries] == [*titles[:2], "한일 \ufffd정상회담 2", *titles[3:]]
    assert feed.warnings == (f"invalid {'EUC-KR' if content_type.endswith('KR') else 'euc-kr'}"
                             f" at byte {at}: 1 sequence(s) replaced with U+FFFD",)  # fmt: skip


def test_a_latin1_feed_without_a_declaration_is_still_detected():
    doc = rss(
        "<item><title>Caf\u00e9 na\u00efve r\u00e9sum\u00e9</title><guid>x</guid></item>",
        decl='<?xml version="1.0"?>',
    )
    feed = parse(doc.encode("latin-1"))
    assert not any("U+FFFD" in w for w in feed.warnings)
    assert "\ufffd" not in feed.entries[0].title


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty body"),
        (b"  \r\n\t ", "empty body"),
        (b"\xef\xbb\xbf\n", "empty body"),
        (b"<!DOCTYPE html><html><head><title>News</title></head><body>hi</body></html>",
         "HTML page, not a feed"),
        (b"<html><body><p>Not here</p></body></html>", "HTML page, not a feed"),
        (b"\n<!-- x --><HTML lang=ko><body>\xec\x95\x88\xeb\x85\x95</body></HTML>",
         "HTML page, not a feed"),
        (b'<?xml version="1.0"?><opml version="1.0"><head/><body/></opml>',
         "OPML subscription list, not a feed"),
        (b"<?xml version='1.0'?><note><to>you</to></note>", "not a feed (root element <note>)"),
        (b"<rss version='2.0'><channel><title>x</title><link>a&b", "no entries could be read"),
        (b"Service Unavailable", "no entries could be read"),
        (b"\x00\x01\x02garbage\xff\xfe", "no entries could be read"),
        (b'{"status": "ok", "data": []}', "not a JSON Feed"),
        (b"[1, 2, 3]", "JSON document is a list, not a JSON Feed object"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"', "invalid JSON at line 1"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "has no items list"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [1, "x"]}', "hold no objects"),
    ],
    ids=[
        "empty", "whitespace", "bom-only", "html-doctype", "html-bare", "html-after-comment",
        "opml", "other-xml", "broken-xml-no-items", "plain-text", "binary", "json-not-feed",
        "json-array", "json-truncated", "jsonfeed-no-items", "jsonfeed-items-not-objects",
    ],
)  # fmt: skip
def test_unusable_documents_raise_parse_error(payload, reason):
    with pytest.raises(ParseError) as info:
        parse(payload)
    assert reason in str(info.value)


def test_json_content_type_with_xml_body_goes_to_xml():
    feed = parse(body("rss20.xml"), "application/json")
    assert feed.format == "rss20"


def test_valid_feed_without_entries_is_an_empty_success():
    feed = parse(EMPTY_RSS)
    assert (feed.format, feed.title, feed.entries, feed.warnings) == ("rss20", "Quiet", (), ())
    assert feed.ttl_minutes is None  # "abc" is no number of minutes


def test_json_feed_with_empty_items_is_an_empty_success():
    feed = parse(b'{"version": "https://jsonfeed.org/version/1.1", "title": "Q", "items": []}')
    assert (feed.format, feed.entries, feed.warnings) == ("json11", (), ())


def test_json_feed_1_0_tolerances():
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old",
        "items": [
            {"id": 42, "content_text": "a < b", "author": {"name": "Desk"},
             "date_published": "2025-06-09T18:30:00+09:00", "external_url": "https://x.example/1"},
            "not an item",
            {"id": "b", "title": "T", "date_published": "yesterday", "authors": "nobody"},
        ],
    }  # fmt: skip
    feed = parse(json.dumps(doc).encode("utf-8"))
    first, second = feed.entries
    assert (first.guid, first.link, first.content, first.author) == (
        "42",
        "https://x.example/1",
        "a &lt; b",
        "Desk",
    )
    assert first.published is not None and first.published.utcoffset().total_seconds() == 9 * 3600
    assert (second.published, second.author) == (None, None)
    assert feed.format == "json10"
    assert feed.warnings == ("item 1 is not an object; skipped",)


def test_json_feed_without_version_is_read_with_a_warning():
    feed = parse(b'\xef\xbb\xbf {"items": [{"id": "1", "title": "x"}]}')
    assert [e.guid for e in feed.entries] == ["1"]
    assert feed.format == "json"
    assert "no JSON Feed version" in feed.warnings[0]


def test_plain_text_fields_are_escaped_into_markup():
    doc = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><id>1</id><title type="text">Seoul &lt;-&gt; Tokyo &amp; more</title>
    <summary type="text">x &lt;b&gt; y</summary></entry></feed>"""
    entry = parse(doc).entries[0]
    assert entry.title == "Seoul &lt;-&gt; Tokyo &amp; more"
    assert entry.summary == "x &lt;b&gt; y"


def test_ttl_and_language_are_read():
    feed = parse(body("rss20.xml"))
    assert (feed.ttl_minutes, feed.language) == (30, "en-us")


def test_an_enormous_ttl_is_read_as_a_week_and_the_next_check_stays_finite():
    from monitor.fetch.headers import next_check_delay
    from monitor.parse.rss_atom import MAX_TTL_MINUTES

    feed = parse(rss("<ttl>" + "9" * 400 + "</ttl>").encode())
    assert feed.ttl_minutes == MAX_TTL_MINUTES
    delay = next_check_delay(600.0, ttl_minutes=feed.ttl_minutes, max_age=None, retry_after=None)
    assert 600.0 < delay < float("inf")


def test_deeply_nested_json_is_a_parse_error():
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(b"[" * 100_000 + b"]" * 100_000, "application/feed+json")


def test_a_document_with_too_many_entries_is_read_up_to_the_bound():
    from monitor.parse.items import MAX_ENTRIES, parse_items

    items = "".join(
        f"<item><title>t{i}</title><guid>g{i}</guid></item>" for i in range(MAX_ENTRIES + 5)
    )
    found = parse_items(rss(items).encode(), "", "https://e.org/f", "f", datetime.now(UTC))
    assert [i.guid for i in found.items] == [f"g{i}" for i in range(MAX_ENTRIES)]
    assert f"{MAX_ENTRIES + 5} entries in one document" in found.warnings[-1]


def test_the_newest_entries_are_kept_whatever_their_order_in_the_document():
    from monitor.parse.items import parse_items

    def pub(hours: int) -> str:
        when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
        return f"<pubDate>{format_datetime(when)}</pubDate>"

    order = [3, 0, 7, 5, 1, 6, 2, 4]  # hours after the first
    items = "".join(f"<item><guid>g{h}</guid>{pub(h)}</item>" for h in order)
    items += "<item><guid>undated</guid></item>"

    found = parse_items(rss(items).encode(), "", "https://e.org/f", "f", datetime.now(UTC), 3)

    assert [i.guid for i in found.items] == ["g7", "g5", "g6"]  # document order
    assert found.warnings == ("9 entries in one document: the newest 3 are read",)


def test_undated_entries_are_kept_from_the_top_of_the_document():
    from monitor.parse.items import parse_items

    items = "".join(f"<item><guid>g{i}</guid></item>" for i in range(5))

    found = parse_items(rss(items).encode(), "", "https://e.org/f", "f", datetime.now(UTC), 2)

    assert [i.guid for i in found.items] == ["g0", "g1"]


def test_cut_fields_are_counted_in_the_warnings():
    from monitor.parse.items import parse_items

    items = "".join(f"<item><guid>g{i}</guid><title>{'x' * 3000}</title></item>" for i in range(4))

    found = parse_items(rss(items).encode(), "", "https://e.org/f", "f", datetime.now(UTC))

    assert [len(i.title) for i in found.items] == [1000] * 4
    assert found.warnings == ("title longer than 1,000 characters cut in 4 item(s)",)


def test_known_entries_are_left_out_and_counted_before_they_are_normalised():
    """A feed's known entries (GUID keys the poller sends) are left out: by their own
    GUID (as normalising would strip it) before anything else is done with them, by the
    link an entry without a GUID gets as its GUID after; only the others are read, so
    only their cut fields are counted."""
    from monitor.parse.items import parse_items

    long = "x" * 3000
    items = (
        f"<item><guid>  g0 </guid><title>{long}</title></item>"  # known, cut if read
        f"<item><guid>g1</guid><title>{long}</title></item>"
        "<item><link>https://e.org/a?utm_source=x</link><title>a</title></item>"  # known
        "<item><link>https://e.org/b</link><title>b</title></item>"
    )
    known = frozenset({"g0", "https://e.org/a"})
    now = datetime.now(UTC)

    found = parse_items(rss(items).encode(), "", "https://e.org/f", "f", now, known=known)
    everything = parse_items(rss(items).encode(), "", "https://e.org/f", "f", now)

    assert [i.guid for i in found.items] == ["g1", "https://e.org/b"] and found.known == 2
    assert found.items == [everything.items[1], everything.items[3]]
    assert found.warnings == ("title longer than 1,000 characters cut in 1 item(s)",)
    assert everything.known == 0 and len(everything.items) == 4


def test_a_document_with_few_entries_is_one_slice():
    from monitor.parse.slices import slices

    doc = rss("<item><guid>a</guid></item><item><guid>b</guid></item>").encode()

    assert list(slices(doc, 2)) == [doc]


def test_slices_carry_the_head_and_tail_of_the_document():
    from monitor.parse.slices import slices

    items = "".join(f"<item><guid>g{i}</guid></item>" for i in range(5))
    doc = rss(items).encode()

    pieces = list(slices(doc, 2))

    head, tail = doc[: doc.index(b"<item>")], doc[doc.rindex(b"</item>") + 7 :]
    runs = ["g0</guid></item><item><guid>g1", "g2</guid></item><item><guid>g3", "g4"]
    assert pieces == [head + f"<item><guid>{r}</guid></item>".encode() + tail for r in runs]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_document_of_many_entries_is_read_whole_a_slice_at_a_time(kind: str):
    count = 5_001  # three slices
    if kind == "rss":
        entries = "".join(
            f"<item><title>t{i}</title><guid>g{i}</guid></item>" for i in range(count)
        )
        doc = rss(entries)
    else:
        entries = "".join(
            f"<entry><title>t{i}</title><id>g{i}</id><updated>2025-01-01T00:00:00Z</updated>"
            "</entry>"
            for i in range(count)
        )
        doc = (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko">'
            f"<title>Atom</title><id>f</id>{entries}</feed>"
        )

    feed = parse(doc.encode())

    assert [e.guid for e in feed.entries] == [f"g{i}" for i in range(count)]
    assert feed.title == ("T" if kind == "rss" else "Atom") and feed.warnings == ()
    assert feed.format.startswith(kind)


def test_a_feed_date_out_of_range_carries_over_as_a_utc_timestamp_would():
    """feedparser's struct_time, read as a datetime: in range as it is, out of range (a
    61st second, the 31st of June, hour 24) carried over as counting seconds would."""
    import time

    from monitor.parse.rss_atom import when

    def struct(*fields: int) -> time.struct_time:
        return time.struct_time((*fields, 0, 0, 0))

    assert when(struct(2025, 6, 10, 4, 5, 6)) == datetime(2025, 6, 10, 4, 5, 6, tzinfo=UTC)
    assert when(struct(2025, 6, 31, 0, 0, 0)) == datetime(2025, 7, 1, tzinfo=UTC)
    assert when(struct(2016, 12, 31, 23, 59, 60)) == datetime(2017, 1, 1, tzinfo=UTC)
    assert when(struct(2025, 2, 28, 24, 0, 0)) == datetime(2025, 3, 1, tzinfo=UTC)
    assert when(struct(1969, 12, 31, 23, 0, 0)) == datetime(1969, 12, 31, 23, tzinfo=UTC)
    assert when(struct(10_000, 1, 1, 0, 0, 0)) is None  # past what a datetime holds
    assert when(None) is None and when(("2025", 1, 1, 0, 0, 0)) is None
