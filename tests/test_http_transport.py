"""The shared client's connections: idle ones are reused while the server keeps them
open and dropped once the server closed them; a GET the server dropped unanswered is sent
once more, a POST is not; the pool's limit; no cookie is kept (a real server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher, make_client
from monitor.fetch.transport import SmallPools
from monitor.model import Claim
from tests.support.fetching import fetch_settings
from tests.support.rawserver import RawServer

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
    b"Set-Cookie: visitor=abc123; Path=/\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


class Server(RawServer):
    """Answers every request with ``REPLY`` on a kept-alive connection; with ``close_after``
    it closes each connection after its first answer (and says so in ``closed``); with
    ``drop_reused`` it closes a connection, unanswered, when a second request comes on it
    (as a server whose idle timeout runs out just as the client reuses the connection); with
    ``drop_all`` it closes every connection, unanswered, once a request came."""

    def __init__(
        self, close_after: bool, drop_reused: bool = False, drop_all: bool = False
    ) -> None:
        super().__init__()
        self.close_after = close_after
        self.drop_reused = drop_reused
        self.drop_all = drop_all
        self.requests: list[bytes] = []  # each request's head, as received
        self.closed = threading.Event()

    def answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            answered = 0
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    head, data = data.split(b"\r\n\r\n", 1)
                    if self.drop_all or (self.drop_reused and answered):
                        return
                    self.requests.append(head)
                    conn.sendall(REPLY)
                    answered += 1
                    if self.close_after:
                        conn.shutdown(socket.SHUT_RDWR)
                        conn.close()
                        self.closed.set()
                        return


@pytest.fixture(params=[False, True], ids=["kept", "closed"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    srv = Server(close_after=request.param)
    srv.start()
    yield srv
    srv.close()


def test_idle_connection_is_reused_until_the_server_closes_it(server: Server) -> None:
    settings = fetch_settings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
    url = f"http://127.0.0.1:{server.port}/feed.xml"

    async def go() -> list[int]:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            first = await fetcher.fetch(Claim(0, "a", url))
            if server.close_after:
                assert await asyncio.to_thread(server.closed.wait, 5)
                await asyncio.sleep(0.05)  # the FIN reaches the client's socket
            second = await fetcher.fetch(Claim(0, "a", url))
            return [first.status, second.status]

    assert asyncio.run(go()) == [200, 200]
    assert server.connections == (2 if server.close_after else 1)


def test_a_get_on_a_connection_the_server_dropped_is_sent_again_on_a_new_one() -> None:
    srv = Server(close_after=False, drop_reused=True)
    srv.start()
    settings = fetch_settings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
    url = f"http://127.0.0.1:{srv.port}/feed.xml"

    async def go() -> list[int]:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            return [(await fetcher.fetch(Claim(0, n, url))).status for n in "abc"]

    try:
        assert asyncio.run(go()) == [200, 200, 200]
    finally:
        srv.close()
    assert srv.connections == 3  # each reuse failed and was sent again on a new one
    assert len(srv.requests) == 3


def test_a_get_dropped_twice_is_a_fetch_error_after_two_attempts() -> None:
    srv = Server(close_after=False, drop_all=True)
    srv.start()
    settings = fetch_settings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
    url = f"http://127.0.0.1:{srv.port}/feed.xml"

    async def go() -> None:
        async with make_client(settings) as client:
            await Fetcher(client, settings).fetch(Claim(0, "a", url))

    try:
        with pytest.raises(FetchError, match=r"^the server broke the HTTP protocol"):
            asyncio.run(go())
    finally:
        srv.close()
    assert srv.connections == 2  # sent once more, not more often


def test_a_post_the_server_dropped_is_not_sent_again() -> None:
    srv = Server(close_after=False, drop_reused=True)
    srv.start()
    url = f"http://127.0.0.1:{srv.port}/hook"

    async def go() -> None:
        async with make_client(fetch_settings()) as client:
            await client.post(url, content=b"{}")
            await client.post(url, content=b"{}")

    try:
        # the drop reads as a closed connection or a reset one, as the timing falls
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            asyncio.run(go())
    finally:
        srv.close()
    assert srv.connections == 1
    assert len(srv.requests) == 1


def test_cookies_a_server_sets_are_not_sent_back(server: Server) -> None:
    settings = fetch_settings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
    url = f"http://127.0.0.1:{server.port}/feed.xml"

    async def go() -> None:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            await fetcher.fetch(Claim(0, "a", url))
            await fetcher.fetch(Claim(0, "b", url))

    asyncio.run(go())
    assert len(server.requests) == 2
    assert all(b"visitor=" not in head.lower() for head in server.requests)


def test_the_pool_opens_no_more_connections_than_its_limit() -> None:
    srv = Server(close_after=False)
    srv.start()
    url = f"http://127.0.0.1:{srv.port}/feed.xml"

    async def go() -> list[int]:
        async with make_client(fetch_settings(max_connections=2)) as client:
            answers = await asyncio.gather(*(client.get(url) for _ in range(6)))
            return [a.status_code for a in answers]

    try:
        assert asyncio.run(go()) == [200] * 6
    finally:
        srv.close()
    assert len(srv.requests) == 6
    assert srv.connections == 2  # six requests at once, two connections, each reused


def test_small_pools_open_no_more_connections_than_the_limit_between_them() -> None:
    srv = Server(close_after=False)
    srv.start()
    url = f"http://127.0.0.1:{srv.port}/feed.xml"

    async def go() -> list[int]:
        async with make_client(fetch_settings(max_connections=10)) as client:
            answers = await asyncio.gather(*(client.get(url) for _ in range(30)))
            return [a.status_code for a in answers]

    try:
        assert asyncio.run(go()) == [200] * 30
    finally:
        srv.close()
    assert len(srv.requests) == 30
    # thirty requests at once fill the three pools (4 + 3 + 3), and no more are opened
    assert srv.connections == 10


def test_small_pools_count_a_request_in_progress_until_its_answer_is_closed() -> None:
    srv = Server(close_after=False)
    srv.start()
    url = f"http://127.0.0.1:{srv.port}/feed.xml"
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{unused.getsockname()[1]}/feed.xml"
    pools = SmallPools(
        httpx.Limits(max_connections=8), lambda share: httpx.AsyncHTTPTransport(limits=share)
    )
    seen: list[list[int]] = []

    async def go() -> None:
        async with httpx.AsyncClient(transport=pools) as client:
            async with client.stream("GET", url) as response:
                assert response.status_code == 200
                seen.append(list(pools.in_progress))  # open: one request in progress
            seen.append(list(pools.in_progress))  # closed unread
            await asyncio.gather(*(client.get(url) for _ in range(5)))
            seen.append(list(pools.in_progress))  # read
            with pytest.raises(httpx.ConnectError):
                await client.get(refused)
            seen.append(list(pools.in_progress))  # failed before any answer

    try:
        asyncio.run(go())
    finally:
        srv.close()
    assert sorted(seen[0]) == [0, 1]
    assert seen[1:] == [[0, 0]] * 3


def test_small_pools_send_one_server_s_requests_one_after_the_other_on_one_connection() -> None:
    srv = Server(close_after=False)
    srv.start()
    url = f"http://127.0.0.1:{srv.port}/feed.xml"

    async def go() -> None:
        async with make_client(fetch_settings(max_connections=16)) as client:
            for _ in range(8):
                assert (await client.get(url)).status_code == 200

    try:
        asyncio.run(go())
    finally:
        srv.close()
    assert srv.connections == 1  # its own pool (of four) each time, not the least busy one
