"""Migrations: `stmon db upgrade` creates the schema, is repeatable, and is enforced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from monitor.cli import main
from monitor.errors import SchemaOutdated, StoreError
from monitor.store import migrate
from monitor.store.db import make_engine


def test_upgrade_creates_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(SchemaOutdated, match="no stmon schema"):
            migrate.ensure_current(engine)
        before, after = migrate.upgrade(engine)
        assert before is None and after == migrate.head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"feeds", "items", "classifications", "events", "alerts"} <= tables
        assert migrate.upgrade(engine) == (after, after)
        migrate.ensure_current(engine)
    finally:
        engine.dispose()


def test_cli_db_upgrade_twice(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "upgraded from empty" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage://x", "unknown kind of database in 'garbage://x'"),
        # (MySQLdb is no dependency of stmon's, nor of its tests)
        ("mysql://desk:secret@db.example/stmon", "the driver for 'mysql://desk:***@"),
        ("not a url", "invalid database URL"),
    ],
)
def test_a_database_url_stmon_cannot_use_is_a_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    assert message in str(caught.value) and "secret" not in str(caught.value)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("stmon.db", "argument --db: not a database URL: give sqlite:///path/to/stmon.db"),
        ("mysql://desk:secret@db.example/x", "argument --db: 'mysql' is not a database stmon"),
    ],
)
def test_a_db_option_stmon_cannot_use_is_a_usage_error(
    url: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["status", "--db", url])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "secret" not in err


def test_a_sqlite_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=f"cannot make the database's folder {blocker}"):
        make_engine(f"sqlite:///{blocker}/stmon.db")


@pytest.mark.parametrize("command", [["db", "current"], ["status"], ["items"], ["events"]])
def test_a_command_that_reads_the_store_leaves_a_missing_sqlite_path_as_it_was(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "stmon.db"
    assert main([*command, "--db", f"sqlite:///{missing}"]) == 1
    err = capsys.readouterr().err
    assert f"error: no database at {missing}" in err and "stmon db upgrade" in err
    assert not missing.parent.exists()
    # `db upgrade` makes it, and the same command then reads it
    assert main(["db", "upgrade", "--db", f"sqlite:///{missing}"]) == 0
    assert main([*command, "--db", f"sqlite:///{missing}"]) == 0


@pytest.mark.parametrize(
    "url",
    # a folder where the SQLite file should be; a PostgreSQL port nothing listens on
    ["sqlite:///{tmp}", "postgresql://desk:secret@127.0.0.1:1/stmon"],
)
def test_a_database_that_cannot_be_reached_is_a_store_error(url: str, tmp_path: Path) -> None:
    engine = make_engine(url.format(tmp=tmp_path))
    try:
        with pytest.raises(StoreError, match="cannot reach the database at ") as caught:
            migrate.current_revision(engine)
    finally:
        engine.dispose()
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_no_database_is_a_store_error(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100, encoding="utf-8")
    engine = make_engine(f"sqlite:///{text_file}")
    try:
        with pytest.raises(StoreError, match=r"cannot read the database at .*notes\.txt: file is"):
            migrate.current_revision(engine)
    finally:
        engine.dispose()
    assert text_file.read_text(encoding="utf-8").startswith("not a database")


def test_outdated_schema_is_refused_with_the_command_to_run(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num='0000'")
        with pytest.raises(SchemaOutdated) as info:
            migrate.ensure_current(engine)
        assert "newer than this stmon" in str(info.value)
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["status"]])
def test_a_database_of_a_newer_stmon_is_refused_by_every_command(
    sqlite_url: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """After a rollback of stmon: each command says so; none tries to upgrade it."""
    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num='9999'")
    finally:
        engine.dispose()
    assert main([*command, "--db", sqlite_url]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: the database schema (9999) is newer than this stmon ({migrate.HEAD})"
    assert err[1].startswith("hint: upgrade stmon")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_migrations_match_the_models(sqlite_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from monitor.store.tables import Base

    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], "models changed without a migration: add one in store/migrations"
    finally:
        engine.dispose()


POSTGRESQL_LOADED = """
import sys
from monitor.cli.daemon import open_database
from monitor.store import migrate
from monitor.store.feeds import active_feeds

db = open_database(sys.argv[1])
with db.session() as session:
    active_feeds(session)
db.dispose()
print("sqlalchemy.dialects.postgresql" in sys.modules)
"""


def test_a_sqlite_store_does_not_load_the_postgresql_dialect(sqlite_url: str) -> None:
    """Its models declare no PostgreSQL option (loading that dialect, with its drivers,
    took 50-80 ms of every start-up)."""
    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", POSTGRESQL_LOADED, sqlite_url], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_head_known_at_build_time_is_alembics_head() -> None:
    assert migrate.HEAD == migrate.head_revision()


def test_the_revision_is_read_as_alembic_reads_it(sqlite_url: str) -> None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(sqlite_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine, "0001")
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0001"
        assert migrate.current_revision(engine) == "0001"
        with pytest.raises(SchemaOutdated, match="at 0001, this stmon needs"):
            migrate.ensure_current(engine)
    finally:
        engine.dispose()


def _indexes(engine: Engine) -> dict[str, str]:
    """Each index of items and classifications, by name: its definition (SQL)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name IN ('items', 'classifications') AND sql IS NOT NULL"
            )
        else:
            found = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE tablename IN ('items', 'classifications')"
            )
        return {name: sql for name, sql in found}


def test_0006_makes_item_indexes_partial_and_drops_the_redundant_ones(db_url: str) -> None:
    from alembic import command

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0005")
        before = _indexes(engine)
        gone = {"ix_items_fetched", "ix_classifications_item_id", "ix_classifications_event_type"}
        assert gone | {"ix_items_story_id"} <= before.keys()
        assert "WHERE" not in before["ix_items_story_id"].upper()
        migrate.upgrade(engine)
        after = _indexes(engine)
        assert not gone & after.keys()
        assert "classified IS NULL" in after["ix_items_unclassified"]
        assert "story_id IS NOT NULL" in after["ix_items_story_id"]
        command.downgrade(migrate.alembic_config(engine), "0005")
        assert migrate.current_revision(engine) == "0005"
        assert _indexes(engine).keys() == before.keys()
        assert "WHERE" not in _indexes(engine)["ix_items_story_id"].upper()
        assert migrate.upgrade(engine) == ("0005", migrate.HEAD)
    finally:
        engine.dispose()
