"""Routing: which news goes to which channel, now or in a digest.

For each piece of event news (a new event, a state change of a known one, an update)
the watch's routes are read in order; every route whose ``types`` include the event
type (``*`` matches all) and whose ``min_score`` the event reaches sends it to each of
its enabled channels, now (``immediate``) or in a digest.

**One alert per article and channel.** The news an article brings (it may open or move
several events: a phone call in which the leaders hope to meet soon) is folded: each
channel gets one outbox row listing every event the article touches there (type,
state, headline, date), led by the most specific news: a state change before a new
event before an update, then the higher score, then the earlier label. The row is
immediate when any of its news is routed immediately to that channel, else it waits
for the digest. The events themselves stay separate.

Rows are written in the caller's transaction (the one that created the events), keyed
by an idempotency key (the leading event and news, the channel) and inserted with ON
CONFLICT DO NOTHING, so re-processing or a second instance cannot alert twice.
Immediate rows start ``pending``; digest rows start ``digest`` and wait for the
channel's next digest (see ``monitor.alert.digest``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from monitor.alert.message import AlertMessage, EventLine, SourceLink
from monitor.config.channels import ChannelConfig
from monitor.config.schema import WatchConfig
from monitor.log import log_event
from monitor.store.db import Session
from monitor.store.events import coverage, event_lines, event_opened
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
        """Write the outbox rows for ``news`` (one per article and channel); returns how
        many were new."""
        added = 0
        for touched in _by_article(news):
            for channel, (delivery, folded) in self._folded(touched).items():
                added += self._queue(session, channel, delivery, folded, now)
        return added

    def _folded(self, touched: Sequence[News]) -> dict[str, tuple[str, list[News]]]:
        """Per channel: the delivery (immediate if any news is) and the news sent there."""
        per_channel: dict[str, tuple[str, list[News]]] = {}
        for one in touched:
            for channel, delivery in self.destinations(one):
                was, folded = per_channel.get(channel, (delivery, []))
                folded.append(one)
                immediate = "immediate" in (was, delivery)
                per_channel[channel] = ("immediate" if immediate else delivery, folded)
        return per_channel

    def _queue(
        self, session: Session, channel: str, delivery: str, folded: list[News], now: datetime
    ) -> int:
        urgent = [n for n in folded if delivery != "immediate" or self._immediate(n, channel)]
        lead = leading(urgent)
        kind = "event" if lead.kind == "new" else "update"
        message = build_message(session, lead, kind, folded)
        key = f"{lead.event_uid}:{lead.kind}:{lead.state}:{lead.event_type}:{channel}"
        payload = message_to_dict(message, alert_id=key, key=key)
        hold = self.channels[channel].quiet_until(now) if delivery == "immediate" else None
        added = add_alert(
            session,
            key=key,
            channel=channel,
            kind=kind,
            delivery=delivery,
            payload=payload,
            event_id=lead.event_id,
            next_attempt=hold or now,
            now=now,
        )
        log_event(
            log,
            logging.INFO,
            "alert_queued",
            channel=channel,
            event=lead.event_uid,
            type=lead.event_type,
            news=lead.kind,
            delivery=delivery,
            events=len(message.events),
        )
        return added

    def _immediate(self, news: News, channel: str) -> bool:
        return (channel, "immediate") in self.destinations(news)


def _by_article(news: Sequence[News]) -> list[list[News]]:
    """The news grouped by the article that brought it, in order of first appearance."""
    groups: dict[int, list[News]] = {}
    for one in news:
        groups.setdefault(one.item_id, []).append(one)
    return list(groups.values())


_KIND_RANK = {"state_change": 2, "new": 1, "update": 0}


def leading(news: Sequence[News]) -> News:
    """The most specific news: a state change, then a new event, then an update; then the
    higher score; then the earlier one."""
    return max(news, key=lambda n: (_KIND_RANK.get(n.kind, 0), n.score))


def build_message(
    session: Session, news: News, kind: str, touched: Sequence[News] = ()
) -> AlertMessage:
    """The alert for ``news``: the event, the item that brought it, why, its sources, and
    every event the item touched (``touched``; the alert's own event first)."""
    event_uid, first_seen = event_opened(session, news.event_id)
    item = item_by_id(session, news.item_id)
    assert item is not None
    evidence = evidence_of(session, news.item_id, news.event_type)
    rows = coverage(session, news.event_id, MAX_SOURCES)
    sources = [SourceLink(name=s, title=t, url=u) for s, t, u in rows] or [
        SourceLink(name=item.source, title=item.title, url=item.url)
    ]
    events = _event_lines(session, [news, *(n for n in touched if n is not news)])
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
        events=events,
        when=events[0].when if events else "",
    )


def _event_lines(session: Session, news: Sequence[News]) -> list[EventLine]:
    """One line per event (the last news of an event gives its type and state)."""
    latest: dict[int, News] = {}
    for one in news[1:]:
        latest[one.event_id] = one
    latest.pop(news[0].event_id, None)
    ordered = [news[0], *latest.values()]
    found = event_lines(session, [n.event_id for n in ordered])
    return [
        EventLine(uid, n.event_type, n.state, headline, when)
        for n in ordered
        if n.event_id in found
        for uid, headline, when in [found[n.event_id]]
    ]


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
        "events": [
            {"event_id": e.event_id, "event_type": e.event_type, "state": e.state,
             "headline": e.headline, "when": e.when}
            for e in msg.events
        ],
        "when": msg.when,
    }  # fmt: skip


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
        events=[EventLine(**e) for e in data.get("events", [])],
        when=data.get("when", ""),
    )
