"""Alert channel configuration: where alerts go and how often.

One schema per channel ``type`` (``email``, ``webhook``, ``log``), chosen by the
``type`` key. Every channel shares the pacing keys:

    enabled         false keeps the channel configured but sends nothing
    timezone        IANA zone used to show times (``Asia/Seoul``); default UTC
    quiet_hours     ``22:00-07:00`` in the channel's timezone: alerts are held, then sent
    max_per_window  immediate alerts per ``window`` before the rest is folded into one
    window          the storm-control window (``1h``)
    digest          ``hourly`` or ``daily`` to receive digests on this channel

Secrets (``password``, ``secret``) may instead be read from a file with the
``password_file`` / ``secret_file`` twins, so they stay out of the config file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from monitor.config.types import (
    CLOCK_PATTERN,
    CLOCK_SCHEMA,
    ClockTime,
    Duration,
    Secret,
    Timeout,
    parse_clock,
)

DEFAULT_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# headers stmon sets itself; a channel may not override them
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "idempotency-key"}
    | {"x-stmon-timestamp", "x-stmon-signature"}
)
_ADDRESS = re.compile(
    r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*"
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_address(value: str) -> str:
    """``a@example.org`` or ``Name <a@example.org>``; returned unchanged when valid."""
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise ValueError(f"invalid email address '{value}'")
    _name, addr = parseaddr(value)
    if not addr or not _ADDRESS.fullmatch(addr):
        raise ValueError(f"invalid email address '{value}'")
    return value


def check_timezone(value: str) -> str:
    """An IANA zone name that this system knows (``Asia/Seoul``, ``UTC``)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone '{value}' (use an IANA name, e.g. Asia/Seoul)"
        ) from None
    return value


def parse_quiet_hours(value: Any) -> Any:
    """``"22:00-07:00"`` (or a two-item list) as ``(start, end)`` times of day."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split("-")
        if len(parts) != 2:
            raise ValueError(f"invalid quiet hours '{value}' (use HH:MM-HH:MM, e.g. 22:00-07:00)")
        value = parts
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"invalid quiet hours '{value}' (use HH:MM-HH:MM, e.g. 22:00-07:00)")
    start, end = parse_clock(value[0]), parse_clock(value[1])
    if start == end:
        raise ValueError("quiet hours start and end at the same time")
    return (start, end)


def _format_quiet_hours(value: tuple[time, time] | None) -> str | None:
    if value is None:
        return None
    return f"{value[0]:%H:%M}-{value[1]:%H:%M}"


EmailAddress = Annotated[str, AfterValidator(check_address)]
Timezone = Annotated[str, AfterValidator(check_timezone)]
_CLOCK = CLOCK_PATTERN.removeprefix("^").removesuffix("$")
QUIET_HOURS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": f"^{_CLOCK}-{_CLOCK}$", "examples": ["22:00-07:00"]},
        {"type": "array", "minItems": 2, "maxItems": 2, "items": CLOCK_SCHEMA},
        {"type": "null"},
    ]
}
QuietHours = Annotated[
    tuple[ClockTime, ClockTime] | None,
    BeforeValidator(parse_quiet_hours),
    PlainSerializer(_format_quiet_hours, return_type=str | None),
    WithJsonSchema(QUIET_HOURS_SCHEMA, mode="validation"),
]


def _file_twin(key: str) -> Callable[[dict[str, Any]], None]:
    """The JSON Schema of ``<key>_file``, which the loader reads in place of ``<key>``."""

    def extra(schema: dict[str, Any]) -> None:
        twin = f"{key}_file"
        schema["properties"][twin] = {
            "type": "string",
            "title": twin.replace("_", " ").title(),
            "description": f"a file whose first line is the {key} (instead of {key})",
        }
        schema["not"] = {"required": [key, twin]}

    return extra


def _read_secret_file(data: Any, key: str) -> Any:
    """Replace ``<key>_file`` by ``<key>`` holding the file's first line."""
    twin = f"{key}_file"
    if not isinstance(data, dict) or data.get(twin) is None:
        return data
    if data.get(key) is not None:
        raise ValueError(f"set either {key} or {twin}, not both")
    path = Path(str(data[twin]))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {twin} '{path}': {exc.strerror}") from None
    lines = text.splitlines()
    out = {k: v for k, v in data.items() if k != twin}
    out[key] = lines[0] if lines else ""
    return out


class ChannelBase(BaseModel):
    """Keys every channel has: switch, timezone and pacing."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    enabled: bool = True
    timezone: Timezone = "UTC"
    quiet_hours: QuietHours = None
    max_per_window: int = Field(10, ge=1)
    window: Duration = timedelta(hours=1)
    digest: Literal["hourly", "daily"] | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet period holding ``now`` ends (aware UTC), or None if not quiet."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        if start < end:
            quiet = start <= clock < end
        else:
            quiet = clock >= start or clock < end
        if not quiet:
            return None
        day = local.date() if clock < end else local.date() + timedelta(days=1)
        until = datetime.combine(day, end, tzinfo=self.zone)
        return until.astimezone(UTC)


class EmailChannel(ChannelBase):
    """SMTP delivery of multipart (text + HTML) email."""

    model_config = ConfigDict(json_schema_extra=_file_twin("password"))
    type: Literal["email"]
    host: str = Field(min_length=1)
    security: Literal["starttls", "tls", "none"] = "starttls"
    port: int = Field(DEFAULT_SMTP_PORTS["starttls"], ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    sender: EmailAddress = Field(alias="from")
    to: list[EmailAddress] = Field(min_length=1)
    timeout: Timeout = timedelta(seconds=30)
    ca_file: Path | None = None
    template_dir: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        data = _read_secret_file(data, "password")
        if isinstance(data, dict) and data.get("port") is None:
            security = data.get("security", "starttls")
            data = {**data, "port": DEFAULT_SMTP_PORTS.get(str(security), 587)}
        return data

    @field_validator("template_dir", "ca_file")
    @classmethod
    def _exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"'{value}' does not exist")
        return value

    @model_validator(mode="after")
    def _auth(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be set together")
        if self.username is not None and self.security == "none":
            raise ValueError(
                "login over an unencrypted connection would expose the password; "
                "use security: starttls or tls"
            )
        return self


class WebhookChannel(ChannelBase):
    """HTTP POST of a JSON payload, optionally signed with HMAC-SHA256."""

    model_config = ConfigDict(json_schema_extra=_file_twin("secret"))
    type: Literal["webhook"]
    url: str
    preset: Literal["generic", "slack", "discord"] = "generic"
    headers: dict[str, str] = Field(default_factory=dict)
    secret: Secret | None = None
    timeout: Timeout = timedelta(seconds=10)

    @model_validator(mode="before")
    @classmethod
    def _secret_file(cls, data: Any) -> Any:
        return _read_secret_file(data, "secret")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid webhook url '{value}' (use http:// or https://)")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"invalid header name '{name}'")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"header '{name}' is set by stmon and cannot be overridden")
            if "\n" in text or "\r" in text:
                raise ValueError(f"header '{name}' holds a line break")
        return value


class LogChannel(ChannelBase):
    """Writes alerts to the log: for trying stmon without a mail server."""

    type: Literal["log"]
    level: Literal["debug", "info", "warning", "error"] = "info"


ChannelConfig = Annotated[EmailChannel | WebhookChannel | LogChannel, Field(discriminator="type")]
