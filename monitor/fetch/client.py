"""Fetch stage: one polite conditional GET per feed, giving a FetchResult or a FetchError.

Politeness: one shared ``httpx.AsyncClient`` (see ``make_client``), a global and a per-host
concurrency limit, a descriptive User-Agent, a conditional GET from the stored ETag and
Last-Modified (an unchanged feed costs a 304 and no body), and the server's cache hints
(Cache-Control max-age, Retry-After) handed on in ``FetchResult.max_age``.

Safety: connect and read timeouts plus an overall budget per fetch (time spent waiting for
a concurrency slot does not count against it); the body is streamed and cut as soon as it
passes ``max_body_bytes`` of decoded bytes (``monitor.fetch.decode`` decodes the
Content-Encoding with that bound, not httpx); redirects are followed here, by hand, with a
limit and loop detection, so that a chain made only of permanent redirects (301/308) can
move the feed (``monitor.fetch.redirects`` says which redirects are refused and which
moves are stored).

httpx exceptions are translated into ``monitor.errors`` here, by ``monitor.fetch.failures``,
and nowhere else.
A ``Fetcher`` and its client belong to one event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from monitor import __version__
from monitor.clock import utcnow
from monitor.errors import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from monitor.fetch.decode import ACCEPT_ENCODING, CorruptBody, UnsupportedCoding, decoder_for
from monitor.fetch.failures import translate
from monitor.fetch.headers import backoff_delay, cache_control_max_age, next_check_delay
from monitor.fetch.redirects import redirect_refusal, resolved, stores_move
from monitor.fetch.transport import RetryDropped, SmallPools, no_cookies
from monitor.log import log_event
from monitor.model import Claim, FetchResult
from monitor.retry import retry_after_seconds

if TYPE_CHECKING:
    from monitor.config import schema

__all__ = [
    "FetchSettings",
    "Fetcher",
    "backoff_delay",
    "make_client",
    "next_check_delay",
]

log = logging.getLogger(__name__)

USER_AGENT = f"stmon/{__version__} (+https://github.com/stmon/stmon)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
THROTTLE_STATUSES = frozenset({429, 503})
DRAIN_BYTES = 64 * 1024  # read (and drop) at most this much of a non-2xx answer
MIN_TOTAL_TIMEOUT = 60.0  # a whole fetch may take twice the read timeout, and at least this
KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept for the next fetch from its host


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """The fetch stage's limits in seconds and bytes, made by ``from_config`` from the
    config's ``fetch`` section (where the defaults are, with a comment per key)."""

    connect_timeout: float  # seconds to open a connection (TCP + TLS)
    read_timeout: float  # seconds of silence allowed while reading
    total_timeout: float  # seconds for a whole fetch, redirects included
    max_body_bytes: int  # decoded body size cap
    max_redirects: int
    max_connections: int  # fetches in flight (and open connections) at once, all hosts
    per_host: int  # fetches in flight at once to one host

    @classmethod
    def from_config(cls, fetch: schema.FetchSettings) -> FetchSettings:
        read = fetch.read_timeout.total_seconds()
        return cls(
            connect_timeout=fetch.connect_timeout.total_seconds(),
            read_timeout=read,
            total_timeout=max(MIN_TOTAL_TIMEOUT, 2 * read),
            max_body_bytes=fetch.max_body,
            max_redirects=fetch.max_redirects,
            max_connections=fetch.concurrency,
            per_host=fetch.per_host,
        )


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The one shared client: timeouts, pool limits and headers from ``settings``, httpx's
    own transport and connection pools (``monitor.fetch.transport``), no cookies kept. A
    proxy from the environment (``HTTPS_PROXY``, ...) gets a transport of httpx's own with
    the same limits, but without ``RetryDropped`` and ``SmallPools``."""
    tls = httpx.create_ssl_context()  # one for all the pools: SSL_CERT_FILE/DIR as httpx reads them
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.read_timeout, connect=settings.connect_timeout, pool=settings.total_timeout
        ),
        limits=limits,  # for the transports of proxies from the environment
        transport=RetryDropped(
            SmallPools(limits, lambda share: httpx.AsyncHTTPTransport(verify=tls, limits=share))
        ),
        cookies=no_cookies(),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP exchange: a hop of a fetch. ``body`` is read only for a 2xx answer."""

    url: httpx.URL
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes | None


