"""Load monitor.yaml into a validated :class:`Config`.

The path comes from ``--config``, else ``STMON_CONFIG``, else ``config/monitor.yaml``.
Relative rules paths are resolved against the config file's folder. Every problem is
a :class:`ConfigError` naming the file, the line and the key path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.schema import Config
from monitor.config.yamlload import Document, load_yaml, validation_errors
from monitor.errors import ConfigError

DEFAULT_CONFIG = Path("config/monitor.yaml")


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file to use: explicit, else $STMON_CONFIG, else config/monitor.yaml."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("STMON_CONFIG")
    return Path(from_env) if from_env else DEFAULT_CONFIG


def _default_missing(explicit: str | Path | None) -> bool:
    """Whether no config is named (no ``--config``, no ``STMON_CONFIG``) and the working
    folder has no ``config/monitor.yaml``."""
    return not explicit and not os.environ.get("STMON_CONFIG") and not DEFAULT_CONFIG.exists()


def shipped_config(explicit: str | Path | None = None) -> Path | None:
    """The config this checkout ships (``config/monitor.yaml`` beside the package), for
    the commands that only read a watch's rules (``classify``, ``eval``, ``rules test``),
    when no config is named (no ``--config``, no ``STMON_CONFIG``) and the working folder
    has none; None otherwise, or when stmon is not run from a checkout."""
    if not _default_missing(explicit):
        return None
    shipped = Path(__file__).resolve().parents[2] / DEFAULT_CONFIG
    return shipped if shipped.is_file() else None


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read, substitute ``${VAR}``, validate. Raises ConfigError(s) with file:line."""
    file = config_path(path)
    if _default_missing(path):
        raise ConfigError(
            f"file not found in {Path.cwd()} (no --config given, STMON_CONFIG not set)",
            file=str(file),
            hint="give the config file with --config PATH or STMON_CONFIG=PATH, or run "
            "stmon from the folder that holds config/monitor.yaml",
        )
    doc = load_yaml(file, env)
    if not isinstance(doc.data, dict):
        raise doc.error((), "the config must be a mapping of sections (feeds:, watches:, …)")
    _resolve_rule_paths(doc, file.parent)
    try:
        return Config.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_errors(doc, exc) from None


RULES_PATH_HINT = (
    "correct the watch's `rules:` path (a relative one is read from the config file's folder)"
)


def rules_file_problem(path: str | Path) -> str | None:
    """Why a watch's ``rules:`` path names no rules file to read, or None when it does."""
    file = Path(path)
    if file.is_file():
        return None
    return f"{'a folder, not a file' if file.is_dir() else 'no such file'}: {file}"


def _resolve_rule_paths(doc: Document, base: Path) -> None:
    watches: Any = doc.data.get("watches")
    if not isinstance(watches, list):
        return
    for watch in watches:
        if isinstance(watch, dict) and isinstance(watch.get("rules"), str):
            rules = Path(watch["rules"])
            watch["rules"] = str(rules if rules.is_absolute() else (base / rules).resolve())
