"""The channel configuration schema: what it accepts, what it rejects and where."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from monitor.config.channels import ChannelConfig, EmailChannel, LogChannel, WebhookChannel
from monitor.config.yamlload import parse_yaml, validation_errors
from monitor.errors import ConfigErrors

CHANNEL = TypeAdapter(ChannelConfig)
EMAIL = {
    "type": "email",
    "host": "smtp.example.org",
    "from": "stmon@example.org",
    "to": ["a@b.org"],
}
WEBHOOK = {"type": "webhook", "url": "https://hooks.example.org/x"}


def load(extra: dict[str, Any], base: dict[str, Any] = EMAIL) -> Any:
    return CHANNEL.validate_python({**base, **extra})


def reasons(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        CHANNEL.validate_python(data)
    return str(caught.value)


def test_yaml_channel_is_chosen_by_type() -> None:
    doc = parse_yaml(
        "type: email\nhost: smtp.example.org\nsecurity: tls\nusername: bot\npassword: s3cret\n"
        "from: 'stmon <stmon@example.org>'\nto: [ops@example.org, 'Desk <desk@example.org>']\n"
        "timezone: Asia/Seoul\nquiet_hours: 22:00-07:00\ndigest: daily\ntimeout: 45s\n",
        "channels.yaml",
    )
    channel = CHANNEL.validate_python(doc.data)
    assert isinstance(channel, EmailChannel)
    assert channel.port == 465
    assert channel.sender == "stmon <stmon@example.org>"
    assert channel.to == ["ops@example.org", "Desk <desk@example.org>"]
    assert channel.quiet_hours == (time(22, 0), time(7, 0))
    assert channel.timeout == timedelta(seconds=45)
    assert channel.password is not None and channel.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(channel)
    dumped = channel.model_dump(mode="json", by_alias=True)
    assert dumped["quiet_hours"] == "22:00-07:00"
    assert dumped["from"] == "stmon <stmon@example.org>"


@pytest.mark.parametrize(
    ("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)], ids=str
)
def test_smtp_port_defaults_by_security(security: str, port: int) -> None:
    assert load({"security": security}).port == port


def test_explicit_port_wins() -> None:
    assert load({"security": "tls", "port": 2465}).port == 2465


def test_defaults() -> None:
    webhook = load({}, WEBHOOK)
    assert isinstance(webhook, WebhookChannel)
    assert (webhook.preset, webhook.timeout, webhook.secret) == ("generic", timedelta(0, 10), None)
    assert (webhook.enabled, webhook.timezone, webhook.quiet_hours) == (True, "UTC", None)
    assert (webhook.max_per_window, webhook.window, webhook.digest) == (
        10,
        timedelta(hours=1),
        None,
    )
    assert isinstance(load({}, {"type": "log"}), LogChannel)


def test_unknown_keys_are_reported_as_config_errors() -> None:
    doc = parse_yaml("type: webhook\nurl: https://x.example/h\nsecrte: abc\n", "channels.yaml")
    with pytest.raises(ValidationError) as caught:
        CHANNEL.validate_python(doc.data)
    errors = validation_errors(doc, caught.value)
    assert isinstance(errors, ConfigErrors)
    (error,) = errors.errors
    assert (error.file, error.reason) == ("channels.yaml", "unknown key")
    assert error.key is not None and error.key.endswith("secrte")


def test_unknown_type_is_rejected() -> None:
    assert "does not match any of the expected tags" in reasons({"type": "pager"})


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"timezone": "Asia/Sеoul"}, "unknown timezone"),  # a Cyrillic e
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"timezone": "../../etc/passwd"}, "unknown timezone"),
        ({"quiet_hours": "22:00"}, "invalid quiet hours"),
        ({"quiet_hours": "25:00-07:00"}, "invalid time of day"),
        ({"quiet_hours": "22:00-22:00"}, "same time"),
        ({"quiet_hours": "late-early"}, "invalid time of day"),
        ({"max_per_window": 0}, "greater than or equal to 1"),
        ({"window": "soon"}, "invalid duration"),
        ({"digest": "weekly"}, "'hourly' or 'daily'"),
        ({"to": []}, "at least 1 item"),
        ({"to": ["not-an-address"]}, "invalid email address"),
        ({"to": ["a@"]}, "invalid email address"),
        ({"to": ["a b@example.org"]}, "invalid email address"),
        ({"to": ["a@example.org\nBcc: x@y.org"]}, "invalid email address"),
        ({"from": "stmon"}, "invalid email address"),
        ({"security": "ssl"}, "'starttls', 'tls' or 'none'"),
        ({"port": 70000}, "less than or equal to 65535"),
        ({"username": "bot"}, "username and password must be set together"),
        ({"username": "u", "password": "p", "security": "none"}, "unencrypted"),
        ({"template_dir": "/no/such/dir"}, "does not exist"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_email_settings_are_rejected(extra: dict[str, Any], reason: str) -> None:
    assert reason in reasons({**EMAIL, **extra})


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"url": "ftp://x.example/h"}, "invalid webhook url"),
        ({"url": "https:///nohost"}, "invalid webhook url"),
        ({"preset": "teams"}, "'generic', 'slack' or 'discord'"),
        ({"headers": {"Idempotency-Key": "x"}}, "set by stmon"),
        ({"headers": {"x-stmon-signature": "x"}}, "set by stmon"),
        ({"headers": {"Bad Name": "x"}}, "invalid header name"),
        ({"headers": {"X-A": "a\r\nX-B: b"}}, "line break"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_webhook_settings_are_rejected(extra: dict[str, Any], reason: str) -> None:
    assert reason in reasons({**WEBHOOK, **extra})


def test_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    channel = load({"secret_file": str(secret)}, WEBHOOK)
    assert channel.secret.get_secret_value() == "from-a-file"
    assert "set either secret or secret_file" in reasons(
        {**WEBHOOK, "secret": "x", "secret_file": str(secret)}
    )
    assert "cannot read secret_file" in reasons({**WEBHOOK, "secret_file": str(tmp_path / "no")})
    password = load({"username": "u", "password_file": str(secret)})
    assert password.password.get_secret_value() == "from-a-file"


SEOUL = {"type": "log", "timezone": "Asia/Seoul", "quiet_hours": "22:00-07:00"}


def at_seoul(text: str) -> datetime:
    return datetime.fromisoformat(text + "+09:00")


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2025-06-01T21:59", None),
        ("2025-06-01T22:00", "2025-06-02T07:00"),
        ("2025-06-01T23:30", "2025-06-02T07:00"),
        ("2025-06-02T03:00", "2025-06-02T07:00"),
        ("2025-06-02T07:00", None),
        ("2025-06-02T12:00", None),
    ],
    ids=["before", "start", "evening", "night", "end", "day"],
)
def test_quiet_hours_across_midnight_in_the_channels_timezone(now: str, until: str | None) -> None:
    channel = load({}, SEOUL)
    result = channel.quiet_until(at_seoul(now).astimezone(UTC))
    assert result == (at_seoul(until) if until else None)
    assert result is None or result.tzinfo is UTC


def test_quiet_hours_within_a_day() -> None:
    channel = load({"quiet_hours": "12:00-13:30"}, SEOUL)
    assert channel.quiet_until(at_seoul("2025-06-01T12:10")) == at_seoul("2025-06-01T13:30")
    assert channel.quiet_until(at_seoul("2025-06-01T23:10")) is None
    assert load({}, {"type": "log"}).quiet_until(at_seoul("2025-06-01T23:10")) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        channel.quiet_until(datetime(2025, 6, 1, 12, 10))
