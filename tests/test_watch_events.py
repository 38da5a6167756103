"""Event knowledge comes from each watch's rules file: two watches, one config."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from monitor.app import build_pipeline, build_service
from monitor.classify import load_rules, parse_rules
from monitor.config.schema import Config
from monitor.errors import ConfigError
from monitor.store.db import Database
from monitor.store.tables import Alert, Event
from tests.support.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
SEOUL_TOKYO = REPO / "config" / "rules" / "seoul-tokyo.yaml"
SEOUL_BEIJING = Path(__file__).parent / "data" / "rules" / "seoul-beijing.yaml"
NOW = datetime.now(UTC).replace(microsecond=0)

TOKYO_PLAN = (
    "Lee to visit Tokyo for summit with Ishiba",
    "President Lee Jae Myung is to travel to Tokyo on Aug. 23 for a summit with Prime "
    "Minister Shigeru Ishiba, the presidential office in Seoul announced. Japan's prime "
    "minister will host a dinner for the South Korean president during the two-day trip.",
)
BEIJING_PLAN = (
    "President Lee and Xi Jinping will hold summit in Beijing",
    "South Korea's President Lee Jae-myung will hold a summit with Xi Jinping in Beijing, "
    "Seoul said. China confirmed the plan.",
)
BEIJING_HELD = (
    "President Lee and Xi Jinping held summit in Beijing",
    "South Korea's President Lee Jae-myung and Xi Jinping met for talks in Beijing and agreed "
    "to expand trade, Seoul said. China hailed the summit.",
)


def rss(*articles: tuple[str, str, datetime]) -> str:
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>https://news.example/{n}</link>"
        f"<guid>https://news.example/{n}</guid><description>{escape(body)}</description>"
        f"<pubDate>{format_datetime(at)}</pubDate></item>"
        for n, (t, body, at) in enumerate(articles)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>'
    return f"{head}{entries}</channel></rss>"


def config(feed_url: str) -> Config:
    return Config.model_validate(
        {
            "feeds": [{"name": "wire", "url": feed_url}],
            "channels": {"tokyo-desk": {"type": "log"}, "beijing-desk": {"type": "log"}},
            "watches": [
                {"name": "seoul-tokyo", "rules": str(SEOUL_TOKYO),
                 "routes": [{"types": ["*"], "channels": ["tokyo-desk"]}]},
                {"name": "seoul-beijing", "rules": str(SEOUL_BEIJING),
                 "routes": [{"types": ["summit_planned", "summit_met"],
                             "channels": ["beijing-desk"]}]},
            ],
        }
    )  # fmt: skip


def poll(db: Database, cfg: Config) -> None:
    async def cycle() -> None:
        service = build_service(cfg, db, build_pipeline(cfg))
        try:
            await service.poll_once(force=True)
        finally:
            await service.close()

    asyncio.run(cycle())


def test_two_watches_in_one_config_place_events_with_their_own_knowledge(
    db: Database, feed_server: FeedServer
) -> None:
    cfg = config(feed_server.url("/wire.xml"))
    plan_at, held_at = NOW - timedelta(hours=3), NOW - timedelta(hours=1)
    feed_server.put("/wire.xml", rss((*TOKYO_PLAN, plan_at), (*BEIJING_PLAN, plan_at)))
    poll(db, cfg)
    feed_server.put(
        "/wire.xml",
        rss((*TOKYO_PLAN, plan_at), (*BEIJING_PLAN, plan_at), (*BEIJING_HELD, held_at)),
    )
    poll(db, cfg)

    with db.session() as session:
        found = {
            (e.watch, e.event_type): e for e in session.scalars(select(Event).order_by(Event.id))
        }
        alerts = [(a.channel, a.payload["event_type"], a.payload["state"])
                  for a in session.scalars(select(Alert).order_by(Alert.id))]  # fmt: skip
    assert set(found) == {("seoul-tokyo", "summit_announced"), ("seoul-beijing", "summit_planned")}
    tokyo = found["seoul-tokyo", "summit_announced"]
    assert tokyo.actors == ["KR:president", "JP:prime_minister"] and tokyo.place == "Tokyo"
    beijing = found["seoul-beijing", "summit_planned"]
    # the Beijing file's lifecycle: the held summit moved the planned one along
    assert beijing.actors == ["KR:president", "CN:president"] and beijing.place == "Beijing"
    assert beijing.state == "held"
    assert sorted(alerts) == [
        ("beijing-desk", "summit_met", "held"),
        ("beijing-desk", "summit_planned", "announced"),
        ("tokyo-desk", "summit_announced", "announced"),
    ]


def test_the_events_section_is_compiled_per_rules_file() -> None:
    tokyo, beijing = load_rules(SEOUL_TOKYO).events, load_rules(SEOUL_BEIJING).events
    assert tokyo.parties == ("JP", "KR") and beijing.parties == ("CN", "KR")
    assert tokyo.later == {"summit_held": ("summit_announced", "held")}
    assert beijing.later == {"summit_met": ("summit_planned", "held")}
    assert "iwaya" in dict(tokyo.portfolios)["foreign"]
    assert beijing.portfolios == (("vice_foreign", ("vice foreign minister", "외교부 차관")),)


def test_a_rules_file_without_events_treats_every_type_as_the_sides() -> None:
    rules = parse_rules(
        "topic: {sides: {a: [alpha], b: [beta]}}\ntypes: {x: {any: [{terms: [gamma]}]}}\n"
    )
    assert rules.events.parties == ("A", "B") and dict(rules.events.meetings) == {}


@pytest.mark.parametrize(
    ("events", "line", "reason"),
    [
        ("  meetings:\n    nope: {}\n", 5, "unknown event type 'nope'"),
        ("  lifecycle:\n    x: {held: x}\n", 5, "'x' is already part of a lifecycle"),
        ("  postponed: [$missing]\n", 4, "unknown list $missing"),
        ("  meetings:\n    x: {actors: everyone}\n", 5, "actors"),
    ],
    ids=["unknown-meeting-type", "self-lifecycle", "unknown-list", "bad-actors"],
)
def test_events_section_problems_name_file_and_line(events: str, line: int, reason: str) -> None:
    text = "topic: {sides: {a: [alpha], b: [beta]}}\ntypes: {x: {any: [{terms: [gamma]}]}}\n"
    with pytest.raises(ConfigError) as caught:
        parse_rules(text + "events:\n" + events, "w.yaml")
    assert f"w.yaml:{line}:" in str(caught.value) and reason in str(caught.value)
