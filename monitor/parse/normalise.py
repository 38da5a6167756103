"""Entry -> Item: one shape for every later stage.

- ``url``: the entry link resolved against the feed URL, then :func:`canonical_url`;
  only http(s) links are kept (:func:`web_link`).
- ``guid``: the entry's guid, else its canonical URL, else ``"sha256:"`` + a hash of
  title and published time (stable across polls of the same document).
- every text field (title, summary, content, author, guid, link) is cleaned
  (:func:`clean_text`, after HTML is turned into text): NUL and the other C0 and C1
  control characters are removed (tab and newline stay; a carriage return becomes a
  newline), and a lone surrogate (from a JSON ``\\ud800`` escape) becomes U+FFFD.
- ``title``/``summary``/``content``: plain text from :func:`html_to_text`, cut to
  ``LIMITS`` (title 1,000 characters, summary 20,000, content 200,000) with an ellipsis
  at the cut; what was cut is reported in ``notes`` for the feed's warnings.
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
from dataclasses import dataclass
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
# C0 and C1 controls but tab and newline, DEL, and the surrogates (only ever lone in a str)
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class TextLimits:
    """Characters an item's text fields keep; a longer one is cut, ending in an ellipsis."""

    title: int = 1_000
    summary: int = 20_000
    content: int = 200_000


LIMITS = TextLimits()


def normalise(
    entry: Entry,
    *,
    source: str,
    feed_url: str,
    fetched: datetime,
    feed_language: str | None = None,
    max_skew: timedelta = timedelta(minutes=10),
    limits: TextLimits = LIMITS,
    notes: list[str] | None = None,
) -> Item:
    """Turn one parsed entry into an :class:`Item`; see the module docstring. The name
    of each field cut to ``limits`` is appended to ``notes`` when it is given."""
    fetched = _as_utc(fetched)
    link = clean_text(entry.link or "")
    url = web_link(link, feed_url) if link else ""
    title = _cut(_one_line(clean_text(html_to_text(entry.title))), limits.title, "title", notes)
    summary = _cut(clean_text(html_to_text(entry.summary)), limits.summary, "summary", notes)
    content = _cut(clean_text(html_to_text(entry.content)), limits.content, "content", notes)
    text = content if len(content) >= len(summary) else summary
    published = _published(entry, fetched, max_skew)
    return Item(
        source=source,
        url=url,
        guid=_guid(clean_text(entry.guid or ""), url, title, entry),
        title=title,
        summary=summary,
        content=content,
        author=clean_text(entry.author or "").strip() or None,
        published=published,
        fetched=fetched,
        language=item_language(f"{title}\n{text}", entry.language, feed_language),
        content_hash=content_hash(title, text),
    )


def clean_text(text: str) -> str:
    """``text`` without NUL and the other C0/C1 control characters (tab and newline
    kept, a carriage return made a newline) and with each lone surrogate as U+FFFD."""
    if _UNCLEAN.search(text) is None:
        return text
    return _UNCLEAN.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r":
        return "\n"
    return "\ufffd" if "\ud800" <= char <= "\udfff" else ""


def _cut(text: str, limit: int, field: str, notes: list[str] | None) -> str:
    if len(text) <= limit:
        return text
    if notes is not None:
        notes.append(field)
    return text[: limit - 1].rstrip() + "…"


def web_link(link: str, base: str) -> str:
    """The entry's link resolved against the feed URL and made canonical, when it is an
    http(s) link; otherwise "" (a ``javascript:``, ``data:`` or ``file:`` link from a
    feed never reaches an alert, a web page or a webhook)."""
    url, scheme = _canonical(_absolute(link, base))
    return url if scheme in WEB_SCHEMES else ""


def _absolute(link: str, base: str) -> str:
    link = link.strip()
    return link if _ABSOLUTE.match(link) or not base else urljoin(base, link)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters.

    The remaining query parameters keep their order and spelling. Something that does
    not parse as a URL with a host comes back stripped but otherwise unchanged.
    """
    return _canonical(url)[0]


def _canonical(url: str) -> tuple[str, str]:
    """``canonical_url(url)`` and its scheme in lower case ("" when it does not parse)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, ""
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return url, scheme
    host = parts.hostname
    if not host:
        return url, scheme
    netloc = _netloc(parts, host, scheme, port)
    path = parts.path or ("/" if scheme in DEFAULT_PORTS else "")
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), "")), scheme


def _netloc(parts: SplitResult, host: str, scheme: str, port: int | None) -> str:
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


def _guid(guid: str, url: str, title: str, entry: Entry) -> str:
    if guid.strip():
        return guid.strip()
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
