"""Three `stmon run` processes on one PostgreSQL share 300 feeds, and survive a SIGKILL.

Runs under ``scripts/test-postgres.sh`` (``make test`` does that), which provides the
server in STMON_TEST_POSTGRES_URL. Without it this test fails: the one thing it checks
cannot be checked on SQLite, and a skip would hide that it never ran.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import main
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.instances import EXPIRY, HEARTBEAT
from monitor.store.tables import Feed, Instance, ItemSource
from monitor.store.tables import Item as ItemRow
from tests.support.farm import FeedFarm, Fetch
from tests.support.postgres import postgres_database

pytestmark = pytest.mark.postgres

FEEDS = 300
INSTANCES = 3
INTERVAL = 10.0  # fetch.interval; per-feed intervals have a 30 s floor, the default has none
DELAY = 0.2  # the farm's answer time, so polls overlap as they do against real servers
SLACK = 1.5  # a feed may be claimed this much before its next_due (DUE_SLACK + margin)


def admin_url() -> str:
    url = os.environ.get("STMON_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "STMON_TEST_POSTGRES_URL is not set: this test needs a real PostgreSQL. Run it "
            "with `make pytest` or `scripts/test-postgres.sh .venv/bin/pytest "
            "tests/test_multi_instance.py` (which installs and starts a throwaway server)."
        )
    return url


def write_config(tmp_path: Path, url: str, farm: FeedFarm) -> Path:
    lines = [
        f"storage:\n  url: {url}",
        "logging:\n  format: json",
        f"fetch:\n  interval: {int(INTERVAL)}s\n  jitter: 0.1\n  per_host: 64\n  concurrency: 64",
        "watches: []",
        "feeds:",
    ]
    lines += [f"  - name: farm-{n:03d}\n    url: {farm.url(n)}" for n in range(FEEDS)]
    path = tmp_path / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def instances(config: Path, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(INSTANCES):
            with (logs / f"instance-{n}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                    )
                )
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Clock:
    """Advances the farm (new items in every feed) once per interval while waiting."""

    def __init__(self, farm: FeedFarm) -> None:
        self.farm = farm
        self.next_advance = time.monotonic()

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() >= self.next_advance:
                self.farm.advance()
                self.next_advance += INTERVAL
            if done():
                return True
            time.sleep(0.5)
        return False

    def run(self, seconds: float) -> None:
        self.wait_until(lambda: False, seconds)


def scalar(db: Database, query: object) -> int:
    with db.session() as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def members(db: Database) -> dict[int, str]:
    with db.session() as session:
        return {row.pid: row.id for row in session.scalars(select(Instance))}


def fetched_since(farm: FeedFarm, since: float, feeds: set[int] | None = None) -> set[int]:
    return {
        f.feed for f in farm.fetches() if f.start > since and (feeds is None or f.feed in feeds)
    }


def check_schedule(farm: FeedFarm, windows: list[tuple[float, float]]) -> None:
    """Never two polls of a feed at once, never two within an interval; none missed."""
    by_feed: dict[int, list[Fetch]] = {feed: [] for feed in range(FEEDS)}
    for fetch in sorted(farm.fetches(), key=lambda f: f.start):
        by_feed[fetch.feed].append(fetch)
    for feed, fetches in by_feed.items():
        for before, after in itertools.pairwise(fetches):
            assert after.start >= before.end, f"feed {feed} fetched twice at once: {fetches}"
            assert after.start - before.start >= INTERVAL - SLACK, (
                f"feed {feed} fetched twice in one interval: {_times(fetches)}"
            )
        for start, end in windows:
            inside = [f.start for f in fetches if start <= f.start <= end]
            gaps = [b - a for a, b in zip([start, *inside], [*inside, end], strict=True)]
            assert max(gaps) < 2 * INTERVAL, f"feed {feed} missed an interval: {_times(fetches)}"


def _times(fetches: list[Fetch]) -> list[float]:
    return [round(f.start - fetches[0].start, 2) for f in fetches]


def logs_of(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:])
        for p in sorted(tmp_path.glob("instance-*.log"))
    )


def test_three_instances_share_the_feeds_and_a_killed_ones_move_to_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FeedFarm(FEEDS, keep=10, delay=DELAY) as farm, postgres_database(admin_url()) as url:
        db = Database(url)
        try:
            migrate.upgrade(db.engine)
            config = write_config(tmp_path, url, farm)
            with instances(config, tmp_path) as procs:
                run_cluster(db, farm, procs, tmp_path, capsys)
            assert [p.returncode for p in procs] == [-signal.SIGKILL, 0, 0], logs_of(tmp_path)
            assert members(db) == {}, "the instances stopped with SIGTERM did not unregister"
        finally:
            db.dispose()


def run_cluster(
    db: Database,
    farm: FeedFarm,
    procs: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Clock(farm)
    everyone = set(range(FEEDS))
    started = clock.wait_until(lambda: len(members(db)) == INSTANCES, 60)
    assert started, "the instances did not all register\n" + logs_of(tmp_path)
    assert clock.wait_until(lambda: fetched_since(farm, 0) == everyone, 30), logs_of(tmp_path)
    steady_from = time.monotonic()
    clock.run(2 * INTERVAL)

    # The cluster shares the work: every instance polls a fair part of the feeds.
    with db.session() as session:
        query = select(Feed.lease_owner, func.count()).group_by(Feed.lease_owner)
        held = {owner: count for owner, count in session.execute(query)}
    ids = members(db)
    assert all(held.get(ids[p.pid], 0) > FEEDS // 10 for p in procs), held

    victim = procs[0]
    victim_id = ids[victim.pid]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = time.monotonic()
    with db.session() as session:
        its_feeds = {
            int(name.removeprefix("farm-"))
            for name in session.scalars(select(Feed.name).where(Feed.lease_owner == victim_id))
        }
    assert its_feeds

    # Its feeds move to the others; a poll cut short keeps its lease until the instance
    # is declared dead (EXPIRY after its last heartbeat, found by the next reclaim).
    def moved() -> bool:
        with db.session() as session:
            left = session.scalar(select(func.count()).where(Feed.lease_owner == victim_id))
            gone = session.get(Instance, victim_id) is None
        return gone and not left and fetched_since(farm, killed, its_feeds) == its_feeds

    limit = (EXPIRY + 2 * HEARTBEAT).total_seconds() + 2 * INTERVAL
    assert clock.wait_until(moved, limit), "the killed instance's feeds did not move\n" + logs_of(
        tmp_path
    )
    recovered = time.monotonic()

    # Nothing is lost: the items published up to now all reach the store.
    newest = farm.advance()
    clock.next_advance = float("inf")
    expected = FEEDS * newest
    stored = clock.wait_until(lambda: scalar(db, select(func.count(ItemRow.id))) == expected, 40)
    assert stored, f"{scalar(db, select(func.count(ItemRow.id)))} items stored of {expected}"
    assert scalar(db, select(func.count(ItemSource.id))) == expected

    # Before the kill (less the victim's last polls, which are retried late) and after.
    check_schedule(farm, [(steady_from, killed - INTERVAL), (recovered, time.monotonic())])
    assert main(["status", "--db", db.url, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    alive = {r["pid"]: r for r in rows if "instance" in r}
    assert sorted(alive) == sorted(p.pid for p in procs[1:])
    assert all(r["alive"] for r in alive.values())
    assert sum(r["feeds"] for r in alive.values()) == FEEDS
