"""The one error tree of stmon.

    MonitorError                  root: everything stmon raises on purpose
    ├── ConfigError               a config or rules file is wrong (carries file:line: path: reason)
    │   └── ConfigErrors          several ConfigErrors found in one validation pass
    ├── FetchError                a feed could not be fetched
    │   ├── FetchTimeout
    │   ├── HTTPStatusError       a 4xx/5xx answer (carries status, retry_after)
    │   ├── BodyTooLarge
    │   └── TooManyRedirects
    ├── ParseError                a body was fetched but holds no usable feed
    ├── StoreError                the database is unreachable or out of date
    │   └── SchemaOutdated        migrations are pending: run `stmon db upgrade`
    └── DeliveryError             an alert channel refused or failed (carries retry_after)

Each error has a one-line ``hint`` telling the user what to do about it. Foreign
exceptions (httpx, SQLAlchemy, smtplib) are translated into this tree once, at the
boundary of the module that calls the foreign library.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable


class MonitorError(Exception):
    """Root of every error stmon raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(MonitorError):
    """A config or rules file is wrong; formats as ``file:line: key.path: reason``."""

    hint = "fix the file and run `stmon check` again"

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.key = key
        if hint is None and file:  # the check to run again is that file's
            hint = f"fix the file and run `stmon check {shlex.quote(file)}` again"
        super().__init__(self._format(), hint=hint)

    def _format(self) -> str:
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (where, self.key) if p]
        parts.append(self.reason)
        return ": ".join(parts)


def cannot_listen(source: str, host: str, port: int, exc: OSError, hint: str) -> ConfigError:
    """The error for an address (given in ``source``) a server cannot listen on."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return ConfigError(f"{source}: cannot listen on {host}:{port}: {reason}", hint=hint)


class ConfigErrors(ConfigError):
    """Several problems found in one pass; ``errors`` holds each of them in file order."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file or "", e.line or 0, e.key or ""))
        first = self.errors[0]
        hints = {e.hint for e in self.errors}
        files = {e.file for e in self.errors}
        super().__init__(
            first.reason,
            file=first.file,
            line=first.line,
            key=first.key,
            # several hints: the general one, which names the file when there is one
            hint=hints.pop() if len(hints) == 1 else (None if len(files) == 1 else self.hint),
        )

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class FetchError(MonitorError):
    """A feed could not be fetched."""

    hint = "the feed will be retried with backoff; check the URL if it keeps failing"

    def __init__(self, message: str, *, url: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.retry_after = retry_after


class FetchTimeout(FetchError):
    """Connecting to or reading from the server took too long."""


class HTTPStatusError(FetchError):
    """The server answered with a 4xx or 5xx status."""

    def __init__(
        self, message: str, *, url: str = "", status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url, retry_after=retry_after)
        self.status = status


class BodyTooLarge(FetchError):
    """The response body passed the configured size cap and was cut."""


class TooManyRedirects(FetchError):
    """The redirect chain was longer than the limit, or looped."""


class ParseError(MonitorError):
    """A body was fetched but holds no usable feed."""

    hint = "check that the URL points at an RSS, Atom or JSON feed, not a web page"


class StoreError(MonitorError):
    """The database is unreachable or unusable."""


class SchemaOutdated(StoreError):
    """The database schema is older than this version of stmon."""

    hint = "run `stmon db upgrade` to apply the pending migrations"


class DeliveryError(MonitorError):
    """An alert channel refused or failed to take an alert."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
