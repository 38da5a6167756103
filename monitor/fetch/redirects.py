"""Which redirects a fetch follows, and which moves it stores.

A feed's server says where to go next, so a redirect could point the poller at the
machine it runs on or at the private network around it (a metadata service on
169.254.169.254, an admin page on 127.0.0.1). A redirect to a loopback, private or
link-local address is refused, unless the feed's own URL is in the same class (a feed
served from 127.0.0.1 may redirect to 127.0.0.1; a feed on the office network to
another address on it). Hosts are judged by their literal address, by name
(``localhost`` and ``*.localhost``), and by what the name resolves to with the
system's resolver, the one httpx connects with (a name that does not resolve is
judged by its name alone: connecting to it fails anyway).

A permanent move from https to http is followed for that fetch but never stored as
the feed's new URL: the next poll starts from https again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpx

LOOPBACK = "loopback"
PRIVATE = "private"
LINK_LOCAL = "link-local"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_class(host: str) -> str | None:
    """``LOOPBACK``, ``LINK_LOCAL`` or ``PRIVATE`` for such an address or a localhost
    name; None for a public address or any other name."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return LOOPBACK
    try:
        address: IPAddress = ipaddress.ip_address(name)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:  # 0.0.0.0 reaches this machine
        return LOOPBACK
    if address.is_link_local:
        return LINK_LOCAL
    if address.is_private or address.is_reserved:
        return PRIVATE
    return None


def redirect_refusal(feed: Iterable[str], target: Iterable[str]) -> str | None:
    """Why a redirect to ``target`` is refused for a feed at ``feed``, or None when it
    may be followed. Each is a host with the addresses it resolved to (if any); a host
    is in the first non-public class among them."""
    where = _class_of(target)
    if where is None:
        return None
    address, kind = where
    own = _class_of(feed)
    if own is not None and own[1] == kind:
        return None
    return f"redirect to a {kind} address ({address}) refused: the feed is not on one"


def _class_of(hosts: Iterable[str]) -> tuple[str, str] | None:
    for host in hosts:
        kind = address_class(host)
        if kind is not None:
            return host, kind
    return None


def stores_move(feed_url: httpx.URL, final_url: httpx.URL) -> bool:
    """Whether a permanent move from ``feed_url`` to ``final_url`` may become the feed's
    URL: not when it goes from https down to http."""
    return not (feed_url.scheme == "https" and final_url.scheme == "http")


async def resolved(url: httpx.URL, timeout: float) -> list[str]:
    """``url``'s host and the addresses the system resolver gives for it (none for a
    literal address or a localhost name, nor when the lookup fails or takes longer
    than ``timeout`` seconds)."""
    host = url.host
    if address_class(host) is not None or _is_literal(host):
        return [host]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, url.port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return [host]
    return [host, *(str(info[4][0]) for info in infos)]


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
