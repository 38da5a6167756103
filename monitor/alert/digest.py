"""Digests: what routes send with ``delivery: digest`` is collected per channel and sent
as one summary per period (``digest: hourly`` or ``daily`` on the channel; daily when
unset), grouped by event type. A period closes on the hour (hourly) or at 08:00 in the
channel's timezone (daily); only rows queued before it closed go in. Empty digests are
not sent. The digest row is keyed by channel and period, so it is made once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from monitor.alert.message import AlertMessage, notice
from monitor.alert.route import message_from_dict, queue_message
from monitor.config.channels import ChannelConfig
from monitor.log import log_event
from monitor.store.db import Session
from monitor.store.outbox import digest_queue, set_status

log = logging.getLogger(__name__)
DAILY_AT = time(8, 0)


def period_end(config: ChannelConfig, now: datetime) -> datetime:
    """The end of the latest closed digest period at ``now`` (aware UTC)."""
    local = now.astimezone(config.zone)
    if (config.digest or "daily") == "hourly":
        closed = local.replace(minute=0, second=0, microsecond=0)
    else:
        closed = datetime.combine(local.date(), DAILY_AT, tzinfo=config.zone)
        if closed > local:
            closed -= timedelta(days=1)
    return closed.astimezone(now.tzinfo)


def make_digests(session: Session, configs: Mapping[str, ChannelConfig], now: datetime) -> int:
    """Fold queued digest rows into one digest alert per channel and closed period."""
    made = 0
    for name, config in configs.items():
        if not config.enabled:
            continue
        closed = period_end(config, now)
        rows = digest_queue(session, name, closed)
        if not rows:
            continue
        key = f"digest:{name}:{closed.isoformat()}"
        items = [message_from_dict(payload) for _, payload in rows]
        msg = digest_message(key, items, config, closed)
        made += queue_message(
            session,
            msg,
            channel=name,
            kind="digest",
            next_attempt=config.quiet_until(now) or now,
            now=now,
        )
        set_status(session, [alert_id for alert_id, _ in rows], "digested")
        log_event(log, logging.INFO, "digest_made", channel=name, items=len(rows))
    return made


def digest_message(
    key: str, items: list[AlertMessage], config: ChannelConfig, closed: datetime
) -> AlertMessage:
    period = "hourly" if config.digest == "hourly" else "daily"
    local = closed.astimezone(config.zone).strftime("%Y-%m-%d %H:%M %Z")
    return notice(
        "digest",
        key,
        event_type="digest",
        headline=f"stmon {period} digest: {len(items)} items (to {local})",
        summary=f"Everything routed to this digest in the {period} period ending {local}.",
        at=closed,
        items=items,
    )
