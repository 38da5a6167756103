"""A document with very many entries, cut into documents of at most ``SLICE`` entries.

feedparser holds every entry of a document as a dictionary of about a kilobyte and a
quarter until it returns: 60,000 entries cost 75 MB before the first one is looked at.
A document with more than ``SLICE`` entries is therefore parsed a slice at a time,
each slice being the document's head (everything before its first entry: the XML
declaration, the DOCTYPE, the channel or feed elements), a run of consecutive entries,
and the document's tail (everything after its last entry). Entries are found by their
start tags, ``<item`` (RSS) or ``<entry`` (Atom), as written without a namespace prefix;
a document whose entries cannot be told apart that way is parsed whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

SLICE = 2_000  # entries per slice
_START = re.compile(rb"<(item|entry)[\s>/]")


def slices(body: bytes, size: int = SLICE) -> Iterator[bytes]:
    """``body`` itself when it has at most ``size`` entries, else its slices in order."""
    tags = set()
    starts = []
    for match in _START.finditer(body):
        tags.add(match.group(1))
        starts.append(match.start())
    if len(starts) <= size or len(tags) != 1:
        yield body
        return
    close = b"</" + tags.pop() + b">"
    end = body.rfind(close)
    if end < starts[-1]:
        yield body
        return
    end += len(close)
    head, tail = body[: starts[0]], body[end:]
    for start, stop in pairwise([*starts[::size], end]):
        yield head + body[start:stop] + tail
