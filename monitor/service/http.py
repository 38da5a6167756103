"""The optional HTTP endpoint: ``/metrics`` (Prometheus) and ``/healthz`` (JSON).

A deliberately small HTTP/1.1 server on ``asyncio.start_server``: GET or HEAD, one
request per connection (``Connection: close``), a 10 s read timeout and an 8 KiB
header limit. It listens on 127.0.0.1 by default and has no authentication; put a
reverse proxy in front to expose it. Both handlers may read the store, so they run
in a worker thread and never block the event loop.

``/healthz`` answers 200 with ``{"status": "ok", ...}`` or 503 with ``{"status":
"failing", "reasons": [...]}``; a health check that raises is a 503 too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from types import TracebackType

from monitor.errors import cannot_listen
from monitor.log import log_event
from monitor.metrics import Metrics
from monitor.service.health import HealthReport
from monitor.service.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)
READ_TIMEOUT = 10.0
MAX_HEADER = 8192
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip
INDEX = b"stmon: see /metrics and /healthz\n"

Response = tuple[int, str, bytes]


class Endpoint:
    """Serves ``/metrics`` from ``metrics`` and ``/healthz`` from ``health()``."""

    def __init__(
        self,
        metrics: Metrics,
        health: Callable[[], HealthReport],
        host: str = "127.0.0.1",
        port: int = 9464,
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and serve in the background; ``port`` is then the bound port (for port 0)."""
        try:
            self._server = await asyncio.start_server(
                self._handle, self.host, self.port, reuse_address=True, limit=MAX_HEADER
            )
        except OSError as exc:
            key = "service.metrics.listen"
            hint = f"choose a free address in {key}, or stop what listens there"
            raise cannot_listen(key, self.host, self.port, exc, hint) from None
        self.port = self._server.sockets[0].getsockname()[1]
        log_event(log, logging.INFO, "http_listening", host=self.host, port=self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Endpoint:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_head(reader), READ_TIMEOUT)
            method, path = request or ("GET", "")
            status, ctype, body = await self._respond(method, path) if request else _bad()
            head = (
                f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n"
            )
            if status == 405:
                head += "Allow: GET, HEAD\r\n"
            writer.write(head.encode() + b"\r\n" + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away or never spoke
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, method: str, path: str) -> Response:
        if path not in ("/", "/metrics", "/healthz"):
            return 404, "text/plain; charset=utf-8", b"not found\n"
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"method not allowed\n"
        if path == "/metrics":
            try:
                return 200, CONTENT_TYPE, await asyncio.to_thread(self.metrics.render)
            except Exception as exc:
                log.exception("metrics_failed error=%s", exc)
                return 500, "text/plain; charset=utf-8", b"metrics failed\n"
        if path == "/healthz":
            return await self._healthz()
        return 200, "text/plain; charset=utf-8", INDEX

    async def _healthz(self) -> Response:
        try:
            report = await asyncio.to_thread(self.health)
        except Exception as exc:  # a health check that cannot run is a failed one
            log.warning("healthz_failed error=%s", exc)
            report = HealthReport(False, [f"health check failed: {exc}"])
        body = json.dumps(report.to_dict(), ensure_ascii=False, default=str).encode() + b"\n"
        return (200 if report.ok else 503), "application/json", body


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str] | None:
    """The request's method and path (query string dropped); None if malformed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:  # headers longer than MAX_HEADER
        return None
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    return parts[0].upper(), parts[1].split("?", 1)[0]


def _bad() -> Response:
    return 400, "text/plain; charset=utf-8", b"bad request\n"
