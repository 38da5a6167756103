"""RSS 0.9x/1.0/2.0 and Atom through feedparser, adapted to our records.

feedparser decodes the document (XML declaration, BOM, or the HTTP charset when one
was sent) and is lenient: a document it could only partly read comes back with
``bozo`` set. Entries found despite that are kept and the problem becomes a warning;
a document that gives no entries is a :class:`ParseError` unless it is a well-formed
feed that simply has none (a valid empty feed).

HTML sanitising and relative-URI rewriting are switched off: every field is turned
into plain text later, and links are resolved against the feed URL by normalisation.

A document with more entries than ``monitor.parse.slices.SLICE`` is given to feedparser a
slice at a time, so that its memory does not grow with the number of entries.

Two repairs happen before feedparser sees the bytes, each reported as a warning:

- **Entity declarations.** A DOCTYPE may declare entities whose text every ``&name;``
  repeats; expat refuses a document that amplifies too much, and feedparser's lenient
  fallback then expands them without a bound (a 170 KB document became 300 million
  characters). Declarations of a character reference (``<!ENTITY nbsp "&#160;">``) or
  of a short plain text are kept while all their references together add at most
  ``MAX_ENTITY_TEXT`` characters; the others are removed, so their references stay as
  they are written.
- **Damaged text.** A document with a few bytes that are invalid in its declared
  charset (HTTP, else the XML declaration, else UTF-8; EUC-KR and the like read in their
  Windows superset) would be read as windows-1252 as a whole (Korean and Japanese
  titles as mojibake); its invalid bytes are replaced with U+FFFD instead, in that
  charset, when most of its non-ASCII text decodes.
"""

from __future__ import annotations

import codecs
import html
import io
import re
from calendar import timegm
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

from monitor.errors import ParseError
from monitor.model import Entry, ParsedFeed
from monitor.parse.slices import slices

Getter = Callable[[Any, str], Any]  # reads one field of a parser's record

_PLAIN = "text/plain"
_DOCTYPE_HTML = re.compile(rb"<!doctype\s+html\b", re.I)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_ROOT = re.compile(rb"<([A-Za-z_][\w:.\-]*)")
_SNIFF = 8192
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
# Codecs that real servers declare for documents written in a wider Windows codepage.
_SUPERSETS = {
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "euc_jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
}


