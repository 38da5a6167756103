"""When to come back to a feed: the server's hints, and backoff after failures.

All functions are pure. The header parser is forgiving: a header that is absent or
malformed gives ``None`` (no hint), never an exception, because a publisher's typo must
not stop a poll. Retry-After is read, and backoff drawn, by ``monitor.retry`` (shared with
the alert stage). ``monitor.fetch.client`` re-exports ``next_check_delay`` and
``backoff_delay``.
"""

from __future__ import annotations

import random

from monitor.retry import backoff

HINT_CEILING = 24 * 3600.0  # a server's hints never push a check further out than a day


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
    feeds that failed together do not retry together (``monitor.retry.backoff``); never
    below ``interval``. With a 10-minute interval and a 6-hour cap: 20, 40, 80, 160, 320,
    360 minutes (minus jitter). No errors gives the plain interval.
    """
    if consecutive_errors <= 0:
        return interval
    delay = backoff(interval, consecutive_errors, cap=max(cap, interval), random=rng.random)
    return max(interval, delay)
