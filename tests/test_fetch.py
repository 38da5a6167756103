"""The fetch stage against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
import socket
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from monitor.errors import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from monitor.fetch.client import (
    Fetcher,
    FetchSettings,
    backoff_delay,
    make_client,
    next_check_delay,
    utcnow,
)
from monitor.fetch.failures import connect_reason
from monitor.fetch.headers import cache_control_max_age
from monitor.model import Claim, FetchResult
from tests.support import feedserver
from tests.support.feedserver import SAMPLE_RSS, FeedServer, Reply
from tests.support.fetching import fetch_settings

feed_server = feedserver.feed_server  # the fixture, requested by name below

FAST = fetch_settings(connect_timeout=2.0, read_timeout=0.5, total_timeout=5.0)
MIB = 1024 * 1024
NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def fetch(
    url: str, settings: FetchSettings = FAST, now: datetime | None = None, **state: str
) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings, clock=(lambda: now) if now else utcnow)
            return await fetcher.fetch(Claim(0, "test", url, **state))

    return asyncio.run(go())


def fetch_many(urls: list[str], settings: FetchSettings) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            return await asyncio.gather(*(fetcher.fetch(Claim(0, u, u)) for u in urls))

    return asyncio.run(go())


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# success and conditional GET -----------------------------------------------------------------


def test_200_gives_body_type_and_validators(feed_server: FeedServer) -> None:
    result = fetch(feed_server.url("/sample.xml"))

    assert (result.status, result.body) == (200, SAMPLE_RSS)
    assert result.content_type == "application/rss+xml"
    assert result.etag and result.last_modified
    assert result.url == feed_server.url("/sample.xml")
    assert result.permanent_url is None and not result.not_modified


def test_descriptive_user_agent_and_accept_headers_are_sent(feed_server: FeedServer) -> None:
    fetch(feed_server.url("/sample.xml"))

    headers = feed_server.requests_to("/sample.xml")[0].headers
    assert headers["user-agent"].startswith("stmon/")
    assert "https://github.com/stmon/stmon" in headers["user-agent"]
    assert "application/rss+xml" in headers["accept"]
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in headers["accept-encoding"].split(",")}
    assert "if-none-match" not in headers and "if-modified-since" not in headers


def test_second_fetch_sends_stored_validators_and_gets_304(feed_server: FeedServer) -> None:
    url = feed_server.url("/sample.xml")
    first = fetch(url)
    assert first.etag and first.last_modified

    second = fetch(url, etag=first.etag, last_modified=first.last_modified)

    sent = feed_server.requests_to("/sample.xml")[1].headers
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified
    assert second.status == 304 and second.not_modified and second.body is None
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)


def test_last_modified_alone_gives_304_until_the_feed_changes(feed_server: FeedServer) -> None:
    feed_server.put("/news.xml", "<rss>one</rss>")
    url = feed_server.url("/news.xml")
    first = fetch(url)
    assert first.last_modified

    unchanged = fetch(url, last_modified=first.last_modified)
    feed_server.put("/news.xml", "<rss>two</rss>")
    changed = fetch(url, last_modified=first.last_modified)

    assert unchanged.status == 304
    assert (changed.status, changed.body) == (200, b"<rss>two</rss>")
    assert changed.last_modified != first.last_modified


def test_stale_etag_gives_the_new_body(feed_server: FeedServer) -> None:
    result = fetch(feed_server.url("/etag/sample.xml"), etag='"stale"')

    assert (result.status, result.body) == (200, SAMPLE_RSS)
    assert result.etag != '"stale"'


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_body_is_decoded(feed_server: FeedServer, encoding: str) -> None:
    result = fetch(feed_server.url(f"/{encoding}/sample.xml"))

    assert result.body == SAMPLE_RSS
    assert feed_server.bytes_sent(f"/{encoding}/sample.xml") < len(SAMPLE_RSS)


@pytest.mark.parametrize(
    ("path", "body"), [("/empty", b""), ("/html", b"<!DOCTYPE html>")], ids=["empty", "html"]
)
def test_non_feed_bodies_are_returned_for_the_parser_to_judge(
    feed_server: FeedServer, path: str, body: bytes
) -> None:
    result = fetch(feed_server.url(path))

    assert result.status == 200 and result.body is not None
    assert result.body.startswith(body) and (body or result.body == b"")


# cache hints ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=900"}, 900.0),
        ({"Cache-Control": "max-age=30", "Retry-After": "120"}, 120.0),
        ({"Cache-Control": "max-age=600", "Retry-After": "60"}, 600.0),
        ({"Cache-Control": "no-cache"}, None),
        ({}, None),
    ],
    ids=["max-age", "retry-after-larger", "max-age-larger", "no-max-age", "none"],
)
def test_max_age_is_the_larger_cache_hint(
    feed_server: FeedServer, headers: dict[str, str], expected: float | None
) -> None:
    feed_server.set_route("/hinted", lambda r: Reply(200, b"<rss/>", headers))

    assert fetch(feed_server.url("/hinted")).max_age == expected


# HTTP errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 502])
def test_error_status_raises_with_status_and_no_retry_after(
    feed_server: FeedServer, status: int
) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(feed_server.url(f"/status/{status}?retry-after=60"))

    assert caught.value.status == status
    assert caught.value.retry_after is None
    assert str(status) in str(caught.value)
    assert caught.value.url == feed_server.url(f"/status/{status}?retry-after=60")


def test_429_records_retry_after_seconds(feed_server: FeedServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(feed_server.url("/status/429?retry-after=120"))

    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)


def test_503_records_retry_after_given_as_a_date(feed_server: FeedServer) -> None:
    when = format_datetime(NOW + timedelta(hours=1), usegmt=True)
    feed_server.set_route("/busy", lambda r: Reply(503, b"busy", {"Retry-After": when}))

    with pytest.raises(HTTPStatusError) as caught:
        fetch(feed_server.url("/busy"), now=NOW)

    assert (caught.value.status, caught.value.retry_after) == (503, 3600.0)


def test_429_without_retry_after_has_none(feed_server: FeedServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(feed_server.url("/status/429"))

    assert caught.value.retry_after is None


# network faults -------------------------------------------------------------------------------


def test_slow_answer_is_a_read_timeout(feed_server: FeedServer) -> None:
    with pytest.raises(FetchTimeout, match=r"read timeout after 0\.5s"):
        fetch(feed_server.url("/slow?delay=3"))


def test_trickling_body_hits_the_overall_deadline(feed_server: FeedServer) -> None:
    settings = fetch_settings(read_timeout=2.0, total_timeout=0.6)

    with pytest.raises(FetchTimeout, match=r"no complete answer within 0\.6s"):
        fetch(feed_server.url("/trickle?chunks=100&interval=0.05"), settings)


def test_connection_refused_is_a_clear_fetch_error() -> None:
    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.1:{unused_port()}/feed.xml")

    assert str(caught.value) == "connection refused"
    assert type(caught.value) is FetchError


def test_tls_failure_is_a_clear_fetch_error(feed_server: FeedServer) -> None:
    plain_http_port = feed_server.port

    with pytest.raises(FetchError, match=r"^TLS error: \w"):
        fetch(f"https://127.0.0.1:{plain_http_port}/sample.xml")


def test_dns_failure_reason_names_the_lookup() -> None:
    exc = httpx.ConnectError("lookup failed")
    exc.__cause__ = OSError("All connection attempts failed")
    exc.__cause__.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert connect_reason(exc) == "DNS lookup failed: Name or service not known"


@pytest.mark.parametrize("url", ["ftp://example.test/feed", "/relative/feed.xml", "http://[::1"])
def test_unfetchable_url_is_a_fetch_error(url: str) -> None:
    with pytest.raises(FetchError, match="invalid URL"):
        fetch(url)


# redirects ------------------------------------------------------------------------------------


def test_redirect_loop_is_detected_before_the_limit(feed_server: FeedServer) -> None:
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch(feed_server.url("/redirect-loop"))

    assert feed_server.hits("/redirect-loop") == 1
    assert feed_server.hits("/redirect-loop/b") == 1


def test_redirect_limit_is_enforced_and_inclusive(feed_server: FeedServer) -> None:
    settings = fetch_settings(max_redirects=3)

    assert fetch(feed_server.url("/redirect-chain/3"), settings).body == SAMPLE_RSS
    with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
        fetch(feed_server.url("/redirect-chain/4"), settings)


@pytest.mark.parametrize(
    ("path", "moved"),
    [
        ("/moved", True),
        ("/redirect/308/sample.xml", True),
        ("/redirect/301/moved", True),
        ("/temp", False),
        ("/redirect/307/sample.xml", False),
        ("/moved/temp", False),
    ],
    ids=["301", "308", "301-301", "302", "307", "301-then-302"],
)
def test_only_an_all_permanent_chain_moves_the_feed(
    feed_server: FeedServer, path: str, moved: bool
) -> None:
    result = fetch(feed_server.url(path))

    assert result.body == SAMPLE_RSS
    assert result.url == feed_server.url("/sample.xml")
    assert result.permanent_url == (feed_server.url("/sample.xml") if moved else None)


def test_validators_are_sent_after_a_redirect(feed_server: FeedServer) -> None:
    etag = fetch(feed_server.url("/sample.xml")).etag
    assert etag

    result = fetch(feed_server.url("/moved"), etag=etag)

    assert result.status == 304 and result.permanent_url == feed_server.url("/sample.xml")


# size cap -------------------------------------------------------------------------------------


def test_oversized_body_is_cut_and_reading_stops_early(feed_server: FeedServer) -> None:
    settings = fetch_settings(max_body_bytes=MIB)
    full = 256 * MIB

    with pytest.raises(BodyTooLarge, match="cut"):
        fetch(feed_server.url(f"/huge?size={full}"), settings)

    assert feed_server.wait_until(lambda: feed_server.disconnects("/huge") == 1)
    assert feed_server.bytes_sent("/huge") < full // 4


def test_declared_oversized_body_is_refused_unread(feed_server: FeedServer) -> None:
    settings = fetch_settings(max_body_bytes=MIB)

    with pytest.raises(BodyTooLarge, match=f"{64 * MIB} bytes is over"):
        fetch(feed_server.url(f"/huge?size={64 * MIB}&length=1"), settings)


def test_endless_body_keeps_memory_flat(feed_server: FeedServer) -> None:
    settings = fetch_settings(max_body_bytes=2 * MIB)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            fetch(feed_server.url("/huge"), settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * MIB


def test_body_at_the_cap_is_accepted(feed_server: FeedServer) -> None:
    settings = fetch_settings(max_body_bytes=MIB)

    result = fetch(feed_server.url(f"/huge?size={MIB}"), settings)

    assert result.body is not None and len(result.body) == MIB


# concurrency limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_host", "max_connections", "expected_peak"),
    [(2, 32, 2), (1, 32, 1), (4, 32, 4), (4, 3, 3)],
    ids=["per-host-default", "per-host-1", "per-host-4", "global-3"],
)
def test_concurrency_limits_hold(
    feed_server: FeedServer, per_host: int, max_connections: int, expected_peak: int
) -> None:
    settings = fetch_settings(per_host=per_host, max_connections=max_connections)
    urls = [feed_server.url(f"/slow/sample.xml?delay=0.3&n={n}") for n in range(8)]

    results = fetch_many(urls, settings)

    assert [r.status for r in results] == [200] * 8
    assert feed_server.peak_concurrency("/slow/sample.xml") == expected_peak


def test_default_per_host_limit_is_two() -> None:
    assert fetch_settings().per_host == 2


# next check and backoff -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        ({}, 600.0),
        ({"ttl_minutes": 30}, 1800.0),
        ({"max_age": 900.0}, 900.0),
        ({"retry_after": 3600.0}, 3600.0),
        ({"ttl_minutes": 60, "max_age": 7200.0, "retry_after": 120.0}, 7200.0),
        ({"ttl_minutes": 5, "max_age": 60.0, "retry_after": 0.0}, 600.0),
        ({"ttl_minutes": 0}, 600.0),
        ({"retry_after": 10 * 86400.0}, 86400.0),
    ],
    ids=["interval", "ttl", "max-age", "retry-after", "largest", "shorter", "zero", "ceiling"],
)
def test_next_check_delay_is_the_largest_bounded_hint(
    hints: dict[str, float], expected: float
) -> None:
    args = {"ttl_minutes": None, "max_age": None, "retry_after": None, **hints}

    assert next_check_delay(600.0, **args) == expected  # type: ignore[arg-type]


def test_next_check_delay_never_shortens_a_long_interval() -> None:
    delay = next_check_delay(2 * 86400.0, ttl_minutes=None, max_age=None, retry_after=5 * 86400.0)

    assert delay == 2 * 86400.0


def test_backoff_doubles_per_error_within_jitter() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(600.0, n, cap=6 * 3600.0, rng=rng) for n in range(1, 6)]

    for n, delay in enumerate(delays, start=1):
        assert 0.8 * 600.0 * 2**n <= delay <= 600.0 * 2**n


def test_backoff_without_errors_is_the_interval() -> None:
    assert backoff_delay(600.0, 0, cap=3600.0, rng=random.Random(1)) == 600.0


def test_backoff_is_capped_and_never_below_the_interval() -> None:
    rng = random.Random(3)
    capped = [backoff_delay(600.0, n, cap=3600.0, rng=rng) for n in (10, 100, 10_000)]
    tight = [backoff_delay(600.0, 5, cap=60.0, rng=rng) for _ in range(20)]

    assert all(0.8 * 3600.0 <= d <= 3600.0 for d in capped)
    assert all(d == 600.0 for d in tight)


def test_backoff_jitter_spreads_feeds_and_is_reproducible() -> None:
    first = [backoff_delay(600.0, 3, cap=1e6, rng=random.Random(seed)) for seed in range(20)]
    again = [backoff_delay(600.0, 3, cap=1e6, rng=random.Random(seed)) for seed in range(20)]

    assert first == again
    assert len(set(first)) == 20


# header parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300.0),
        ("public, MAX-AGE=60, must-revalidate", 60.0),
        ('max-age="90"', 90.0),
        ("s-maxage=500", None),
        ("max-age=-5", None),
        ("max-age=abc", None),
        ("max-age=٣", None),
        ("", None),
        (None, None),
    ],
)
def test_cache_control_max_age(value: str | None, expected: float | None) -> None:
    assert cache_control_max_age(value) == expected
