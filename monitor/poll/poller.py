"""One poll of one feed, top to bottom: claim → fetch → parse → normalise → store → process.

Like miniflux's RefreshFeed: the feed row says what we knew (ETag, errors); the fetch
is conditional; only items stored for the first time go on to ``Processor.process``
(classification, novelty, alerts), inside the same transaction as their insert and the
feed's outcome (success or failure, when to look again, the lease released).

Store work runs on one writer thread (``StoreWriter``) that commits the jobs queued
while it was busy together; parsing runs in parser processes when ``parse_workers`` is
set (``ParsePool``), so a cycle fetches, parses and stores on more than one core.
``poll_many`` claims feeds a chunk per statement and keeps a bounded number of polls in
flight, so the documents held in memory do not grow with the number of feeds.

Every feed fails alone: any exception while polling a feed (a fetch or parse error, or
one nobody expected: a store job that raises, a bug) is that feed's failure, recorded on
its row like a failed fetch (last error, errors in a row, backoff, failing), logged,
counted in /metrics, and the other feeds of the cycle go on. Only a ``ConfigError``
(the rules, compiled when a first feed has news) stops the cycle: it is no one feed's.
Entries that cannot be read or stored are skipped with a reason (the feed's warning, a
log event, ``stmon_items_total{result="skipped"}``) and their siblings are stored.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from monitor.clock import utcnow
from monitor.errors import (
    ConfigError,
    FetchError,
    HTTPStatusError,
    MonitorError,
    ParseError,
)
from monitor.fetch.client import Fetcher, backoff_delay, next_check_delay
from monitor.log import log_event
from monitor.model import Claim, Classification, FetchResult, Item, PollOutcome, StoredItem
from monitor.parse.items import MAX_ENTRIES, FeedItems, parse_items
from monitor.poll.parse_pool import IDLE_EXIT, ParsePool
from monitor.poll.parser_process import MEMORY_LIMIT
from monitor.retry import MAX_RETRY_AFTER
from monitor.store import instances
from monitor.store.db import Database, DatabaseError, Session, error_text, savepoint
from monitor.store.feeds import Polled, errors_in_a_row, record_failure, record_polls
from monitor.store.items import (
    Relevance,
    add_items,
    recent_guids,
    store_items,
    unmark_items,
    unprocessed_items,
)
from monitor.store.leases import NotClaimed
from monitor.store.writer import StoreWriter

if TYPE_CHECKING:
    from monitor.classify import RuleSet
    from monitor.metrics import Metrics

log = logging.getLogger(__name__)

CLAIM_CHUNK = 100  # feeds claimed per statement by poll_many
ITEMS_PER_UNIT = 5  # a stored item weighs this fraction of a writer batch unit


class Processor(Protocol):
    """The next stage: gets the items stored for the first time, in the same session,
    with the verdicts a parser process gave on them, if any (by title and text)."""

    def process(
        self,
        session: Session,
        items: list[StoredItem],
        now: datetime,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] | None = None,
    ) -> None: ...


@runtime_checkable
class Classifier(Protocol):
    """A processor that classifies (``classify.stage.Pipeline``): parser processes can
    classify the items with the rules it gives for a feed, and an item whose verdicts
    they gave is stored with the relevance it tells (no update of the row afterwards)."""

    def rules_for(self, feed: str) -> tuple[tuple[str, RuleSet], ...]: ...

    def relevance(
        self,
        feed: str,
        item: Item,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]],
    ) -> bool | None: ...


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
    max_items: int = MAX_ENTRIES  # items kept of one document: the newest
    parser_memory: int = MEMORY_LIMIT  # address space of each parser process, in bytes
    parser_idle: float = IDLE_EXIT  # seconds a parser process waits for a document
    # items whose processing failed are run again while they are this young (seconds)
    retry_window: float = 48 * 3600.0


RETRY_BATCH = 200  # unprocessed items taken up per retry


@dataclass(slots=True)
class _RecentBatch:
    """The feeds ``poll_many`` claimed with one statement: their recent GUIDs are read
    with one statement too, when the first of them brings a document to parse."""

    feeds: tuple[int, ...]
    read: asyncio.Future[dict[int, frozenset[str]]] | None = None
    failed: bool = False  # the read failed (said once)


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
        parse_workers: int = 0,
        build_processor: Callable[[], Processor] | None = None,
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
        # With ``build_processor``, the processor is built when a first feed answers
        # with a document (a cycle of 304s never needs it); if building fails (a broken
        # rules file: ConfigError), that poll fails with it before anything is stored.
        self._build_processor = build_processor
        self._recent: dict[int, _RecentBatch] = {}  # feed id -> its poll_many batch
        self.clock = clock
        self.rng = rng or random.Random()
        # One writer thread: SQLite allows one writer, and the event loop never blocks on I/O.
        self._writer = StoreWriter(db)
        self._parser = (
            ParsePool(
                parse_workers,
                memory_limit=self.settings.parser_memory,
                max_items=self.settings.max_items,
                idle_exit=self.settings.parser_idle,
            )
            if parse_workers > 0
            else None
        )

    def close(self) -> None:
        """Stop the writer thread (after the jobs queued); see also ``aclose``."""
        self._writer.close()

    async def aclose(self) -> None:
        """Stop the parser processes, then the writer thread."""
        if self._parser is not None:
            await self._parser.close()
        self.close()

    async def poll(self, spec: FeedSpec) -> PollOutcome:
        """Claim the feed (skipped if another instance holds it), poll it, release it."""
        claims = await self._writer.run(partial(self._claim, names=[spec.name]))
        return await self._poll_claimed(spec, claims[spec.name])

    async def poll_many(self, specs: Sequence[FeedSpec], *, in_flight: int) -> list[PollOutcome]:
        """Poll ``specs`` (outcomes in their order), ``in_flight`` at most at once; feeds are
        claimed ``CLAIM_CHUNK`` per statement as the polls get to them."""
        outcomes: dict[str, PollOutcome] = {}
        slots = asyncio.Semaphore(max(1, in_flight))
        tasks: list[asyncio.Task[None]] = []
        waiting: list[str] = []  # claimed, not started
        batches: list[tuple[int, ...]] = []  # the feeds of each claim (_RecentBatch)

        async def one(spec: FeedSpec, claim: Claim) -> None:
            try:
                outcomes[spec.name] = await self._poll_claimed(spec, claim)
            finally:
                slots.release()

        try:
            for start in range(0, len(specs), CLAIM_CHUNK):
                part = specs[start : start + CLAIM_CHUNK]
                claims = await self._writer.run(partial(self._claim, names=[s.name for s in part]))
                waiting = [s.name for s in part if isinstance(claims[s.name], Claim)]
                claimed = tuple(c.id for c in claims.values() if isinstance(c, Claim))
                batch = _RecentBatch(claimed)
                self._recent.update(dict.fromkeys(claimed, batch))
                batches.append(claimed)
                for spec in part:
                    claim = claims[spec.name]
                    if isinstance(claim, NotClaimed):
                        outcomes[spec.name] = self._skipped(claim)
                        continue
                    await slots.acquire()
                    waiting.remove(spec.name)
                    tasks.append(asyncio.create_task(one(spec, claim)))
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            if waiting:
                await asyncio.shield(self._release(waiting))
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            for feeds in batches:
                for feed in feeds:
                    self._recent.pop(feed, None)
        try:
            await self.retry_unprocessed()
        except ConfigError:
            raise
        except Exception as exc:  # the items stay unprocessed: tried again next cycle
            log_event(log, logging.ERROR, "retry_failed", error=error_text(exc))
        return [outcomes[s.name] for s in specs]

    async def _poll_claimed(self, spec: FeedSpec, claim: Claim | NotClaimed) -> PollOutcome:
        if isinstance(claim, NotClaimed):
            return self._skipped(claim)
        started = time.monotonic()
        try:
            try:
                outcome = await self._poll(spec, claim)  # records the outcome, lease released
            except ConfigError:  # the rules, not this feed: the cycle stops
                raise
            except Exception as exc:  # anything else is this feed's failure, and only its
                outcome = await self._crashed(spec, claim, exc)
        except BaseException:
            await asyncio.shield(self._release([spec.name]))
            raise
        if self.metrics is not None:
            self.metrics.record_poll(outcome, time.monotonic() - started)
        return outcome

    async def _crashed(self, spec: FeedSpec, claim: Claim, exc: Exception) -> PollOutcome:
        """An exception nothing expected while polling the feed: recorded as its failure
        (as a failed fetch is); if even that cannot be stored, the outcome still says so."""
        frames = traceback.extract_tb(exc.__traceback__)
        at = f"{frames[-1].filename}:{frames[-1].lineno} {frames[-1].name}" if frames else ""
        log_event(log, logging.ERROR, "feed_poll_crashed", feed=spec.name,
                  error=error_text(exc), at=at)  # fmt: skip
        try:
            return await self._write_failure(spec, claim, exc)
        except Exception as again:  # the store is down: the outcome and the log say it all
            error = f"{error_text(exc)} (not recorded: {error_text(again)})"
            log_event(log, logging.ERROR, "feed_failure_unrecorded", feed=spec.name, error=error)
            await asyncio.shield(self._release([spec.name]))
            return PollOutcome(spec.name, "error", error=error)

    async def _poll(self, spec: FeedSpec, claim: Claim) -> PollOutcome:
        try:
            result = await self.fetcher.fetch(claim)
        except FetchError as exc:
            return await self._write_failure(spec, claim, exc)
        if result.not_modified:
            delay = next_check_delay(
                spec.interval, ttl_minutes=None, max_age=result.max_age, retry_after=None
            )
            return await self._write_success(spec, claim, result, None, delay)
        self._ensure_processor()
        try:
            found = await self._parse(spec, claim, result)
        except ParseError as exc:
            return await self._write_failure(spec, claim, exc)
        for reason in found.skipped:  # one odd entry, not the feed
            log_event(log, logging.WARNING, "entry_skipped", feed=spec.name, reason=reason)
        delay = next_check_delay(
            spec.interval, ttl_minutes=found.ttl_minutes, max_age=result.max_age, retry_after=None
        )
        outcome = await self._write_success(spec, claim, result, found, delay)
        if outcome.new and self.on_new_items is not None:
            self.on_new_items(outcome)
        return outcome

    def _ensure_processor(self) -> None:
        """Build the deferred processor (raises ConfigError: the next poll tries again)."""
        if self._build_processor is not None:
            self.processor = self._build_processor()
            self._build_processor = None

    async def _parse(self, spec: FeedSpec, claim: Claim, result: FetchResult) -> FeedItems:
        fetched, body = self.clock(), result.body or b""
        if self._parser is not None:
            # the parser process leaves out the entries the feed gave lately (the store
            # would skip them) and classifies the others with the watches' rules, on
            # another core than the writer's
            rules: tuple[tuple[str, RuleSet], ...] = ()
            if isinstance(self.processor, Classifier):
                rules = self.processor.rules_for(spec.name)
            known = await self._known_guids(claim.id) if rules else frozenset()
            return await self._parser.parse(
                body,
                result.content_type,
                result.url,
                spec.name,
                fetched,
                known=known,
                rules=rules,
            )
        max_items = self.settings.max_items
        return parse_items(body, result.content_type, result.url, spec.name, fetched, max_items)

    async def _known_guids(self, feed: int) -> frozenset[str]:
        """The GUID keys of the items the feed gave lately (read off the event loop). A
        feed of a ``poll_many`` batch gets them from one read for the whole batch, made
        when the first of its feeds gets here (each takes its own out); if that read
        fails, each feed reads its own (and a failure of that read is the feed's)."""
        batch = self._recent.get(feed)
        if batch is not None:
            if batch.read is None:
                batch.read = asyncio.ensure_future(
                    asyncio.to_thread(self._recent_guids, batch.feeds)
                )
            try:  # (shielded: a feed's poll cancelled does not cancel the batch's read)
                found = (await asyncio.shield(batch.read)).pop(feed, None)  # (taken: freed)
                if found is not None:
                    return found
            except Exception as exc:  # each feed reads its own GUIDs, right below
                if not batch.failed:
                    batch.failed = True
                    log_event(log, logging.WARNING, "recent_guids_failed",
                              feeds=len(batch.feeds), error=error_text(exc),
                              hint="each feed of the batch reads its own")  # fmt: skip
        return (await asyncio.to_thread(self._recent_guids, (feed,)))[feed]

    def _recent_guids(self, feeds: Sequence[int]) -> dict[int, frozenset[str]]:
        """The GUID keys of the items each of ``feeds`` gave lately (a read)."""
        with self.db.session() as session:
            return recent_guids(session, feeds, 2 * self.settings.max_items)

    # --- store jobs (on the writer thread) -----------------------------------------------

    def _claim(self, session: Session, names: list[str]) -> dict[str, Claim | NotClaimed]:
        now = self.clock()
        return instances.claim_feeds(session, names, self.owner, now, due_only=self.due_only)

    def _skipped(self, claim: NotClaimed) -> PollOutcome:
        if not claim.stored:
            return PollOutcome(claim.name, "skipped", error="feed is not in the store")
        log_event(
            log,
            logging.DEBUG,
            "feed_skipped",
            feed=claim.name,
            holder=claim.holder,
            next_due=str(claim.next_due),
        )
        return PollOutcome(claim.name, "skipped", next_due=claim.next_due)

    async def _release(self, names: list[str]) -> None:
        def release(session: Session) -> None:
            for name in names:
                instances.release_feed(session, name, self.owner)

        try:
            await self._writer.run(release)
        except (MonitorError, DatabaseError) as exc:  # the lease runs out by itself
            log_event(log, logging.WARNING, "feed_release_failed", feeds=names, error=str(exc))

    async def _write_success(
        self,
        spec: FeedSpec,
        claim: Claim,
        result: FetchResult,
        found: FeedItems | None,
        delay: float,
    ) -> PollOutcome:
        if found is None:  # a 304: its outcome only, recorded with the batch's others
            polled = (spec, claim, result, delay)
            outcome, refused = await self._writer.run_together(self._not_modified, polled)
        else:
            outcome, refused = await self._store(spec, claim, result, found, delay)
        for reason in refused:
            log_event(log, logging.WARNING, "item_skipped", feed=spec.name, reason=reason)
        if result.permanent_url:
            log_event(log, logging.INFO, "feed_moved", feed=spec.name, url=result.permanent_url)
        log_event(
            log,
            logging.INFO,
            "feed_polled",
            feed=spec.name,
            status=outcome.status,
            entries=outcome.fetched,
            new=outcome.new,
            next_in=round(delay),
        )
        if outcome.warning:
            log_event(
                log, logging.WARNING, "feed_salvaged", feed=spec.name, warning=outcome.warning
            )
        return outcome

    async def _store(
        self, spec: FeedSpec, claim: Claim, result: FetchResult, found: FeedItems, delay: float
    ) -> tuple[PollOutcome, list[str]]:
        polled = (spec, claim, result, found, delay)
        # its outcome and its items: a job that stores items weighs more than one unit,
        # so its batch waits for more of them (``StoreWriter``'s linger) and stores them
        # with the same statements
        weight = 2 + len(found.items) // ITEMS_PER_UNIT
        try:  # with the other feeds of the writer's batch (``_stored``)
            return await self._writer.run_together(self._stored, polled, weight=weight)
        except Exception as exc:  # an item the store refuses, or the stages after it failed
            if not found.items:
                raise
            log_event(log, logging.WARNING, "feed_store_retried", feed=spec.name,
                      error=error_text(exc))  # fmt: skip
            return await self._writer.run(partial(self._careful, *polled), weight=weight)

    def _stored(
        self, session: Session, polls: list[tuple[FeedSpec, Claim, FetchResult, FeedItems, float]]
    ) -> list[tuple[PollOutcome, list[str]]]:
        """Store the items of feeds with documents, process the new ones and record the
        feeds' outcomes: the feeds of a writer batch together (``StoreWriter.run_together``),
        with the statements of one (``store_items``, one ``process`` call, ``record_polls``).

        Nothing is in a savepoint: an item the store refuses, or a failure of the stages
        after the store, fails the call; the writer then runs each feed's call alone, and
        a feed that fails alone too is stored again by ``_careful``."""
        now = self.clock()
        stored = store_items(
            session, [(claim, found.items, self._relevance(spec, found)) for spec, claim, _,
                      found, _ in polls], now)  # fmt: skip
        new = [item for items in stored for item in items]
        if new and self.processor is not None:
            verdicts: dict[tuple[str, str], dict[str, Classification]] = {}
            for *_, found, _ in polls:
                for key, given in (found.verdicts or {}).items():
                    verdicts.setdefault(key, {}).update(given)
            self.processor.process(session, new, now, verdicts)
        done = [self._outcome(poll, now, len(items), [], None)
                for poll, items in zip(polls, stored, strict=True)]  # fmt: skip
        record_polls(session, self.owner, now, [polled for polled, _ in done])
        return [(outcome, []) for _, outcome in done]

    def _careful(
        self,
        spec: FeedSpec,
        claim: Claim,
        result: FetchResult,
        found: FeedItems,
        delay: float,
        session: Session,
    ) -> tuple[PollOutcome, list[str]]:
        """One feed's ``_stored`` with each item in its own savepoint (``add_items``; the
        reasons of those the store refused are returned) and the stages in one
        (``_process``: a failure there is recorded, and the items are processed again
        later)."""
        now = self.clock()
        refused: list[str] = []
        relevance = self._relevance(spec, found)
        new = add_items(session, claim, found.items, now, skipped=refused, relevance=relevance)
        problem = None
        if new and self.processor is not None:
            problem = self._process(session, new, now, found.verdicts)
        polled, outcome = self._outcome(
            (spec, claim, result, found, delay), now, len(new), refused, problem
        )
        record_polls(session, self.owner, now, [polled])
        return outcome, refused

    def _relevance(self, spec: FeedSpec, found: FeedItems) -> Relevance | None:
        """Each item's relevance from the verdicts that came with the feed's items."""
        if found.verdicts and isinstance(self.processor, Classifier):
            return partial(self.processor.relevance, spec.name, verdicts=found.verdicts)
        return None

    def _outcome(
        self,
        poll: tuple[FeedSpec, Claim, FetchResult, FeedItems, float],
        now: datetime,
        new: int,
        refused: list[str],
        problem: str | None,
    ) -> tuple[Polled, PollOutcome]:
        """A feed's row update and outcome after its items were stored (``new`` of them
        for the first time; ``refused``: the reasons of the items the store refused;
        ``problem``: what went wrong in the stages after the store)."""
        spec, claim, result, found, delay = poll
        unread = found.skipped
        skipped = [*unread, *refused]
        notes = [*found.warnings, *_skipped_note(skipped)]
        warning = "; ".join(w for w in ("; ".join(notes), problem) if w)[:2000] or None
        fetched = len(found.items) + len(unread) + found.known
        return _done(spec, claim, result, delay, now, "new" if new else "unchanged",
                     fetched=fetched, new=new, warning=warning, skipped=len(skipped))  # fmt: skip

    def _not_modified(
        self, session: Session, polls: list[tuple[FeedSpec, Claim, FetchResult, float]]
    ) -> list[tuple[PollOutcome, list[str]]]:
        """Record the outcomes of feeds that answered 304 (``StoreWriter.run_together``:
        those of a batch at once, with one statement)."""
        now = self.clock()
        done = [_done(spec, claim, result, delay, now, "not_modified")
                for spec, claim, result, delay in polls]  # fmt: skip
        record_polls(session, self.owner, now, [polled for polled, _ in done])
        return [(outcome, []) for _, outcome in done]

    def _process(
        self,
        session: Session,
        items: list[StoredItem],
        now: datetime,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] | None = None,
    ) -> str | None:
        """Run the stages after the store (classify, novelty, alert routing) on ``items``
        in a savepoint; None when they succeeded, else what went wrong.

        On failure the savepoint is rolled back: the items stay stored, unclassified (those
        stored with their relevance are unmarked), and :meth:`retry_unprocessed` runs them
        again (after each ``poll_many``, and every few minutes in the daemon) while they
        are younger than ``settings.retry_window``. The failure is logged, counted in
        /metrics and returned for the feed's warning, which ``stmon status`` shows."""
        assert self.processor is not None
        try:
            with savepoint(session):
                self.processor.process(session, items, now, verdicts)
        except Exception as exc:  # recorded (log, /metrics, feed warning) and retried
            log_event(
                log,
                logging.ERROR,
                "process_failed",
                items=len(items),
                first=items[0].id,
                error=f"{type(exc).__name__}: {exc}",
            )
            unmark_items(session, [s.id for s in items if s.relevant is not None])
            if self.metrics is not None:
                self.metrics.record_processing_failure()
            return (
                f"processing {len(items)} new items failed ({type(exc).__name__}: {exc}); "
                "they are stored and will be retried"
            )
        return None

    async def retry_unprocessed(self) -> int:
        """Run the stages after the store again on stored items whose processing failed
        (oldest first, ``RETRY_BATCH`` at most); returns how many got through."""
        if self.processor is None and self._build_processor is None:
            return 0
        done: int = await self._writer.run(self._retry)
        if done:
            log_event(log, logging.INFO, "items_reprocessed", items=done)
        return done

    def _retry(self, session: Session) -> int:
        now = self.clock()
        since = now - timedelta(seconds=self.settings.retry_window)
        items = unprocessed_items(session, since, RETRY_BATCH)
        if items and self.processor is None:  # a cycle of 304s: the rules are needed now
            self._ensure_processor()
        if not items or self._process(session, items, now) is None:
            return len(items)
        # one item that fails every time must not hold back the others
        return sum(self._process(session, [one], now) is None for one in items)

    async def _write_failure(self, spec: FeedSpec, claim: Claim, exc: Exception) -> PollOutcome:
        job = partial(self._failed, spec=spec, claim=claim, exc=exc)
        outcome, errors, failing, delay = await self._writer.run(job)
        log_event(
            log,
            logging.WARNING,
            "feed_failed",
            feed=spec.name,
            error=outcome.error,
            errors=errors,
            failing=failing,
            retry_in=round(delay),
        )
        return outcome

    def _failed(
        self, session: Session, spec: FeedSpec, claim: Claim, exc: Exception
    ) -> tuple[PollOutcome, int, bool, float]:
        now = self.clock()
        errors, holder = errors_in_a_row(session, claim.id)
        errors += 1
        delay = backoff_delay(spec.interval, errors, cap=self.settings.max_backoff, rng=self.rng)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        next_due = now + timedelta(seconds=delay)
        failing = record_failure(
            session,
            claim.id,
            errors=errors,
            now=now,
            next_due=next_due,
            error=_describe(exc),
            failing_after=self.settings.failing_after,
            release=holder == self.owner,  # the lease ends with the outcome recorded
        )
        outcome = PollOutcome(spec.name, "error", error=_describe(exc), next_due=next_due)
        return outcome, errors, failing, delay


def _done(
    spec: FeedSpec,
    claim: Claim,
    result: FetchResult,
    delay: float,
    now: datetime,
    status: str,
    *,
    fetched: int = 0,
    new: int = 0,
    warning: str | None = None,
    skipped: int = 0,
) -> tuple[Polled, PollOutcome]:
    """A successful poll's row update (``record_polls``) and outcome."""
    next_due = now + timedelta(seconds=delay)
    polled = Polled(claim.id, next_due, result.etag, result.last_modified,
                    result.permanent_url, warning, new)  # fmt: skip
    outcome = PollOutcome(spec.name, status, fetched, new, warning=warning, next_due=next_due,
                          skipped=skipped)  # fmt: skip
    return polled, outcome


def _describe(exc: Exception) -> str:
    if isinstance(exc, HTTPStatusError) and str(exc.status) not in exc.message:
        return f"HTTP {exc.status}: {exc.message}"
    if isinstance(exc, FetchError | ParseError):
        return exc.message
    return error_text(exc)


def _skipped_note(reasons: Sequence[str]) -> list[str]:
    """The feed's warning about the entries left out: how many, and the first reasons."""
    if not reasons:
        return []
    shown = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
    return [f"{len(reasons)} entries skipped: {shown}"]
