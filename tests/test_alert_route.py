"""Routing: an article that opens or moves several events makes one alert per channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.alert.digest import make_digests
from monitor.alert.render import render_email, webhook_payload
from monitor.alert.route import Router, message_from_dict
from monitor.config.channels import LogChannel
from monitor.config.schema import NoveltySettings, Route, WatchConfig
from monitor.model import Classification, Label
from monitor.novelty.stage import NoveltyStage
from monitor.store.db import Database, Session
from monitor.store.tables import Alert, Event
from tests.support.novelty_data import T0, WATCH, ingest, make_item, shipped_events, verdict

CALL = (
    "President Lee Jae Myung and Prime Minister Shigeru Ishiba talked by phone on Monday and "
    "agreed to meet soon, the presidential office said. The leaders hope to hold a summit "
    "at an early date."
)
HELD = (
    "President Lee Jae Myung and Prime Minister Shigeru Ishiba held a summit in Tokyo, "
    "agreeing to work together on trade and security, officials of both governments said."
)
CHANNELS = {
    "desk": LogChannel(type="log"),
    "wire-digest": LogChannel(type="log", digest="hourly"),
}


def router() -> Router:
    watch = WatchConfig(
        name=WATCH,
        rules=Path("rules.yaml"),
        routes=(
            Route(types=("leaders_call", "summit_announced", "summit_held"), channels=("desk",)),
            Route(types=("*",), channels=("wire-digest", "desk"), delivery="digest"),
        ),
    )
    return Router([watch], CHANNELS)


def novelty(routes: Router) -> NoveltyStage:
    def on_news(session: Session, news: list[Any], now: datetime) -> None:
        routes.enqueue(session, news, now)

    return NoveltyStage(
        NoveltySettings(), routes.watches.values(), on_news, {WATCH: shipped_events()}
    )


def alerts(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with db.session() as session:
        rows = session.scalars(select(Alert).order_by(Alert.id))
        return [(a.channel, a.delivery, a.payload) for a in rows]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_an_article_touching_two_events_makes_one_alert_per_channel(db: Database) -> None:
    stage = novelty(router())
    call = make_item("Lee, Ishiba hold phone talks", CALL, published=at(0))
    labels = (Label("summit_announced", 0.6, (), "future"), Label("leaders_call", 0.9, (), None))
    both = Classification(True, labels, {"summit_announced": 0.6, "leaders_call": 0.9})
    ingest(db, stage, [(call, both)], at(0.5))

    with db.session() as session:
        events = {e.event_type: e.uid for e in session.scalars(select(Event))}
    assert set(events) == {"summit_announced", "leaders_call"}  # the events stay separate
    rows = alerts(db)
    assert [(channel, delivery) for channel, delivery, _ in rows] == [
        ("desk", "immediate"),
        ("wire-digest", "digest"),
    ]
    for _, _, payload in rows:
        # led by the most specific news (the call, scored higher), listing both events
        assert payload["event_type"] == "leaders_call"
        assert payload["event_id"] == events["leaders_call"]
        listed = [(e["event_type"], e["state"], e["event_id"]) for e in payload["events"]]
        assert listed == [
            ("leaders_call", "reported", events["leaders_call"]),
            ("summit_announced", "announced", events["summit_announced"]),
        ]

    desk = message_from_dict(rows[0][2])
    text = render_email(desk, CHANNELS["desk"]).text
    assert "Events in this article:" in text
    assert "Summit announced (announced): Lee, Ishiba hold phone talks" in text
    assert [e["type"] for e in webhook_payload(desk)["events"]] == [
        "leaders_call",
        "summit_announced",
    ]

    # later coverage still updates each event: the summit is held, one alert per channel
    held = make_item("Lee, Ishiba meet in Tokyo", HELD, published=at(30), source="Kyodo")
    ingest(db, stage, [(held, verdict("summit_held"))], at(30.5))
    later = alerts(db)[2:]
    assert [(c, d, p["event_id"], p["state"]) for c, d, p in later] == [
        ("desk", "immediate", events["summit_announced"], "held"),
        ("wire-digest", "digest", events["summit_announced"], "held"),
    ]
    assert [len(p["events"]) for _, _, p in later] == [1, 1]


def test_digests_fold_an_articles_events_into_one_entry(db: Database) -> None:
    stage = novelty(router())
    call = make_item("Lee, Ishiba hold phone talks", CALL, published=at(0))
    ingest(db, stage, [(call, verdict("leaders_call", "summit_announced"))], at(0.5))
    with db.session() as session:
        assert make_digests(session, CHANNELS, at(2)) == 1
    [digest] = [p for c, _, p in alerts(db) if c == "wire-digest" and p["kind"] == "digest"]
    message = message_from_dict(digest)
    [entry] = message.items
    assert [e.event_type for e in entry.events] == ["leaders_call", "summit_announced"]
    text = render_email(message, CHANNELS["wire-digest"]).text
    assert text.count("also: Summit announced (announced)") == 1


def test_an_alert_shows_the_date_the_meeting_takes_place(db: Database) -> None:
    stage = novelty(router())
    plan = make_item("Lee to visit Tokyo on Aug. 23 for summit with Ishiba", CALL, published=at(0))
    ingest(db, stage, [(plan, verdict("summit_announced"))], at(0.5))
    [(_, _, payload)] = [row for row in alerts(db) if row[0] == "desk"]
    assert payload["when"] == "2025-08-23" and payload["events"][0]["when"] == "2025-08-23"
    message = message_from_dict(payload)
    assert "Takes place: 2025-08-23" in render_email(message, CHANNELS["desk"]).text
    assert webhook_payload(message)["event"]["when"] == "2025-08-23"