class _Budget:
    """The time a fetch may still spend on the network."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.spent = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)


class Fetcher:
    """Fetches feeds through one shared client, within the concurrency limits; ``clock``
    is the time a Retry-After date is counted from."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: FetchSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = client
        self._settings = settings
        self._clock = clock
        self._slots = asyncio.Semaphore(self._settings.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def fetch(self, state: Claim) -> FetchResult:
        """Conditional GET of ``state.url``; raises a ``FetchError`` subclass on failure."""
        async with self._slots:
            return await self._follow(state)

    async def _follow(self, state: Claim) -> FetchResult:
        url = feed_url = _parse_url(state.url)
        seen = {url}
        permanent = True
        budget = _Budget(self._settings.total_timeout)
        for _hop in range(self._settings.max_redirects + 1):
            answer = await self._get(url, state, budget)
            if answer.status not in REDIRECT_STATUSES:
                moved = self._moved(state, feed_url, url) if permanent and len(seen) > 1 else None
                result = _result(answer, state, moved, budget.spent, self._clock())
                log.debug(
                    "fetch_done feed=%s status=%d bytes=%d elapsed=%.3f",
                    state.name,
                    result.status,
                    len(result.body or b""),
                    result.elapsed,
                )
                return result
            permanent = permanent and answer.status in PERMANENT_REDIRECTS
            url = _redirect_target(answer)
            if url in seen:
                raise TooManyRedirects(f"redirect loop back to {url}", url=state.url)
            seen.add(url)
            await self._check_target(feed_url, url, budget)
            log.debug("fetch_redirect feed=%s status=%d to=%s", state.name, answer.status, url)
        limit = self._settings.max_redirects
        raise TooManyRedirects(f"more than {limit} redirects", url=state.url)

    async def _check_target(self, feed_url: httpx.URL, target: httpx.URL, budget: _Budget) -> None:
        """Refuse a redirect to a loopback, private or link-local address for a feed that
        is not on one (``monitor.fetch.redirects``)."""
        timeout = min(self._settings.connect_timeout, budget.remaining)
        started = time.monotonic()
        try:
            hosts = await resolved(target, timeout)
            if redirect_refusal([feed_url.host], hosts) is None:
                return
            refusal = redirect_refusal(await resolved(feed_url, timeout), hosts)
        finally:
            budget.spent += time.monotonic() - started
        if refusal is not None:
            raise FetchError(f"{refusal}: {target}", url=str(feed_url))

    def _moved(self, state: Claim, feed_url: httpx.URL, final: httpx.URL) -> str | None:
        """The URL an all-permanent chain of redirects moved the feed to, unless the move
        may not be stored (https to http)."""
        if stores_move(feed_url, final):
            return str(final)
        reason = "a permanent move from https to http is followed but not stored"
        log_event(log, logging.WARNING, "feed_move_not_stored", feed=state.name, url=str(final),
                  reason=reason)  # fmt: skip
        return None

    async def _get(self, url: httpx.URL, state: Claim, budget: _Budget) -> _Answer:
        request = self._client.build_request("GET", url, headers=self._headers(state))
        async with self._host_slot(url.host):
            started = time.monotonic()
            try:
                async with asyncio.timeout(budget.remaining):
                    return await self._send(request)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise translate(
                    exc,
                    str(url),
                    connect_timeout=self._settings.connect_timeout,
                    read_timeout=self._settings.read_timeout,
                ) from exc
            except TimeoutError:
                total = self._settings.total_timeout
                raise FetchTimeout(f"no complete answer within {total:g}s", url=str(url)) from None
            finally:
                budget.spent += time.monotonic() - started

    async def _send(self, request: httpx.Request) -> _Answer:
        response = await self._client.send(request, stream=True, follow_redirects=False)
        try:
            if response.is_success:
                body: bytes | None = await self._read_body(response)
            else:
                body = None
                await _drain(response)
        finally:
            await response.aclose()
        return _Answer(
            response.url, response.status_code, response.reason_phrase, response.headers, body
        )

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The body, its Content-Encoding decoded here (``monitor.fetch.decode``) so that
        the cap counts decoded bytes and decoding stops as soon as it passes the cap."""
        cap, url = self._settings.max_body_bytes, str(response.url)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"body of {declared} bytes is over the {cap} byte cap", url=url)
        codings = response.headers.get_list("content-encoding", split_commas=True)
        try:
            decoder = decoder_for(codings)
        except UnsupportedCoding as exc:
            raise FetchError(str(exc), url=url) from None
        chunks: list[bytes] = []
        size = raw = 0
        async for data in response.aiter_raw():
            raw += len(data)
            try:
                chunk = decoder.decode(data, cap - size)
            except CorruptBody as exc:
                coding = ", ".join(codings)
                raise FetchError(f"could not decode the {coding} body: {exc}", url=url) from None
            size += len(chunk)
            if size > cap or raw > cap:
                raise BodyTooLarge(_too_large(cap, codings, decoded=size > cap), url=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _headers(self, state: Claim) -> dict[str, str]:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return headers

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self._settings.per_host)
        return slot


async def _drain(response: httpx.Response, limit: int = DRAIN_BYTES) -> None:
    """Read a short answer to its end (a 304, a redirect, an error page), so that its
    connection goes back to the pool instead of being closed; a long one is cut."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return


def _too_large(cap: int, codings: list[str], *, decoded: bool) -> str:
    if codings and decoded:
        return f"body ({', '.join(codings)}) passed the {cap} byte cap once decoded; cut"
    return f"body passed the {cap} byte cap; cut"


def _parse_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}", url=raw) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise FetchError("invalid URL: only absolute http(s) URLs can be fetched", url=raw)
    return url


