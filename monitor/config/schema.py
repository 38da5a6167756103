"""The configuration schema: one declarative pydantic model per section.

Unknown keys are errors everywhere (``extra="forbid"``); defaults live here, grouped
by pipeline stage, with a comment per key. Cross-field rules (feed names unique,
routes naming known channels and feeds) sit in ``Config``'s model validator.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from monitor.config.channels import ChannelConfig
from monitor.config.service import ServiceSettings
from monitor.config.types import ByteSize, DatabaseURL, Duration, Timeout

_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# Publishers rarely update faster; a shorter interval only costs them (and you) traffic.
MIN_INTERVAL = timedelta(seconds=10)
MIN_PARSER_IDLE = timedelta(seconds=1)


def interval_floor(value: timedelta) -> timedelta:
    """A poll interval (``fetch.interval``, a feed's ``interval``) of ``MIN_INTERVAL`` or more."""
    if value < MIN_INTERVAL:
        raise ValueError(f"interval must be at least {MIN_INTERVAL.seconds}s")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(Strict):
    # An SQLAlchemy URL of SQLite or PostgreSQL. A relative SQLite path is relative to
    # the working directory.
    url: DatabaseURL = "sqlite:///var/stmon.db"


class LoggingSettings(Strict):
    # debug | info | warning | error
    level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: key=value on a terminal, JSON lines otherwise
    format: Literal["auto", "json", "text"] = "auto"


MIN_BODY = ByteSize(1024)


class FetchSettings(Strict):
    # How often a feed is polled unless the feed sets its own interval.
    interval: Duration = timedelta(minutes=10)
    # Random spread added to each feed's schedule so feeds do not fire together (fraction).
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    connect_timeout: Timeout = timedelta(seconds=10)
    read_timeout: Timeout = timedelta(seconds=30)
    # A response body larger than this is cut and recorded as an error (at most 4 GiB).
    max_body: ByteSize = Field(default=ByteSize(5 * 1024 * 1024), le=4 * 1024**3)
    max_redirects: int = Field(default=5, ge=0, le=20)
    # Items read from one document: the newest this many (by date) are stored.
    max_items: int = Field(default=1_000, ge=1, le=100_000)
    # Address-space limit of each parser process; a document that needs more fails
    # with "parser ran out of memory" (256 MiB to 1 TiB).
    parser_memory: ByteSize = Field(default=ByteSize(1024**3), ge=256 * 1024**2, le=1024**4)
    # A parser process with no document for this long exits (and gives its memory
    # back); the next document starts a new one.
    parser_idle: Duration = timedelta(minutes=1)
    # Fetches in flight at once, in total and per host.
    concurrency: int = Field(default=32, ge=1, le=1024)
    per_host: int = Field(default=2, ge=1, le=64)
    # After this many failures in a row a feed is shown as failing (it is still retried).
    failing_after: int = Field(default=5, ge=1)
    # Exponential backoff after failures never waits longer than this.
    max_backoff: Duration = timedelta(hours=6)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: timedelta) -> timedelta:
        return interval_floor(value)

    @field_validator("max_body")
    @classmethod
    def _max_body_floor(cls, value: ByteSize) -> ByteSize:
        if value < MIN_BODY:  # (every feed would be cut: no document is that small)
            raise ValueError(f"max_body must be at least {MIN_BODY.human_readable()}")
        return value

    @field_validator("parser_idle")
    @classmethod
    def _parser_idle_floor(cls, value: timedelta) -> timedelta:
        if value < MIN_PARSER_IDLE:  # (at 0, a parser process would start per document)
            raise ValueError(f"parser_idle must be at least {MIN_PARSER_IDLE.seconds}s")
        return value


class FeedConfig(Strict):
    name: str = Field(pattern=_NAME_PATTERN, max_length=80)
    url: HttpUrl
    interval: Duration | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else interval_floor(value)


class Route(Strict):
    # Event type ids (see docs/rules.md); "*" means every type the rules define.
    types: tuple[str, ...] = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    # immediate: one alert per article and channel (listing every event it opened or
    # changed); digest: collected into the channel's digest.
    delivery: Literal["immediate", "digest"] = "immediate"
    # Events whose best score is below this are not routed.
    min_score: float = Field(default=0.0, ge=0, le=1)


class WatchConfig(Strict):
    name: str = Field(pattern=_NAME_PATTERN, max_length=80)
    # The rules file, relative to the config file.
    rules: Path
    # "all", or feed names and "tag:NAME" selectors (one of them may stand alone).
    feeds: Annotated[
        Literal["all"] | tuple[str, ...],
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "examples": ["all", "tag:korea", "yonhap-en"]},
                    {"type": "array", "items": {"type": "string"}},
                ]
            },
            mode="validation",
        ),
    ] = "all"
    routes: tuple[Route, ...] = ()

    @field_validator("feeds", mode="before")
    @classmethod
    def _one_selector(cls, value: object) -> object:
        """``feeds: tag:korea`` (or one feed's name) is a list of one."""
        return (value,) if isinstance(value, str) and value != "all" else value


