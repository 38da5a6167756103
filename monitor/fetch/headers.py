"""When to come back to a feed: the server's hints, and backoff after failures.

All functions are pure. The header parsers are forgiving: a header that is absent or
malformed gives ``None`` (no hint), never an exception, because a publisher's typo must
not stop a poll. ``monitor.fetch.client`` re-exports ``next_check_delay`` and ``backoff_delay``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

HINT_CEILING = 24 * 3600.0  # a server's hints never push a check further out than a day
BACKOFF_JITTER = 0.2  # a backoff delay is shortened by up to 20 %, so failing feeds spread out


def cache_control_max_age(value: str | None) -> float | None:
    """The ``max-age`` directive of a Cache-Control header, in seconds.

    ``"public, max-age=600"`` gives 600.0; a quoted value (``max-age="600"``) is accepted.
    Other directives (``no-cache``, ``s-maxage``, …) say nothing about how often a private
    client may poll, so they are ignored.
    """
    if not value:
        return None
    for directive in value.split(","):
        name, _, argument = directive.partition("=")
        if name.strip().lower() != "max-age":
            continue
        seconds = argument.strip().strip('"')
        if seconds.isascii() and seconds.isdigit():
            return float(int(seconds))
    return None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds from ``now``.

    The header is either delay-seconds (``"120"``) or an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past gives 0.0.
    """
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def next_check_delay(
    interval: float,
    *,
    ttl_minutes: int | None,
    max_age: float | None,
    retry_after: float | None,
    ceiling: float = HINT_CEILING,
) -> float:
    """Seconds until the next check: the largest of the interval and the server's hints.

    The hints (the feed's ``<ttl>``, Cache-Control max-age, Retry-After) can only lengthen
    the wait, and by at most ``ceiling`` seconds; they never shorten the configured interval.
    """
    hints = [h for h in (ttl_minutes and ttl_minutes * 60.0, max_age, retry_after) if h]
    return max(interval, min(max(hints, default=0.0), ceiling))


def backoff_delay(
    interval: float, consecutive_errors: int, *, cap: float, rng: random.Random
) -> float:
    """Seconds until a failing feed is tried again.

    ``interval × 2^errors``, held under ``cap``, then shortened by a random 0–20 % so
    feeds that failed together do not retry together; never below ``interval``. With a
    10-minute interval and a 6-hour cap: 20, 40, 80, 160, 320, 360 minutes (minus jitter).
    No errors gives the plain interval.
    """
    if consecutive_errors <= 0:
        return interval
    ceiling = max(cap, interval)
    raw = min(ceiling, interval * 2.0 ** min(consecutive_errors, 64))
    return max(interval, raw * (1.0 - BACKOFF_JITTER * rng.random()))
