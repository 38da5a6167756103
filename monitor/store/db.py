"""Engine and sessions; SQLite pragmas; the schema-version check.

``Session`` (SQLAlchemy's) is the handle on one transaction: stages take it and hand it
to the store's functions (``savepoint`` included), and call nothing on it themselves.
``DatabaseError`` is any error the database layer raises.

SQLite runs in WAL mode (checkpointed every 40 MiB) with foreign keys on, a busy
timeout, a 16 MiB page cache and 16 prepared statements kept per connection; a
relative SQLite path is relative to the working directory, and its folder is created
on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError, StatementError
from sqlalchemy.orm import Session as Session  # the transaction handle stages pass on
from sqlalchemy.orm import sessionmaker

from monitor.config.types import DATABASE_URL_EXAMPLES
from monitor.errors import StoreError

DatabaseError = SQLAlchemyError  # any error of the database layer

# Prepared statements each SQLite connection keeps (the sqlite3 module's default: 128).
# The store's bulk statements differ from batch to batch (a UNION ALL of one SELECT per
# feed, multi-row VALUES: a +2 cycle of 500 feeds ran 145 distinct statements in 300),
# and a kept compound SELECT of 64 feeds holds ~100 KB: 128 of them are ~13 MB that a
# daemon keeps for statements it will not run again. A writer batch runs ~11 statements,
# so the ones every batch repeats (a feed's outcome, a story's items) stay within 16.
CACHED_STATEMENTS = 16

URL_HINT = f"give an SQLAlchemy URL: {DATABASE_URL_EXAMPLES}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"invalid database URL '{url}'", hint=URL_HINT) from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        return _engine(parsed, **kwargs)
    except ArgumentError as exc:  # (NoSuchModuleError) no dialect of that name
        raise StoreError(f"unknown kind of database in '{shown}': {exc}", hint=URL_HINT) from None
    except ImportError as exc:  # a known dialect whose driver is not installed
        raise StoreError(
            f"the driver for '{shown}' is not installed ({exc.name or exc})",
            hint="stmon stores its data in SQLite or PostgreSQL (PostgreSQL's driver: "
            "pip install 'stmon[postgres]')",
        ) from None


def sqlite_file(parsed: URL) -> Path | None:
    """The file an SQLite URL names; None for another database, an in-memory one or a
    ``file:`` URI."""
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return None
    if database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def database_files(url: str) -> tuple[Path, ...]:
    """The files of an SQLite URL's database: the file, its journal, WAL and shared
    memory; none for another database (or a URL that is not one)."""
    try:
        file = sqlite_file(make_url(url))
    except ArgumentError:
        return ()
    if file is None:
        return ()
    return (file, *(file.with_name(file.name + end) for end in ("-journal", "-wal", "-shm")))


def require_existing(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist, before anything makes it: commands
    that read the store would otherwise leave an empty database behind a mistyped path."""
    try:
        file = sqlite_file(make_url(url))
    except ArgumentError:
        return  # make_engine says what is wrong with the URL
    if file is not None and not file.exists():
        raise StoreError(
            f"no database at {file}",
            hint="check storage.url (or --db); `stmon db upgrade` makes a new database there",
        )


def _engine(parsed: URL, **kwargs: Any) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(parsed)
        if database is not None:
            folder = database.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot make the database's folder {folder}: {exc.strerror}",
                    hint="check storage.url (or --db): its folder must be one stmon can create "
                    "and write to",
                ) from None
        engine = create_engine(
            parsed, connect_args={"timeout": 30, "cached_statements": CACHED_STATEMENTS}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", None):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 16 MiB of page cache (the default is 2): the index pages a poll's inserts touch
    # (story bands, items) stay in memory instead of being read back again and again
    cursor.execute("PRAGMA cache_size=-16384")
    # copy the WAL back into the database (and sync it) every 10,000 pages (40 MiB)
    # instead of every 1,000: a cold poll cycle dirties thousands of index pages per
    # commit, so at 1,000 nearly every commit was followed by a checkpoint
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """An engine with a session factory; the one handle stages get to the store."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise StoreError(f"database error: {exc.orig}") from exc
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Ask the database for one row on a fresh connection; raises if it does not answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction: on error, only what was done inside it is rolled back."""
    with session.begin_nested():
        yield


def error_text(exc: BaseException) -> str:
    """One line saying what went wrong: ``Type: message``; for an error of a statement, the
    database's own message (not the statement and its parameters, which hold feed text)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
