"""One poll of one feed, top to bottom: fetch → parse → normalise → store → process.

Like miniflux's RefreshFeed: the feed row says what we knew (ETag, errors); the fetch
is conditional; only items stored for the first time go on to ``Processor.process``
(classification, novelty, alerts), inside the same transaction as their insert; the
feed row then records success or failure and when to look again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.errors import FetchError, HTTPStatusError, MonitorError, ParseError
from monitor.fetch import Fetcher, backoff_delay, next_check_delay
from monitor.log import log_event
from monitor.model import FeedState, FetchResult, Item, ParsedFeed, PollOutcome, StoredItem
from monitor.normalise import normalise
from monitor.parse import parse
from monitor.store import instances, repo
from monitor.store.db import Database
from monitor.store.tables import Feed as FeedRow

if TYPE_CHECKING:
    from monitor.service.metrics import Metrics

log = logging.getLogger(__name__)
T = TypeVar("T")


class Processor(Protocol):
    """The next stage: gets the items stored for the first time, in the same session."""

    def process(self, session: Session, items: list[StoredItem], now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What the poller needs from the config about one feed."""

    name: str
    url: str
    interval: float  # seconds


@dataclass(frozen=True, slots=True)
class PollSettings:
    failing_after: int = 5
    max_backoff: float = 6 * 3600.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Poller:
    """Polls feeds; owns no state beyond what the store holds."""

    def __init__(
        self,
        db: Database,
        fetcher: Fetcher,
        *,
        settings: PollSettings | None = None,
        processor: Processor | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        on_new_items: Callable[[PollOutcome], None] | None = None,
        owner: str | None = None,
        due_only: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        # Who holds a feed's lease while polling it; with due_only, a feed another
        # instance polled recently is skipped (several instances on one database).
        self.owner = owner or instances.new_instance_id()
        self.due_only = due_only
        self.on_new_items = on_new_items
        self.fetcher = fetcher
        self.settings = settings or PollSettings()
        self.processor = processor
        self.clock = clock
        self.rng = rng or random.Random()
        # One writer thread: SQLite allows one writer, and the event loop never blocks on I/O.
        self._store = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stmon-store")

    def close(self) -> None:
        self._store.shutdown(wait=True)

    async def _in_store(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._store, fn)

    async def poll(self, spec: FeedSpec) -> PollOutcome:
        """Claim the feed (skipped if another instance holds it), poll it, release it."""
        state = await self._in_store(lambda: self._claim(spec.name))
        if isinstance(state, PollOutcome):
            return state
        started = time.monotonic()
        try:
            outcome = await self._poll(spec, state)  # records the outcome, lease released
        except BaseException:
            await asyncio.shield(self._in_store(lambda: self._release(spec.name)))
            raise
        if self.metrics is not None:
            self.metrics.record_poll(outcome, time.monotonic() - started)
        return outcome

    async def _poll(self, spec: FeedSpec, state: FeedState) -> PollOutcome:
        try:
            result = await self.fetcher.fetch(state)
        except FetchError as exc:
            fetch_error = exc
            return await self._in_store(lambda: self._failed(spec, fetch_error))
        if result.not_modified:
            delay = next_check_delay(
                spec.interval, ttl_minutes=None, max_age=result.max_age, retry_after=None
            )
            return await self._in_store(lambda: self._succeeded(spec, result, None, delay, []))
        try:
            parsed = parse(result.body or b"", result.content_type, result.url)
        except ParseError as exc:
            parse_error = exc
            return await self._in_store(lambda: self._failed(spec, parse_error))
        items = self._normalise(spec, parsed, result.url)
        delay = next_check_delay(
            spec.interval, ttl_minutes=parsed.ttl_minutes, max_age=result.max_age, retry_after=None
        )
        outcome = await self._in_store(lambda: self._succeeded(spec, result, parsed, delay, items))
        if outcome.new and self.on_new_items is not None:
            self.on_new_items(outcome)
        return outcome

    def _claim(self, name: str) -> FeedState | PollOutcome:
        now = self.clock()
        with self.db.session() as session:
            claimed = instances.claim_feed(session, name, self.owner, now, due_only=self.due_only)
            row = repo.feed_by_name(session, name)
        if row is None:
            return PollOutcome(name, "skipped", error="feed is not in the store")
        if not claimed:
            log_event(
                log,
                logging.DEBUG,
                "feed_skipped",
                feed=name,
                holder=row.lease_owner,
                next_due=str(row.next_due),
            )
            return PollOutcome(name, "skipped", next_due=row.next_due)
        return FeedState(row.name, row.fetch_url, row.etag, row.last_modified)

    def _end_lease(self, feed: FeedRow) -> None:
        """Release the lease in the transaction that records the outcome."""
        if feed.lease_owner == self.owner:
            feed.lease_until = None

    def _release(self, name: str) -> None:
        try:
            with self.db.session() as session:
                instances.release_feed(session, name, self.owner)
        except (MonitorError, SQLAlchemyError) as exc:  # the lease runs out by itself
            log_event(log, logging.WARNING, "feed_release_failed", feed=name, error=str(exc))

    def _normalise(self, spec: FeedSpec, parsed: ParsedFeed, url: str) -> list[Item]:
        now = self.clock()
        items: list[Item] = []
        for entry in parsed.entries:
            try:
                items.append(
                    normalise(
                        entry,
                        source=spec.name,
                        feed_url=url,
                        fetched=now,
                        feed_language=parsed.language,
                    )
                )
            except (ValueError, TypeError, OverflowError) as exc:  # one odd entry, not the feed
                log_event(log, logging.WARNING, "entry_skipped", feed=spec.name, reason=str(exc))
        return items

    def _succeeded(
        self,
        spec: FeedSpec,
        result: FetchResult,
        parsed: ParsedFeed | None,
        delay: float,
        items: list[Item],
    ) -> PollOutcome:
        now = self.clock()
        warning = "; ".join(parsed.warnings)[:2000] if parsed and parsed.warnings else None
        with self.db.session() as session:
            feed = repo.feed_by_name(session, spec.name)
            assert feed is not None
            new = repo.add_items(session, feed, items, now)
            if new and self.processor is not None:
                self._process(session, new, now)
            repo.record_success(
                session,
                feed,
                now=now,
                next_due=now + timedelta(seconds=delay),
                etag=result.etag,
                last_modified=result.last_modified,
                fetch_url=result.permanent_url,
                warning=warning,
                new_items=len(new),
            )
            self._end_lease(feed)
        if result.permanent_url:
            log_event(log, logging.INFO, "feed_moved", feed=spec.name, url=result.permanent_url)
        status = "not_modified" if parsed is None else ("new" if new else "unchanged")
        log_event(
            log,
            logging.INFO,
            "feed_polled",
            feed=spec.name,
            status=status,
            entries=len(items),
            new=len(new),
            next_in=round(delay),
        )
        if warning:
            log_event(log, logging.WARNING, "feed_salvaged", feed=spec.name, warning=warning)
        return PollOutcome(
            spec.name,
            status,
            len(items),
            len(new),
            warning=warning,
            next_due=now + timedelta(seconds=delay),
        )

    def _process(self, session: Session, new: list[StoredItem], now: datetime) -> None:
        assert self.processor is not None
        try:
            with session.begin_nested():
                self.processor.process(session, new, now)
        except Exception:  # the items are stored either way; processing is retried later
            log.exception("process_failed items=%d", len(new))

    def _failed(self, spec: FeedSpec, exc: FetchError | ParseError) -> PollOutcome:
        now = self.clock()
        with self.db.session() as session:
            feed = repo.feed_by_name(session, spec.name)
            assert feed is not None
            delay = backoff_delay(
                spec.interval,
                feed.consecutive_errors + 1,
                cap=self.settings.max_backoff,
                rng=self.rng,
            )
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                delay = max(delay, min(retry_after, 24 * 3600.0))
            repo.record_failure(
                session,
                feed,
                now=now,
                next_due=now + timedelta(seconds=delay),
                error=_describe(exc),
                failing_after=self.settings.failing_after,
            )
            self._end_lease(feed)
            errors, failing = feed.consecutive_errors, feed.failing
        log_event(
            log,
            logging.WARNING,
            "feed_failed",
            feed=spec.name,
            error=_describe(exc),
            errors=errors,
            failing=failing,
            retry_in=round(delay),
        )
        return PollOutcome(
            spec.name, "error", error=_describe(exc), next_due=now + timedelta(seconds=delay)
        )


def _describe(exc: FetchError | ParseError) -> str:
    if isinstance(exc, HTTPStatusError) and str(exc.status) not in exc.message:
        return f"HTTP {exc.status}: {exc.message}"
    return exc.message