def _redirect_target(answer: _Answer) -> httpx.URL:
    location = answer.headers.get("location")
    if not location:
        raise FetchError(f"HTTP {answer.status} redirect without a Location", url=str(answer.url))
    try:
        target = answer.url.join(location)
    except httpx.InvalidURL as exc:
        raise FetchError(f"redirect to an invalid URL: {exc}", url=str(answer.url)) from None
    if target.scheme not in ("http", "https"):
        raise FetchError(f"redirect to a non-HTTP URL: {target}", url=str(answer.url))
    return target.copy_with(fragment=None)


def _result(
    answer: _Answer, state: Claim, moved: str | None, elapsed: float, now: datetime
) -> FetchResult:
    headers, status = answer.headers, answer.status
    retry_after = retry_after_seconds(headers.get("retry-after"), now=now)
    if status >= 400:
        raise HTTPStatusError(
            f"HTTP {status} {answer.reason}".rstrip(),
            url=str(answer.url),
            status=status,
            retry_after=retry_after if status in THROTTLE_STATUSES else None,
        )
    if status != 304 and not 200 <= status < 300:
        raise FetchError(f"unexpected HTTP {status} {answer.reason}".rstrip(), url=str(answer.url))
    hints = [h for h in (cache_control_max_age(headers.get("cache-control")), retry_after) if h]
    not_modified = status == 304
    return FetchResult(
        url=str(answer.url),
        status=status,
        body=None if not_modified else answer.body,
        content_type=headers.get("content-type", ""),
        etag=headers.get("etag") or (state.etag if not_modified else None),
        last_modified=headers.get("last-modified")
        or (state.last_modified if not_modified else None),
        permanent_url=moved,
        max_age=max(hints, default=None),
        elapsed=elapsed,
    )
