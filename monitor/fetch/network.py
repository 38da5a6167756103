"""The shared client's network backend: httpcore streams on asyncio's own transports.

httpcore reaches asyncio through AnyIO, whose streams open a cancel scope for the
timeout of every read and every write and give the loop one more turn before each
read; with a 304 answer costing little else, that was a fifth of the poller's CPU.
These streams read from a protocol's buffer (waiting, under ``asyncio.timeout``, only
when it is empty) and write straight to the transport (waiting only when its buffer
is full). TLS is asyncio's (``loop.start_tls``), as it is under AnyIO.

Errors are httpcore's, as its AnyIO backend raises them (``ConnectError`` from the
OSError or SSLError behind it, ``ReadTimeout``, ...), so httpx maps them as before.
"""

from __future__ import annotations

import asyncio
import select
import ssl
import sys
from collections.abc import Iterable
from typing import Any

import httpcore

HIGH_WATER = 256 * 1024  # stop reading from the socket with this much unread ...
LOW_WATER = 64 * 1024  # ... and start again below this
# Python 3.12+: a connection that fails on every address says why for each one
_ALL_ERRORS: dict[str, Any] = {"all_errors": True} if sys.version_info >= (3, 12) else {}


class _Protocol(asyncio.Protocol):
    """Collects what arrives; wakes the reader waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None  # set while writing is paused
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)

    def pause_writing(self) -> None:
        self.drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)
        self.drain = None

    def _wake(self) -> None:
        if self.reader is not None and not self.reader.done():
            self.reader.set_result(None)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if self._closed:
            raise httpcore.ReadError("the connection is closed")
        if not p.buffer and not p.eof:
            p.reader = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await p.reader
            except TimeoutError:
                raise httpcore.ReadTimeout(f"nothing read within {timeout}s") from None
            finally:
                p.reader = None
        if p.buffer:
            data = bytes(p.buffer[:max_bytes])
            del p.buffer[:max_bytes]
            if p.reading_paused and len(p.buffer) < LOW_WATER:
                p.reading_paused = False
                self._transport.resume_reading()
            return data
        if p.error is not None:
            raise httpcore.ReadError(str(p.error) or type(p.error).__name__) from p.error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._protocol
        if self._closed or p.error is not None or self._transport.is_closing():
            reason = p.error or "the connection is closed"
            raise httpcore.WriteError(str(reason)) from p.error
        self._transport.write(buffer)
        if p.drain is not None:
            try:
                async with asyncio.timeout(timeout):
                    await p.drain
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not write within {timeout}s") from None
            if p.error is not None:
                raise httpcore.WriteError(str(p.error)) from p.error

    async def aclose(self) -> None:
        """Close at once: no TLS close_notify (as httpcore's AnyIO streams close), nothing
        left to flush; the socket is closed when this returns."""
        if not self._closed:
            self._closed = True
            self._transport.abort()
            await asyncio.sleep(0)  # the transport closes its socket on the loop's next turn

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=timeout,
                )
        except BaseException as exc:  # the connection is of no use now: close it
            await self.aclose()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout}s") from None
            if isinstance(exc, OSError):  # ssl.SSLError among them
                raise httpcore.ConnectError(str(exc)) from exc
            raise
        assert tls is not None
        return _Stream(tls, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":
            return self._readable()
        return None

    def _readable(self) -> bool:
        """Whether a read would not wait: something arrived (or the end), in the buffer
        or still in the socket; an idle connection that is readable was closed."""
        p = self._protocol
        if p.buffer or p.eof or self._closed:
            return True
        sock = self._transport.get_extra_info("socket")
        fd = -1 if sock is None else sock.fileno()
        if fd < 0:
            return True
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections through the running loop (``loop.create_connection``), with Happy
    Eyeballs (RFC 8305) between a host's addresses, as AnyIO does."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol,
                    host,
                    port,
                    local_addr=local,
                    happy_eyeballs_delay=0.25,
                    **_ALL_ERRORS,
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout}s") from None
        except (OSError, ExceptionGroup) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _stream(transport, protocol, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Protocol, path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _stream(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _stream(
    transport: asyncio.BaseTransport, protocol: _Protocol, options: Iterable[Any] | None
) -> _Stream:
    assert isinstance(transport, asyncio.Transport)
    sock = transport.get_extra_info("socket")
    for option in options or ():
        sock.setsockopt(*option)
    return _Stream(transport, protocol)
