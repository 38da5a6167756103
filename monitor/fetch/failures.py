"""httpx's exceptions as the ``FetchError`` a user can act on: the one place the fetch
stage translates them (``monitor.fetch.client`` calls ``translate``)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx

from monitor.errors import FetchError, FetchTimeout


def translate(
    exc: Exception, url: str, *, connect_timeout: float, read_timeout: float
) -> FetchError:
    """One httpx exception as the FetchError a user can act on."""
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchTimeout(f"connect timeout after {connect_timeout:g}s", url=url)
    if isinstance(exc, httpx.ReadTimeout):
        return FetchTimeout(f"read timeout after {read_timeout:g}s", url=url)
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeout(f"timeout ({type(exc).__name__})", url=url)
    if isinstance(exc, httpx.ConnectError):
        return FetchError(connect_reason(exc), url=url)
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"could not decode the body: {exc}", url=url)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(f"invalid URL: {exc}", url=url)
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(f"the server broke the HTTP protocol: {exc}", url=url)
    if isinstance(exc, httpx.NetworkError):
        return FetchError(f"connection lost: {_root_reason(exc)}", url=url)
    return FetchError(f"HTTP failure: {type(exc).__name__}: {exc}", url=url)


def connect_reason(exc: BaseException) -> str:
    """A short reason for a failed connection: TLS, DNS, refused, or the OS's words."""
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS error: certificate verify failed: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            reason = (cause.reason or str(cause)).replace("_", " ").lower()
            return f"TLS error: {reason}"
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup failed: {cause.strerror or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
    return f"connection failed: {_root_reason(exc)}"


def _root_reason(exc: BaseException) -> str:
    causes = [c for c in _causes(exc) if isinstance(c, OSError) and c.strerror]
    return str(causes[-1].strerror) if causes else str(exc) or type(exc).__name__


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from, exception groups opened."""
    stack, seen = [exc], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        stack.extend(e for e in (current.__context__, current.__cause__) if e is not None)
