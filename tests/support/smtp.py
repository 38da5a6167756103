"""A real SMTP server (aiosmtpd) on 127.0.0.1 for delivery tests.

The server runs in its own thread and event loop and listens on a free port::

    with SMTPServer() as smtp:                 # plain SMTP on smtp.port
        ...send to 127.0.0.1:smtp.port...
        mail = smtp.wait_for(1)[0]             # ReceivedMail, .message is parsed
        smtp.stop()                            # "down": connections are refused
        smtp.start()                           # up again, on the same port
        smtp.fail_next("451 4.3.0 Try again later", count=2)   # DATA answers
        smtp.fail_always("554 5.7.1 Message rejected")
        smtp.reject_recipient("nobody@example.org")             # 550 at RCPT
        smtp.succeed()                         # back to accepting everything

TLS: pass ``starttls=`` (offered after EHLO, required before MAIL) or
``implicit_tls=`` (TLS from the first byte), each an ``ssl.SSLContext`` such as
:func:`server_context` over :func:`make_self_signed`. ``credentials={"user":
"pass"}`` turns on AUTH (PLAIN/LOGIN); ``require_auth=True`` refuses mail
without it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


def make_self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` and 127.0.0.1, made with the openssl CLI.

    Returns ``(cert.pem, key.pem)``; the certificate is its own CA, so a client
    trusting ``cert.pem`` verifies the server for real (hostname included).
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name},IP:{HOST}"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


@dataclass
class ReceivedMail:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    login: str | None
    tls: bool


class _Handler:
    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.owner.rejected:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.owner._take(session, envelope)


class SMTPServer:
    """A real aiosmtpd server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: dict[str, str] | None = None,
        require_auth: bool = False,
    ) -> None:
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.credentials = credentials
        self.require_auth = require_auth
        self.messages: list[ReceivedMail] = []
        self.rejected: set[str] = set()
        self.port = 0
        self._failures: deque[str] = deque()
        self._always: str | None = None
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._protocols: list[SMTP] = []
        self._thread.start()

    # -- programming -------------------------------------------------------------
    def fail_next(self, answer: str, count: int = 1) -> None:
        """Answer the next ``count`` messages' DATA with ``answer`` (e.g. ``451 …``)."""
        with self._cond:
            self._failures.extend([answer] * count)

    def fail_always(self, answer: str) -> None:
        with self._cond:
            self._always = answer

    def reject_recipient(self, address: str) -> None:
        self.rejected.add(address)

    def succeed(self) -> None:
        """Forget programmed failures: accept every message again."""
        with self._cond:
            self._failures.clear()
            self._always = None
            self.rejected.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until ``count`` messages arrived; AssertionError on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            return list(self.messages)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    def stop(self) -> None:
        """Stop listening and drop open connections: clients see the server down."""
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> SMTPServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside the loop thread ----------------------------------------------------
    def _protocol(self) -> SMTP:
        protocol = SMTP(
            _Handler(self),
            hostname="stmon-test",
            loop=self._loop,
            tls_context=self.starttls,
            require_starttls=self.starttls is not None,
            authenticator=self._authenticate if self.credentials is not None else None,
            auth_required=self.require_auth,
            auth_require_tls=self.implicit_tls is None,
        )
        self._protocols.append(protocol)
        return protocol

    async def _serve(self) -> None:
        if self._server is not None:
            return
        self._server = await self._loop.create_server(
            self._protocol, HOST, self.port, ssl=self.implicit_tls, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for protocol in self._protocols:
            if protocol.transport is not None:
                protocol.transport.close()
        self._protocols.clear()
        await asyncio.sleep(0.05)  # let connection_lost run on the closed transports
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if self.credentials.get(login) != password:
            return AuthResult(success=False, handled=False)  # answered 535
        return AuthResult(success=True, auth_data=login)

    def _take(self, session: Session, envelope: Envelope) -> str:
        with self._cond:
            if self._failures:
                return self._failures.popleft()
            if self._always is not None:
                return self._always
            raw = envelope.original_content or b""
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            mail = ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=raw,
                message=parsed,
                login=session.auth_data if session.authenticated else None,
                tls=session.ssl is not None or self.implicit_tls is not None,
            )
            self.messages.append(mail)
            self._cond.notify_all()
            return f"250 2.0.0 OK queued as stmon-test-{len(self.messages)}"
