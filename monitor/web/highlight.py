"""Matched terms marked in a snippet of feed text, everything else escaped."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape


def terms_of(evidence_term: str) -> list[str]:
    """The words of an evidence term: ``'summit + Lee + Ishiba'`` → its three parts."""
    return [t.strip() for t in evidence_term.split("+") if t.strip()]


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """``text`` escaped, each case-insensitive occurrence of ``terms`` in ``<mark>``."""
    wanted = sorted({t for t in terms if t}, key=len, reverse=True)
    if not wanted or not text:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    parts: list[Markup] = []
    end = 0
    for found in pattern.finditer(text):
        parts.append(escape(text[end : found.start()]))
        parts.append(Markup("<mark>%s</mark>") % found.group(0))
        end = found.end()
    parts.append(escape(text[end:]))
    return Markup("").join(parts)


def safe_href(url: str) -> str | None:
    """A link target shown to the desk: http(s) only (no ``javascript:`` or ``data:``)."""
    return url if url.lower().startswith(("http://", "https://")) else None
