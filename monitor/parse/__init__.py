"""Feed documents -> ParsedFeed: detect the format and hand it to its reader.

JSON Feed is chosen when the body starts with ``{`` or ``[`` (after a BOM and
whitespace), or when the content type names JSON and the body does not start with
``<``. Everything else is XML: a clean, well-formed UTF-8 RSS 1.0/2.0 or Atom 1.0 document
is read by feedparser-rs (:mod:`monitor.parse.fast`), any other (RSS 0.9x, legacy
encodings, DOCTYPEs, broken XML) by feedparser (:mod:`monitor.parse.rss_atom`).

Outcomes:

- entries found: a :class:`ParsedFeed`; if the document was damaged but entries could
  be salvaged, ``warnings`` says what was wrong.
- a well-formed feed with no entries (an RSS channel with no items, a JSON Feed with
  ``"items": []``): a valid, empty :class:`ParsedFeed`. A quiet feed is not broken.
- anything else (empty body, an HTML page, XML that is not a feed, broken XML or JSON
  from which nothing could be read, a document nested too deeply for the parser to
  recurse through): :class:`monitor.errors.ParseError` with the reason.
"""

from __future__ import annotations

from monitor.errors import ParseError
from monitor.model import ParsedFeed
from monitor.parse.fast import parse_fast
from monitor.parse.jsonfeed import parse_jsonfeed
from monitor.parse.rss_atom import parse_xml

__all__ = ["ParseError", "ParsedFeed", "parse"]

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HEAD = 64
_BLANK = b" \t\r\n\x00"


def parse(body: bytes, content_type: str = "") -> ParsedFeed:
    """Parse one fetched feed body; ``content_type`` is the HTTP header, charset and all."""
    head = _head(body)
    if not head:
        raise ParseError("empty body")
    try:
        if _is_json(head, content_type):
            return parse_jsonfeed(body, content_type)
        return parse_fast(body, content_type) or parse_xml(body, content_type)
    except RecursionError:
        raise ParseError("document nested too deeply to be read as a feed") from None


def _head(body: bytes) -> bytes:
    """The first bytes of the body after a BOM, whitespace and NUL padding (UTF-16/32)."""
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom) :]
            break
    return body.lstrip(_BLANK)[:_HEAD]


def _is_json(head: bytes, content_type: str) -> bool:
    if head[:1] in (b"{", b"["):
        return True
    mime = content_type.split(";", 1)[0].strip().lower()
    return "json" in mime and not head.startswith(b"<")
