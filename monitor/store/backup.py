"""Backups of a SQLite database with SQLite's online backup API: a consistent snapshot,
taken while the daemon keeps running, checked with ``integrity_check``. For PostgreSQL
use ``pg_dump``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor.errors import StoreError
from monitor.store.db import sqlite_file


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; a StoreError for anything else."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise StoreError(
            f"stmon backup copies SQLite databases; {parsed.get_backend_name()} is not one",
            hint="back up PostgreSQL with pg_dump, e.g. `pg_dump -Fc DBNAME > stmon.dump`",
        )
    path = sqlite_file(parsed)
    if path is None:
        raise StoreError("an in-memory database (or a file: URI) cannot be backed up")
    if not path.is_file():
        raise StoreError(f"no database file at {path}")
    return path


def backup(source: Path, target: Path) -> int:
    """Copy ``source`` to ``target`` with the online backup API; returns the page count."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: a consistent snapshot; WAL writers not blocked
                dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
        if check != "ok":
            raise StoreError(f"the backup failed its integrity check: {check}")
        os.replace(partial, target)
    except BaseException:  # (a source that is no database, a full disk): nothing left over
        partial.unlink(missing_ok=True)
        raise
    return pages
