"""What the shared client adds to httpx's own transport: one retry, and no cookies.

The connections are httpx's (``httpx.AsyncHTTPTransport`` and its pool, with the
``httpx.Limits`` that ``make_client`` gives it). httpx's ``retries=`` repeats only a
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


def no_cookies() -> CookieJar:
    """A cookie jar that takes no cookie, as feed readers fetch: each fetch is the same
    request whatever a server set before, and no cookie follows the poller from one feed
    to the next (nor to a webhook)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
