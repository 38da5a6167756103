"""Entry -> Item: one shape for every later stage.

- ``url``: the entry link resolved against the feed URL, then :func:`canonical_url`;
  only http(s) links are kept (:func:`web_link`).
- ``guid``: the entry's guid, else its canonical URL, else ``"sha256:"`` + a hash of
  title and published time (stable across polls of the same document).
- ``title``/``summary``/``content``: plain text from :func:`html_to_text`.
- ``published``: aware UTC; fallback updated, then the fetch time. A date more than
  ``max_skew`` after the fetch time is clamped to the fetch time. Naive times are UTC.
- ``language``: see :mod:`monitor.parse.language`.
- ``content_hash``: :func:`content_hash` of title and the fuller of content and summary.

Everything here is regexes and stdlib calls on short strings: it must stay cheap next
to feedparser's own parse.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from monitor.model import Entry, Item
from monitor.parse.language import item_language

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "ocid", "_ga", "_gl", "mkt_tok", "cmpid", "spm",
        "_hsenc", "_hsmi", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "__twitter", "pk_", "hsa_")

_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BLOCK = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th|thead"
    r"|tbody|section|article|header|footer|aside|nav|figure|figcaption|address)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
WEB_SCHEMES = ("http", "https")


def normalise(
    entry: Entry,
    *,
    source: str,
    feed_url: str,
    fetched: datetime,
    feed_language: str | None = None,
    max_skew: timedelta = timedelta(minutes=10),
) -> Item:
    """Turn one parsed entry into an :class:`Item`; see the module docstring."""
    fetched = _as_utc(fetched)
    url = web_link(entry.link, feed_url) if entry.link else ""
    title = _one_line(html_to_text(entry.title))
    summary = html_to_text(entry.summary)
    content = html_to_text(entry.content)
    text = content if len(content) >= len(summary) else summary
    published = _published(entry, fetched, max_skew)
    return Item(
        source=source,
        url=url,
        guid=_guid(entry, url, title),
        title=title,
        summary=summary,
        content=content,
        author=(entry.author or "").strip() or None,
        published=published,
        fetched=fetched,
        language=item_language(f"{title}\n{text}", entry.language, feed_language),
        content_hash=content_hash(title, text),
    )


def web_link(link: str, base: str) -> str:
    """The entry's link resolved against the feed URL and made canonical, when it is an
    http(s) link; otherwise "" (a ``javascript:``, ``data:`` or ``file:`` link from a
    feed never reaches an alert, a web page or a webhook)."""
    url = canonical_url(_absolute(link, base))
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in WEB_SCHEMES else ""


def _absolute(link: str, base: str) -> str:
    link = link.strip()
    return link if _ABSOLUTE.match(link) or not base else urljoin(base, link)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters.

    The remaining query parameters keep their order and spelling. Something that does
    not parse as a URL with a host comes back stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.hostname:
        return url
    scheme = parts.scheme.lower()
    netloc = _netloc(parts, scheme, port)
    path = parts.path or ("/" if scheme in DEFAULT_PORTS else "")
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def _netloc(parts: SplitResult, scheme: str, port: int | None) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    return f"{userinfo}@{host}" if userinfo else host


def _clean_query(query: str) -> str:
    if not query:
        return ""
    kept = [pair for pair in query.split("&") if pair and not _is_tracking(pair)]
    return "&".join(kept)


def _is_tracking(pair: str) -> bool:
    key = pair.partition("=")[0].lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def html_to_text(markup: str) -> str:
    """Plain text from an HTML fragment.

    Scripts, styles and comments are dropped, block elements become line breaks, other
    tags vanish, entities are decoded, runs of spaces collapse and blank lines go.
    """
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    markup = _DROP.sub(" ", markup)
    markup = _BLOCK.sub("\n", markup)
    markup = _TAG.sub("", markup)
    return _tidy(html.unescape(markup))


def _tidy(text: str) -> str:
    """Collapse spaces within lines, drop blank lines (str.split beats re.sub here)."""
    if "\n" not in text:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _norm_for_hash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(title: str, text: str) -> str:
    """Hex sha256 of NFKC-normalised, case-folded, whitespace-collapsed title and text."""
    payload = f"{_norm_for_hash(title)}\n{_norm_for_hash(text)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _guid(entry: Entry, url: str, title: str) -> str:
    if entry.guid and entry.guid.strip():
        return entry.guid.strip()
    if url:
        return url
    when = entry.published or entry.updated
    stamp = _as_utc(when).isoformat() if when else ""
    return "sha256:" + hashlib.sha256(f"{title}\n{stamp}".encode()).hexdigest()


def _published(entry: Entry, fetched: datetime, max_skew: timedelta) -> datetime:
    when = entry.published or entry.updated
    if when is None:
        return fetched
    when = _as_utc(when)
    return fetched if when > fetched + max_skew else when


def _as_utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
