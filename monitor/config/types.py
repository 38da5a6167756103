"""Small value types shared by the config schemas: durations, sizes, clock times.

Each type that YAML gives as a string (``10m``, ``5MB``, ``22:00``) says so in the JSON
Schema that ``stmon schema`` writes (validation mode): the schema accepts what the
loader accepts. ``ConfigJsonSchema`` writes defaults the way a config file spells them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, SecretStr, WithJsonSchema
from pydantic import ByteSize as ByteSize  # ``5MB``, ``512KiB``, ``1.5GB`` or a number of bytes
from pydantic.json_schema import GenerateJsonSchema

_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The same languages for JSON Schema (ECMA-262 patterns, no flags: both cases spelled out).
DURATION_PATTERN = r"^\s*(?:(?:\d+(?:\.\d+)?(?:[mM][sS]|[sSmMhHdDwW]))+|\d+(?:\.\d+)?)\s*$"
CLOCK_PATTERN = r"^\s*(?:[01]?\d|2[0-3]):[0-5]\d\s*$"
# The longest duration anything takes (about a century): a time that far back or ahead is
# still a date, so "now - window" or "now - since" cannot overflow.
MAX_DURATION = timedelta(days=36_500)


def parse_duration(value: Any) -> timedelta:
    """``90s``, ``10m``, ``1h``, ``7d``, ``1h30m`` (or a number of seconds) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        seconds = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if _DURATION.fullmatch(text):
            seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))
        elif _SECONDS.fullmatch(text):  # a number of seconds, given as text ("600")
            seconds = float(text)
    if seconds is None:
        raise ValueError(f"invalid duration '{value}' (use e.g. 90s, 10m, 1h, 7d)")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration '{value}' is too long (at most {MAX_DURATION.days:,}d)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_clock(value: Any) -> time:
    """``22:00`` as a time of day."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads 22:00 as the sexagesimal number 1320
        return time(value // 60, value % 60)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"invalid time of day '{value}' (use HH:MM, e.g. 22:00)")


# The databases stmon stores its data in, named by the scheme of an SQLAlchemy URL:
# sqlite:///path, postgresql://user@host/db, postgresql+psycopg://... (the store says what
# else is wrong with a URL when it opens it: a driver that is not installed, a bad host).
DATABASE_KINDS = ("sqlite", "postgresql")
DATABASE_URL_EXAMPLES = "sqlite:///path/to/stmon.db or postgresql://user@host/db"
# (for JSON Schema, which sees the file as written: a ${VAR} reference passes too)
DATABASE_URL_PATTERN = r"^(?:(?:sqlite|postgresql)(?:\+[A-Za-z0-9_]+)?://|\$\{)"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def check_database_url(value: str) -> str:
    """``value`` when it is a URL of a database stmon can store its data in."""
    scheme = _SCHEME.match(value)
    if scheme is None:  # (the value is not repeated: it may hold a password)
        raise ValueError(f"not a database URL: give {DATABASE_URL_EXAMPLES}")
    kind = scheme.group(1).split("+")[0]
    if kind not in DATABASE_KINDS:
        raise ValueError(f"'{kind}' is not a database stmon can use: give {DATABASE_URL_EXAMPLES}")
    return value


def longer_than_zero(value: timedelta) -> timedelta:
    """A timeout: 0s would time out before anything began."""
    if value <= timedelta(0):
        raise ValueError("a timeout must be longer than 0s")
    return value


def _at_least(count: int, what: str) -> Callable[[SecretStr], SecretStr]:
    """A check that a secret has ``count`` characters or more (its value never shown)."""

    def check(value: SecretStr) -> SecretStr:
        length = len(value.get_secret_value())
        if length == 0:
            raise ValueError(f"{what} is empty")
        if length < count:
            raise ValueError(f"{what} needs at least {count} characters, not {length}")
        return value

    return check


def _secret_schema(least: int) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "minLength": least, "format": "password", "writeOnly": True},
        mode="validation",
    )


DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": DURATION_PATTERN, "examples": ["90s", "10m", "1h30m"]},
        {"type": "number", "minimum": 0, "description": "seconds"},
    ]
}
CLOCK_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": CLOCK_PATTERN, "examples": ["22:00"]},
        {"type": "integer", "minimum": 0, "maximum": 24 * 60 - 1, "description": "minutes"},
    ]
}

DatabaseURL = Annotated[
    str,
    AfterValidator(check_database_url),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DATABASE_URL_PATTERN,
            "examples": ["sqlite:///var/stmon.db", "postgresql://stmon@localhost/stmon"],
        },
        mode="validation",
    ),
]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(DURATION_SCHEMA, mode="validation"),
]
# a duration that must be longer than 0s (connect, read and send timeouts)
Timeout = Annotated[Duration, AfterValidator(longer_than_zero)]
# a signing secret (an empty one would sign with an empty key) and a web token
Secret = Annotated[SecretStr, AfterValidator(_at_least(1, "the secret")), _secret_schema(1)]
Token = Annotated[SecretStr, AfterValidator(_at_least(16, "a token")), _secret_schema(16)]
ClockTime = Annotated[
    time,
    BeforeValidator(parse_clock),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema(CLOCK_SCHEMA, mode="validation"),
]


class ConfigJsonSchema(GenerateJsonSchema):
    """JSON Schema of config files: defaults written as a config file spells them."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        if isinstance(dft, time):
            return dft.strftime("%H:%M")
        return super().encode_default(dft)
