"""monitor.fetch.redirects: the address policy for redirects, and which moves are stored;
and the fetcher refusing a redirect into a private network before it connects."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher, make_client
from monitor.fetch.redirects import (
    LINK_LOCAL,
    LOOPBACK,
    PRIVATE,
    address_class,
    redirect_refusal,
    resolved,
    stores_move,
)
from monitor.model import Claim, FetchResult
from tests.support.fetching import fetch_settings
from tests.support.hostile import Answer, HostileServer

SETTINGS = fetch_settings(connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0)


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", LOOPBACK),
        ("127.8.9.10", LOOPBACK),
        ("::1", LOOPBACK),
        ("[::1]", LOOPBACK),
        ("::ffff:127.0.0.1", LOOPBACK),
        ("0.0.0.0", LOOPBACK),
        ("localhost", LOOPBACK),
        ("LOCALHOST.", LOOPBACK),
        ("api.localhost", LOOPBACK),
        ("10.1.2.3", PRIVATE),
        ("172.16.0.1", PRIVATE),
        ("192.168.1.1", PRIVATE),
        ("fd00::1", PRIVATE),
        ("::ffff:192.168.0.1", PRIVATE),
        ("169.254.169.254", LINK_LOCAL),
        ("fe80::1", LINK_LOCAL),
        ("93.184.216.34", None),
        ("2606:2800:220:1::1", None),
        ("news.example.org", None),
        ("localhost.example.org", None),
    ],
)
def test_address_class(host: str, kind: str | None) -> None:
    assert address_class(host) == kind


@pytest.mark.parametrize(
    ("feed", "target", "refused"),
    [
        (["news.example.org", "93.184.216.34"], ["127.0.0.1"], "loopback address (127.0.0.1)"),
        (["news.example.org"], ["localhost"], "loopback address (localhost)"),
        (["news.example.org"], ["169.254.169.254"], "link-local address (169.254.169.254)"),
        (["news.example.org"], ["intranet.example", "10.0.0.7"], "private address (10.0.0.7)"),
        (["127.0.0.1"], ["10.0.0.7"], "private address (10.0.0.7)"),
        (["10.0.0.1"], ["127.0.0.1"], "loopback address (127.0.0.1)"),
        (["127.0.0.1"], ["127.0.0.1"], None),
        (["localhost"], ["127.0.0.2"], None),
        (["feeds.corp", "10.0.0.1"], ["192.168.3.3"], None),
        (["news.example.org"], ["cdn.example.net", "93.184.216.34"], None),
        (["127.0.0.1"], ["cdn.example.net"], None),
    ],
)
def test_redirect_refusal(feed: list[str], target: list[str], refused: str | None) -> None:
    reason = redirect_refusal(feed, target)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and f"redirect to a {refused} refused" in reason


@pytest.mark.parametrize(
    ("feed", "final", "stored"),
    [
        ("https://a.example/f", "http://b.example/f", False),
        ("https://a.example/f", "https://b.example/f", True),
        ("http://a.example/f", "https://a.example/f", True),
        ("http://a.example/f", "http://b.example/f", True),
    ],
)
def test_a_move_from_https_to_http_is_not_stored(feed: str, final: str, stored: bool) -> None:
    assert stores_move(httpx.URL(feed), httpx.URL(final)) is stored


def test_a_name_is_judged_with_the_addresses_it_resolves_to() -> None:
    async def go() -> list[str]:
        return await resolved(httpx.URL("http://127.1:8080/feed"), timeout=5)

    assert asyncio.run(go()) == ["127.1", "127.0.0.1"]  # a name to ipaddress, not to the resolver


def fetch(url: str) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(SETTINGS) as client:
            return await Fetcher(client, SETTINGS).fetch(Claim(0, "hostile", url))

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("location", "refused"),
    [
        ("http://10.255.255.1/feed.xml", "private address (10.255.255.1)"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address (169.254.169.254)"),
        ("http://[fd12::1]:8080/feed.xml", "private address (fd12::1)"),
    ],
)
def test_a_loopback_feed_redirecting_into_a_private_network_is_refused(
    location: str, refused: str
) -> None:
    with HostileServer() as server:
        url = server.serve("/feed", Answer(status=302, headers=[("Location", location)]))
        with pytest.raises(FetchError) as err:
            fetch(url)

    assert err.value.url == url
    assert f"redirect to a {refused} refused" in err.value.message
    assert server.hits == {"/feed": 1}  # nothing else was asked for


def test_a_loopback_feed_may_redirect_on_loopback() -> None:
    with HostileServer() as server:
        server.serve("/feed.xml", Answer(b"<rss version='2.0'><channel/></rss>"))
        target = f"http://localhost:{server.port}/feed.xml"
        url = server.serve("/old", Answer(status=301, headers=[("Location", target)]))

        result = fetch(url)

    assert result.status == 200 and result.permanent_url == target
