"""What the shared client adds to httpx's own transport: small pools, one retry, and no
cookies.

The connections are httpx's (``httpx.AsyncHTTPTransport`` and its pool, with the
``httpx.Limits`` that ``make_client`` gives it), in several small pools (``SmallPools``):
httpx's pool (httpcore 1.0), whenever a request comes or an answer is closed, asks every
idle connection it holds whether its server closed it (a socket poll and AnyIO's
attribute map, ~20 µs each) and counts its connections once for each idle one, so its
cost per request grows with its size. Four pools of four connections instead of one of
sixteen made a cycle of 500 feeds answering 304 a third faster (docs/benchmarks.md).

httpx's ``retries=`` repeats only a
connection attempt that failed, and is left at 0: the scheduler's backoff tries a feed
whose server cannot be reached again later.

What it does not repeat is a request sent on a kept-alive connection that the server
closed just then (its idle timeout ran out as the request went out): the request fails
without an answer, though nothing was wrong with it. The pool does not hand out an idle
connection it already sees closed, so only that race is left; ``RetryDropped`` sends a
GET or HEAD that failed so once more. httpx does not say whether the connection was a
reused one, so a server that drops a request on a new connection gets it a second time too.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

RETRIED_METHODS = frozenset({"GET", "HEAD"})  # safe to send twice (RFC 9110, section 9.2.2)
# how a connection the server closed fails a request before any answer: the end of the
# stream where an answer was due, a reset, or a write to a closed socket
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class RetryDropped(httpx.AsyncBaseTransport):
    """``transport``, with a GET or HEAD that got no answer (``DROPPED``) sent once more.

    An error while reading the body of an answer is not retried: the answer had begun.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in RETRIED_METHODS:
            return await self._transport.handle_async_request(request)
        try:
            return await self._transport.handle_async_request(request)
        except DROPPED:
            return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


POOL_SIZE = 4  # connections in each of SmallPools' pools (measured: 2, 4, 8 and 16)


class SmallPools(httpx.AsyncBaseTransport):
    """``limits.max_connections`` connections as pools of at most ``POOL_SIZE``, each an
    ``httpx.AsyncHTTPTransport`` made by ``make(limits)`` with its share of the limits.

    A request goes to its origin's own pool (chosen by a hash of scheme, host and port)
    while that pool has a connection to spare, so requests to one server one after the
    other reuse its kept-alive connection; otherwise to the pool with the fewest requests
    in progress. A request is in progress until its answer's stream is closed (httpx
    closes it when the body was read or ``aclose``d) or until it failed.
    """

    def __init__(
        self, limits: httpx.Limits, make: Callable[[httpx.Limits], httpx.AsyncBaseTransport]
    ) -> None:
        total = max(1, limits.max_connections or POOL_SIZE)
        keep = (
            total if limits.max_keepalive_connections is None else limits.max_keepalive_connections
        )
        count = math.ceil(total / POOL_SIZE)
        self.sizes = [total // count + (i < total % count) for i in range(count)]
        self._pools = [
            make(
                httpx.Limits(
                    max_connections=size,
                    max_keepalive_connections=min(size, keep),
                    keepalive_expiry=limits.keepalive_expiry,
                )
            )
            for size in self.sizes
        ]
        self.in_progress = [0] * count  # requests whose answer is not closed yet, per pool

    def _pick(self, url: httpx.URL) -> int:
        home = hash((url.scheme, url.host, url.port)) % len(self._pools)
        if self.in_progress[home] < self.sizes[home]:
            return home
        return min(range(len(self._pools)), key=self.in_progress.__getitem__)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._pick(request.url)
        self.in_progress[index] += 1
        done = _Once(lambda: self._finished(index))
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            done()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Closing(response.stream, done),
            extensions=response.extensions,
            request=request,
        )

    def _finished(self, index: int) -> None:
        self.in_progress[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Once:
    """Calls ``fn`` the first time it is called, never again."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn: Callable[[], None] | None = fn

    def __call__(self) -> None:
        fn, self._fn = self._fn, None
        if fn is not None:
            fn()


class _Closing(httpx.AsyncByteStream):
    """An answer's stream that calls ``closed`` once it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, closed: _Once) -> None:
        self._stream = stream
        self._closed = closed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._closed()


def no_cookies() -> CookieJar:
    """A cookie jar that takes no cookie, as feed readers fetch: each fetch is the same
    request whatever a server set before, and no cookie follows the poller from one feed
    to the next (nor to a webhook)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
