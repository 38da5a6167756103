"""A bare TCP server on 127.0.0.1 for tests that need to control the bytes of each
connection (HTTP transport and TLS tests): each accepted connection is handed to
``answer`` on a thread of its own, and counted."""

from __future__ import annotations

import socket
import threading


class RawServer:
    """Subclasses say how a connection is answered; ``start`` begins accepting and
    ``close`` stops (connections already open go on until their ``answer`` returns)."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def answer(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.connections += 1
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()
