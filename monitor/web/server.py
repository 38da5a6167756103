"""Serving the pages with uvicorn: in the foreground (`stmon web`) or in a thread of
its own beside the daemon (`stmon run` with ``service.web.enabled``).

The socket is bound here, before uvicorn starts, so a taken port is a clear error
naming ``service.web.listen`` and port 0 gives a free port (``port`` after ``bind``).
In the daemon, uvicorn runs in its own thread and event loop: the daemon keeps its
signal handlers, and a slow page never holds up polling.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import uvicorn
from starlette.types import ASGIApp

from monitor.config.service import WEB_LISTEN_KEY
from monitor.errors import cannot_listen
from monitor.log import log_event

log = logging.getLogger(__name__)


class WebServer:
    """``app`` served on ``host:port``; ``source`` is where that address was given (the
    config's ``service.web.listen``, or ``--listen``), for the error when it is taken."""

    def __init__(self, app: ASGIApp, host: str, port: int, source: str = WEB_LISTEN_KEY) -> None:
        self.host, self.port, self.source = host, port, source
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, log_config=None, access_log=False, lifespan="off", server_header=False
            )
        )
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            hint = (
                f"choose a free address in {WEB_LISTEN_KEY} (or `stmon web --listen`)"
                if self.source == WEB_LISTEN_KEY
                else f"choose a free address with {self.source}"
            )
            raise cannot_listen(self.source, self.host, self.port, exc, hint) from None
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
        self.port = sock.getsockname()[1]
        self._socket = sock
        log_event(log, logging.INFO, "web_listening", host=self.host, port=self.port)

    def serve(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM (`stmon web`)."""
        if self._socket is None:
            self.bind()
        assert self._socket is not None
        try:
            self.server.run(sockets=[self._socket])
        finally:
            self._socket.close()

    async def start(self) -> None:
        """Bind, then serve in a thread of its own (the daemon)."""
        self.bind()
        self._thread = threading.Thread(target=self.serve, name="web", daemon=True)
        self._thread.start()

    async def close(self) -> None:
        if self._thread is not None:
            self.server.should_exit = True
            await asyncio.to_thread(self._thread.join, 15.0)
            self._thread = None
