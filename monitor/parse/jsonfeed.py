"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read tolerantly.

The released feedparser does not read JSON Feed, so this small reader does. It takes
``items`` from any object that declares a jsonfeed.org ``version`` or at least has an
``items`` list (the latter with a warning). Items that are not objects are skipped with
a warning; bad dates become None. Text-only content is escaped into HTML so that every
``Entry`` field is markup, as from the XML path. Both the 1.0 ``author`` object and the
1.1 ``authors`` list are read; ``language`` is 1.1 (feed and item).
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

from monitor.errors import ParseError
from monitor.model import Entry, ParsedFeed

VERSION_PREFIX = "https://jsonfeed.org/version/"
_FORMATS = {"1": "json10", "1.0": "json10", "1.1": "json11"}


def parse_jsonfeed(body: bytes, content_type: str = "") -> ParsedFeed:
    """Parse a JSON Feed document; see the module docstring."""
    doc = _load(body, content_type)
    warnings: list[str] = []
    fmt = _format(doc, warnings)
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise ParseError("JSON Feed has no items list")
    entries = []
    for index, raw in enumerate(raw_items):
        if isinstance(raw, dict):
            entries.append(_entry(raw))
        else:
            warnings.append(f"item {index} is not an object; skipped")
    if raw_items and not entries:
        raise ParseError("JSON Feed items hold no objects")
    return ParsedFeed(
        format=fmt,
        title=_str(doc.get("title")),
        entries=tuple(entries),
        language=_str(doc.get("language")) or None,
        warnings=tuple(warnings),
    )


def _load(body: bytes, content_type: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON body is not valid UTF-8: {exc.reason}") from exc
    except RecursionError:
        raise ParseError("JSON nested too deeply to be a JSON Feed") from None
    if not isinstance(doc, dict):
        raise ParseError(f"JSON document is a {type(doc).__name__}, not a JSON Feed object")
    return doc


def _format(doc: dict[str, Any], warnings: list[str]) -> str:
    version = doc.get("version")
    if isinstance(version, str) and version.startswith(VERSION_PREFIX):
        return _FORMATS.get(version.removeprefix(VERSION_PREFIX).strip("/"), "json")
    if isinstance(doc.get("items"), list):
        warnings.append("no JSON Feed version; read as JSON Feed because it has items")
        return "json"
    raise ParseError("JSON document is not a JSON Feed (no jsonfeed.org version, no items)")


def _entry(raw: dict[str, Any]) -> Entry:
    guid = raw.get("id")
    return Entry(
        guid=str(guid) if guid not in (None, "") else None,
        link=_str(raw.get("url")) or _str(raw.get("external_url")) or None,
        title=html.escape(_str(raw.get("title")), quote=False),
        summary=html.escape(_str(raw.get("summary")), quote=False),
        content=_content(raw),
        author=_author(raw),
        published=_date(raw.get("date_published")),
        updated=_date(raw.get("date_modified")),
        language=_str(raw.get("language")) or None,
    )


def _content(raw: dict[str, Any]) -> str:
    markup = _str(raw.get("content_html"))
    if markup:
        return markup
    return html.escape(_str(raw.get("content_text")), quote=False)


def _author(raw: dict[str, Any]) -> str | None:
    authors = raw.get("authors")
    candidates = authors if isinstance(authors, list) else [raw.get("author")]
    names = [_str(a.get("name")) for a in candidates if isinstance(a, dict)]
    return ", ".join(n for n in names if n) or None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