class NoveltySettings(Strict):
    # Near-duplicates and event coverage are looked for within this window.
    window: Duration = timedelta(days=7)
    # Jaccard similarity (MinHash estimate) at which two texts are the same story.
    threshold: float = Field(default=0.6, gt=0, le=1)
    # Items published longer ago than this are stored and classified but open no alert.
    backlog_age: Duration = timedelta(hours=48)
    # An announced meeting waits this long after its last coverage for a report that it
    # was held, postponed or cancelled (the rules' events.lifecycle).
    announced_window: Duration = timedelta(days=30)
    # Also alert when a known event gains a new type (off by default).
    alert_updates: bool = False


class AlertSettings(Strict):
    # A failing alert is retried until it has been failing this long, then it is dead
    # (see `stmon alerts --status dead`; re-send with `stmon alerts retry`). Permanent
    # refusals (a webhook's 4xx other than 429, an SMTP 5xx, a template that cannot
    # render) are dead at once.
    give_up_after: Duration = timedelta(hours=24)
    # Optional: also give up after this many attempts, whichever comes first (unset:
    # only give_up_after counts).
    max_attempts: int | None = Field(default=None, ge=1, le=10_000)
    # First retry delay; doubles each attempt (with jitter) up to max_delay.
    retry_delay: Duration = timedelta(seconds=30)
    max_delay: Duration = timedelta(hours=1)
    # The longest one send may take, whatever the channel (connecting, every read and
    # write, a server that answers a byte at a time): then it is a failure, retried.
    send_deadline: Timeout = timedelta(minutes=1)

    @model_validator(mode="after")
    def _check_delays(self) -> AlertSettings:
        if self.give_up_after < self.retry_delay:
            raise _located("must be at least retry_delay", "give_up_after")
        return self


class Config(Strict):
    """The whole of monitor.yaml, validated and with paths resolved."""

    storage: StorageSettings = StorageSettings()
    logging: LoggingSettings = LoggingSettings()
    fetch: FetchSettings = FetchSettings()
    feeds: tuple[FeedConfig, ...] = ()
    watches: tuple[WatchConfig, ...] = ()
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    novelty: NoveltySettings = NoveltySettings()
    alerts: AlertSettings = AlertSettings()
    service: ServiceSettings = ServiceSettings()

    @model_validator(mode="after")
    def _cross_check(self) -> Config:
        seen: set[str] = set()
        for index, feed in enumerate(self.feeds):
            if feed.name in seen:
                raise _located(f"duplicate feed name '{feed.name}'", "feeds", index, "name")
            seen.add(feed.name)
        tags = {tag for feed in self.feeds for tag in feed.tags}
        watch_names: set[str] = set()
        for w, watch in enumerate(self.watches):
            if watch.name in watch_names:
                raise _located(f"duplicate watch name '{watch.name}'", "watches", w, "name")
            watch_names.add(watch.name)
            if watch.feeds != "all":
                for f, selector in enumerate(watch.feeds):
                    if selector.startswith("tag:"):
                        if selector[4:] not in tags:
                            raise _located(
                                f"no feed has tag '{selector[4:]}'", "watches", w, "feeds", f
                            )
                    elif selector not in seen:
                        raise _located(f"unknown feed '{selector}'", "watches", w, "feeds", f)
            for r, route in enumerate(watch.routes):
                for c, channel in enumerate(route.channels):
                    if channel not in self.channels:
                        raise _located(
                            f"unknown channel '{channel}'",
                            "watches",
                            w,
                            "routes",
                            r,
                            "channels",
                            c,
                        )
        for c, channel in enumerate(self.service.source_health.alert_channels):
            if channel not in self.channels:
                raise _located(
                    f"unknown channel '{channel}'", "service", "source_health", "alert_channels", c
                )
        return self

    def feeds_of(self, watch: WatchConfig) -> tuple[FeedConfig, ...]:
        """The enabled feeds a watch covers."""
        if watch.feeds == "all":
            return tuple(f for f in self.feeds if f.enabled)
        names = {s for s in watch.feeds if not s.startswith("tag:")}
        tags = {s[4:] for s in watch.feeds if s.startswith("tag:")}
        return tuple(f for f in self.feeds if f.enabled and (f.name in names or tags & set(f.tags)))


class LocatedError(ValueError):
    """A validation error that knows the key path it belongs to (for file:line)."""

    def __init__(self, reason: str, path: tuple[str | int, ...]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def _located(reason: str, *path: str | int) -> LocatedError:
    return LocatedError(reason, path)
