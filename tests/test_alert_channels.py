"""Alert channels against real servers on 127.0.0.1: aiosmtpd and an HTTP receiver."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.alert.channels import (
    Channel,
    EmailSender,
    LogSender,
    WebhookSender,
    make_channel,
    verify_signature,
)
from monitor.alert.channels.email import message_id
from monitor.alert.message import AlertMessage
from monitor.config.channels import EmailChannel, LogChannel, WebhookChannel
from monitor.errors import DeliveryError
from tests.support.alerts import HOSTILE, make_message
from tests.support.smtp import SMTPServer, make_self_signed, server_context
from tests.support.webhook import Reply, WebhookReceiver

NOW = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
SECRET = "whsec-test-0123456789"


def clock() -> datetime:
    return NOW


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hook:
        yield hook


def email_config(port: int, **extra: Any) -> EmailChannel:
    data = {"type": "email", "host": "127.0.0.1", "port": port, "security": "none"}
    data |= {"from": "stmon <stmon@example.org>", "to": ["ops@example.org", "desk@example.org"]}
    return EmailChannel.model_validate(data | extra)


def webhook_config(url: str, **extra: Any) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url": url, **extra})


def send(channel: Channel, msg: AlertMessage | None = None) -> str:
    return asyncio.run(channel.send(msg or make_message())).detail


def send_error(channel: Channel, msg: AlertMessage | None = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        asyncio.run(channel.send(msg or make_message()))
    return caught.value


# -- email -----------------------------------------------------------------------------


def test_email_arrives_as_a_well_formed_multipart_message(smtp: SMTPServer) -> None:
    channel = EmailSender("mail", email_config(smtp.port), clock=clock)
    detail = send(channel)
    (mail,) = smtp.wait_for(1)
    assert detail == "250 2.0.0 OK queued as stmon-test-1"
    assert mail.mail_from == "stmon@example.org"
    assert mail.rcpt_tos == ["ops@example.org", "desk@example.org"]
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == (
        "[stmon] Summit announced: Lee and Ishiba to meet in Tokyo next month"
    )
    assert message["From"] == "stmon <stmon@example.org>"
    assert message["To"] == "ops@example.org, desk@example.org"
    assert message["Message-ID"] == "<stmon.stmon-a-1@example.org>"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Stmon-Event-Id"] == "ev-20250601-summit"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "First seen: 2025-06-01 09:30 UTC" in text.get_content()
    assert html.get_content_type() == "text/html"
    assert '<a href="https://en.yna.co.kr/view/1">' in html.get_content()


def test_a_resent_alert_keeps_its_message_id(smtp: SMTPServer) -> None:
    channel = EmailSender("mail", email_config(smtp.port))
    send(channel)
    send(channel)
    send(channel, make_message(idempotency_key="stmon-a-2"))
    first, second, other = smtp.wait_for(3)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert other.message["Message-ID"] != first.message["Message-ID"]


def test_message_id_is_safe_for_any_key() -> None:
    odd = message_id("key with spaces <and> brackets@x", "a@example.org")
    assert odd == message_id("key with spaces <and> brackets@x", "a@example.org")
    assert odd.startswith("<stmon.") and odd.endswith("@example.org>")
    assert " " not in odd and odd.count("<") == 1 and odd.count("@") == 1


def test_hostile_headline_cannot_inject_headers_and_html_is_escaped(smtp: SMTPServer) -> None:
    msg = make_message(headline="Hi\r\nBcc: victim@example.org\r\n\r\n" + HOSTILE)
    send(EmailSender("mail", email_config(smtp.port)), msg)
    (mail,) = smtp.wait_for(1)
    assert mail.message["Bcc"] is None
    assert mail.rcpt_tos == ["ops@example.org", "desk@example.org"]
    html = mail.message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()


def test_non_ascii_text_survives_the_trip(smtp: SMTPServer) -> None:
    msg = make_message(headline="한일 정상회담 開催へ", summary="이재명 대통령 · 石破首相")
    send(EmailSender("mail", email_config(smtp.port)), msg)
    (mail,) = smtp.wait_for(1)
    assert mail.message["Subject"] == "[stmon] Summit announced: 한일 정상회담 開催へ"
    assert all(b < 128 for b in mail.data)  # encoded for any 7-bit relay
    plain = mail.message.get_body(("plain",))
    assert plain is not None and "이재명 대통령 · 石破首相" in plain.get_content()


def test_starttls_with_auth(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with SMTPServer(starttls=server_context(cert, key), credentials={"alice": "pw"}) as server:
        config = email_config(
            server.port, security="starttls", ca_file=str(cert), username="alice", password="pw"
        )
        assert send(make_channel("mail", config)).startswith("250 ")
        (mail,) = server.wait_for(1)
    assert (mail.tls, mail.login) == (True, "alice")


def test_implicit_tls_with_auth(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with SMTPServer(implicit_tls=server_context(cert, key), credentials={"bob": "pw"}) as server:
        config = email_config(
            server.port, security="tls", ca_file=str(cert), username="bob", password="pw"
        )
        send(make_channel("mail", config))
        (mail,) = server.wait_for(1)
    assert (mail.tls, mail.login) == (True, "bob")


def test_wrong_password_is_permanent(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with SMTPServer(starttls=server_context(cert, key), credentials={"alice": "pw"}) as server:
        config = email_config(
            server.port, security="starttls", ca_file=str(cert), username="alice", password="no"
        )
        error = send_error(make_channel("mail", config))
        assert server.messages == []
    assert error.permanent
    assert "535" in error.message


def test_untrusted_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with SMTPServer(starttls=server_context(cert, key)) as server:
        error = send_error(make_channel("mail", email_config(server.port, security="starttls")))
        assert server.messages == []
    assert not error.permanent
    assert "certificate verify failed" in error.message


def test_server_down_then_up(smtp: SMTPServer) -> None:
    channel = EmailSender("mail", email_config(smtp.port))
    smtp.stop()
    error = send_error(channel)
    assert not error.permanent
    assert "cannot talk to SMTP server 127.0.0.1" in error.message
    smtp.start()
    send(channel)
    assert len(smtp.wait_for(1)) == 1


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [("451 4.3.0 Try again later", False), ("554 5.7.1 Message rejected as spam", True)],
    ids=["4xx-temporary", "5xx-permanent"],
)
def test_smtp_answers_decide_whether_to_retry(
    smtp: SMTPServer, answer: str, permanent: bool
) -> None:
    smtp.fail_next(answer)
    channel = EmailSender("mail", email_config(smtp.port))
    error = send_error(channel)
    assert error.permanent is permanent
    assert error.message == f"SMTP server said: {answer}"
    send(channel)  # the next attempt goes through
    assert len(smtp.wait_for(1)) == 1


def test_one_refused_recipient_does_not_stop_the_others(smtp: SMTPServer) -> None:
    smtp.reject_recipient("desk@example.org")
    detail = send(EmailSender("mail", email_config(smtp.port)))
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["ops@example.org"]
    assert "refused: desk@example.org: 550 5.1.1 No such user here" in detail


def test_all_recipients_refused_is_permanent(smtp: SMTPServer) -> None:
    smtp.reject_recipient("ops@example.org")
    smtp.reject_recipient("desk@example.org")
    error = send_error(EmailSender("mail", email_config(smtp.port)))
    assert error.permanent
    assert "all recipients refused" in error.message
    assert smtp.messages == []


# -- webhook ---------------------------------------------------------------------------


def test_signed_webhook_arrives_and_verifies(receiver: WebhookReceiver) -> None:
    config = webhook_config(receiver.url, secret=SECRET, headers={"Authorization": "Bearer t"})
    detail = send(WebhookSender("hook", config, clock=clock))
    (request,) = receiver.wait_for(1)
    assert detail == '200 OK: {"ok": true}'
    assert request.method == "POST" and request.path == "/hook"
    assert request.header("Content-Type") == "application/json"
    assert request.header("Idempotency-Key") == "stmon-a-1"
    assert request.header("Authorization") == "Bearer t"
    assert (request.header("User-Agent") or "").startswith("stmon/")
    timestamp = request.header("X-Stmon-Timestamp")
    signature = request.header("X-Stmon-Signature")
    assert timestamp == str(int(NOW.timestamp()))
    assert signature is not None and signature.startswith("sha256=")
    assert verify_signature(SECRET, timestamp, request.body, signature, now=NOW)
    payload = request.json()
    assert payload["version"] == 1
    assert payload["event"]["id"] == "ev-20250601-summit"


def signed_request(receiver: WebhookReceiver) -> tuple[str, bytes, str]:
    send(WebhookSender("hook", webhook_config(receiver.url, secret=SECRET), clock=clock))
    (request,) = receiver.wait_for(1)
    return (
        request.header("X-Stmon-Timestamp") or "",
        request.body,
        request.header("X-Stmon-Signature") or "",
    )


def test_tampered_body_fails_verification(receiver: WebhookReceiver) -> None:
    timestamp, body, signature = signed_request(receiver)
    tampered = body.replace(b"Tokyo", b"Seoul")
    assert tampered != body
    assert verify_signature(SECRET, timestamp, body, signature, now=NOW)
    assert not verify_signature(SECRET, timestamp, tampered, signature, now=NOW)
    assert not verify_signature("another-secret", timestamp, body, signature, now=NOW)
    moved = str(int(timestamp) + 1)
    assert not verify_signature(SECRET, moved, body, signature, now=NOW)


def test_replayed_request_is_rejected_once_stale(receiver: WebhookReceiver) -> None:
    timestamp, body, signature = signed_request(receiver)
    later = NOW + timedelta(seconds=299)
    assert verify_signature(SECRET, timestamp, body, signature, now=later)
    stale = NOW + timedelta(seconds=301)
    assert not verify_signature(SECRET, timestamp, body, signature, now=stale)
    assert not verify_signature(SECRET, timestamp, body, signature, now=stale.timestamp())
    early = NOW - timedelta(seconds=301)  # a timestamp from the future is no better
    assert not verify_signature(SECRET, timestamp, body, signature, now=early)
    assert verify_signature(SECRET, timestamp, body, signature, now=stale, tolerance=600)
    assert not verify_signature(SECRET, "nonsense", body, signature, now=NOW)


def test_unsigned_webhook_has_no_signature_headers(receiver: WebhookReceiver) -> None:
    send(WebhookSender("hook", webhook_config(receiver.url)))
    (request,) = receiver.wait_for(1)
    assert request.header("X-Stmon-Signature") is None
    assert request.header("X-Stmon-Timestamp") is None
    assert request.header("Idempotency-Key") == "stmon-a-1"


def test_500_then_200_is_retryable_and_keeps_the_idempotency_key(
    receiver: WebhookReceiver,
) -> None:
    receiver.program(Reply(500, b"boom"), then=Reply(200, b"ok"))
    channel = WebhookSender("hook", webhook_config(receiver.url))
    error = send_error(channel)
    assert not error.permanent
    assert error.message == "webhook answered 500 Internal Server Error: boom"
    assert send(channel) == "200 OK: ok"
    first, second = receiver.wait_for(2)
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key") == "stmon-a-1"


def test_permanent_400(receiver: WebhookReceiver) -> None:
    receiver.program(then=Reply(400, b'{"error": "bad payload"}'))
    channel = WebhookSender("hook", webhook_config(receiver.url))
    for _ in range(2):
        error = send_error(channel)
        assert error.permanent
        assert error.message == 'webhook answered 400 Bad Request: {"error": "bad payload"}'


@pytest.mark.parametrize(
    ("reply", "retry_after"),
    [
        (Reply(429, headers={"Retry-After": "7"}), 7.0),
        (Reply(503, headers={"Retry-After": "Sun, 01 Jun 2025 10:02:00 GMT"}), 120.0),
        (Reply(502), None),
    ],
    ids=["429-seconds", "503-http-date", "502-none"],
)
def test_retry_after_is_honoured(
    receiver: WebhookReceiver, reply: Reply, retry_after: float | None
) -> None:
    receiver.program(reply)
    error = send_error(WebhookSender("hook", webhook_config(receiver.url), clock=clock))
    assert not error.permanent
    assert error.retry_after == retry_after


def test_redirect_is_not_followed_and_is_permanent(receiver: WebhookReceiver) -> None:
    receiver.program(Reply(301, headers={"Location": "http://127.0.0.1:1/elsewhere"}))
    error = send_error(WebhookSender("hook", webhook_config(receiver.url)))
    assert error.permanent
    assert len(receiver.requests) == 1


def test_timeout_and_refused_connection_are_temporary(receiver: WebhookReceiver) -> None:
    receiver.program(Reply(200, delay=5.0))
    slow = WebhookSender("hook", webhook_config(receiver.url, timeout="0.2s"))
    error = send_error(slow)
    assert not error.permanent and "timed out" in error.message
    receiver.stop()
    error = send_error(WebhookSender("hook", webhook_config(receiver.url)))
    assert not error.permanent and "unreachable" in error.message


def test_shared_client_and_presets(receiver: WebhookReceiver) -> None:
    async def run() -> None:
        async with httpx.AsyncClient() as client:
            for preset in ("slack", "discord"):
                config = webhook_config(receiver.url, preset=preset)
                await make_channel(preset, config, client=client).send(make_message())
            assert not client.is_closed

    asyncio.run(run())
    slack_request, discord_request = receiver.wait_for(2)
    assert set(slack_request.json()) == {"text", "blocks"}
    assert discord_request.json()["allowed_mentions"] == {"parse": []}


# -- log and factory -------------------------------------------------------------------


def test_log_channel_writes_one_line(caplog: pytest.LogCaptureFixture) -> None:
    config = LogChannel(type="log", level="warning", timezone="Asia/Seoul")
    with caplog.at_level(logging.INFO, logger="monitor.alert.channels.log"):
        detail = send(LogSender("console", config))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert line.startswith("alert channel=console kind=event event=ev-20250601-summit")
    assert "2025-06-01 18:30 KST" in line
    assert "'Lee and Ishiba to meet in Tokyo next month'" in line
    assert detail == "logged at WARNING by monitor.alert.channels.log"


def test_make_channel_builds_the_right_sender() -> None:
    email = email_config(25)
    assert isinstance(make_channel("m", email), EmailSender)
    assert isinstance(make_channel("w", webhook_config("http://127.0.0.1:1/")), WebhookSender)
    log_channel = make_channel("l", LogChannel(type="log"))
    assert isinstance(log_channel, LogSender) and log_channel.name == "l"
