"""Alembic, driven from code: ``stmon db upgrade`` and the start-up schema check.

The start-up check (``ensure_current``) reads the ``alembic_version`` table itself and
compares it with ``HEAD``, the newest revision in ``migrations/versions`` (a test holds
the two equal), so starting the daemon or a poll does not import Alembic; upgrades and
the error paths do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError

from monitor.errors import SchemaOutdated, StoreError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0006"  # the head revision of migrations/versions: update with each new migration
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The head revision as Alembic finds it in the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: no stmon schema), read as Alembic stores it; a
    database that cannot be reached is a StoreError saying so."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except DatabaseError as exc:
        # OperationalError: nothing answers (or lets us in); another: it answers, but is
        # no database (a text file, say)
        reached = not isinstance(exc, OperationalError)
        raise StoreError(
            f"cannot {'read' if reached else 'reach'} the database at "
            f"{engine.url.render_as_string()}: " + " ".join(str(exc.orig).split()),
            hint="check storage.url (or --db): it must name an SQLite database made by "
            "`stmon db upgrade`, or a PostgreSQL database"
            if reached
            else "check storage.url (or --db), and that the database server runs and lets "
            "this user in",
        ) from None
    if len(rows) > 1:
        raise SchemaOutdated(f"the database has several schema heads: {sorted(r[0] for r in rows)}")
    return str(rows[0][0]) if rows else None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply pending migrations; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    if before is not None:
        refuse_newer(before)
    command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine) or ""


def refuse_newer(current: str) -> None:
    """A SchemaOutdated error when revision ``current`` is none of this stmon's: the
    database was made or upgraded by a newer stmon (after a rollback, say)."""
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if current not in known:
        raise SchemaOutdated(
            f"the database schema ({current}) is newer than this stmon ({HEAD})",
            hint="upgrade stmon, or point it at another database; a database is not downgraded",
        )


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a schema that is missing or older than this code."""
    current = current_revision(engine)
    if current == HEAD:
        return
    if current is None:
        raise SchemaOutdated(
            f"the database at {engine.url.render_as_string()} has no stmon schema yet"
        )
    refuse_newer(current)
    raise SchemaOutdated(f"the database schema is at {current}, this stmon needs {HEAD}")
