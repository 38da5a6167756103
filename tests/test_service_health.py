"""Source health: rhythm learned from history, quiet and failing feeds, one alert per spell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.alert.render import webhook_payload
from monitor.alert.route import message_from_dict
from monitor.config.service import ServiceSettings, SourceHealthSettings
from monitor.service.health import (
    FeedHealth,
    SourceWatch,
    learn_rhythm,
    queue_source_alerts,
    source_health,
    status_line,
)
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, record_polled, sync_feeds
from monitor.store.items import add_items
from monitor.store.outbox import add_alert
from monitor.store.tables import Alert
from tests.support.service_store import add_event, add_feed, fail_poll, make_item, publish

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SETTINGS = SourceHealthSettings()  # quiet after max(8 × rhythm, 2h); 5 items to learn


def every(minutes: float, count: int, last: datetime) -> list[datetime]:
    """``count`` times ``minutes`` apart, the last at ``last``."""
    return [last - timedelta(minutes=minutes * (count - 1 - n)) for n in range(count)]


def health_of(db: Database, name: str, now: datetime = NOW, **settings: object) -> FeedHealth:
    config = SourceHealthSettings.model_validate(settings) if settings else SETTINGS
    with db.session() as session:
        by_name = {h.feed: h for h in source_health(session, now, config)}
    return by_name[name]


def checked_at(db: Database, name: str, when: datetime) -> None:
    """A successful poll at ``when`` that found nothing new."""
    with db.session() as session:
        feed = feed_by_name(session, name)
        assert feed is not None
        record_polled(session, feed.id, "", now=when, next_due=when, etag=None, last_modified=None)


@pytest.mark.parametrize(
    ("gaps_minutes", "expected"),
    [([], None), ([0], None), ([20, 20, 20], 1200.0), ([10, 20, 600], 1200.0),
     ([0, 0, 30, 0, 30], 1800.0)],
    ids=["one-item", "same-time", "steady", "median-not-mean", "equal-times-count-once"],
)  # fmt: skip
def test_learn_rhythm(gaps_minutes: list[float], expected: float | None) -> None:
    times = [NOW]
    for gap in gaps_minutes:
        times.append(times[-1] + timedelta(minutes=gap))
    assert learn_rhythm(times) == expected


def test_rhythm_is_learned_from_stored_history(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW))
        publish(session, add_feed(session, "weekly", NOW), every(7 * 24 * 60, 6, NOW))
    assert health_of(db, "yonhap").rhythm == 20 * 60
    assert health_of(db, "yonhap").state == "ok"
    assert health_of(db, "yonhap").reason == "usually every 20m"
    assert health_of(db, "weekly").rhythm == 7 * 24 * 3600


def test_only_recent_history_counts(db: Database) -> None:
    with db.session() as session:
        feed = add_feed(session, "yonhap", NOW)
        publish(session, feed, every(5, 30, NOW - timedelta(days=2)))  # fast, long ago
        publish(session, feed, every(60, 10, NOW), start=100)  # hourly now
    assert health_of(db, "yonhap", history=10).rhythm == 3600
    assert health_of(db, "yonhap", history=40).rhythm == 300


def test_future_publication_dates_count_as_when_seen(db: Database) -> None:
    with db.session() as session:
        feed = add_feed(session, "odd", NOW)
        for n, seen in enumerate(every(30, 6, NOW)):
            item = make_item(n, "odd", published=seen + timedelta(days=365), fetched=seen)
            add_items(session, feed, [item], seen)
    assert health_of(db, "odd").rhythm == 30 * 60


def test_a_feed_silent_far_beyond_its_rhythm_is_quiet(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW - timedelta(hours=6)))
    checked_at(db, "yonhap", NOW)
    health = health_of(db, "yonhap")
    assert health.state == "quiet"
    assert health.flagged
    assert health.quiet_after == 8 * 20 * 60
    assert health.reason == "nothing new for 6h (usually every 20m, quiet after 160m)"


def test_silence_within_the_allowance_is_not_quiet(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW - timedelta(hours=2)))
        publish(session, add_feed(session, "fast", NOW), every(1, 12, NOW - timedelta(minutes=90)))
        publish(session, add_feed(session, "daily", NOW), every(1440, 8, NOW - timedelta(hours=20)))
    for name in ("yonhap", "fast", "daily"):
        checked_at(db, name, NOW)
    assert health_of(db, "yonhap").state == "ok"  # 2h < 8 × 20m
    assert health_of(db, "fast").state == "ok"  # 8 × 1m is less than the 2h floor
    assert health_of(db, "fast").quiet_after == 2 * 3600
    assert health_of(db, "daily").state == "ok"
    quick = health_of(db, "yonhap", quiet_factor=3, quiet_floor="30m")
    assert quick.state == "quiet"  # 2h > max(3 × 20m, 30m)


def test_silence_counts_up_to_the_last_successful_poll(db: Database) -> None:
    """A monitor that was stopped for a day does not call every feed quiet."""
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW))
    assert health_of(db, "yonhap", now=NOW + timedelta(days=1)).state == "ok"
    checked_at(db, "yonhap", NOW + timedelta(days=1))
    assert health_of(db, "yonhap", now=NOW + timedelta(days=1)).state == "quiet"


def test_a_new_feed_is_learning(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "new", NOW - timedelta(days=3)), every(20, 3, NOW))
        add_feed(session, "empty", NOW - timedelta(days=3))
    checked_at(db, "new", NOW + timedelta(days=2))
    assert health_of(db, "new").state == "learning"
    assert health_of(db, "empty").state == "learning"
    assert not health_of(db, "new").flagged


def test_a_failing_feed_is_flagged(db: Database) -> None:
    with db.session() as session:
        feed = add_feed(session, "kyodo", NOW)
        publish(session, feed, every(20, 12, NOW - timedelta(hours=1)))
        for n in range(3):
            fail_poll(session, feed, now=NOW + timedelta(minutes=n), next_due=NOW,
                      error="HTTP 503: unavailable", failing_after=3)  # fmt: skip
    health = health_of(db, "kyodo")
    assert health.state == "failing"
    assert health.flagged
    assert health.errors == 3
    assert health.reason == "3 failed polls in a row: HTTP 503: unavailable"


def test_one_error_is_shown_but_not_flagged(db: Database) -> None:
    with db.session() as session:
        feed = add_feed(session, "kyodo", NOW)
        publish(session, feed, every(20, 12, NOW))
        fail_poll(session, feed, now=NOW, next_due=NOW, error="timeout",
                  failing_after=5)  # fmt: skip
    assert health_of(db, "kyodo").state == "error"
    assert not health_of(db, "kyodo").flagged


def test_removed_feeds_are_not_reported(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "old", NOW), every(20, 12, NOW - timedelta(days=2)))
        sync_feeds(session, [("other", "https://news.example.org/other.xml")], NOW)
        assert [h.feed for h in source_health(session, NOW, SETTINGS)] == ["other"]


# --- source_health alerts --------------------------------------------------------------


def queue(db: Database, now: datetime, channels: tuple[str, ...] = ("ops", "hook")) -> int:
    with db.session() as session:
        return queue_source_alerts(session, source_health(session, now, SETTINGS), channels, now)


def source_alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == "source_health")
                                    .order_by(Alert.id)))  # fmt: skip


def test_a_quiet_spell_alerts_once_per_channel(db: Database) -> None:
    with db.session() as session:
        feed = add_feed(session, "yonhap", NOW)
        publish(session, feed, every(20, 12, NOW - timedelta(hours=6)))
        publish(session, add_feed(session, "fine", NOW), every(20, 12, NOW))
    checked_at(db, "yonhap", NOW)
    assert queue(db, NOW) == 2
    checked_at(db, "yonhap", NOW + timedelta(hours=1))
    assert queue(db, NOW + timedelta(hours=1)) == 0  # the same spell: nothing more
    rows = source_alerts(db)
    assert sorted((r.channel, r.status, r.delivery) for r in rows) == [
        ("hook", "pending", "immediate"),
        ("ops", "pending", "immediate"),
    ]
    message = message_from_dict(rows[0].payload)
    assert message.kind == "health"
    assert message.event_type == "source_health"
    assert message.headline == "Feed 'yonhap' has gone quiet"
    assert "nothing new for 6h" in message.summary
    assert webhook_payload(message)["kind"] == "health"

    with db.session() as session:  # the feed speaks again, then falls silent again
        feed = feed_by_name(session, "yonhap")
        assert feed is not None
        publish(session, feed, every(20, 3, NOW + timedelta(hours=2)), start=50)
    assert queue(db, NOW + timedelta(hours=2)) == 0
    checked_at(db, "yonhap", NOW + timedelta(hours=9))
    assert queue(db, NOW + timedelta(hours=9)) == 2
    assert len({r.idempotency_key for r in source_alerts(db)}) == 4


def test_a_failing_spell_alerts_once(db: Database) -> None:
    def fail(times: int, at: datetime) -> None:
        with db.session() as session:
            feed = feed_by_name(session, "kyodo")
            assert feed is not None
            for n in range(times):
                fail_poll(session, feed, now=at + timedelta(minutes=n), next_due=at,
                          error="HTTP 500", failing_after=3)  # fmt: skip

    with db.session() as session:
        publish(session, add_feed(session, "kyodo", NOW), every(20, 12, NOW))
    fail(3, NOW + timedelta(minutes=5))
    assert queue(db, NOW + timedelta(minutes=10), ("ops",)) == 1
    fail(4, NOW + timedelta(minutes=30))
    assert queue(db, NOW + timedelta(hours=1), ("ops",)) == 0
    checked_at(db, "kyodo", NOW + timedelta(hours=2))  # recovered
    assert queue(db, NOW + timedelta(hours=2), ("ops",)) == 0
    fail(3, NOW + timedelta(hours=3))
    assert queue(db, NOW + timedelta(hours=3, minutes=5), ("ops",)) == 1
    assert [message_from_dict(r.payload).headline for r in source_alerts(db)] == [
        "Feed 'kyodo' is failing"
    ] * 2


def test_no_channels_no_alerts(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW - timedelta(hours=6)))
    checked_at(db, "yonhap", NOW)
    assert queue(db, NOW, ()) == 0


def test_very_long_names_still_make_valid_keys(db: Database) -> None:
    name = "y" * 80
    with db.session() as session:
        publish(session, add_feed(session, name, NOW), every(20, 12, NOW - timedelta(hours=6)))
    checked_at(db, name, NOW)
    assert queue(db, NOW, ("c" * 80,)) == 1
    assert queue(db, NOW, ("c" * 80,)) == 0
    assert all(len(r.idempotency_key) <= 120 for r in source_alerts(db))


def test_status_line(db: Database) -> None:
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW - timedelta(hours=6)))
        ids = publish(session, add_feed(session, "kyodo", NOW), every(20, 12, NOW))
        add_event(session, "ev1", ids[:1], NOW - timedelta(hours=3), NOW)
        add_event(session, "ev0", ids[1:2], NOW - timedelta(days=3), NOW - timedelta(days=3))
        add_alert(session, key="x", channel="ops", kind="event", delivery="immediate",
                       payload={}, event_id=None, next_attempt=NOW, now=NOW)  # fmt: skip
    checked_at(db, "yonhap", NOW)
    with db.session() as session:
        line = status_line(session, NOW, source_health(session, NOW, SETTINGS))
    assert line == "2 feeds (0 failing, 1 quiet); 1 events in 24h; alerts: 1 pending, 0 dead"


def test_settings_reject_unknown_keys_and_bad_addresses() -> None:
    with pytest.raises(ValueError, match="quiet_facter"):
        ServiceSettings.model_validate({"source_health": {"quiet_facter": 3}})
    with pytest.raises(ValueError, match="invalid listen address"):
        ServiceSettings.model_validate({"metrics": {"listen": "localhost"}})
    parsed = ServiceSettings.model_validate({"metrics": {"listen": "[::1]:9100"}})
    assert parsed.metrics.address == ("::1", 9100)
    assert ServiceSettings().metrics.address == ("127.0.0.1", 9464)
    assert ServiceSettings().healthz.no_success_for == timedelta(hours=1)


def test_source_watch_refreshes_alerts_status_and_healthz(db: Database) -> None:
    settings = ServiceSettings.model_validate(
        {"source_health": {"alert_channels": ["ops"]}, "healthz": {"include_sources": True}}
    )
    with db.session() as session:
        publish(session, add_feed(session, "yonhap", NOW), every(20, 12, NOW - timedelta(hours=6)))
    checked_at(db, "yonhap", NOW)
    watch = SourceWatch(db, settings, started=NOW - timedelta(days=1))
    assert watch.report(NOW).ok  # nothing learned yet
    line = watch.refresh(NOW)
    assert line == "1 feeds (0 failing, 1 quiet); 0 events in 24h; alerts: 1 pending, 0 dead"
    assert [(r.channel, r.kind) for r in source_alerts(db)] == [("ops", "source_health")]
    report = watch.report(NOW)
    assert not report.ok
    assert report.to_dict()["flagged_feeds"] == {"yonhap": "quiet"}
    watch.refresh(NOW + timedelta(minutes=5))
    assert len(source_alerts(db)) == 1
