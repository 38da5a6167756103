"""SQLAlchemy ORM tables. The only module that defines database structure.

Every timestamp is stored as UTC and read back timezone-aware (``UTCDateTime``).
Schema changes go through Alembic migrations in ``monitor/store/migrations``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Feed(Base):
    """A configured feed and its fetch state (the scheduler keeps no state of its own)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(Text)  # as configured
    fetch_url: Mapped[str] = mapped_column(Text)  # after permanent redirects
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetch: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_new_item: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_warning: Mapped[str | None] = mapped_column(Text)
    failing: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # still in the config
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Story(Base):
    """A group of near-duplicate items: one text, reprinted."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", use_alter=True, ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


UNCLASSIFIED = text("classified IS NULL")
IN_A_STORY = text("story_id IS NOT NULL")


class Item(Base):
    """One stored article. The same article from several feeds is stored once.

    Two indexes are partial, so most items write neither: the items not classified yet
    by ``fetched`` (what ``unprocessed_items`` looks for; an item stored with its
    verdict never enters it), and the items in a story (only relevant items get one).

    They are partial on PostgreSQL too (migration 0006 creates them with the same
    ``WHERE``), but only the SQLite predicate is declared here: a ``postgresql_where``
    makes SQLAlchemy load its PostgreSQL dialect, with all of that dialect's drivers,
    when this module is imported (50-80 ms of every `stmon` command's start-up on
    SQLite). The schema is made by the migrations alone, and Alembic's comparison of
    the models with a migrated database does not read index predicates.
    """

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_unclassified", "fetched", sqlite_where=UNCLASSIFIED),
        Index("ix_items_story_id", "story_id", sqlite_where=IN_A_STORY),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of canonical url
    guid: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    classified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)

    classifications: Mapped[list[Classification]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class ItemSource(Base):
    """Each feed that carried an item, under the GUID that feed gave it."""

    __tablename__ = "item_sources"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(512))
    seen: Mapped[datetime] = mapped_column(UTCDateTime)


class Classification(Base):
    """One event type assigned to an item, with score and evidence (looked up by item,
    and by item and type: the unique index serves both)."""

    __tablename__ = "classifications"
    __table_args__ = (UniqueConstraint("item_id", "event_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    tense: Mapped[str | None] = mapped_column(String(16))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    item: Mapped[Item] = relationship(back_populates="classifications")


class StoryBand(Base):
    """MinHash LSH band keys of an item, for near-duplicate lookup by index (not by scan)."""

    __tablename__ = "story_bands"
    __table_args__ = (Index("ix_story_bands_band_key", "band_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    band_key: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(Base):
    """A happening in the world (a summit announced, a call held), with its coverage."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)  # stable id shown to users
    key: Mapped[str] = mapped_column(String(200), unique=True)  # race-free dedup key
    watch: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20))  # announced | held | postponed | cancelled
    actors: Mapped[list[str]] = mapped_column(JSON, default=list)
    place: Mapped[str | None] = mapped_column(Text)
    when_text: Mapped[str | None] = mapped_column(Text)  # the date as alerts show it
    when_start: Mapped[date | None] = mapped_column(Date)  # the days it takes place,
    when_end: Mapped[date | None] = mapped_column(Date)  # [start, end), when stated
    headline: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    alerting: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class EventItem(Base):
    """An article counted as coverage of an event."""

    __tablename__ = "event_items"
    __table_args__ = (UniqueConstraint("event_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    added: Mapped[datetime] = mapped_column(UTCDateTime)


class EventState(Base):
    """A state an event entered, and the article that moved it there (``was`` is None
    for the state it opened in)."""

    __tablename__ = "event_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    was: Mapped[str | None] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Alert(Base):
    """The outbox: one row per message to one channel, sent by the delivery worker."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_next_attempt", "status", "next_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # event | update | digest | storm | health
    delivery: Mapped[str] = mapped_column(String(20))  # immediate | digest
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | dead | digested | folded
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # when a pending alert is tried next; for a dead alert, when it was given up
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime)
    # the first failed attempt since the alert was queued (or requeued); None while none
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)  # what the server said
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Instance(Base):
    """A running `stmon run` process (several may share one PostgreSQL database)."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # the one-line status the daemon reports (also sent to systemd as STATUS=)
    status: Mapped[str | None] = mapped_column(Text)
    # the last config reload that failed, as "file:line: key: reason" lines; None when fine
    config_error: Mapped[str | None] = mapped_column(Text)
