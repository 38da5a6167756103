"""Events: coverage joins, different happenings open, lifecycle, backlog, races, news."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config.schema import NoveltySettings, Route, WatchConfig
from monitor.model import Classified
from monitor.novelty.stage import EventNews, NoveltyStage, event_types
from monitor.store.db import Database
from monitor.store.events import event_lines, event_opened
from monitor.store.items import add_items
from monitor.store.tables import Event, EventItem, StoryBand
from monitor.store.tables import Item as ItemRow
from tests.support.novelty_data import (
    T0,
    WATCH,
    ensure_feed,
    events_by_url,
    ingest,
    make_item,
    shipped_events,
    stage,
    verdict,
)

CALL = (
    "Foreign Minister Cho Hyun and his Japanese counterpart Takeshi Iwaya talked by phone on "
    "{day} about North Korea and relations between their countries, the foreign ministry in "
    "Seoul said. The two ministers promised to keep in close touch and to widen practical "
    "cooperation."
)
CALL_2 = (
    "Japan's top diplomat Iwaya and South Korea's Cho spoke by telephone, agreeing that the two "
    "neighbours should keep close communication amid regional security challenges, Tokyo said. "
    "They also touched on the 60th anniversary of diplomatic ties."
)
SUMMIT_PLAN = (
    "President Lee Jae Myung is to travel to Tokyo on Aug. 23 for a summit with Prime Minister "
    "Shigeru Ishiba, the presidential office announced. The Japanese leader will host a dinner "
    "during the two-day trip. {extra}"
)
SUMMIT_HELD = (
    "President Lee Jae Myung and Prime Minister Shigeru Ishiba held a summit in Tokyo on "
    "Saturday, agreeing to keep up their visits and to work together on trade and security, "
    "according to officials of both governments."
)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[EventNews]] = []

    def __call__(self, session: Session, news: list[EventNews], now: datetime) -> None:
        assert session.is_active
        self.calls.append(news)

    @property
    def news(self) -> list[EventNews]:
        return [n for call in self.calls for n in call]


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def events(db: Database) -> list[Event]:
    return [event for event, _ in events_by_url(db)]


def test_first_report_opens_an_event_and_other_outlets_join_it_without_news(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    first = make_item(
        "Seoul, Tokyo top diplomats hold phone call",
        CALL.format(day="Thursday"),
        published=at(0),
        source="Korea Herald",
    )
    second = make_item(
        "Iwaya, Cho agree on close communication", CALL_2, published=at(0.2), source="Kyodo"
    )
    ingest(db, novelty, [(first, verdict("ministerial_talks"))], at(0))
    ingest(db, novelty, [(second, verdict("ministerial_talks"))], at(0.25))
    [(event, urls)] = events_by_url(db)
    assert urls == {first.url, second.url}
    assert event.event_type == "ministerial_talks" and event.alerting
    assert event.actors == ["JP:foreign_minister", "KR:foreign_minister"]
    assert [(n.kind, n.event_uid, n.item_id) for n in recorder.news] == [("new", event.uid, 1)]
    assert recorder.news[0].watch == WATCH and recorder.news[0].parent_uid is None


def test_the_next_call_a_month_later_is_a_new_event(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    ingest(
        db,
        novelty,
        [
            (
                make_item("Top diplomats talk", CALL.format(day="Thursday"), published=at(0)),
                verdict("ministerial_talks"),
            )
        ],
        at(0),
    )
    ingest(
        db,
        novelty,
        [
            (
                make_item("Top diplomats talk again", CALL_2, published=at(30)),
                verdict("ministerial_talks"),
            )
        ],
        at(30),
    )
    assert len(events(db)) == 2
    assert [n.kind for n in recorder.news] == ["new", "new"]


def test_other_ministers_or_another_date_within_the_window_are_other_events(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    defense = CALL.replace("Foreign Minister Cho Hyun", "Defense Minister Ahn Gyu-back").replace(
        "Takeshi Iwaya", "Gen Nakatani"
    )
    batch = [
        (
            make_item("Leaders to meet Aug. 23", SUMMIT_PLAN.format(extra=""), published=at(0)),
            verdict("summit_announced"),
        ),
        (
            make_item("Defense chiefs talk", defense.format(day="Friday"), published=at(0.1)),
            verdict("ministerial_talks"),
        ),
        (
            make_item("Top diplomats talk", CALL.format(day="Friday"), published=at(0.2)),
            verdict("ministerial_talks"),
        ),
        (
            make_item(
                "Lee, Ishiba to meet on Sept. 30 in Busan",
                "President Lee and Prime Minister Ishiba will meet in Busan on Sept. 30 for "
                "their next round of shuttle diplomacy, officials in Seoul said on Sunday.",
                published=at(2),
            ),
            verdict("summit_announced"),
        ),
    ]
    ingest(db, novelty, batch, at(2))
    found = events(db)
    assert sorted((e.event_type, tuple(e.actors), e.when_text) for e in found) == [
        ("ministerial_talks", ("JP:defense_minister", "KR:defense_minister"), None),
        ("ministerial_talks", ("JP:foreign_minister", "KR:foreign_minister"), None),
        ("summit_announced", ("KR:president", "JP:prime_minister"), "2025-08-23"),
        ("summit_announced", ("KR:president", "JP:prime_minister"), "2025-09-30"),
    ]
    assert len({n.event_id for n in recorder.news if n.kind == "new"}) == 4
    assert {e.place for e in found if e.event_type == "summit_announced"} == {"Tokyo", "Busan"}


def test_lifecycle_repeats_are_quiet_and_state_changes_are_news(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    for n in range(10):
        item = make_item(
            f"Lee, Ishiba to hold summit ({n})",
            SUMMIT_PLAN.format(extra=f"Note {n}."),
            published=at(n * 0.1),
            source=f"Outlet {n}",
        )
        ingest(db, novelty, [(item, verdict("summit_announced"))], at(n * 0.1))
    assert [n.kind for n in recorder.news] == ["new"]
    postponed = make_item(
        "Korea-Japan summit postponed",
        "The summit planned for Aug. 23 has been postponed, Seoul said.",
        published=at(1.5),
    )
    ingest(db, novelty, [(postponed, verdict("summit_announced"))], at(1.5))
    held = make_item("Ishiba, Lee meet in Tokyo", SUMMIT_HELD, published=at(3))
    ingest(db, novelty, [(held, verdict("summit_held"))], at(3))

    # the held summit moves the announced one along (events.lifecycle): one event
    [announced] = events(db)
    assert announced.event_type == "summit_announced" and announced.state == "held"
    kinds = [(n.kind, n.event_uid, n.event_type, n.state) for n in recorder.news]
    assert kinds == [
        ("new", announced.uid, "summit_announced", "announced"),
        ("state_change", announced.uid, "summit_announced", "postponed"),
        ("state_change", announced.uid, "summit_held", "held"),
    ]
    later = make_item("Lee, Ishiba summit: what they agreed", SUMMIT_HELD, published=at(3.5))
    ingest(db, novelty, [(later, verdict("summit_held"))], at(3.5))
    assert len(events(db)) == 1 and len(recorder.news) == 3  # coverage, not news
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(EventItem).where(EventItem.event_id == announced.id)
        )
    assert count == 13


def test_backlog_items_open_events_that_never_alert(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    now = at(10)
    old = make_item("Top diplomats talk", CALL.format(day="Thursday"), published=at(7))
    ingest(db, novelty, [(old, verdict("ministerial_talks"))], now)
    [event] = events(db)
    assert not event.alerting and recorder.news == []
    fresh = make_item("Iwaya, Cho agree on close communication", CALL_2, published=at(9.9))
    ingest(db, novelty, [(fresh, verdict("ministerial_talks"))], now)
    assert len(events(db)) == 1 and recorder.news == []
    # a fresh report from within the backlog age opens an alerting event elsewhere
    other = make_item("Leaders to meet Aug. 23", SUMMIT_PLAN.format(extra=""), published=at(9))
    ingest(db, novelty, [(other, verdict("summit_announced"))], now)
    assert [n.kind for n in recorder.news] == ["new"]


def test_future_dated_items_count_at_the_time_they_were_stored(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    item = make_item("Top diplomats talk", CALL.format(day="Thursday"), published=at(40))
    ingest(db, novelty, [(item, verdict("ministerial_talks"))], at(1))
    [event] = events(db)
    assert event.first_seen == at(1) and [n.kind for n in recorder.news] == ["new"]


@pytest.mark.parametrize("alert_updates", [False, True], ids=["updates-off", "updates-on"])
def test_a_reprint_bringing_a_new_type_is_an_update_only_when_enabled(
    db: Database, alert_updates: bool
) -> None:
    recorder = Recorder()
    novelty = stage(recorder, alert_updates=alert_updates)
    text = CALL.format(day="Thursday")
    ingest(
        db,
        novelty,
        [(make_item("Top diplomats talk", text, published=at(0)), verdict("ministerial_talks"))],
        at(0),
    )
    reprint = make_item(
        "Cho, Iwaya discuss North Korea missiles",
        text + " (Yonhap)",
        published=at(0.1),
        source="Aggregator",
    )
    ingest(db, novelty, [(reprint, verdict("ministerial_talks", "security_defense"))], at(0.1))
    talks, security = sorted(events(db), key=lambda e: e.id)
    assert security.event_type == "security_defense" and security.parent_id == talks.id
    assert security.alerting is alert_updates
    expected = [("new", talks.uid, None)] + (
        [("update", security.uid, talks.uid)] if alert_updates else []
    )
    assert [(n.kind, n.event_uid, n.parent_uid) for n in recorder.news] == expected


def test_only_types_the_watch_routes_open_events() -> None:
    watches = [
        WatchConfig(
            name="a", rules="r.yaml", routes=(Route(types=("leaders_call",), channels=("x",)),)
        ),
        WatchConfig(name="b", rules="r.yaml", routes=(Route(types=("*",), channels=("x",)),)),
        WatchConfig(name="c", rules="r.yaml"),
    ]
    assert event_types(watches) == {"a": frozenset({"leaders_call"}), "b": None, "c": frozenset()}


def test_unrouted_types_and_unknown_watches_open_no_event(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    item = make_item("Editorial on ties", CALL.format(day="Thursday"), published=at(0))
    ingest(db, novelty, [(item, verdict("commentary"))], at(0))
    assert events(db) == [] and recorder.calls == []


def test_event_creation_is_race_free_through_the_unique_key(db: Database) -> None:
    """Another writer's row with the same key (invisible to the search) is joined, not doubled."""
    recorder = Recorder()
    novelty = stage(recorder)
    bucket = int(at(0).timestamp() // timedelta(days=7).total_seconds())
    base = f"{WATCH}|ministerial_talks|JP:foreign_minister+KR:foreign_minister|{bucket}"
    with db.session() as session:
        june_2 = (date(2025, 6, 2), date(2025, 6, 3))
        for n, (when, (start, end)) in enumerate([("2025-06-02", june_2), (None, (None, None))]):
            session.add(
                Event(
                    uid=f"other-{n}",
                    key=f"{base}|{n}",
                    watch=WATCH,
                    event_type="ministerial_talks",
                    state="held",
                    actors=["JP:foreign_minister", "KR:foreign_minister"],
                    when_text=when,
                    when_start=start,
                    when_end=end,
                    headline="another writer",
                    score=0.5,
                    alerting=True,
                    first_seen=at(-60),
                    last_seen=at(-60),  # outside the window: not found by search
                )
            )
    item = make_item("Top diplomats talk on June 9", CALL.format(day="June 9"), published=at(0))
    ingest(db, novelty, [(item, verdict("ministerial_talks"))], at(0))
    found = {e.uid: urls for e, urls in events_by_url(db)}
    assert found == {"other-0": set(), "other-1": {item.url}}
    assert recorder.news == []


def test_news_is_handed_on_once_per_batch_in_the_same_transaction(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder)
    batch = [
        (
            make_item("Top diplomats talk", CALL.format(day="Thursday"), published=at(0)),
            verdict("ministerial_talks"),
        ),
        (
            make_item("Leaders to meet Aug. 23", SUMMIT_PLAN.format(extra=""), published=at(0)),
            verdict("summit_announced", "leaders_call", tense={"leaders_call": "future"}),
        ),
    ]
    _, returned = ingest(db, novelty, batch, at(0.1))
    assert len(recorder.calls) == 1 and recorder.calls[0] == returned
    assert sorted(n.event_type for n in returned) == [
        "leaders_call",
        "ministerial_talks",
        "summit_announced",
    ]
    leaders_call = next(n for n in returned if n.event_type == "leaders_call")
    assert leaders_call.state == "announced"


def test_handle_is_the_pipeline_hook(db: Database) -> None:
    recorder = Recorder()
    every_type = Route(types=("*",), channels=("x",))
    watch = WatchConfig(name=WATCH, rules="r.yaml", routes=(every_type,))
    novelty = NoveltyStage(NoveltySettings(), [watch], recorder, {WATCH: shipped_events()})
    from monitor.model import Classified
    from monitor.store.items import add_items
    from tests.support.novelty_data import ensure_feed

    item = make_item("Editorial on ties", CALL.format(day="Thursday"), published=at(0))
    with db.session() as session:
        stored = add_items(session, ensure_feed(session, "f", at(0)), [item], at(0))
        novelty.handle(session, [Classified(stored[0], {WATCH: verdict("commentary")})], at(0))
    assert [n.event_type for n in recorder.news] == ["commentary"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    import argparse

    from monitor.cli import events_cmd

    parser = argparse.ArgumentParser(prog="stmon")
    events_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


def test_events_command_lists_events_and_shows_a_timeline(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    now = datetime.now(T0.tzinfo) - timedelta(hours=1)
    novelty = stage()
    first = make_item(
        "Seoul, Tokyo top diplomats hold phone call",
        CALL.format(day="Thursday"),
        published=now - timedelta(hours=2),
        source="Korea Herald",
    )
    second = make_item(
        "Iwaya, Cho agree on close communication",
        CALL_2,
        published=now - timedelta(hours=1),
        source="Kyodo",
    )
    reprint = make_item(
        "Top diplomats talk (reprint)", CALL_2 + " Read more.", published=now, source="Kyodo"
    )
    ingest(db, novelty, [(first, verdict("ministerial_talks"))], now)
    ingest(
        db,
        novelty,
        [(second, verdict("ministerial_talks")), (reprint, verdict("ministerial_talks"))],
        now,
    )
    old = make_item(
        "Leaders to meet Aug. 23", SUMMIT_PLAN.format(extra=""), published=now - timedelta(days=30)
    )
    ingest(db, novelty, [(old, verdict("summit_announced"))], now - timedelta(days=30))

    code, out = run_cli(capsys, "events", "--db", db.url, "--json")
    [record] = [json.loads(line) for line in out.splitlines()]  # the old event is out of --since
    assert code == 0
    assert (record["type"], record["state"], record["articles"], record["sources"]) == (
        "ministerial_talks",
        "reported",
        3,
        2,
    )
    code, table = run_cli(capsys, "events", "--db", db.url, "--since", "60d")
    assert code == 0 and table.splitlines()[0].split()[:3] == ["UID", "FIRST", "SEEN"]
    assert len(table.splitlines()) == 3 and "summit_announced" in table

    code, out = run_cli(capsys, "events", "show", record["uid"], "--db", db.url, "--json")
    shown = json.loads(out)
    assert [c["title"] for c in shown["coverage"]] == [first.title, second.title, reprint.title]
    assert (
        shown["coverage"][1]["story"]
        == shown["coverage"][2]["story"]
        != shown["coverage"][0]["story"]
    )
    code, text = run_cli(capsys, "events", "show", str(record["id"]), "--db", db.url)
    assert code == 0 and "Kyodo" in text and record["uid"] in text
    assert run_cli(capsys, "events", "show", "ev-missing", "--db", db.url)[0] == 1


def test_only_relevant_items_get_stories_signatures_and_band_keys(db: Database) -> None:
    """Near-duplicate work is spent on the items a watch found relevant; the copies of an
    irrelevant text get no story and no band keys (nor a signature computed for them)."""
    novelty = stage()
    text = CALL.format(day="Monday")
    batch = [
        (make_item(f"Call {n}", f"{text} Item {n}.", published=at(0)), verdict("leaders_call"))
        for n in range(3)
    ]
    batch += [
        (make_item(f"Other {n}", f"{SUMMIT_HELD} Item {n}.", published=at(0)), verdict())
        for n in range(3)
    ]
    stored, _ = ingest(db, novelty, batch, at(0))
    with db.session() as session:
        rows = {
            title: (story, minhash is not None)
            for title, story, minhash in session.execute(
                select(ItemRow.title, ItemRow.story_id, ItemRow.minhash)
            )
        }
        banded = set(session.scalars(select(StoryBand.item_id).distinct()))
    relevant = {s.id for s in stored if s.item.title.startswith("Call")}
    assert {rows[f"Other {n}"] for n in range(3)} == {(None, False)}
    assert len({rows[f"Call {n}"][0] for n in range(3)}) == 1  # one story of three copies
    assert all(rows[f"Call {n}"] != (None, False) for n in range(3))
    assert banded == relevant


def test_events_show_lists_the_state_history_with_the_article_that_moved_it(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    novelty = stage()
    plan = make_item("Lee, Ishiba to hold summit", SUMMIT_PLAN.format(extra=""), published=at(0))
    again = make_item("Summit plan confirmed", SUMMIT_PLAN.format(extra="Again."), published=at(1))
    postponed = make_item(
        "Korea-Japan summit postponed",
        "The summit planned for Aug. 23 has been postponed, Seoul said.",
        published=at(2),
        source="Yonhap",
    )
    held = make_item("Ishiba, Lee meet in Tokyo", SUMMIT_HELD, published=at(4), source="Kyodo")
    for item, label in ((plan, "summit_announced"), (again, "summit_announced"),
                        (postponed, "summit_announced"), (held, "summit_held")):  # fmt: skip
        ingest(db, novelty, [(item, verdict(label))], item.published)
    [event] = events(db)

    code, out = run_cli(capsys, "events", "show", event.uid, "--db", db.url, "--json")
    states = json.loads(out)["states"]
    assert code == 0
    assert [(s["state"], s["was"], s["title"]) for s in states] == [
        ("announced", None, plan.title),
        ("postponed", "announced", postponed.title),
        ("held", "postponed", held.title),
    ]
    code, text = run_cli(capsys, "events", "show", event.uid, "--db", db.url)
    history = text.split("State history:")[1].split("Coverage:")[0]
    assert [line.split()[2] for line in history.strip().splitlines()[1:]] == [
        "announced",
        "postponed",
        "held",
    ]
    assert "Kyodo" in history and "Yonhap" in history


def test_an_announcement_read_after_its_summit_was_held_joins_it(db: Database) -> None:
    recorder = Recorder()
    novelty = stage(recorder, backlog=timedelta(days=60))
    held = make_item("Ishiba, Lee meet in Tokyo", SUMMIT_HELD, published=at(12))
    ingest(db, novelty, [(held, verdict("summit_held"))], at(20))
    plan = make_item("Lee, Ishiba to hold summit", SUMMIT_PLAN.format(extra=""), published=at(0))
    ingest(db, novelty, [(plan, verdict("summit_announced"))], at(20))  # read late
    [(event, urls)] = events_by_url(db)
    assert urls == {held.url, plan.url}
    assert (event.event_type, event.state, event.first_seen) == ("summit_announced", "held", at(0))
    assert [(n.kind, n.event_type) for n in recorder.news] == [("new", "summit_held")]
    # an announcement made after the summit (beyond the window) is a new event
    next_one = make_item("Lee, Ishiba to meet again", SUMMIT_PLAN.format(extra="Next."),
                         published=at(25), source="Kyodo")  # fmt: skip
    ingest(db, novelty, [(next_one, verdict("summit_announced"))], at(25))
    assert len(events(db)) == 2


def test_two_batches_in_one_transaction_see_each_others_event_changes(db: Database) -> None:
    """A group commit runs several polls' stages in one session: the alert stage's reads
    of an event (``event_opened``, ``event_lines``) and the next batch see the changes
    the batches before made to it, as the store holds them."""
    seen: list[tuple[str, datetime]] = []

    def handler(session: Session, news: list[EventNews], now: datetime) -> None:
        seen.extend(event_opened(session, n.event_id) for n in news)

    novelty = stage(handler)
    text = SUMMIT_PLAN.format(extra="")
    first = make_item("Lee to visit Tokyo for summit", text, published=at(1), source="A")
    reprint = make_item("Lee to visit Tokyo for summit", text, published=at(0.5), source="B")
    with db.session() as session:
        feed = ensure_feed(session, "wire", at(1))
        for item in (first, reprint):  # two jobs of one batch of the writer
            stored = add_items(session, feed, [item], at(1))
            classified = [Classified(s, {WATCH: verdict("summit_announced")}) for s in stored]
            novelty.process(session, classified, at(1))
        [(uid, opened)] = seen
        assert opened == at(1)
        event_id = session.scalar(select(Event.id).where(Event.uid == uid))
        assert event_id is not None
        assert event_opened(session, event_id) == (uid, at(0.5))  # the reprint was earlier
        assert event_lines(session, [event_id]) == {event_id: (uid, first.title, "2025-08-23")}
    [event] = events(db)
    assert (event.first_seen, event.last_seen) == (at(0.5), at(1))
