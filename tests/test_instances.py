"""Several instances on one database: exclusive feed claims, reclaiming the dead, SQLite refusal."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.app import build_service
from monitor.cli import main
from monitor.config.schema import Config
from monitor.errors import StoreError
from monitor.model import Item
from monitor.store import instances
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, sync_feeds
from monitor.store.items import add_items
from monitor.store.tables import Alert, Feed, Instance, ItemSource
from monitor.store.tables import Item as ItemRow
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_feeds(db: Database, count: int, now: datetime = NOW) -> list[str]:
    names = [f"feed-{n:03d}" for n in range(count)]
    with db.session() as session:
        sync_feeds(session, [(n, f"http://127.0.0.1:9/{n}.xml") for n in names], now)
    return names


def claim(db: Database, name: str, owner: str, now: datetime = NOW, **kwargs: object) -> bool:
    with db.session() as session:
        return instances.claim_feed(session, name, owner, now, **kwargs)  # type: ignore[arg-type]


def feed(db: Database, name: str) -> Feed:
    with db.session() as session:
        row = feed_by_name(session, name)
        assert row is not None
        return row


def race(db: Database, names: list[str], owners: list[str]) -> dict[str, list[str]]:
    """Every owner, in its own thread, tries to claim every feed at once; who got what."""
    won: dict[str, list[str]] = {owner: [] for owner in owners}
    start = threading.Barrier(len(owners))
    errors: list[BaseException] = []

    def contender(owner: str) -> None:
        order = list(names)
        random.Random(owner).shuffle(order)
        try:
            start.wait()
            for name in order:
                if claim(db, name, owner):
                    won[owner].append(name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contender, args=(o,)) for o in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return won


def test_each_feed_is_claimed_by_exactly_one_of_racing_instances(db: Database) -> None:
    names = add_feeds(db, 60)
    owners = [f"host:{n}:abc" for n in range(6)]
    won = race(db, names, owners)
    claimed = Counter(name for got in won.values() for name in got)
    assert sorted(claimed) == names
    assert set(claimed.values()) == {1}
    for owner, got in won.items():
        for name in got:
            assert feed(db, name).lease_owner == owner


def test_a_held_lease_is_not_taken_until_it_expires(db: Database) -> None:
    (name,) = add_feeds(db, 1)
    lease = timedelta(minutes=1)
    assert claim(db, name, "a", NOW, lease=lease)
    assert not claim(db, name, "b", NOW + timedelta(seconds=59), lease=lease)
    assert not claim(db, name, "a", NOW + timedelta(seconds=30), lease=lease)  # not twice either
    assert claim(db, name, "b", NOW + timedelta(seconds=61), lease=lease)
    assert feed(db, name).lease_owner == "b"


def test_a_feed_polled_recently_is_not_due_unless_asked(db: Database) -> None:
    (name,) = add_feeds(db, 1)
    with db.session() as session:
        row = feed_by_name(session, name)
        assert row is not None
        row.next_due = NOW + timedelta(minutes=10)
    assert not claim(db, name, "a", NOW)
    assert claim(db, name, "a", NOW, due_only=False)
    with db.session() as session:
        instances.release_feed(session, name, "a")
    assert claim(db, name, "b", NOW + timedelta(minutes=10))


def test_release_frees_the_lease_and_remembers_who_polled_last(db: Database) -> None:
    first, second = add_feeds(db, 2)
    assert claim(db, first, "a") and claim(db, second, "a")
    with db.session() as session:
        instances.release_feed(session, first, "b")  # not b's lease: nothing happens
        instances.release_feed(session, second, "a")
    assert feed(db, first).lease_until is not None
    row = feed(db, second)
    assert row.lease_until is None and row.lease_owner == "a"
    assert claim(db, second, "b")


def test_a_silent_instance_is_reclaimed_with_its_feeds_and_alerts(db: Database) -> None:
    names = add_feeds(db, 4)
    with db.session() as session:
        instances.register(session, "host-a:11:aaaaaa", NOW)
        instances.register(session, "host-b:22:bbbbbb", NOW)
        session.add(
            Alert(idempotency_key="k1", channel="hook", kind="event", delivery="immediate",
                  payload={}, status="pending", attempts=0, next_attempt=NOW,
                  claimed_by="host-a:11:aaaaaa", claimed_until=NOW + timedelta(minutes=2),
                  created=NOW)
        )  # fmt: skip
    for name in names[:3]:
        assert claim(db, name, "host-a:11:aaaaaa", lease=timedelta(hours=1))
    later = NOW + instances.EXPIRY + timedelta(seconds=5)
    with db.session() as session:
        assert instances.heartbeat(session, "host-b:22:bbbbbb", later)
        listed = {i.id: i for i in instances.list_instances(session, later)}
    assert listed["host-a:11:aaaaaa"].feeds == 3 and listed["host-a:11:aaaaaa"].polling == 3
    assert not listed["host-a:11:aaaaaa"].alive and listed["host-b:22:bbbbbb"].alive
    assert (listed["host-a:11:aaaaaa"].host, listed["host-a:11:aaaaaa"].pid) == ("host-a", 11)
    assert not claim(db, names[0], "host-b:22:bbbbbb", later)  # still leased for an hour

    with db.session() as session:
        dead = instances.reclaim(session, later, keep="host-b:22:bbbbbb")
    assert dead == ["host-a:11:aaaaaa"]
    assert all(claim(db, name, "host-b:22:bbbbbb", later) for name in names[:3])
    with db.session() as session:
        assert [i.id for i in instances.list_instances(session, later)] == ["host-b:22:bbbbbb"]
        alert = session.scalar(select(Alert))
        assert alert is not None and alert.claimed_by is None and alert.claimed_until is None


def test_an_instance_reclaimed_by_mistake_rejoins_at_its_next_heartbeat(db: Database) -> None:
    with db.session() as session:
        instances.register(session, "h:1:x", NOW)
        instances.reclaim(session, NOW + timedelta(minutes=5))
        assert session.get(Instance, "h:1:x") is None
        assert not instances.heartbeat(session, "h:1:x", NOW + timedelta(minutes=5))
        row = session.get(Instance, "h:1:x")
        assert row is not None and row.heartbeat == NOW + timedelta(minutes=5)


def test_unregister_frees_everything_the_instance_held(db: Database) -> None:
    (name,) = add_feeds(db, 1)
    with db.session() as session:
        instances.register(session, "h:1:x", NOW)
    assert claim(db, name, "h:1:x")
    with db.session() as session:
        instances.unregister(session, "h:1:x")
        assert session.scalars(select(Instance)).all() == []
    row = feed(db, name)
    assert row.lease_owner is None and row.lease_until is None


def wire_items(count: int, round_: int) -> list[Item]:
    return [
        Item(
            source="Wire",
            url=f"https://wire.example/{round_}/{n}",
            guid=f"w-{round_}-{n}",
            title=f"Story {n}",
            summary="",
            content=f"Text of story {round_}.{n}",
            author=None,
            published=NOW,
            fetched=NOW,
            language="en",
            content_hash=f"{round_:04d}{n:060d}",
        )
        for n in range(count)
    ]


def store_at_once(db: Database, batches: dict[str, list[Item]]) -> dict[str, int]:
    """Each feed's batch stored in its own thread and transaction, all at the same moment."""
    start = threading.Barrier(len(batches))
    new: dict[str, int] = {}
    errors: list[BaseException] = []

    def store(name: str, batch: list[Item]) -> None:
        try:
            with db.session() as session:
                row = feed_by_name(session, name)
                assert row is not None
                start.wait()
                new[name] = len(add_items(session, row, batch, NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=store, args=pair) for pair in batches.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return new


def test_two_instances_storing_the_same_items_at_once_store_each_once(db: Database) -> None:
    first, second = add_feeds(db, 2)
    for round_ in range(5):
        items = wire_items(150, round_)
        # the same wire stories from two feeds, listed in opposite orders
        new = store_at_once(db, {first: items, second: items[::-1]})
        assert new[first] + new[second] == len(items)
    with db.session() as session:
        assert session.scalar(select(func.count(ItemRow.id))) == 5 * 150
        per_feed = session.execute(
            select(ItemSource.feed_id, func.count()).group_by(ItemSource.feed_id)
        )
        assert sorted(count for _feed, count in per_feed) == [5 * 150, 5 * 150]


# --- the poller ----------------------------------------------------------------------------


@pytest.fixture
def slow_server() -> Iterator[FeedServer]:
    with FeedServer(FIXTURES) as server:
        yield server


def test_two_pollers_racing_for_one_feed_fetch_it_once(
    db: Database, slow_server: FeedServer
) -> None:
    url = slow_server.url("/slow/rss20.xml?delay=0.5")
    config = Config.model_validate({"feeds": [{"name": "wire", "url": url}]})

    async def both() -> list[str]:
        first = build_service(config, db, None)
        second = build_service(config, db, None)
        for service, owner in ((first, "host:1:a"), (second, "host:2:b")):
            service.poller.owner, service.poller.due_only = owner, True
        try:
            outcomes = await asyncio.gather(
                first.poller.poll(first.specs[0]), second.poller.poll(second.specs[0])
            )
        finally:
            await first.close()
            await second.close()
        return sorted(o.status for o in outcomes)

    assert asyncio.run(both()) == ["new", "skipped"]
    assert slow_server.hits("/slow/rss20.xml") == 1
    row = feed(db, "wire")
    assert row.lease_until is None and row.lease_owner in ("host:1:a", "host:2:b")
    assert row.next_due is not None and row.next_due > datetime.now(UTC)


def test_status_lists_the_instances_and_what_they_hold(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    names = add_feeds(db, 3)
    now = datetime.now(UTC)
    with db.session() as session:
        instances.register(session, "box-1:4242:abcdef", now)
    for name in names[:2]:
        assert claim(db, name, "box-1:4242:abcdef", now)
    with db.session() as session:
        instances.release_feed(session, names[0], "box-1:4242:abcdef")

    assert main(["status", "--db", db.url]) == 0
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.startswith("INSTANCE"))
    assert header.split() == ["INSTANCE", "HOST", "PID", "LAST", "HEARTBEAT", "FEEDS", "POLLING",
                              "STATE"]  # fmt: skip
    row = text.splitlines()[text.splitlines().index(header) + 1].split()
    assert row[:3] == ["box-1:4242:abcdef", "box-1", "4242"]
    assert row[-3:] == ["2", "1", "alive"]

    assert main(["status", "--db", db.url, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (member,) = [line for line in lines if "instance" in line]
    assert member["instance"] == "box-1:4242:abcdef"
    assert (member["host"], member["pid"], member["feeds"], member["polling"]) == (
        "box-1", 4242, 2, 1
    )  # fmt: skip
    assert len([line for line in lines if "feed" in line]) == 3


# --- SQLite: one instance per file ---------------------------------------------------------


def test_a_second_lock_on_one_sqlite_file_names_the_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stmon.db'}"
    first = instances.lock_sqlite(url)
    assert first is not None and first.path == tmp_path / "stmon.db.lock"
    try:
        with pytest.raises(StoreError, match=f"pid {os.getpid()}"):
            instances.lock_sqlite(url)
    finally:
        first.release()
    again = instances.lock_sqlite(url)
    assert again is not None
    again.release()
    assert instances.lock_sqlite("postgresql://u@127.0.0.1/x") is None
    assert instances.lock_sqlite("sqlite://") is None


def stmon(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", *args]


def test_a_second_run_on_the_same_sqlite_file_is_refused(
    tmp_path: Path, slow_server: FeedServer
) -> None:
    db_file = tmp_path / "stmon.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: sqlite:///{db_file}\nfeeds:\n"
        f"  - name: wire\n    url: {slow_server.url('/rss20.xml')}\n"
    )
    subprocess.run(stmon("--config", str(config), "db", "upgrade"), check=True,
                   capture_output=True)  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        stmon("--config", str(config), "run"), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert first.stderr is not None
        for line in first.stderr:  # wait until it has registered and started
            if '"started"' in line or " started " in line:
                break
        else:
            pytest.fail("the first instance did not start")
        second = subprocess.run(
            stmon("--config", str(config), "run"), capture_output=True, text=True, env=env,
            timeout=60,
        )  # fmt: skip
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        database = Database(f"sqlite:///{db_file}")
        try:
            with database.session() as session:
                (member,) = instances.list_instances(session, datetime.now(UTC))
        finally:
            database.dispose()
        assert member.pid == first.pid
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0
    database = Database(f"sqlite:///{db_file}")
    try:
        with database.session() as session:
            assert instances.list_instances(session, datetime.now(UTC)) == []
    finally:
        database.dispose()


def test_many_feeds_are_claimed_in_one_statement_and_each_name_is_answered(
    db: Database,
) -> None:
    names = add_feeds(db, 5)
    assert claim(db, names[0], "other", lease=timedelta(hours=1))
    with db.session() as session:
        found = instances.claim_feeds(session, [*names, "unknown"], "me", NOW)
    claimed = {n for n, c in found.items() if isinstance(c, instances.Claim)}
    assert claimed == set(names[1:])
    held = found[names[0]]
    assert isinstance(held, instances.NotClaimed) and held.holder == "other"
    unknown = found["unknown"]
    assert isinstance(unknown, instances.NotClaimed) and not unknown.stored
    for name in names[1:]:
        assert feed(db, name).lease_owner == "me"