def parse_xml(body: bytes, content_type: str = "") -> ParsedFeed:
    """Parse an XML feed document; see the module docstring."""
    import feedparser  # on first use: a poller that parses in its parser processes never loads it

    body, undeclared = _drop_entity_declarations(body)
    charset, widened = _effective_charset(body, http_charset(content_type))
    body, charset, repaired = _repair_charset(body, charset)
    entries: list[Entry] = []
    problems: list[str] = []
    first: Any = None
    for piece in slices(body):
        doc = feedparser.parse(
            io.BytesIO(piece),
            response_headers=_headers(charset),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        entries += _entries(doc)
        if doc.bozo and len(problems) < 1:
            problems.append(_describe(doc.get("bozo_exception")))
        first = doc if first is None else first
    doc = first
    problem = problems[0] if problems else None
    if not entries:
        _reject_empty(body, doc, problem)
    remarks = (undeclared, widened, repaired, problem and f"salvaged: {problem}")
    warnings = [w for w in remarks if w]
    feed = doc.feed
    return ParsedFeed(
        format=doc.version or "unknown",
        title=text_of(feed, "title"),
        entries=tuple(entries),
        language=dict.get(feed, "language") or None,
        ttl_minutes=ttl(dict.get(feed, "ttl")),
        warnings=tuple(warnings),
    )


def _entries(doc: Any) -> list[Entry]:
    """feedparser's entries as ours; the document keeps none of its own."""
    raw, doc.entries = doc.entries, []
    return [entry_from(one) for one in raw]


def _headers(charset: str) -> dict[str, str]:
    """HTTP headers for feedparser: the charset, if any, under a neutral media type.

    feedparser follows RFC 3023, which reads ``text/xml`` without a charset as ASCII
    and ignores the XML declaration; real servers send that for UTF-8 and EUC-KR
    feeds alike. ``application/xml`` lets the declaration speak when no charset came.
    No base URI is given: feedparser would join every link of every entry with it
    (about a third of its time on a typical feed), and normalisation resolves the
    links that are still relative against the feed URL anyway.
    """
    media = f"application/xml; charset={charset}" if charset else "application/xml"
    return {"content-type": media}


def _effective_charset(body: bytes, http_charset: str) -> tuple[str, str | None]:
    """The charset to decode with, widened to the Windows superset when needed.

    A feed declared EUC-KR but written in CP949 (or Shift_JIS but CP932) fails to
    decode strictly; read it in the superset instead of falling back to Latin-1.
    """
    match = _XML_ENCODING.match(body[:_SNIFF])
    declared = http_charset or (match.group(1).decode("ascii") if match else "")
    try:
        codec = codecs.lookup(declared).name if declared else ""
    except LookupError:
        return http_charset, None
    wider = _SUPERSETS.get(codec)
    if wider is None or _decodes(body, codec) or not _decodes(body, wider):
        return http_charset, None
    return wider, f"declared {declared} but decoded as {wider}"


_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.I)
_SUBSET = re.compile(rb"<!DOCTYPE\b[^\[>]*\[(.*?)\]\s*>", re.I | re.S)
_ENTITY = re.compile(rb"<!ENTITY\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.I | re.S)
_SIMPLE_ENTITY = re.compile(
    rb"<!ENTITY\s+([\w.:-]+)\s+([\"'])(&#(?:[0-9]{1,7}|x[0-9a-f]{1,6});|[^&<%\"']{0,256})\2\s*>",
    re.I,
)
MAX_ENTITY_TEXT = 1_000_000  # characters all references of kept entities may add
_WIDE_ENTITY = ("<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def _drop_entity_declarations(body: bytes) -> tuple[bytes, str | None]:
    """``body`` without the DOCTYPE's entity declarations other than one character
    reference each, and a warning when some were removed (see the module docstring)."""
    if any(wide in body for wide in _WIDE_ENTITY):
        raise ParseError("entity declarations in a UTF-16 document are not supported")
    start = _DOCTYPE.search(body)
    if start is None:
        return body, None
    subset = _SUBSET.match(body, start.start())
    if subset is None:
        return body, None
    inner = subset.group(1)
    declared = [m.group() for m in _ENTITY.finditer(inner)]
    simple = {d: _SIMPLE_ENTITY.fullmatch(d) for d in declared}
    added = sum(
        len(m.group(3)) * body.count(b"&" + m.group(1) + b";") for m in simple.values() if m
    )
    keep = {d for d, m in simple.items() if m and added <= MAX_ENTITY_TEXT}
    removed = len(declared) - len(keep)
    if not removed:
        return body, None
    kept = _ENTITY.sub(lambda m: m.group() if m.group() in keep else b"", inner)
    body = body[: subset.start(1)] + kept + body[subset.end(1) :]
    return body, f"removed {removed} entity declaration(s) from the DOCTYPE (not expanded)"


def _repair_charset(body: bytes, charset: str) -> tuple[bytes, str, str | None]:
    """The body as UTF-8 with its undecodable bytes replaced by U+FFFD, when it is
    mostly valid text in its declared charset (the HTTP charset, else the XML
    declaration, else UTF-8) and has a few bad bytes; the charset to read the result
    with; a warning when bytes were replaced. Anything else is left to feedparser."""
    match = _XML_ENCODING.match(body[:_SNIFF])
    declared = charset or (match.group(1).decode("ascii") if match else "utf-8")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        return body, charset, None
    if codec.startswith(("utf-16", "utf-32")) or _decodes(body, codec):
        return body, charset, None
    if codec != "utf-8" and _decodes(body, "utf-8"):  # UTF-8 declared as something else
        return body, charset, None
    codec = _SUPERSETS.get(codec, codec)
    try:
        body.decode(codec)
    except UnicodeDecodeError as exc:
        first = exc.start
    else:
        return body, codec, None  # whole in the wider charset
    text = body.decode(codec, "replace")
    damaged = text.count("\ufffd")
    wide = sum(1 for c in text if c > "\x7f") - damaged
    if wide < damaged:  # mostly not in that charset at all: leave it to feedparser's detection
        return body, charset, None
    if match is not None and codec != "utf-8":  # the declaration now says what the bytes are
        text = text[: match.start(1)] + "utf-8" + text[match.end(1) :]
    name = "UTF-8" if codec == "utf-8" else declared
    repaired = f"invalid {name} at byte {first}: {damaged} sequence(s) replaced with U+FFFD"
    return text.encode("utf-8"), "utf-8", repaired


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def http_charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def _reject_empty(body: bytes, doc: Any, problem: str | None) -> None:
    if not doc.version:
        head = _COMMENT.sub(b"", body[:_SNIFF])
        root = _ROOT.search(head)
        name = root.group(1).decode("ascii", "replace") if root else "unknown"
        if name.lower() == "html" or _DOCTYPE_HTML.search(head):
            raise ParseError("HTML page, not a feed")
        if name.lower() == "opml":
            raise ParseError("OPML subscription list, not a feed")
        if not problem:
            raise ParseError(f"XML document is not a feed (root element <{name}>)")
    if problem:
        raise ParseError(f"no entries could be read: {problem}")


def _describe(exc: object) -> str:
    if isinstance(exc, SAXParseException):
        return f"not well-formed XML at line {exc.getLineNumber()}: {exc.getMessage()}"
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {exc}"
    return "unknown problem"


def entry_from(raw: Any, get: Getter = dict.get) -> Entry:
    """A feedparser-shaped entry as an :class:`Entry`; ``get(record, key)`` reads a field
    (``dict.get`` for feedparser's dicts, which skips their key aliasing)."""
    return Entry(
        guid=get(raw, "id") or None,
        link=get(raw, "link") or None,
        title=text_of(raw, "title", get),
        summary=text_of(raw, "summary", get),
        content=_content(raw, get),
        author=get(raw, "author") or None,
        published=when(get(raw, "published_parsed")),
        updated=when(get(raw, "updated_parsed")),
        language=_language(raw, get),
    )


def text_of(raw: Any, key: str, get: Getter = dict.get) -> str:
    """The field as HTML: plain-text values are escaped so every field is markup."""
    value = get(raw, key) or ""
    detail = get(raw, f"{key}_detail")
    if detail and get(detail, "type") == _PLAIN:
        return html.escape(value, quote=False)
    return str(value)


def _content(raw: Any, get: Getter) -> str:
    parts = get(raw, "content") or ()
    best = ""
    for part in parts:
        value = get(part, "value") or ""
        if get(part, "type") == _PLAIN:
            value = html.escape(value, quote=False)
        if len(value) > len(best):
            best = value
    return best


def _language(raw: Any, get: Getter) -> str | None:
    for key in ("content", "summary_detail", "title_detail"):
        detail = get(raw, key)
        if isinstance(detail, list):
            detail = detail[0] if detail else None
        lang = get(detail, "language") if detail else None
        if lang:
            return str(lang)
    return None


def when(parsed: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when absent or absurd.

    Fields out of their ranges (a 61st second, the 31st of June) carry over as ``timegm``
    counts them; in range, the datetime made of them is the same instant, made at a
    tenth of the cost (0.4 µs instead of 4; two dates an entry)."""
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (ValueError, TypeError):
        pass  # out of range, or not six integers: as timegm reads them
    try:
        return datetime.fromtimestamp(timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


MAX_TTL_MINUTES = 7 * 24 * 60  # a longer <ttl> is read as a week (hints are capped anyway)


def ttl(value: Any) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return min(minutes, MAX_TTL_MINUTES) if minutes > 0 else None
