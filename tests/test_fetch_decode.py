"""monitor.fetch.decode: each coding decoded, chunk by chunk, never far past the room
left; stacked, unknown and corrupt codings refused."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest

from monitor.fetch.decode import CorruptBody, UnsupportedCoding, decoder_for

TEXT = b"<rss><channel><title>Seoul and Tokyo</title></channel></rss>\n" * 200
MIB = 1024 * 1024


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODED = {
    "gzip": gzip.compress(TEXT),
    "x-gzip": gzip.compress(TEXT),
    "deflate": zlib.compress(TEXT),
    "br": brotli.compress(TEXT),
    "identity": TEXT,
}


def decode_all(codings: list[str], body: bytes, room: int, step: int = 7) -> bytes:
    decoder = decoder_for(codings)
    out = b""
    for start in range(0, len(body), step):
        out += decoder.decode(body[start : start + step], room - len(out))
        if len(out) > room:
            break
    return out


@pytest.mark.parametrize("coding", sorted(ENCODED))
def test_each_coding_decodes_in_small_chunks(coding: str) -> None:
    assert decode_all([coding], ENCODED[coding], room=MIB) == TEXT


def test_no_header_and_upper_case_names_are_understood() -> None:
    assert decode_all([], TEXT, room=MIB) == TEXT
    assert decode_all([" GZIP "], ENCODED["gzip"], room=MIB) == TEXT


def test_raw_deflate_without_the_zlib_header_is_read() -> None:
    assert decode_all(["deflate"], raw_deflate(TEXT), room=MIB) == TEXT


def test_gzip_members_one_after_another_are_all_read() -> None:
    body = gzip.compress(TEXT) + gzip.compress(b"tail")
    assert decode_all(["gzip"], body, room=MIB, step=1000) == TEXT + b"tail"


@pytest.mark.parametrize(
    ("coding", "bomb"),
    [
        ("gzip", lambda: gzip.compress(bytes(64 * MIB))),
        ("deflate", lambda: zlib.compress(bytes(64 * MIB), 9)),
        ("br", lambda: brotli.compress(bytes(64 * MIB), quality=11)),
    ],
    ids=["gzip", "deflate", "br"],
)
def test_a_bomb_stops_decoding_just_past_the_room(coding: str, bomb: Callable[[], bytes]) -> None:
    body = bomb()
    assert len(body) < 200 * 1024
    decoder = decoder_for([coding])

    out = decoder.decode(body, MIB)  # the whole bomb in one chunk

    assert MIB < len(out) <= 3 * MIB


@pytest.mark.parametrize(
    "codings",
    [["gzip", "gzip"], ["gzip", "br"], ["br", "identity", "deflate"]],
    ids=["gzip-gzip", "gzip-br", "br-deflate"],
)
def test_stacked_codings_are_refused_by_name(codings: list[str]) -> None:
    named = ", ".join(c for c in codings if c != "identity")
    with pytest.raises(UnsupportedCoding, match=f"stacked content codings refused: {named}"):
        decoder_for(codings)


@pytest.mark.parametrize("coding", ["zstd", "compress", "bogus"])
def test_a_coding_not_asked_for_is_refused_by_name(coding: str) -> None:
    with pytest.raises(UnsupportedCoding, match=f"'{coding}' was not asked for"):
        decoder_for([coding])


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_a_corrupt_body_is_corrupt(coding: str) -> None:
    with pytest.raises(CorruptBody):
        decode_all([coding], b"this is not compressed at all" * 10, room=MIB, step=1000)
