"""Composition root: config → store → fetcher → poller → pipeline → delivery.

Only wiring: ``build_service`` builds the parts from the config and hands them to a
:class:`monitor.service.runtime.Service`, which runs them; the builders it uses for a
reloaded config (pipeline, delivery worker, feed specs) go with it as a ``Composer``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from monitor.alert.outbox import DeliverySettings, DeliveryWorker
from monitor.classify.stage import Pipeline, WatchRules
from monitor.config.load import RULES_PATH_HINT, rules_file_problem
from monitor.config.schema import Config
from monitor.config.service import WEB_LISTEN_KEY
from monitor.errors import ConfigError
from monitor.fetch.client import Fetcher, FetchSettings, make_client
from monitor.poll.poller import FeedSpec, Poller, PollSettings
from monitor.service.runtime import INSTANCE, Composer, Service, sync_feeds
from monitor.store import migrate
from monitor.store.db import Database, require_existing

if TYPE_CHECKING:  # the daemon's parts, imported when it starts (not by `poll --once`)
    from monitor.config.service import WebSettings
    from monitor.novelty.events import EventNews
    from monitor.store.db import Session
    from monitor.web.server import WebServer

log = logging.getLogger(__name__)


def feed_specs(config: Config) -> list[FeedSpec]:
    default = config.fetch.interval.total_seconds()
    return [
        FeedSpec(f.name, str(f.url), (f.interval.total_seconds() if f.interval else default))
        for f in config.feeds
        if f.enabled
    ]


def build_pipeline(config: Config) -> Pipeline:
    """classify → novelty → alert routing, for every watch.

    Compiles every watch's rules first (a ConfigError names the rules file and line).
    """
    if not config.watches:
        return Pipeline([])
    from monitor.alert.route import Router
    from monitor.classify import load_rules
    from monitor.novelty.stage import NoveltyStage

    for w in config.watches:
        missing = rules_file_problem(w.rules)
        if missing is not None:
            raise ConfigError(missing, key=f"watch '{w.name}': rules", hint=RULES_PATH_HINT)
    watches = [
        WatchRules(w.name, load_rules(w.rules), frozenset(f.name for f in config.feeds_of(w)))
        for w in config.watches
    ]
    pipeline = Pipeline(watches)
    router = Router(config.watches, config.channels)

    def on_news(session: Session, news: list[EventNews], now: datetime) -> None:
        router.enqueue(session, news, now)
        if pipeline.metrics is not None:
            for one in news:
                if one.kind == "new":
                    pipeline.metrics.record_event(one.event_type)

    pipeline.next_stage = NoveltyStage(
        settings=config.novelty,
        watches=config.watches,
        on_news=on_news,
        knowledge={w.name: w.rules.events for w in watches},
    )
    return pipeline


def delivery_worker(config: Config, db: Database, client: httpx.AsyncClient) -> DeliveryWorker:
    """The outbox worker with one channel object per enabled channel."""
    from monitor.alert.channels import make_channel

    enabled = {name: c for name, c in config.channels.items() if c.enabled}
    channels = {name: make_channel(name, c, client=client) for name, c in enabled.items()}
    a = config.alerts
    settings = DeliverySettings(
        give_up_after=a.give_up_after.total_seconds(),
        max_attempts=a.max_attempts,
        retry_delay=a.retry_delay.total_seconds(),
        max_delay=a.max_delay.total_seconds(),
        send_deadline=a.send_deadline.total_seconds(),
    )
    return DeliveryWorker(db, channels, enabled, settings=settings, instance=INSTANCE)


def parse_workers() -> int:
    """Parser processes at most: one per core, at most two. A second one is used only
    while documents queue for the first (``monitor.poll.parse_pool.BACKLOG``): the
    poller's own process waits for the parser's answers, so on 2 cores a cycle that
    brings many documents is parsed on both. Documents are always parsed in a parser
    process, the daemon's too: it holds its own memory limit (``fetch.parser_memory``),
    so a hostile document fails its feed, not the poller."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cores or 1))


def open_database(url: str) -> Database:
    """Open the store and refuse an outdated schema (SchemaOutdated says what to run) or
    an SQLite file that does not exist (``db upgrade`` makes one)."""
    require_existing(url)
    db = Database(url)
    try:
        migrate.ensure_current(db.engine)
    except BaseException:
        db.dispose()
        raise
    return db


def build_service(
    config: Config,
    db: Database,
    pipeline: Pipeline | None,
    *,
    parse_workers: int = 0,
    defer_rules: bool = False,
    with_metrics: bool = True,
    keep_other_feeds: bool = False,
) -> Service:
    """The parts, wired. With ``defer_rules`` (and no ``pipeline``), the watches'
    rules are compiled by the poller when a first feed has a document to store
    (``build_pipeline``; a cycle of 304s does without them). Without ``with_metrics``
    nothing is counted for ``/metrics`` (and prometheus_client is not loaded); such a
    service cannot ``run``. With ``keep_other_feeds`` the config's feeds are added to the
    store and the feeds already there stay active (a poll of ``--feed`` URLs)."""
    settings = FetchSettings.from_config(config.fetch)
    client = make_client(settings)
    fetcher = Fetcher(client, settings)
    metrics = None
    if with_metrics:
        from monitor.service.metrics import store_metrics

        metrics = store_metrics(db)
    worker = delivery_worker(config, db, client)
    worker.metrics = metrics
    if pipeline is not None:
        pipeline.metrics = metrics

    def deferred() -> Pipeline:
        built = build_pipeline(config)
        built.metrics = metrics
        return built

    poller = Poller(
        db,
        fetcher,
        processor=pipeline,
        settings=PollSettings(
            failing_after=config.fetch.failing_after,
            max_backoff=config.fetch.max_backoff.total_seconds(),
            max_items=config.fetch.max_items,
            parser_memory=config.fetch.parser_memory,
            parser_idle=config.fetch.parser_idle.total_seconds(),
        ),
        on_new_items=lambda _outcome: worker.wake.set(),
        metrics=metrics,
        parse_workers=parse_workers,
        build_processor=deferred if defer_rules and pipeline is None else None,
    )
    specs = feed_specs(config)
    sync_feeds(db, config, keep_others=keep_other_feeds)
    return Service(config, db, client, poller, worker, metrics, COMPOSER, specs)


def web_server(
    db: Database,
    config: Callable[[], Config],
    settings: WebSettings,
    source: str = WEB_LISTEN_KEY,
) -> WebServer:
    """The desk's web pages over ``db``, to serve on ``settings.listen`` (given in
    ``source``: the config's key or ``--listen``); ``config`` gives the config in force
    (a reload changes the rules the playground uses)."""
    from monitor.web.app import create_app
    from monitor.web.desk import Desk
    from monitor.web.server import WebServer

    token = settings.token.get_secret_value() if settings.token is not None else None
    host, port = settings.address
    return WebServer(create_app(Desk(db, config, token=token)), host, port, source)


def daemon_web(service: Service) -> WebServer | None:
    """The web server `stmon run` starts beside the daemon, if ``service.web.enabled``."""
    settings = service.config.service.web
    if not settings.enabled:
        return None
    return web_server(service.db, lambda: service.config, settings)


COMPOSER = Composer(
    pipeline=build_pipeline, worker=delivery_worker, specs=feed_specs, web=daemon_web
)
