"""When to try again: a server's Retry-After header, and backoff with jitter after failures.

Both the fetch stage (feeds) and the alert stage (deliveries) use these, and they may not
import each other, so the one implementation of each lives here, below both. The functions
are pure: the current time and the random draw come in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

JITTER = 0.2  # a backoff delay is shortened by up to 20 %, so failures that came together spread
MAX_DOUBLINGS = 64  # beyond this the doubled delay is far past any cap
MAX_RETRY_AFTER = 24 * 3600.0  # a server's Retry-After is honoured up to a day


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """A Retry-After header (RFC 9110, section 10.2.3) as seconds from ``now``.

    The value is either delay-seconds, ASCII digits only (``"120"``), or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, or the obsolete RFC 850 and asctime forms); a
    date in the past gives 0.0. Anything else (absent, empty, negative, fractional, other
    digits than ASCII, not a date) gives ``None``, no hint, never an exception: a server's
    typo must not stop a poll or a delivery.
    """
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff(base: float, doublings: int, *, cap: float, random: Callable[[], float]) -> float:
    """``base × 2^doublings``, held under ``cap``, then shortened by ``JITTER × random()``.

    ``random`` returns a float in [0, 1) (``random.Random().random``); with 0.2 jitter the
    delay lies in (0.8 × d, d] for the capped delay d. A negative ``doublings`` counts as 0.
    """
    raw = min(cap, base * 2.0 ** min(max(doublings, 0), MAX_DOUBLINGS))
    return raw * (1.0 - JITTER * random())
