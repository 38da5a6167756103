"""HTTPS through the shared client: a feed served over TLS by a real server on 127.0.0.1,
with certificates from a throwaway certificate authority (trustme)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher, make_client
from monitor.model import Claim
from tests.support.fetching import fetch_settings
from tests.support.rawserver import RawServer

BODY = b"<rss version='2.0'><channel><title>over TLS</title></channel></rss>" * 2000
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
SETTINGS = fetch_settings(connect_timeout=5.0, read_timeout=5.0, total_timeout=10.0)


class TLSServer(RawServer):
    """Answers every request with ``REPLY`` over TLS, keeping each connection open."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self.context = context
        self.start()

    def answer(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):  # the client refused our certificate
            raw.close()
            return
        with conn:
            data = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except (ssl.SSLError, OSError):
                    return
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    _, data = data.split(b"\r\n\r\n", 1)
                    conn.sendall(REPLY)


def serving(ca: trustme.CA) -> TLSServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return TLSServer(context)


@pytest.fixture
def trusted_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A CA the client trusts (through SSL_CERT_FILE, as an operator would set it)."""
    ca = trustme.CA()
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    return ca


@pytest.fixture
def server(trusted_ca: trustme.CA) -> Iterator[TLSServer]:
    srv = serving(trusted_ca)
    yield srv
    srv.close()


def fetch_twice(url: str) -> list[bytes | None]:
    async def go() -> list[bytes | None]:
        async with make_client(SETTINGS) as client:
            fetcher = Fetcher(client, SETTINGS)
            return [(await fetcher.fetch(Claim(0, n, url))).body for n in "ab"]

    return asyncio.run(go())


def test_a_feed_over_tls_is_fetched_whole_on_one_kept_connection(server: TLSServer) -> None:
    bodies = fetch_twice(f"https://127.0.0.1:{server.port}/feed.xml")

    assert bodies == [BODY, BODY]
    assert server.connections == 1


def test_a_certificate_from_an_unknown_authority_is_a_clear_tls_error(
    trusted_ca: trustme.CA,
) -> None:
    stranger = serving(trustme.CA())  # signed by a CA the client does not trust
    try:
        with pytest.raises(FetchError, match=r"^TLS error: certificate verify failed: \w"):
            fetch_twice(f"https://127.0.0.1:{stranger.port}/feed.xml")
    finally:
        stranger.close()
