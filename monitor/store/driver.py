"""Bulk statements at the database driver, in a session's transaction.

For the thousands of rows a poll writes, SQLAlchemy's per-row work (parameter
dictionaries, type conversion, expanded ``IN`` lists) costs several times what the
database does. ``Driver`` runs SQL text with the driver's placeholders and values
converted by the column's own type, as SQLAlchemy would convert them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine


class Driver:
    """Statements at the driver: its placeholders (``mark``), multi-row ``VALUES``, and
    values converted by the column's own type (``value``), as SQLAlchemy would."""

    PARAMS = 999  # parameters per statement: within SQLite's oldest limit

    def __init__(self, session: Session) -> None:
        session.flush()
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"

    def value(self, type_: TypeEngine[Any]) -> Callable[[Any], Any]:
        """A column type's conversion of Python values to what the driver is given."""
        return self.value_for(type_, self.dialect)

    @staticmethod
    def value_for(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
        """``value`` for a given dialect."""
        process = type_.dialect_impl(dialect).bind_processor(dialect)
        return process if process is not None else _same

    def run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        result = self.connection.exec_driver_sql(sql, tuple(params))
        return [tuple(row) for row in result] if result.returns_rows else []

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``sql`` (no result rows) once per row of parameters, as one ``executemany``."""
        if len(rows) == 1:
            self.run(sql, rows[0])
        elif rows:
            self.connection.exec_driver_sql(sql, [tuple(row) for row in rows])

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> list[tuple[Any, ...]]:
        """Insert ``rows`` of driver values; ``tail``: ON CONFLICT or RETURNING clauses."""
        quote = self.dialect.identifier_preparer.quote
        head = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES "
        group = f"({', '.join([self.mark] * len(columns))})"
        step = max(1, self.PARAMS // len(columns))
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            sql = head + ", ".join([group] * len(chunk)) + tail
            found.extend(self.run(sql, [v for row in chunk for v in row]))
        return found

    def marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def rows_in(
        self, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (a SELECT whose ``{values}`` is an IN list) for ``values``,
        in statements of at most ``PARAMS`` parameters (``params``, then a chunk of
        ``values``); the rows of each chunk's statement in turn."""
        return self.rows_in_union([(sql, values, params)])

    def rows_in_union(
        self, parts: Sequence[tuple[str, Sequence[Any], Sequence[Any]]]
    ) -> list[tuple[Any, ...]]:
        """The rows of several such SELECTs, each ``(sql, values, params)``, joined with
        UNION ALL: one statement (not one per SELECT) for every ``PARAMS`` parameters.
        The values are taken in order; a statement holds each SELECT with values in its
        chunk (its ``params``, then those values), and leaves out the others."""
        step = max(1, self.PARAMS - sum(len(params) for _, _, params in parts))
        flat = [(n, value) for n, (_, values, _) in enumerate(parts) for value in values]
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(flat), step):
            selects: list[str] = []
            args: list[Any] = []
            for n, run in groupby(flat[start : start + step], key=itemgetter(0)):
                sql, _, params = parts[n]
                chunk = [value for _, value in run]
                selects.append(sql.format(values=self.marks(len(chunk))))
                args += [*params, *chunk]
            found.extend(self.run(" UNION ALL ".join(selects), args))
        return found


def dialect_insert(session: Session) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_nothing``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # (imported already by a PostgreSQL engine)

        return postgresql.insert
    return sqlite.insert


def _same(value: Any) -> Any:
    return value
