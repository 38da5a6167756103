"""/metrics and /healthz over real HTTP on 127.0.0.1, changing as work is recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.config.service import ServiceSettings
from monitor.metrics import Metrics
from monitor.model import PollOutcome
from monitor.service.health import HealthReport, SourceWatch
from monitor.service.http import Endpoint
from monitor.service.metrics import store_metrics
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, record_polled
from monitor.store.outbox import add_alert
from tests.support.service_store import add_feed, fail_poll, publish

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def serve(
    metrics: Metrics,
    health: Callable[[], HealthReport],
    body: Callable[[httpx.AsyncClient], Awaitable[None]],
) -> None:
    async def main() -> None:
        async with Endpoint(metrics, health, "127.0.0.1", 0) as endpoint:
            base = f"http://127.0.0.1:{endpoint.port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                await body(client)

    asyncio.run(main())


def test_counters_change_as_work_is_recorded(db: Database) -> None:
    metrics = store_metrics(db, clock=lambda: NOW)

    async def body(client: httpx.AsyncClient) -> None:
        before = await client.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        assert sample(before.text, "stmon_fetches_total", outcome="new") is None
        assert sample(before.text, "stmon_store_up") == 1.0

        metrics.record_poll(PollOutcome("yonhap", "new", fetched=20, new=3), 0.4)
        metrics.record_poll(PollOutcome("kyodo", "error", error="HTTP 503"), 2.0)
        metrics.record_classification(["summit_held", "leaders_call"])
        metrics.record_classification(["summit_held"])
        metrics.record_event("summit_held")
        metrics.record_alert("ops-mail", "sent")
        metrics.record_alert("ops-mail", "retry")
        metrics.record_reload(ok=False)

        text = (await client.get("/metrics")).text
        assert sample(text, "stmon_fetches_total", outcome="new") == 1
        assert sample(text, "stmon_fetches_total", outcome="error") == 1
        assert sample(text, "stmon_fetch_duration_seconds_count") == 2
        assert sample(text, "stmon_fetch_duration_seconds_sum") == pytest.approx(2.4)
        assert sample(text, "stmon_fetch_duration_seconds_bucket", le="0.5") == 1
        assert sample(text, "stmon_items_total", result="new") == 3
        assert sample(text, "stmon_items_total", result="duplicate") == 17
        assert sample(text, "stmon_classifications_total", event_type="summit_held") == 2
        assert sample(text, "stmon_classifications_total", event_type="leaders_call") == 1
        assert sample(text, "stmon_events_total", event_type="summit_held") == 1
        assert sample(text, "stmon_alerts_total", channel="ops-mail", outcome="sent") == 1
        assert sample(text, "stmon_alerts_total", channel="ops-mail", outcome="retry") == 1
        assert sample(text, "stmon_config_reloads_total", result="failed") == 1

    serve(metrics, lambda: HealthReport(True), body)


def test_store_gauges_are_read_at_scrape_time(db: Database) -> None:
    metrics = store_metrics(db, clock=lambda: NOW)
    with db.session() as session:
        feed = add_feed(session, "yonhap", NOW - timedelta(days=1))
        add_feed(session, "kyodo", NOW - timedelta(days=1))

    async def body(client: httpx.AsyncClient) -> None:
        text = (await client.get("/metrics")).text
        assert sample(text, "stmon_feed_last_success_timestamp_seconds", feed="yonhap") is None
        assert sample(text, "stmon_outbox_alerts", channel="ops", status="pending") is None
        assert sample(text, "stmon_feeds", state="ok") == 2

        with db.session() as session:
            publish(session, session.merge(feed), [NOW - timedelta(minutes=5)])
            for n in range(3):
                add_alert(
                    session, key=f"k{n}", channel="ops", kind="event", delivery="immediate",
                    payload={}, event_id=None, next_attempt=NOW - timedelta(minutes=n), now=NOW,
                )  # fmt: skip
            kyodo = feed_by_name(session, "kyodo")
            assert kyodo is not None
            fail_poll(session, kyodo, now=NOW, next_due=NOW, error="HTTP 500",
                      failing_after=1)  # fmt: skip

        text = (await client.get("/metrics")).text
        stamp = sample(text, "stmon_feed_last_success_timestamp_seconds", feed="yonhap")
        assert stamp == (NOW - timedelta(minutes=5)).timestamp()
        assert sample(text, "stmon_outbox_alerts", channel="ops", status="pending") == 3
        assert sample(text, "stmon_outbox_oldest_due_seconds") == 120
        assert sample(text, "stmon_feeds", state="failing") == 1
        assert sample(text, "stmon_feeds", state="ok") == 1

    serve(metrics, lambda: HealthReport(True), body)


def test_metrics_answer_when_the_store_does_not(db: Database) -> None:
    metrics = store_metrics(db, clock=lambda: NOW)
    db.dispose()
    with db.engine.begin() as conn:  # drop a table the scrape reads
        conn.exec_driver_sql("DROP TABLE alerts")

    async def body(client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert sample(response.text, "stmon_store_up") == 0.0

    serve(metrics, lambda: HealthReport(True), body)


# --- /healthz -------------------------------------------------------------------------


def health_report(
    db: Database, settings: ServiceSettings, *, started: datetime, now: datetime
) -> HealthReport:
    watch = SourceWatch(db, settings, started=started)
    watch.refresh(now)
    return watch.report(now)


def healthz(
    db: Database, clock: list[datetime], settings: ServiceSettings, started: datetime
) -> Callable[[], HealthReport]:
    return lambda: health_report(db, settings, started=started, now=clock[0])


def test_healthz_turns_503_when_no_feed_succeeded_recently(db: Database) -> None:
    clock = [NOW]
    settings = ServiceSettings.model_validate({"healthz": {"no_success_for": "1h"}})
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), [NOW - timedelta(minutes=10)])
    check = healthz(db, clock, settings, started=NOW - timedelta(days=1))

    async def body(client: httpx.AsyncClient) -> None:
        ok = await client.get("/healthz")
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "ok"
        assert ok.json()["feeds"] == 1
        clock[0] = NOW + timedelta(hours=2)
        bad = await client.get("/healthz")
        assert bad.status_code == 503
        assert bad.headers["content-type"] == "application/json"
        (reason,) = bad.json()["reasons"]
        assert "no feed fetched successfully for over 1h" in reason

    serve(Metrics(), check, body)


def test_healthz_gives_a_fresh_start_time_to_succeed(db: Database) -> None:
    with db.session() as session:
        add_feed(session, "yonhap", NOW)
    settings = ServiceSettings()
    fresh = health_report(db, settings, started=NOW - timedelta(minutes=5), now=NOW)
    old = health_report(db, settings, started=NOW - timedelta(hours=5), now=NOW)
    assert fresh.ok
    assert not old.ok
    assert "since start" in old.reasons[0]


def test_healthz_turns_503_when_the_outbox_is_stuck(db: Database) -> None:
    clock = [NOW]
    settings = ServiceSettings.model_validate({"healthz": {"outbox_stuck_after": "15m"}})
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), [NOW - timedelta(minutes=1)])
        add_alert(
            session, key="a1", channel="ops-mail", kind="event", delivery="immediate",
            payload={}, event_id=None, next_attempt=NOW - timedelta(minutes=5), now=NOW,
        )  # fmt: skip
        add_alert(  # waiting for a retry later is not stuck
            session, key="a2", channel="webhook", kind="event", delivery="immediate",
            payload={}, event_id=None, next_attempt=NOW + timedelta(hours=1), now=NOW,
        )  # fmt: skip
    check = healthz(db, clock, settings, started=NOW - timedelta(days=1))

    async def body(client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).status_code == 200
        clock[0] = NOW + timedelta(minutes=12)  # the due alert has waited 17 minutes
        bad = await client.get("/healthz")
        assert bad.status_code == 503
        assert bad.json()["reasons"] == ["outbox stuck: an alert to 'ops-mail' has waited 17m"]
        assert bad.json()["oldest_due_alert_seconds"] == 17 * 60

    serve(Metrics(), check, body)


def test_healthz_counts_quiet_feeds_only_when_asked(db: Database) -> None:
    times = [NOW - timedelta(hours=10) + timedelta(minutes=20 * n) for n in range(10)]
    with db.session() as session:
        feed = add_feed(session, "yonhap", NOW - timedelta(days=1))
        publish(session, feed, times)
        record_polled(session, feed.id, "", now=NOW, next_due=NOW, etag=None, last_modified=None)
    started = NOW - timedelta(days=1)
    plain = health_report(db, ServiceSettings(), started=started, now=NOW)
    strict = ServiceSettings.model_validate({"healthz": {"include_sources": True}})
    report = health_report(db, strict, started=started, now=NOW)
    assert plain.ok
    assert plain.details["flagged_feeds"] == {"yonhap": "quiet"}
    assert not report.ok
    assert report.reasons[0].startswith("feed 'yonhap' is quiet: nothing new for 7h")


def test_a_health_check_that_raises_is_a_503() -> None:
    def broken() -> HealthReport:
        raise RuntimeError("database is locked")

    async def body(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["reasons"] == ["health check failed: database is locked"]

    serve(Metrics(), broken, body)


def test_http_edges() -> None:
    async def body(client: httpx.AsyncClient) -> None:
        assert (await client.get("/nothing")).status_code == 404
        post = await client.post("/metrics", content=b"x")
        assert post.status_code == 405
        assert post.headers["allow"] == "GET, HEAD"
        head = await client.head("/healthz")
        assert head.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) > 0
        assert (await client.get("/healthz?verbose=1")).json()["status"] == "ok"

    serve(Metrics(), lambda: HealthReport(True), body)


def test_garbage_and_oversized_requests_get_400() -> None:
    async def raw(port: int, data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        return answer

    async def main() -> None:
        async with Endpoint(Metrics(), lambda: HealthReport(True), "127.0.0.1", 0) as endpoint:
            garbage = await raw(endpoint.port, b"HELLO\r\n\r\n")
            huge = await raw(endpoint.port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000)
            fine = await raw(endpoint.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        assert garbage.startswith(b"HTTP/1.1 400 ")
        assert huge.startswith(b"HTTP/1.1 400 ")
        assert fine.startswith(b"HTTP/1.1 200 ")
        assert json.loads(fine.split(b"\r\n\r\n", 1)[1]) == {"status": "ok", "reasons": []}

    asyncio.run(main())


def test_two_metrics_objects_do_not_share_counters() -> None:
    a, b = Metrics(), Metrics()
    a.record_event("summit_held")
    assert sample(a.render().decode(), "stmon_events_total", event_type="summit_held") == 1
    assert sample(b.render().decode(), "stmon_events_total", event_type="summit_held") is None


def test_an_address_in_use_is_a_config_error_naming_the_setting() -> None:
    import socket

    from monitor.errors import ConfigError

    def never() -> HealthReport:
        raise AssertionError("not asked")

    async def start(port: int) -> None:
        await Endpoint(Metrics(), never, port=port).start()

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            asyncio.run(start(port))
    assert str(caught.value) == (
        f"service.metrics.listen: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "service.metrics.listen" in caught.value.hint
