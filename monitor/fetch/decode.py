"""Content-Encoding, decoded here with a bound on the output, not by httpx.

httpx decodes a body's codings without an output limit: a 1.6 KB brotli body or two
stacked gzip codings can expand to gigabytes before the size cap sees a byte. So the
client asks for ``ACCEPT_ENCODING`` only, reads the raw bytes, and decodes them here,
incrementally: each call decodes at most a little more than the room left under the
cap, and stops there.

- ``gzip`` (and its alias ``x-gzip``): gzip members, one after another.
- ``deflate``: a zlib stream, or a raw deflate stream as some servers send.
- ``br``: brotli.
- ``identity`` (or no header): the bytes as they are.

A body with more than one coding (``Content-Encoding: gzip, gzip``, or the header
twice) or a coding that was not asked for is refused (``UnsupportedCoding``); a body
that does not decode is ``CorruptBody``. The fetch client turns both into a
``FetchError`` naming the coding.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Protocol

import brotli

ACCEPT_ENCODING = "gzip, deflate, br"
_ALIASES = {"x-gzip": "gzip"}
SUPPORTED = frozenset({"gzip", "deflate", "br"})
BROTLI_STEP = 1024 * 1024  # output asked of brotli per call (it may give up to twice this)


class UnsupportedCoding(ValueError):
    """A Content-Encoding this client did not ask for, or codings stacked."""


class CorruptBody(ValueError):
    """The body is not valid in its Content-Encoding."""


class Decoder(Protocol):
    """Decodes a body chunk by chunk."""

    def decode(self, data: bytes, room: int) -> bytes:
        """The decoded bytes of ``data``: more than ``room`` means the body does not
        fit, and the rest of ``data`` was left undecoded."""
        ...


def decoder_for(codings: Sequence[str]) -> Decoder:
    """The decoder for the values of a response's Content-Encoding header(s), each
    comma-separated value on its own (see the module docstring for what is refused)."""
    named = [_ALIASES.get(c, c) for c in (c.strip().lower() for c in codings) if c]
    named = [c for c in named if c != "identity"]
    if len(named) > 1:
        raise UnsupportedCoding(f"stacked content codings refused: {', '.join(named)}")
    if not named:
        return Identity()
    coding = named[0]
    if coding not in SUPPORTED:
        raise UnsupportedCoding(f"content coding {coding!r} was not asked for; refused")
    if coding == "br":
        return Brotli()
    return Zlib(gzip=coding == "gzip")


class Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data


class Zlib:
    """gzip (members one after another) or deflate (zlib-wrapped or raw)."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        out: list[bytes] = []
        while data and room >= 0:
            if self._inflate.eof:
                if not self._gzip:
                    break  # bytes after the end of a deflate stream are ignored
                self._inflate = zlib.decompressobj(self._wbits)  # the next gzip member
            chunk = self._inflate_some(data, room + 1)
            out.append(chunk)
            room -= len(chunk)
            data = self._inflate.unused_data if self._inflate.eof else self._inflate.unconsumed_tail
        return b"".join(out)

    def _inflate_some(self, data: bytes, limit: int) -> bytes:
        first, self._started = not self._started, True
        try:
            return self._inflate.decompress(data, limit)
        except zlib.error as exc:
            if self._gzip or not first:
                raise CorruptBody(str(exc)) from None
        # "deflate" without its zlib header: a raw deflate stream, as some servers send
        self._wbits = -zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        return self._inflate_some(data, limit)


class Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            out = [self._decompressor.process(data, output_buffer_limit=BROTLI_STEP)]
            room -= len(out[0])
            while room >= 0 and not self._decompressor.can_accept_more_data():
                out.append(self._decompressor.process(b"", output_buffer_limit=BROTLI_STEP))
                room -= len(out[-1])
        except brotli.error as exc:
            raise CorruptBody(str(exc)) from None
        return b"".join(out)
