"""Routing: which news goes to which channel, now or in a digest.

For each piece of event news (a new event, a state change of a known one, an update)
the watch's routes are read in order; every route whose ``types`` include the event
type (``*`` matches all) and whose ``min_score`` the event reaches adds one outbox row
per enabled channel. Rows are written in the caller's transaction (the one that
created the event), keyed by an idempotency key (event, news, channel) and inserted
with ON CONFLICT DO NOTHING, so re-processing or a second instance cannot alert twice.
Immediate rows start ``pending``; digest rows start ``digest`` and wait for the
channel's next digest (see ``monitor.alert.digest``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from monitor.alert.message import AlertMessage, SourceLink
from monitor.config.channels import ChannelConfig
from monitor.config.schema import WatchConfig
from monitor.log import log_event
from monitor.store.db import Session
from monitor.store.events import coverage, event_opened
from monitor.store.items import evidence_of, item_by_id
from monitor.store.outbox import add_alert

log = logging.getLogger(__name__)
SUMMARY_CHARS = 600
MAX_SOURCES = 10


class News(Protocol):
    """What the novelty stage hands on (monitor.novelty.events.EventNews)."""

    @property
    def kind(self) -> str: ...  # "new" | "state_change" | "update"
    @property
    def event_id(self) -> int: ...
    @property
    def event_uid(self) -> str: ...
    @property
    def watch(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def item_id(self) -> int: ...


class Router:
    def __init__(
        self, watches: Sequence[WatchConfig], channels: Mapping[str, ChannelConfig]
    ) -> None:
        self.watches = {w.name: w for w in watches}
        self.channels = channels

    def destinations(self, news: News) -> list[tuple[str, str]]:
        """(channel, delivery) pairs for ``news``; a channel appears once, immediate first."""
        watch = self.watches.get(news.watch)
        if watch is None:
            return []
        chosen: dict[str, str] = {}
        for route in watch.routes:
            if news.event_type not in route.types and "*" not in route.types:
                continue
            if news.score < route.min_score:
                continue
            for channel in route.channels:
                config = self.channels.get(channel)
                if config is None or not config.enabled:
                    continue
                if chosen.get(channel) != "immediate":
                    chosen[channel] = route.delivery
        return sorted(chosen.items(), key=lambda pair: (pair[1] != "immediate", pair[0]))

    def enqueue(self, session: Session, news: Sequence[News], now: datetime) -> int:
        """Write the outbox rows for ``news``; returns how many were new."""
        added = 0
        for one in news:
            targets = self.destinations(one)
            if not targets:
                continue
            kind = "event" if one.kind == "new" else "update"
            message = build_message(session, one, kind)
            for channel, delivery in targets:
                key = f"{one.event_uid}:{one.kind}:{one.state}:{one.event_type}:{channel}"
                payload = message_to_dict(message, alert_id=key, key=key)
                config = self.channels[channel]
                hold = config.quiet_until(now) if delivery == "immediate" else None
                added += add_alert(
                    session,
                    key=key,
                    channel=channel,
                    kind=kind,
                    delivery=delivery,
                    payload=payload,
                    event_id=one.event_id,
                    next_attempt=hold or now,
                    now=now,
                )
                log_event(
                    log,
                    logging.INFO,
                    "alert_queued",
                    channel=channel,
                    event=one.event_uid,
                    type=one.event_type,
                    news=one.kind,
                    delivery=delivery,
                )
        return added


def build_message(session: Session, news: News, kind: str) -> AlertMessage:
    """The alert for ``news``: the event, the item that brought it, why, and its sources."""
    event_uid, first_seen = event_opened(session, news.event_id)
    item = item_by_id(session, news.item_id)
    assert item is not None
    evidence = evidence_of(session, news.item_id, news.event_type)
    rows = coverage(session, news.event_id, MAX_SOURCES)
    sources = [SourceLink(name=s, title=t, url=u) for s, t, u in rows] or [
        SourceLink(name=item.source, title=item.title, url=item.url)
    ]
    return AlertMessage(
        alert_id="",
        idempotency_key="",
        kind="event" if kind == "event" else "update",
        event_id=event_uid,
        event_type=news.event_type,
        state=news.state,
        headline=item.title,
        summary=_summary(item.content or item.summary),
        evidence=_evidence_lines(evidence),
        sources=sources,
        first_seen=first_seen,
        score=round(news.score, 3),
    )


def _summary(text: str) -> str:
    paragraph = text.strip().split("\n", 1)[0]
    if len(paragraph) <= SUMMARY_CHARS:
        return paragraph
    cut = paragraph[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _evidence_lines(evidence: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for e in evidence[:8]:
        term, where, rule = e.get("term", ""), e.get("where", ""), e.get("rule", "")
        lines.append(f"'{term}' in the {where} ({rule})" if rule else f"'{term}' in the {where}")
    return lines


def message_to_dict(msg: AlertMessage, *, alert_id: str, key: str) -> dict[str, Any]:
    """The outbox payload: everything needed to render the alert later, as JSON."""
    return {
        "alert_id": alert_id,
        "idempotency_key": key,
        "kind": msg.kind,
        "event_id": msg.event_id,
        "event_type": msg.event_type,
        "state": msg.state,
        "headline": msg.headline,
        "summary": msg.summary,
        "evidence": list(msg.evidence),
        "sources": [{"name": s.name, "title": s.title, "url": s.url} for s in msg.sources],
        "first_seen": msg.first_seen.isoformat(),
        "score": msg.score,
        "items": [
            message_to_dict(i, alert_id=i.alert_id, key=i.idempotency_key) for i in msg.items
        ],
    }


def queue_message(
    session: Session,
    msg: AlertMessage,
    *,
    channel: str,
    kind: str,
    next_attempt: datetime,
    now: datetime,
) -> int:
    """Queue a message stmon made itself (digest, storm summary, health) for immediate
    delivery, keyed by its idempotency key; returns 1 if it was not queued before."""
    key = msg.idempotency_key
    return add_alert(
        session,
        key=key,
        channel=channel,
        kind=kind,
        delivery="immediate",
        payload=message_to_dict(msg, alert_id=key, key=key),
        event_id=None,
        next_attempt=next_attempt,
        now=now,
    )


def message_from_dict(data: Mapping[str, Any]) -> AlertMessage:
    return AlertMessage(
        alert_id=data["alert_id"],
        idempotency_key=data["idempotency_key"],
        kind=data["kind"],
        event_id=data["event_id"],
        event_type=data["event_type"],
        state=data.get("state", ""),
        headline=data["headline"],
        summary=data.get("summary", ""),
        evidence=data.get("evidence", []),
        sources=[SourceLink(**s) for s in data.get("sources", [])],
        first_seen=datetime.fromisoformat(data["first_seen"]),
        score=float(data.get("score", 0.0)),
        items=[message_from_dict(i) for i in data.get("items", [])],
    )
