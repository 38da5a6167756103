"""Three `stmon run` processes on one PostgreSQL alert once per event, even with a SIGKILL.

The same stories reach several feeds of the farm at once (wire reprints under other
headlines and links), so the instances ingest copies of one happening concurrently. Every
event must be opened once and its alert posted to the webhook once, also the alerts a
killed instance had claimed: they are delivered by the others after ``reclaim``.

Runs under ``scripts/test-postgres.sh`` (see tests/test_multi_instance.py).
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.instances import EXPIRY, HEARTBEAT
from monitor.store.tables import Alert, Classification, Event, EventItem, ItemSource
from tests.support.farm import FeedFarm, Story
from tests.support.postgres import postgres_database
from tests.support.webhook import ReceivedRequest, Reply, WebhookReceiver
from tests.test_multi_instance import (
    DELAY,
    FEEDS,
    INSTANCES,
    INTERVAL,
    Clock,
    admin_url,
    instances,
    logs_of,
    members,
)

pytestmark = pytest.mark.postgres

RULES = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
ALERTING = ("summit_announced", "leaders_call", "ministerial_talks", "territorial_dispute",
            "historical_issue", "security_defense", "economy_trade")  # fmt: skip
COPIES = 5  # feeds that carry each story at once
SLOW = 4.0  # the receiver's answer time while the victim is chosen (webhook timeout: 10 s)


@dataclass(frozen=True, slots=True)
class Wire:
    slug: str
    types: tuple[str, ...]  # the alert-worthy types every reprint is labelled with
    headlines: tuple[str, ...]
    text: str

    def reprint(self, copy: int, feed: int, published: datetime) -> Story:
        headline = self.headlines[copy % len(self.headlines)]
        return Story(
            guid=f"{self.slug}-{feed}-{copy}",
            title=headline,
            link=f"http://outlet-{feed}.test/news/{self.slug}-{copy}",
            text=self.text,
            published=published - timedelta(minutes=copy),
        )


SUMMIT = Wire(
    "summit",
    ("summit_announced",),
    (
        "Lee and Takaichi to hold summit in Gyeongju on Dec. 18",
        "(LEAD) Lee, Takaichi to hold summit in Gyeongju on Dec. 18",
        "Lee to host Takaichi for summit in Gyeongju on Dec. 18",
    ),
    "President Lee Jae-myung will hold a summit with Japanese Prime Minister Sanae Takaichi "
    "in Gyeongju on Dec. 18, the presidential office said Monday. The two leaders are "
    "expected to discuss supply chains and North Korea during the talks, the first bilateral "
    "summit on Korean soil under the shuttle diplomacy the two governments revived this year.",
)
FOREIGN_MINISTERS = Wire(
    "fm-call",
    ("ministerial_talks",),
    (
        "Foreign ministers Cho Hyun and Motegi hold phone talks",
        "Cho Hyun, Motegi discuss N. Korea in phone talks",
        "(2nd LD) Foreign ministers Cho Hyun and Motegi hold phone talks",
    ),
    "South Korean Foreign Minister Cho Hyun held phone talks with Japanese Foreign Minister "
    "Toshimitsu Motegi on Sunday, the foreign ministry in Seoul said. The two ministers "
    "agreed to keep close communication on North Korea's missile launches and on "
    "preparations for exchanges between the two countries next year.",
)
DOKDO = Wire(
    "dokdo",
    ("territorial_dispute",),
    (
        "Seoul summons Japanese diplomat over Dokdo claim in Tokyo white paper",
        "S. Korea protests Japan's Dokdo claim in defense white paper",
        "(LEAD) Seoul summons Japanese diplomat over Dokdo claim",
    ),
    "South Korea's foreign ministry summoned a senior diplomat of the Japanese embassy in "
    "Seoul on Monday to protest Tokyo's renewed claim to the Dokdo islets in its annual "
    "defense white paper. Seoul called the claim to Dokdo, which Japan calls Takeshima, "
    "unacceptable and demanded that Tokyo withdraw it immediately.",
)
LEADERS_CALL = Wire(
    "leaders-call",
    ("leaders_call",),
    (
        "Lee and Takaichi agree on phone call to keep close coordination",
        "Lee, Takaichi hold phone call on North Korea",
        "(LEAD) Lee and Takaichi hold 25-minute phone call",
    ),
    "President Lee Jae-myung and Japanese Prime Minister Sanae Takaichi held a 25-minute "
    "phone call on Tuesday night, the presidential office said. The two leaders agreed to "
    "keep close coordination on North Korea and on economic security, Lee's spokesperson "
    "told reporters after the telephone talks.",
)
SADO = Wire(
    "sado",
    ("historical_issue",),
    (
        "Korea protests as Japan holds Sado mine memorial without victims' families",
        "Seoul protests Sado mine memorial held without Korean families",
        "(LEAD) S. Korea lodges protest over Japan's Sado mine memorial",
    ),
    "South Korea lodged a protest on Wednesday after Japan held the Sado mine memorial "
    "ceremony for workers without the families of Korean victims of forced labour "
    "attending. The foreign ministry in Seoul said Tokyo had failed to reflect the history "
    "of Korean laborers who were mobilised to the Sado gold mine during the colonial era.",
)
DEFENSE = Wire(
    "defense",
    ("ministerial_talks", "security_defense"),
    (
        "Defense ministers Ahn Gyu-back and Koizumi meet in Tokyo",
        "(LEAD) Defense ministers Ahn Gyu-back, Koizumi meet in Tokyo",
        "Korean, Japanese defense ministers meet in Tokyo, agree on missile data",
    ),
    "South Korean Defense Minister Ahn Gyu-back met Japanese Defense Minister Shinjiro "
    "Koizumi in Tokyo on Thursday, the defense ministry in Seoul said. The two ministers "
    "agreed to expand military exchanges and to share missile warning data on North Korea "
    "in real time.",
)
TRADE = Wire(
    "trade",
    ("ministerial_talks", "economy_trade"),
    (
        "Seoul, Tokyo agree to ease export controls on chip materials",
        "S. Korea, Japan agree to restore currency swap, ease export curbs",
        "(LEAD) Korea, Japan ease export controls on chip materials",
    ),
    "South Korea and Japan agreed on Friday to restore a currency swap line and to ease "
    "export controls on semiconductor materials, the trade ministry in Seoul said. Trade "
    "Minister Yeo Han-koo and Japanese Economy Minister Ryosei Akazawa announced the deal "
    "after talks in Seoul.",
)

FIRST_WAVE = (SUMMIT, FOREIGN_MINISTERS, DOKDO)
SECOND_WAVE = (LEADERS_CALL, SADO)
THIRD_WAVE = (DEFENSE, TRADE)  # each story opens two events: one alert each
WIRES = (*FIRST_WAVE, *SECOND_WAVE, *THIRD_WAVE)


def write_config(tmp_path: Path, url: str, farm: FeedFarm, hook: WebhookReceiver) -> Path:
    types = ", ".join(ALERTING)
    lines = [
        f"storage:\n  url: {url}",
        "logging:\n  format: json",
        f"fetch:\n  interval: {int(INTERVAL)}s\n  jitter: 0.1\n  per_host: 64\n  concurrency: 64",
        "channels:",
        f"  desk-hook:\n    type: webhook\n    url: {hook.url}\n    max_per_window: 1000",
        "watches:",
        f"  - name: seoul-tokyo\n    rules: {RULES}\n    feeds: all\n    routes:",
        f"      - types: [{types}]\n        channels: [desk-hook]\n        delivery: immediate",
        "feeds:",
    ]
    lines += [f"  - name: farm-{n:03d}\n    url: {farm.url(n)}" for n in range(FEEDS)]
    path = tmp_path / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Newsroom:
    """Publishes wire stories in several feeds and remembers what was published."""

    farm: FeedFarm
    published: dict[str, list[Story]]
    next_feed: int = 0

    def publish(self, wire: Wire, copies: int = COPIES) -> None:
        now = datetime.now(UTC)
        for _ in range(copies):
            # Spread over the farm: consecutive feeds would mostly go to one instance.
            feed = (self.next_feed * 37) % FEEDS
            self.next_feed += 1
            story = wire.reprint(len(self.published.get(wire.slug, [])), feed, now)
            self.published.setdefault(wire.slug, []).append(story)
            self.farm.publish(feed, story)

    def publish_together(self, wires: tuple[Wire, ...], copies: int = COPIES) -> None:
        """Each copy of every wire in the same feed: one poll stores them all at once."""
        now = datetime.now(UTC)
        for _ in range(copies):
            feed = (self.next_feed * 37) % FEEDS
            self.next_feed += 1
            for wire in wires:
                story = wire.reprint(len(self.published.get(wire.slug, [])), feed, now)
                self.published.setdefault(wire.slug, []).append(story)
                self.farm.publish(feed, story)

    def guids(self) -> set[str]:
        return {story.guid for stories in self.published.values() for story in stories}


def missing(db: Database, news: Newsroom) -> str:
    with db.session() as session:
        sample = list(session.scalars(select(ItemSource.guid).limit(5)))
    return f"not stored: {sorted(news.guids() - stored_guids(db))}; stored e.g. {sample}\n"


def stored_guids(db: Database) -> set[str]:
    with db.session() as session:
        query = select(ItemSource.guid).where(ItemSource.guid.not_like("farm-%"))
        return set(session.scalars(query))


def events(db: Database) -> list[Event]:
    with db.session() as session:
        rows = list(session.scalars(select(Event).order_by(Event.id)))
        session.expunge_all()
        return rows


def alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        rows = list(session.scalars(select(Alert).order_by(Alert.id)))
        session.expunge_all()
        return rows


def all_sent(db: Database, expected_events: int) -> bool:
    rows = alerts(db)
    return len(rows) == expected_events and all(a.status == "sent" for a in rows)


def claims(db: Database) -> dict[str, set[str]]:
    """Pending alerts held by an instance: owner -> idempotency keys."""
    held: dict[str, set[str]] = {}
    for row in alerts(db):
        if row.status == "pending" and row.claimed_by is not None:
            held.setdefault(row.claimed_by, set()).add(row.idempotency_key)
    return held


def keys_of(requests: list[ReceivedRequest]) -> Counter[str]:
    return Counter(r.header("Idempotency-Key") or "" for r in requests)


def test_three_instances_alert_once_per_event_and_a_killed_ones_claims_are_sent_once(
    tmp_path: Path,
) -> None:
    with (
        FeedFarm(FEEDS, keep=10, delay=DELAY) as farm,
        WebhookReceiver() as hook,
        postgres_database(admin_url()) as url,
    ):
        db = Database(url)
        try:
            migrate.upgrade(db.engine)
            config = write_config(tmp_path, url, farm, hook)
            with instances(config, tmp_path) as procs:
                run_newsroom(db, farm, hook, procs, tmp_path)
            killed = [p.returncode for p in procs].count(-signal.SIGKILL)
            assert killed == 1 and [p.returncode for p in procs].count(0) == INSTANCES - 1, logs_of(
                tmp_path
            )
        finally:
            db.dispose()


def run_newsroom(db, farm, hook, procs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(farm)
    news = Newsroom(farm, {})
    started = clock.wait_until(lambda: len(members(db)) == INSTANCES, 60)
    assert started, "the instances did not all register\n" + logs_of(tmp_path)
    assert clock.wait_until(lambda: len(farm.fetches()) >= FEEDS, 30), logs_of(tmp_path)
    # From now on only the wire stories are new: classifying 300 generated items per
    # interval on top would make the polls of a 2-core machine lag by whole intervals.
    clock.next_advance = float("inf")

    # Wave 1: three happenings, each in five feeds at once.
    for wire in FIRST_WAVE:
        news.publish(wire)
    expected = 3
    arrived = clock.wait_until(lambda: stored_guids(db) == news.guids(), 3 * INTERVAL)
    assert arrived, missing(db, news) + logs_of(tmp_path)
    assert clock.wait_until(lambda: all_sent(db, expected), 20), alerts(db)

    # Wave 2: two more happenings, and later reprints of the first three (coverage only).
    for wire in SECOND_WAVE:
        news.publish(wire)
    for wire in FIRST_WAVE:
        news.publish(wire, copies=2)
    expected += 2
    arrived = clock.wait_until(lambda: stored_guids(db) == news.guids(), 3 * INTERVAL)
    assert arrived, logs_of(tmp_path)
    assert clock.wait_until(lambda: all_sent(db, expected), 20), alerts(db)

    # Wave 3, with a slow receiver: two stories in the same feeds, each opening two events
    # (one alert per story, two alerts claimed together). The instance that claims them
    # is killed while it holds them.
    hook.program(then=Reply(delay=SLOW))
    news.publish_together(THIRD_WAVE)
    expected += len(THIRD_WAVE)
    assert clock.wait_until(lambda: bool(claims(db)), 3 * INTERVAL), logs_of(tmp_path)
    owner, held = next(iter(claims(db).items()))
    by_id = {v: k for k, v in members(db).items()}
    victim = next(p for p in procs if p.pid == by_id[owner])
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    before_kill = len(hook.requests)
    hook.program(then=Reply())

    limit = (EXPIRY + 2 * HEARTBEAT).total_seconds() + 2 * INTERVAL
    gone = clock.wait_until(lambda: owner not in members(db).values(), limit)
    assert gone, "the killed instance was not reclaimed\n" + logs_of(tmp_path)
    assert clock.wait_until(lambda: all_sent(db, expected), 30), alerts(db)
    assert clock.wait_until(lambda: stored_guids(db) == news.guids(), 3 * INTERVAL)
    clock.run(2)  # a late duplicate, if any, would arrive now

    check_events(db, news)
    check_deliveries(db, hook.requests, held, before_kill)


def check_events(db: Database, news: Newsroom) -> None:
    """One event per happening and type, covering every reprint of its story."""
    rows = events(db)
    opened = Counter((e.event_type, tuple(e.actors)) for e in rows)
    assert all(n == 1 for n in opened.values()), f"an event opened twice: {opened}"
    wanted = Counter(t for wire in WIRES for t in wire.types)
    assert Counter(e.event_type for e in rows) == wanted, opened
    assert all(e.alerting for e in rows)
    with db.session() as session:
        labels = Counter(
            (guid, event_type)
            for guid, event_type in session.execute(
                select(ItemSource.guid, Classification.event_type).join(
                    Classification, Classification.item_id == ItemSource.item_id
                )
            )
        )
        covered: dict[int, set[int]] = {}
        for event_id, item_id in session.execute(select(EventItem.event_id, EventItem.item_id)):
            covered.setdefault(event_id, set()).add(item_id)
        item_of = dict(session.execute(select(ItemSource.guid, ItemSource.item_id)).all())
    for wire in WIRES:
        for story in news.published[wire.slug]:
            for event_type in wire.types:
                assert labels[(story.guid, event_type)] == 1, (story.title, event_type)
        items = {item_of[story.guid] for story in news.published[wire.slug]}
        for event_type in wire.types:
            # Every reprint counts as coverage of the one event (this type has one here).
            (event,) = [e for e in rows if e.event_type == event_type and items & covered[e.id]]
            assert items <= covered[event.id], (wire.slug, event_type, items, covered)


def check_deliveries(
    db: Database, requests: list[ReceivedRequest], held: set[str], before_kill: int
) -> None:
    """One request per alert, listing every event its story opened; only the one in flight
    to the victim may be posted again."""
    rows = alerts(db)
    uids = {e.id: e.uid for e in events(db)}
    listed = Counter(e["event_id"] for a in rows for e in a.payload["events"])
    assert listed == Counter(uids.values()), listed  # each event in exactly one alert
    assert Counter(len(a.payload["events"]) for a in rows) == {1: 5, 2: 2}
    assert all(a.kind == "event" for a in rows)
    keys = {a.idempotency_key for a in rows}
    posted = keys_of(requests)
    assert set(posted) == keys, posted
    in_flight = set(keys_of(requests[:before_kill])) & held
    assert len(in_flight) <= 1, in_flight  # a worker posts one alert at a time
    twice = {key for key, n in posted.items() if n > 1}
    assert twice <= in_flight, f"posted more than once: {twice} (in flight: {in_flight})"
    after = keys_of(requests[before_kill:])
    assert all(after[key] == 1 for key in held), (held, after)  # the survivors sent them
    assert held - in_flight, "the victim held no alert it had not started to post"
    for request in requests:
        body = request.json()
        assert body["idempotency_key"] == request.header("Idempotency-Key")
    per_key = {r.header("Idempotency-Key"): {e["id"] for e in r.json()["events"]} for r in requests}
    assert set().union(*per_key.values()) == set(uids.values())
    assert len(per_key) == len(rows), per_key  # one key per alert
