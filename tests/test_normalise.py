"""normalise() and its helpers: golden fixtures, URLs, HTML, hashes, dates, language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.model import Entry
from monitor.parse import parse
from monitor.parse.language import detect_language, item_language, normalise_tag
from monitor.parse.normalise import (
    LIMITS,
    canonical_url,
    clean_text,
    content_hash,
    html_to_text,
    normalise,
    web_link,
)
from tests.support.parse_golden import FEED_URL, FIXTURES, body, expected

FETCHED = datetime(2025, 8, 20, 12, 0, tzinfo=UTC)
KST = timezone(timedelta(hours=9))


def item(**fields):
    entry = Entry(**{"guid": None, "link": None, "title": "t", **fields})
    return normalise(entry, source="s", feed_url="https://news.example.org/feeds/x.xml",
                     fetched=FETCHED)  # fmt: skip


def golden_cases():
    for name in FIXTURES:
        for index, want in enumerate(expected(name)["items"]):
            yield pytest.param(name, index, want, id=f"{name}[{index}]")


@pytest.fixture(scope="module")
def normalised():
    out = {}
    for name in FIXTURES:
        want = expected(name)
        feed = parse(body(name))
        fetched = datetime.fromisoformat(want["fetched"])
        out[name] = [
            normalise(
                e, source=name, feed_url=FEED_URL, fetched=fetched, feed_language=feed.language
            )
            for e in feed.entries
        ]
    return out


@pytest.mark.parametrize(("name", "index", "want"), list(golden_cases()))
def test_golden_items(normalised, name, index, want):
    got = normalised[name][index]
    fields = {k: getattr(got, k) for k in want}
    fields["published"] = got.published.isoformat()
    assert fields == want
    assert got.source == name


def test_golden_texts_have_no_markup_or_script(normalised):
    for items in normalised.values():
        for it in items:
            assert not re.search(r"<[a-z/]|&[a-z]+;|document\.write|color:red", it.title + it.text)


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("HTTPS://News.Example.COM:443/a/B?x=1#frag", "https://news.example.com/a/B?x=1"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/p", "http://example.com:8080/p"),
        ("https://example.com/p?utm_source=rss&id=7&utm_MEDIUM=x&b=2", "https://example.com/p?id=7&b=2"),
        ("https://example.com/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ocid=5", "https://example.com/p"),
        ("https://example.com/p?b=2&a=1&b=3", "https://example.com/p?b=2&a=1&b=3"),
        ("https://example.com/p?q=a%20b&empty=&flag", "https://example.com/p?q=a%20b&empty=&flag"),
        ("https://example.com/p?&&utm_id=9&", "https://example.com/p"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://user:pw@Example.com:443/", "https://user:pw@example.com/"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("https://例え.jp/記事", "https://例え.jp/記事"),
        ("/relative/path?utm_source=x", "/relative/path?utm_source=x"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("http://example.com:99999/", "http://example.com:99999/"),
        ("", ""),
    ],
    ids=[
        "case-port-fragment", "default-http-port", "other-port", "utm-mixed", "click-ids",
        "order-kept", "encoding-kept", "empty-pairs", "whitespace", "userinfo", "ipv6",
        "idn", "relative-untouched", "not-http", "bad-port", "empty",
    ],
)  # fmt: skip
def test_canonical_url(url, want):
    assert canonical_url(url) == want


@pytest.mark.parametrize(
    ("link", "want"),
    [
        ("/news/1?utm_source=rss#top", "https://feed.example/news/1"),
        ("story.html", "https://feed.example/a/story.html"),
        ("HTTP://Other.Example:80/x", "http://other.example/x"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<b>x</b>", ""),
        ("file:///etc/passwd", ""),
        ("mailto:desk@example.com", ""),
        ("http://[::1/x", ""),
        ("http://example.com:99999/", "http://example.com:99999/"),
    ],
    ids=[
        "relative-cleaned", "relative-to-folder", "canonical", "javascript", "data", "file",
        "mailto", "broken-ipv6", "bad-port-kept",
    ],
)  # fmt: skip
def test_web_link_resolves_cleans_and_keeps_only_http(link, want):
    assert web_link(link, "https://feed.example/a/rss.xml") == want


@pytest.mark.parametrize(
    ("markup", "want"),
    [
        ("plain  text\n\n here", "plain text\nhere"),
        ("Tom &amp; Jerry &lt;3 &#54620;&#xC77C; &nbsp;x", "Tom & Jerry <3 한일 x"),
        ("<p>One</p><p>Two<br/>Three</p>", "One\nTwo\nThree"),
        ("a<script type='x'>var s = '<p>';</script>b<style>p{}</style>c", "a b c"),
        ("<SCRIPT>x()</SCRIPT >kept", "kept"),
        ("x<!-- <p>hidden</p> -->y", "x y"),
        ("<b>bold</b> and <a href='u'>link</a>", "bold and link"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("a < b and c > d", "a < b and c > d"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("<div>\n  <h2>Title</h2>\n\t<p>Body\u3000text</p></div>", "Title\nBody text"),
        ("", ""),
    ],
    ids=[
        "plain", "entities", "blocks", "script-style", "script-upper", "comment", "inline",
        "list", "lone-angles", "escaped-markup-stays-text", "nested-whitespace", "empty",
    ],
)  # fmt: skip
def test_html_to_text(markup, want):
    assert html_to_text(markup) == want


def test_content_hash_ignores_case_width_and_spacing_but_not_words():
    base = content_hash("Lee, Ishiba meet", "Summit in Tokyo.")
    assert base == content_hash("  LEE,  Ishiba\nmeet", "Summit   in Ｔｏｋｙｏ.")
    assert base != content_hash("Lee, Ishiba meet", "Summit in Seoul.")
    assert base != content_hash("Lee, Ishiba meet Summit", "in Tokyo.")
    assert re.fullmatch(r"[0-9a-f]{64}", base)


def test_guid_prefers_the_entry_guid():
    assert item(guid="  urn:x:1 ", link="https://e.org/a").guid == "urn:x:1"


def test_guid_falls_back_to_the_canonical_link():
    got = item(link="HTTPS://E.org/a?utm_source=x#c")
    assert got.guid == got.url == "https://e.org/a"


def test_relative_link_is_resolved_against_the_feed_url():
    assert item(link="../2025/a?utm_source=x").url == "https://news.example.org/2025/a"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_links_other_than_http_are_dropped(link):
    got = item(guid="urn:x:2", link=link)
    assert got.url == ""
    assert got.guid == "urn:x:2"


def test_links_resolve_against_xml_base_then_the_feed_url():
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>/news/1?utm_source=x</link><guid>g1</guid></item>"
        b'<item xml:base="https://other.example/base/"><title>b</title>'
        b"<link>story/2</link><guid>g2</guid></item></channel></rss>"
    )
    feed_url = "https://feeds.example.org/dir/feed.xml"
    urls = [
        normalise(e, source="s", feed_url=feed_url, fetched=FETCHED).url for e in parse(doc).entries
    ]
    assert urls == ["https://feeds.example.org/news/1", "https://other.example/base/story/2"]


def test_guid_without_guid_or_link_is_a_stable_hash():
    when = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
    first = item(title="Summit", published=when).guid
    assert first.startswith("sha256:")
    assert first == item(title="Summit", published=when.astimezone(KST)).guid
    assert first != item(title="Summit", published=when + timedelta(hours=1)).guid
    assert first != item(title="Summit held", published=when).guid


@pytest.mark.parametrize(
    ("fields", "want"),
    [
        ({"published": datetime(2025, 6, 9, 18, 30, tzinfo=KST)}, datetime(2025, 6, 9, 9, 30)),
        ({"published": datetime(2025, 6, 9, 9, 30)}, datetime(2025, 6, 9, 9, 30)),
        ({"updated": datetime(2025, 6, 10, 0, 0, tzinfo=UTC)}, datetime(2025, 6, 10)),
        ({}, FETCHED.replace(tzinfo=None)),
        ({"published": FETCHED + timedelta(minutes=9)}, datetime(2025, 8, 20, 12, 9)),
        ({"published": FETCHED + timedelta(minutes=11)}, FETCHED.replace(tzinfo=None)),
        ({"published": datetime(2031, 1, 1, tzinfo=UTC)}, FETCHED.replace(tzinfo=None)),
    ],
    ids=["offset", "naive-is-utc", "updated", "none", "within-skew", "past-skew", "far-future"],
)
def test_published_is_utc_and_never_in_the_future(fields, want):
    got = item(**fields).published
    assert got.tzinfo is UTC
    assert got == want.replace(tzinfo=UTC)


def test_fetch_time_is_made_utc():
    entry = Entry(guid="g", link=None, title="t")
    got = normalise(entry, source="s", feed_url="", fetched=datetime(2025, 1, 1, 9, tzinfo=KST))
    assert got.fetched == got.published == datetime(2025, 1, 1, tzinfo=UTC)


def test_fields_become_plain_text():
    got = item(title="<b>Seoul</b>\n &amp;  Tokyo", summary="<p>a</p><p>b</p>",
               content="<p>long&nbsp;text</p>", author="  Desk ")  # fmt: skip
    assert (got.title, got.summary, got.content, got.author) == (
        "Seoul & Tokyo",
        "a\nb",
        "long text",
        "Desk",
    )
    assert got.text == "long text"
    assert got.content_hash == content_hash("Seoul & Tokyo", "long text")


@pytest.mark.parametrize(
    ("text", "declared", "want"),
    [
        ("Lee and Ishiba hold summit in Tokyo", (), "en"),
        ("이재명 대통령, 이시바 총리와 정상회담", (), "ko"),
        ("石破首相、李在明大統領と電話会談", (), "ja"),
        ("日韓首脳会談実施", (), "ja"),
        ("日韓首脳会談実施", ("zh-CN",), "zh"),
        ("G7 峰会 closing statement", (), "en"),
        ("2025 - 06 - 09", (), "und"),
        ("Lee and Ishiba", ("ko-KR",), "ko"),
        ("Lee and Ishiba", (None, "EN_us"), "en"),
        ("Lee and Ishiba", ("fr", "en"), "fr"),
        ("이재명 대통령, 이시바 총리와 정상회담", ("en-us",), "ko"),
        ("日米韓が共同訓練を実施した", ("en",), "ja"),
        ("Seoul (서울) and Tokyo officials met on Monday", ("en",), "en"),
        ("Lee and Ishiba", ("euc-kr",), "en"),
        ("한미일 연합훈련", ("english", ""), "ko"),
    ],
    ids=[
        "latin",
        "hangul",
        "kana",
        "han-only",
        "han-declared-zh",
        "latin-majority",
        "nothing",
        "declared-ko",
        "declared-second",
        "entry-before-feed",
        "declared-en-but-hangul",
        "declared-en-but-kana",
        "declared-en-some-hangul",
        "charset-as-language",
        "unusable-tags",
    ],
)
def test_language(text, declared, want):
    assert item_language(text, *declared) == want


def test_language_helpers():
    assert [normalise_tag(t) for t in ("ja-JP", "KO", "x", "euc-kr", None)] == [
        "ja", "ko", None, None, None,
    ]  # fmt: skip
    assert detect_language("한일 정상회담에서 인사 「ありがとう」") == "ko"
    assert detect_language("日本語の記事に한국어") == "ja"
    assert detect_language("韓日 首腦會談 개최") == "ko"


def test_normalise_uses_entry_then_feed_language():
    entry = Entry(guid="g", link=None, title="Summit", language="ja")
    kwargs = {"source": "s", "feed_url": "", "fetched": FETCHED}
    assert normalise(entry, feed_language="en", **kwargs).language == "ja"
    entry = Entry(guid="g", link=None, title="Summit")
    assert normalise(entry, feed_language="de-DE", **kwargs).language == "de"


# text cleaning and limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Seoul\x00 Tokyo", "Seoul Tokyo"),
        ("a\x01\x08\x0b\x0c\x1b[31mb", "a[31mb"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\r\nlf", "cr\n\nlf"),
        ("c1\x80\x9f\x7fgone", "c1gone"),
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd"),
        ("한일 정상회담 \u00a0é", "한일 정상회담 \u00a0é"),
    ],
    ids=["nul", "c0", "tab-newline", "cr", "c1-del", "surrogates", "kept"],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_every_text_field_is_cleaned() -> None:
    got = item(
        guid="g\x00\ud800",
        link="https://news.example.org/a\x00b",
        title="Summit\x00 \x1b[2Jannounced",
        summary="<p>a\x07b</p>",
        content="c\x85d \udc80",  # NEL is a space to str.split
        author="Kim\x00 \ud800",
    )

    assert (got.guid, got.url) == ("g\ufffd", "https://news.example.org/ab")
    assert got.title == "Summit [2Jannounced"
    assert (got.summary, got.content, got.author) == ("ab", "c d \ufffd", "Kim \ufffd")
    for text in (got.guid, got.url, got.title, got.summary, got.content, got.author or ""):
        text.encode("utf-8")  # storable: no lone surrogate left


def test_long_fields_are_cut_to_their_limits_and_noted() -> None:
    notes: list[str] = []
    entry = Entry(guid="g", link=None, title="t" * 5000, summary="s " * 30_000,
                  content="<p>c</p>" * 300_000)  # fmt: skip

    got = normalise(entry, source="s", feed_url="", fetched=FETCHED, notes=notes)

    assert len(got.title) == LIMITS.title and got.title.endswith("…")
    assert len(got.summary) <= LIMITS.summary and got.summary.endswith("…")
    assert len(got.content) <= LIMITS.content and got.content.endswith("…")
    assert notes == ["title", "summary", "content"]


def test_fields_within_their_limits_are_kept_whole() -> None:
    notes: list[str] = []
    entry = Entry(guid="g", link=None, title="t" * LIMITS.title, summary="s" * LIMITS.summary)

    got = normalise(entry, source="s", feed_url="", fetched=FETCHED, notes=notes)

    assert (got.title, got.summary, notes) == ("t" * LIMITS.title, "s" * LIMITS.summary, [])
