"""Helpers shared by CLI commands: error reports, JSON lines, tables."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from monitor.config.load import load_config
from monitor.config.schema import Config
from monitor.config.types import check_database_url, parse_duration
from monitor.config.yamlload import load_yaml
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.classify import RuleSet


def report_error(exc: MonitorError) -> None:
    """Print an error (one line per problem) and its hint to stderr."""
    for line in str(exc).splitlines():
        print(f"error: {line}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def yaml_kind(path: str | Path) -> str | None:
    """What ``path`` holds: ``"rules"`` (a YAML mapping with ``types:`` at its top and
    none of the config's sections), ``"config"`` (one of the config's sections, no
    ``types:``), else None. A file that cannot be read or parsed is None: the check that
    reads it says why."""
    try:
        data = load_yaml(path).data
    except ConfigError:
        return None
    if not isinstance(data, dict):
        return None
    config = bool(data.keys() & Config.model_fields)
    if "types" in data and not config:
        return "rules"
    return "config" if config and "types" not in data else None


def load_rules_given(path: str | Path, option: str = "--rules") -> RuleSet:
    """The rules file ``path``, given with ``option``, loaded. A config given for one is
    refused with what to give instead (its errors as rules would send the user to check
    it as a config, which passes); the file is looked at as a config only then."""
    from monitor.classify import load_rules

    try:
        return load_rules(path)
    except ConfigError:
        if yaml_kind(path) != "config":
            raise
    raise ConfigError(
        "a stmon config, not a rules file",
        file=str(path),
        hint=f"give {option} a rules file (a watch's `rules:`, e.g. "
        "config/rules/seoul-tokyo.yaml); a config goes with --config",
    )


def config_of(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def database_url(args: argparse.Namespace) -> str:
    """--db, else the config's storage.url."""
    explicit: str | None = getattr(args, "db", None)
    return explicit or config_of(args).storage.url


def duration_arg(text: str) -> timedelta:
    """An option's duration (``90s``, ``10m``, ``1h``, ``7d``): argparse says what is wrong."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def option_problems(exc: ValidationError) -> str:
    """What pydantic found wrong with a value given on the command line, in one line."""
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def cannot_write(path: object, exc: OSError) -> MonitorError:
    """The error for an output file the user named that cannot be written."""
    return MonitorError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="check the path: its folder must exist and be writable",
    )


ROW_ID_MAX = 2**63 - 1  # the largest integer a database column holds (SQLite, PostgreSQL)


def count_arg(text: str) -> int:
    """A positive whole number on the command line (``--limit``, an id): argparse says
    what is wrong, including a number too large for the database."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if not 1 <= value <= ROW_ID_MAX:
        raise argparse.ArgumentTypeError(f"must be between 1 and {ROW_ID_MAX}, not {value}")
    return value


def output_file(path: str | Path, url: str) -> Path:
    """``path``, a file the user named for a command's output, checked: not a folder, in
    a folder that exists, and not a file of the database at ``url`` (writing it would
    destroy the store)."""
    from monitor.store.db import database_files

    target = Path(path)
    if target.is_dir():
        raise MonitorError(f"{target} is a folder", hint="give a file's path")
    if not target.parent.is_dir():
        raise MonitorError(
            f"cannot write {target}: no folder {target.parent}",
            hint="make the folder first, or choose a path in one that exists",
        )
    if any(target.resolve() == file.resolve() for file in database_files(url)):
        raise MonitorError(
            f"{target} is the database: writing it would destroy the store",
            hint="choose another path for the output",
        )
    return target


_TEXT: dict[str, Any] = {"encoding": "utf-8", "newline": ""}  # (a text output file)


@contextmanager
def replacing(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write that replaces ``path`` once it is written whole: a reader never
    sees half a file, and a failure leaves ``path`` as it was. The file gets the mode of
    the one it replaces, else the usual one for a new file (0666 less the umask)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else _TEXT)) as out:
            yield out
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", type=database_url_arg, help="database URL (default: storage.url)"
    )


def database_url_arg(text: str) -> str:
    """``--db``'s value, checked as storage.url is: a URL of SQLite or PostgreSQL."""
    try:
        return check_database_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def print_json_lines(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=_jsonable))


def terminal_safe(text: str) -> str:
    """``text`` as a terminal may show it: feed text can hold escape sequences that move
    the cursor, rewrite lines or reverse the reading direction. Line breaks stay; other
    white space becomes a space; every other control or format character is shown as
    its escape (``\\x1b``, ``\\u202e``)."""
    if all(c.isprintable() or c == "\n" for c in text):
        return text
    return "".join(
        c if c.isprintable() or c == "\n" else " " if c.isspace() else _escape(c) for c in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table (feed text made terminal-safe, one line per row)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    return terminal_safe(str(value)).replace("\n", " ")
