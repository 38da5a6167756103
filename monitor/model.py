"""Plain records passed between pipeline stages.

Nothing here imports from the rest of the project, and nothing here talks to the
database: ORM classes stay in ``monitor.store``. Stages take and return these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A feed this instance holds the lease of: its row id and name, and what a
    conditional fetch needs from earlier polls (the URL, ETag and Last-Modified)."""

    id: int
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one conditional GET that did not fail.

    ``body`` is None when the server answered 304 Not Modified.
    ``permanent_url`` is set when a permanent redirect (301/308) moved the feed.
    ``max_age`` is the larger of Cache-Control max-age and Retry-After, in seconds.
    """

    url: str
    status: int
    body: bytes | None
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None
    max_age: float | None = None
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as the feed gave it, before normalisation (HTML still in it)."""

    guid: str | None
    link: str | None
    title: str
    summary: str = ""
    content: str = ""
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document: its entries and what the parser noticed."""

    format: str
    title: str
    # a tuple, or (the fast path, monitor.parse.fast.ReadLazily) entries read on first access
    entries: Sequence[Entry]
    language: str | None = None
    ttl_minutes: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """A normalised item: the one shape every later stage works with."""

    source: str
    url: str
    guid: str
    title: str
    summary: str
    content: str
    author: str | None
    published: datetime
    fetched: datetime
    language: str
    content_hash: str
    # the MinHash signature of title and text as stored (``monitor.novelty.minhash``), when
    # known already (b"": the text has none); None: not computed
    minhash: bytes | None = None

    @property
    def text(self) -> str:
        """The body used for classification: the fuller of content and summary."""
        return self.content if len(self.content) >= len(self.summary) else self.summary


GUID_MAX = 500


def guid_key(guid: str) -> str:
    """How a GUID is stored (``item_sources.guid``): as given unless it is very long;
    then as a hash."""
    if len(guid) <= GUID_MAX:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason a rule fired: which term matched, where, and what it added."""

    rule: str
    term: str
    where: str  # "title" | "body"
    weight: float
    snippet: str = ""

    # Verdicts come from parser processes pickled: as their constructors' arguments, which
    # is several times cheaper to load than a slotted dataclass's state by field name.
    def __reduce__(self) -> tuple[type[Evidence], tuple[str, str, str, float, str]]:
        return Evidence, (self.rule, self.term, self.where, self.weight, self.snippet)


@dataclass(frozen=True, slots=True)
class Label:
    """One event type assigned to an item, with its score and evidence."""

    event_type: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    tense: str | None = None  # "future" | "past" | None when the text gives no cue

    def __reduce__(
        self,
    ) -> tuple[type[Label], tuple[str, float, tuple[Evidence, ...], str | None]]:
        return Label, (self.event_type, self.score, self.evidence, self.tense)


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's verdict on one item."""

    relevant: bool
    labels: tuple[Label, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    gate_evidence: tuple[Evidence, ...] = ()

    def __reduce__(
        self,
    ) -> tuple[
        type[Classification],
        tuple[bool, tuple[Label, ...], dict[str, float], tuple[Evidence, ...]],
    ]:
        return Classification, (self.relevant, self.labels, self.scores, self.gate_evidence)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(label.event_type for label in self.labels)


@dataclass(frozen=True, slots=True)
class StoredFeed:
    """A feed as the store holds it: its fetch state and its last outcome."""

    id: int
    name: str
    url: str
    fetch_url: str
    next_due: datetime | None = None
    last_success: datetime | None = None
    consecutive_errors: int = 0
    failing: bool = False
    last_error: str | None = None
    last_warning: str | None = None  # of the last successful poll (entries skipped, …)


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item the store has just inserted: its row id and the feed that brought it;
    ``relevant``: the relevance stored with the row when it was known at insert (the
    verdicts came with the item), else None (the row awaits its verdict)."""

    id: int
    feed: str
    item: Item
    relevant: bool | None = None


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one feed did, for logs, status and benchmarks."""

    feed: str
    status: str  # "new" | "unchanged" | "not_modified" | "error" | "skipped"
    fetched: int = 0  # entries in the document
    new: int = 0  # items stored for the first time
    error: str | None = None
    warning: str | None = None
    next_due: datetime | None = None
    skipped: int = 0  # entries left out: unreadable, or refused by the store (see warning)


@dataclass(frozen=True, slots=True)
class Classified:
    """A new item and what each watch made of it."""

    stored: StoredItem
    verdicts: Mapping[str, Classification]  # watch name -> verdict


@dataclass(frozen=True, slots=True)
class EventKnowledge:
    """What a watch's rules file declares about events (its ``events:`` section),
    compiled: term lists are NFKC-normalised and lower-cased (venues keep their case).

    ``meetings`` maps a meeting type to its actors: a tuple of actor ids, or one of
    ``"parties"``, ``"portfolio"``, ``"third_party"``. ``later`` maps a type that reports
    a later state of an announced meeting to (the announced type, that state);
    ``announced`` holds those announced types (their events start announced).
    """

    parties: tuple[str, ...] = ()
    meetings: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)
    later: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    postponed: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    portfolios: tuple[tuple[str, tuple[str, ...]], ...] = ()
    third_parties: tuple[tuple[str, tuple[str, ...]], ...] = ()

    announced: frozenset[str] = field(init=False)  # types whose events start announced
    meeting_types: frozenset[str] = field(init=False)  # meetings, and every lifecycle type

    def __post_init__(self) -> None:
        announced = frozenset(origin for origin, _ in self.later.values())
        object.__setattr__(self, "announced", announced)
        object.__setattr__(
            self, "meeting_types", frozenset(self.meetings) | set(self.later) | announced
        )
