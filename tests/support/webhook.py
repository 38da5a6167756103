"""A real HTTP receiver on 127.0.0.1 for webhook tests.

It runs ``http.server`` in a thread, records every request (also the ones it
answers with an error) and answers from a programmed sequence::

    with WebhookReceiver() as hook:                      # POST to hook.url
        hook.program(Reply(500), Reply(200))             # 500 once, then 200
        hook.program(then=Reply(400))                    # always 400
        hook.program(Reply(429, headers={"Retry-After": "7"}))
        hook.program(Reply(200, delay=2.0))              # slow: provokes client timeouts
        request = hook.wait_for(1)[0]                    # ReceivedRequest
        request.json(); request.header("X-Stmon-Signature")
        hook.stop(); hook.start()                        # down, then up on the same port

Replies given to :meth:`WebhookReceiver.program` are used in order, one per
request; after them, ``then`` answers every request (by default 200 ``{"ok": true}``).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    status: int  # what the receiver answered

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.receiver._next_reply()
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.receiver._record(ReceivedRequest(self.command, self.path, headers, body, reply.status))
        if reply.delay and self.receiver._closing.wait(reply.delay):
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records requests; see the module docstring."""

    def __init__(self, path: str = "/hook") -> None:
        self.path = path
        self.port = 0
        self.requests: list[ReceivedRequest] = []
        self._replies: deque[Reply] = deque()
        self._then = Reply()
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"

    def program(self, *replies: Reply, then: Reply | None = None) -> None:
        """Answer the next requests with ``replies`` in order, then with ``then``."""
        with self._cond:
            self._replies = deque(replies)
            if then is not None:
                self._then = then

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived; AssertionError on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
            return list(self.requests)

    def start(self) -> None:
        if self._server is not None:
            return
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._closing.clear()
        self._server = ThreadingHTTPServer((HOST, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: clients see connection refused until :meth:`start`."""
        if self._server is None:
            return
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(10)
        self._server = None

    def __enter__(self) -> WebhookReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self) -> Reply:
        with self._cond:
            return self._replies.popleft() if self._replies else self._then

    def _record(self, request: ReceivedRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()
