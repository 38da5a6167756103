"""The email channel: multipart text + HTML over SMTP (STARTTLS, implicit TLS or plain).

smtplib runs in a worker thread (``asyncio.to_thread``). The ``Message-ID`` is
built from the alert's idempotency key, so a message re-sent after a crash
carries the same id and a careful receiver can drop the copy. smtplib and
socket failures become ``DeliveryError``: 5xx answers are permanent, 4xx answers
and connection problems are worth retrying.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from monitor.alert.channels.base import DeliveryReceipt
from monitor.alert.message import AlertMessage
from monitor.alert.render import render_email
from monitor.clock import utcnow
from monitor.config.channels import EmailChannel
from monitor.errors import DeliveryError

log = logging.getLogger(__name__)
_ID_SAFE = re.compile(r"[^A-Za-z0-9.\-_+=]")


def message_id(idempotency_key: str, sender: str) -> str:
    """``<stmon.KEY@sender-domain>``: the same key always gives the same id."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "stmon.invalid"
    key = _ID_SAFE.sub("-", idempotency_key)
    if key != idempotency_key or len(key) > 100:
        key = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<stmon.{key}@{domain}>"


def build_message(msg: AlertMessage, config: EmailChannel, now: datetime) -> EmailMessage:
    """The multipart/alternative email for ``msg`` (text first, HTML preferred)."""
    subject, text, html = render_email(msg, config)
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = config.sender
    email["To"] = ", ".join(config.to)
    email["Date"] = format_datetime(now.astimezone(UTC))
    email["Message-ID"] = message_id(msg.idempotency_key, config.sender)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Stmon-Event-Id"] = msg.event_id or "-"
    email["X-Stmon-Alert-Kind"] = msg.kind
    email.set_content(text, cte="quoted-printable")
    email.add_alternative(html, subtype="html", cte="quoted-printable")
    return email


def _response(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(body.split())}".strip()


def _error(exc: BaseException, host: str) -> DeliveryError:
    """Translate an smtplib/socket/ssl failure into a DeliveryError."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = [_response(c, t) for c, t in exc.recipients.values()]
        permanent = all(c >= 500 for c, _ in exc.recipients.values())
        return DeliveryError(f"all recipients refused: {'; '.join(answers)}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = _response(exc.smtp_code, exc.smtp_error)
        return DeliveryError(f"SMTP server said: {answer}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"SMTP server {host}: {exc}", permanent=True)
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"TLS with {host} failed: {exc}")
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"SMTP server {host} timed out")
    if isinstance(exc, smtplib.SMTPException | OSError):
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return DeliveryError(f"cannot talk to SMTP server {host}: {reason}")
    raise exc


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye; once the message is accepted a rude goodbye changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class _Abort:
    """Stops an SMTP conversation from another thread: ``fire`` shuts the connection's
    socket down (a blocked read or write then fails at once), again every
    ``ABORT_EVERY`` seconds until the conversation has ended, so a socket the
    conversation opens after ``fire`` is shut down too."""

    ABORT_EVERY = 0.1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._smtp: smtplib.SMTP | None = None
        self._fired = threading.Event()
        self._ended = threading.Event()

    def watch(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            self._smtp = smtp

    def end(self) -> None:
        self._ended.set()

    def fire(self) -> None:
        if not self._fired.is_set():
            self._fired.set()
            threading.Thread(target=self._shut_down, name="smtp-abort", daemon=True).start()

    def _shut_down(self) -> None:
        while True:
            with self._lock:
                sock = self._smtp.sock if self._smtp is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed: nothing left to stop
                    sock.shutdown(socket.SHUT_RDWR)
            if self._ended.wait(self.ABORT_EVERY):
                return


class _WatchedSMTP(smtplib.SMTP):
    """An SMTP connection that ``abort`` can shut down, its greeting included."""

    def __init__(self, abort: _Abort, host: str, port: int, timeout: float) -> None:
        abort.watch(self)  # before connecting: the constructor reads the greeting
        super().__init__(host, port, timeout=timeout)


class _WatchedSMTPSSL(smtplib.SMTP_SSL):
    """An implicit-TLS SMTP connection that ``abort`` can shut down."""

    def __init__(
        self, abort: _Abort, host: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        abort.watch(self)
        super().__init__(host, port, timeout=timeout, context=context)


class EmailSender:
    """Sends alerts as email through one SMTP server."""

    def __init__(
        self,
        name: str,
        config: EmailChannel,
        *,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock or utcnow
        self._ssl = ssl_context

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            ca = str(self.config.ca_file) if self.config.ca_file else None
            self._ssl = ssl.create_default_context(cafile=ca)
        return self._ssl

    async def send(self, msg: AlertMessage) -> DeliveryReceipt:
        """Send ``msg``; when the caller gives up (a deadline cancels this), the SMTP
        connection is shut down so the worker thread ends at its next read or write."""
        email = build_message(msg, self.config, self._clock())
        abort = _Abort()
        try:
            detail = await asyncio.to_thread(self._deliver, email, abort)
        except asyncio.CancelledError:
            abort.fire()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            error = _error(exc, self.config.host)
            log.warning(
                "email_failed channel=%s alert=%s permanent=%s reason=%s",
                self.name,
                msg.alert_id,
                error.permanent,
                error.message,
            )
            raise error from exc
        return DeliveryReceipt(detail=detail)

    def _connect(self, abort: _Abort) -> smtplib.SMTP:
        cfg = self.config
        timeout = cfg.timeout.total_seconds()
        if cfg.security == "tls":
            smtp: smtplib.SMTP = _WatchedSMTPSSL(
                abort, cfg.host, cfg.port, timeout, self._context()
            )
        else:
            smtp = _WatchedSMTP(abort, cfg.host, cfg.port, timeout)
        try:
            if cfg.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._context())
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _deliver(self, email: EmailMessage, abort: _Abort) -> str:
        """Send in this thread; return the server's answer to the message data."""
        try:
            smtp = self._connect(abort)
            try:
                if self.config.username and self.config.password:
                    smtp.login(self.config.username, self.config.password.get_secret_value())
                return self._transmit(smtp, email)
            finally:
                _close(smtp)
        finally:
            abort.end()

    def _transmit(self, smtp: smtplib.SMTP, email: EmailMessage) -> str:
        sender = parseaddr(self.config.sender)[1]
        code, text = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for rcpt in (parseaddr(to)[1] for to in self.config.to):
            code, text = smtp.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = (code, text)
        if len(refused) == len(self.config.to):
            raise smtplib.SMTPRecipientsRefused(refused)
        code, text = smtp.data(email.as_bytes(policy=SMTP_POLICY))
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        answer = _response(code, text)
        if refused:
            gone = "; ".join(f"{r}: {_response(c, t)}" for r, (c, t) in refused.items())
            log.warning("email_partly_refused channel=%s refused=%s", self.name, gone)
            answer += f" (refused: {gone})"
        return answer
