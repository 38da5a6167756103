"""The HTTP transport of the shared client: httpx's own, on streams that keep their socket.

Before and after every request httpcore's pool asks each idle connection whether its
socket is readable (a server that closed it). httpcore's AnyIO stream finds the socket
anew for each question, through AnyIO's typed-attribute lookup, which builds a mapping
of every attribute of the stream: with 16 connections that is most of the CPU a 304
answer costs the poller. ``transport`` gives httpx's transport with the same pool,
whose streams look the socket up once, when they connect.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx


class _Stream(httpcore.AsyncNetworkStream):
    """An httpcore stream that answers ``is_readable`` from the socket it found at connect."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would not block (data, or the end of a closed connection); a socket
    that is gone counts as readable, as httpcore counts it."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's AnyIO backend, giving ``_Stream`` streams."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _Pool:
    """A connection pool with the interface httpx's transport uses of httpcore's.

    httpcore's pool, on every request and every response closed, walks all its
    connections, asking each idle one whether it has expired (a ``poll`` system call)
    and counting the idle ones again for each: tens of calls per request with 16
    connections, most of the CPU a 304 answer cost the poller. This one keeps the idle
    connections of each origin in a list and asks only the one it is about to reuse.

    A server may close a kept-alive connection just as it is reused (its idle timeout
    ran out): a GET or HEAD that fails there before any answer is sent once more, on a
    new connection, as browsers and Go's client do.

    Limits are httpcore's: ``max_connections`` open at once (a request waits for a slot,
    up to the pool timeout), at most ``max_keepalive`` idle, each for ``keepalive_expiry``.
    """

    def __init__(self, limits: httpx.Limits, network_backend: httpcore.AsyncNetworkBackend):
        self._ssl_context: ssl.SSLContext | None = None  # made for the first https origin
        self._backend = network_backend
        self._keepalive_expiry = limits.keepalive_expiry
        self._max_keepalive = limits.max_keepalive_connections or 0
        self._slots = asyncio.Semaphore(limits.max_connections or 1 << 30)
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self._idle_count = 0
        self._active: set[httpcore.AsyncHTTPConnection] = set()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if request.url.scheme not in (b"http", b"https"):
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{request.url.scheme.decode()}://'."
            )
        await self._acquire(request.extensions.get("timeout", {}).get("pool"))
        retry, fresh = request.method in _IDEMPOTENT, False
        try:
            while True:
                connection, reused = await self._checkout(request.url.origin, fresh=fresh)
                try:
                    response = await connection.handle_async_request(request)
                except httpcore.ConnectionNotAvailable:
                    await self._discard(connection)
                    continue
                except (httpcore.RemoteProtocolError, httpcore.NetworkError):
                    await self._discard(connection)
                    if not (reused and retry):
                        raise
                    retry, fresh = False, True  # once more, on a new connection
                    continue
                except BaseException:
                    await self._discard(connection)
                    raise
                break
        except BaseException:
            self._slots.release()
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_PoolStream(response.stream, connection, self),
            extensions=response.extensions,
        )

    async def _acquire(self, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpcore.PoolTimeout("no free connection within the pool timeout") from None

    async def _checkout(
        self, origin: httpcore.Origin, *, fresh: bool
    ) -> tuple[httpcore.AsyncHTTPConnection, bool]:
        """An idle connection to ``origin`` still open and in date, or (always, with
        ``fresh``) a new one; and whether it was reused."""
        idle = self._idle.get(_key(origin))
        while idle and not fresh:
            connection = idle.pop()
            self._idle_count -= 1
            if connection.is_idle() and not connection.has_expired():
                self._active.add(connection)
                return connection, True
            await connection.aclose()
        if origin.scheme == b"https" and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        connection = httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._backend,
        )
        self._active.add(connection)
        return connection, False

    def _checkin(self, connection: httpcore.AsyncHTTPConnection) -> bool:
        """A response is closed: free its slot and keep its connection for the next
        request; False when the connection is not reusable or not wanted (close it)."""
        self._active.discard(connection)
        self._slots.release()
        if connection.is_idle() and self._idle_count < self._max_keepalive:
            self._idle.setdefault(_key(connection._origin), []).append(connection)
            self._idle_count += 1
            return True
        return False

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._active.discard(connection)
        await connection.aclose()

    async def aclose(self) -> None:
        connections = [c for idle in self._idle.values() for c in idle] + list(self._active)
        self._idle, self._idle_count, self._active = {}, 0, set()
        for connection in connections:
            await connection.aclose()

    async def __aenter__(self) -> _Pool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


_IDEMPOTENT = frozenset({b"GET", b"HEAD"})


def _key(origin: httpcore.Origin) -> tuple[bytes, bytes, int]:
    return origin.scheme, origin.host, origin.port


class _PoolStream:
    """A response body that gives its connection back to the pool once closed."""

    def __init__(
        self, stream: AsyncIterable[bytes], connection: httpcore.AsyncHTTPConnection, pool: _Pool
    ) -> None:
        self._stream = stream
        self._connection = connection
        self._pool = pool
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            closing = getattr(self._stream, "aclose", None)
            if closing is not None:
                await closing()
        finally:
            if not self._pool._checkin(self._connection):
                await asyncio.shield(self._connection.aclose())


class _Transport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and response mapping, its exceptions) on ``_Pool``."""

    def __init__(self, limits: httpx.Limits) -> None:  # (the pool is all httpx's holds)
        self._pool = _Pool(limits, _Backend())  # type: ignore[assignment]


class _NoCookies(httpx.Cookies):
    """A cookie store that stays empty: nothing a server sets is kept."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` without a cookie jar, as feed readers fetch: each fetch is
    the same request whatever the server set before, and no cookie follows the poller
    from one feed to the next (nor to a webhook). It also saves the jar's work on every
    answer, about a twentieth of the CPU of a 304."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()  # always empty: whatever is set on it is dropped with it

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None


def transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport for direct connections with ``limits``, on ``_Pool`` and on
    streams that keep their socket (proxies from the environment still get httpx's own
    transports)."""
    return _Transport(limits)
