"""Background tasks are started again after a crash, and /healthz hears of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from monitor.metrics import Metrics
from monitor.service.tasks import CRASH_WINDOW, Tasks

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_task_that_crashes_is_restarted_counted_and_reported() -> None:
    metrics = Metrics()
    tasks = Tasks(metrics, clock=lambda: NOW, first_delay=0.01, max_delay=0.02)
    runs: list[int] = []
    reports: list[list[str]] = []

    async def work(stop: asyncio.Event) -> None:
        runs.append(len(runs))
        if len(runs) <= 2:
            raise KeyError("headline")
        reports.append(tasks.problems(NOW))
        stop.set()  # the third run is healthy until the daemon stops

    async def go() -> None:
        stop = asyncio.Event()
        await asyncio.wait_for(tasks.keep("delivery", lambda: work(stop), stop), 30)

    asyncio.run(go())
    assert len(runs) == 3
    state = tasks.states["delivery"]
    assert state.crashes == 2 and state.last_error == "KeyError: 'headline'"
    assert reports == [
        [
            "task 'delivery' crashed 2 time(s), last at 2026-12-02T12:00:00+00:00 "
            "(KeyError: 'headline'); restarted"
        ]
    ]
    assert tasks.problems(NOW + CRASH_WINDOW + timedelta(seconds=1)) == []
    assert tasks.to_dict()["delivery"]["crashes"] == 2
    assert 'stmon_task_crashes_total{task="delivery"} 2.0' in metrics.render().decode()


def test_a_task_that_ends_while_the_daemon_runs_is_a_crash() -> None:
    tasks = Tasks(clock=lambda: NOW, first_delay=0.01)
    runs: list[int] = []

    async def work(stop: asyncio.Event) -> None:
        runs.append(1)
        if len(runs) == 2:
            stop.set()

    async def go() -> None:
        stop = asyncio.Event()
        await asyncio.wait_for(tasks.keep("watch-config", lambda: work(stop), stop), 30)

    asyncio.run(go())
    state = tasks.states["watch-config"]
    assert state.crashes == 1 and state.last_error == "ended while the daemon was running"
    assert not state.running
