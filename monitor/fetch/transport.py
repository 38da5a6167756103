"""The HTTP transport of the shared client: httpx's, on a leaner pool and network backend.

``_Pool`` stands in for httpcore's connection pool, and ``AsyncioBackend``
(``monitor.fetch.network``) for its AnyIO streams; httpcore still speaks HTTP/1.1 on each
connection and httpx maps requests, answers and errors as with its own transport.
``CookielessClient`` is the client itself, without a cookie jar.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterable, AsyncIterator

import httpcore
import httpx

from monitor.fetch.network import AsyncioBackend


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
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTP11Connection]] = {}
        self._idle_count = 0
        self._active: set[httpcore.AsyncHTTP11Connection] = set()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if request.url.scheme not in (b"http", b"https"):
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{request.url.scheme.decode()}://'."
            )
        await self._acquire(request.extensions.get("timeout", {}).get("pool"))
        retry, fresh = request.method in _IDEMPOTENT, False
        try:
            while True:
                connection, reused = await self._checkout(request, fresh=fresh)
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
            content=_PoolStream(response.stream, connection, self, _key(request.url.origin)),
            extensions=response.extensions,
        )

    async def _acquire(self, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpcore.PoolTimeout("no free connection within the pool timeout") from None

    async def _checkout(
        self, request: httpcore.Request, *, fresh: bool
    ) -> tuple[httpcore.AsyncHTTP11Connection, bool]:
        """An idle connection to the request's origin still open and in date, or (always,
        with ``fresh``) a new one; and whether it was reused."""
        idle = self._idle.get(_key(request.url.origin))
        while idle and not fresh:
            connection = idle.pop()
            self._idle_count -= 1
            if connection.is_idle() and not connection.has_expired():
                self._active.add(connection)
                return connection, True
            await connection.aclose()
        connection = await self._connect(request)
        self._active.add(connection)
        return connection, False

    async def _connect(self, request: httpcore.Request) -> httpcore.AsyncHTTP11Connection:
        """A new HTTP/1.1 connection to the request's origin: TCP, then TLS for https
        (as httpcore's own connections make them, without their per-request lock)."""
        origin = request.url.origin
        host = origin.host.decode("ascii")
        timeout = request.extensions.get("timeout", {}).get("connect")
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        if origin.scheme == b"https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
                self._ssl_context.set_alpn_protocols(["http/1.1"])
            name = request.extensions.get("sni_hostname") or host
            stream = await stream.start_tls(
                self._ssl_context, server_hostname=name, timeout=timeout
            )
        return httpcore.AsyncHTTP11Connection(
            origin=origin, stream=stream, keepalive_expiry=self._keepalive_expiry
        )

    def _checkin(
        self, connection: httpcore.AsyncHTTP11Connection, key: tuple[bytes, bytes, int]
    ) -> bool:
        """A response is closed: free its slot and keep its connection for the next
        request; False when the connection is not reusable or not wanted (close it)."""
        self._active.discard(connection)
        self._slots.release()
        if connection.is_idle() and self._idle_count < self._max_keepalive:
            self._idle.setdefault(key, []).append(connection)
            self._idle_count += 1
            return True
        return False

    async def _discard(self, connection: httpcore.AsyncHTTP11Connection) -> None:
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
        self,
        stream: AsyncIterable[bytes],
        connection: httpcore.AsyncHTTP11Connection,
        pool: _Pool,
        key: tuple[bytes, bytes, int],
    ) -> None:
        self._stream = stream
        self._connection = connection
        self._pool = pool
        self._key = key
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
            if not self._pool._checkin(self._connection, self._key):
                await asyncio.shield(self._connection.aclose())


class _Transport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and response mapping, its exceptions) on ``_Pool``."""

    def __init__(self, limits: httpx.Limits) -> None:  # (the pool is all httpx's holds)
        self._pool = _Pool(limits, AsyncioBackend())  # type: ignore[assignment]


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
    """httpx's transport for direct connections with ``limits``, on ``_Pool`` and
    ``AsyncioBackend`` (proxies from the environment still get httpx's own transports)."""
    return _Transport(limits)
