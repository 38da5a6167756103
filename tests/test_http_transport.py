"""The shared client's transport: idle connections are reused while the server keeps
them open, and dropped once the server closed them (a real server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from monitor.fetch import Fetcher, FetchSettings, make_client
from monitor.model import FeedState

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


class Server:
    """Answers every request with ``REPLY`` on a kept-alive connection; with ``close_after``
    it closes each connection after its first answer (and says so in ``closed``)."""

    def __init__(self, close_after: bool) -> None:
        self.close_after = close_after
        self.connections = 0
        self.closed = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    _, data = data.split(b"\r\n\r\n", 1)
                    conn.sendall(REPLY)
                    if self.close_after:
                        conn.shutdown(socket.SHUT_RDWR)
                        conn.close()
                        self.closed.set()
                        return


@pytest.fixture(params=[False, True], ids=["kept", "closed"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    srv = Server(close_after=request.param)
    srv.thread.start()
    yield srv
    srv.sock.close()


def test_idle_connection_is_reused_until_the_server_closes_it(server: Server) -> None:
    settings = FetchSettings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
    url = f"http://127.0.0.1:{server.port}/feed.xml"

    async def go() -> list[int]:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            first = await fetcher.fetch(FeedState("a", url))
            if server.close_after:
                assert await asyncio.to_thread(server.closed.wait, 5)
                await asyncio.sleep(0.05)  # the FIN reaches the client's socket
            second = await fetcher.fetch(FeedState("a", url))
            return [first.status, second.status]

    assert asyncio.run(go()) == [200, 200]
    assert server.connections == (2 if server.close_after else 1)
