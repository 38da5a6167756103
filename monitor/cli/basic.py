"""Commands about the installation itself: check, version, schema, db."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor import __version__
from monitor.cli.common import (
    add_db_option,
    cannot_write,
    database_url,
    report_error,
    yaml_kind,
)
from monitor.cli.exits import EXIT_CONFIG, EXIT_OK
from monitor.config.load import RULES_PATH_HINT, config_path, load_config, rules_file_problem
from monitor.config.schema import Config
from monitor.config.yamlload import Document, load_yaml
from monitor.errors import ConfigError, ConfigErrors, MonitorError
from monitor.store import migrate
from monitor.store.db import make_engine, require_existing


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check", help="validate the config and its rules files, or one rules file"
    )
    check.add_argument(
        "path", nargs="?", help="config file, or a rules file to check alone (default: --config)"
    )
    check.set_defaults(func=cmd_check)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=lambda _args: print(f"stmon {__version__}") or EXIT_OK)

    schema = sub.add_parser("schema", help="print the JSON Schema of the config or rules files")
    schema.add_argument("which", choices=["config", "rules"], nargs="?", default="config")
    schema.add_argument("--write", metavar="DIR", help="write both schemas as files into DIR")
    schema.set_defaults(func=cmd_schema)

    db = sub.add_parser("db", help="database schema management")
    db_sub = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply pending migrations (safe to repeat)")
    add_db_option(upgrade)
    upgrade.set_defaults(func=cmd_db_upgrade)
    current = db_sub.add_parser("current", help="show the schema revision of the database")
    add_db_option(current)
    current.set_defaults(func=cmd_db_current)


def cmd_check(args: argparse.Namespace) -> int:
    given = args.path or args.config
    if given and yaml_kind(given) == "rules":
        return check_rules(given)
    config, problems = check_config(given)
    path = config_path(given)
    if problems:
        report_error(ConfigErrors(problems))
        return EXIT_CONFIG
    feeds = sum(1 for f in config.feeds if f.enabled)
    print(
        f"ok: {path}: {feeds} feeds, {len(config.watches)} watches, {len(config.channels)} channels"
    )
    for watch in config.watches:
        print(f"ok: {watch.rules}: rules of watch '{watch.name}'")
    if not feeds:
        print(f"note: {path} has no enabled feed: `stmon run` would poll nothing")
    elif not config.watches:
        print(f"note: {path} has no watch: items are stored, none classified or alerted")
    return EXIT_OK


def check_rules(path: str | Path) -> int:
    """`stmon check RULES.yaml`: validate and compile one rules file; its problems are
    raised as ConfigErrors with file:line, like a config's."""
    from monitor.classify import load_rules

    rules = load_rules(path)
    print(f"ok: {path}: rules, {len(rules.types)} types, {len(rules.terms.display)} terms")
    return EXIT_OK


def check_config(path: str | Path | None = None) -> tuple[Config, list[ConfigError]]:
    """Validate the config and every rules file it names; collect all problems.

    Returns the config (when the file itself is valid) and the list of problems in the
    rules files, in routes that name event types the rules do not define, and in the
    channels' templates (each enabled channel renders a sample alert and a digest).
    """
    from monitor.alert.render import check_templates  # imported by this command only
    from monitor.classify import load_rules

    config = load_config(path)
    doc: Document | None = None
    problems: list[ConfigError] = []
    for w, watch in enumerate(config.watches):
        missing = rules_file_problem(watch.rules)
        if missing is not None:
            doc = doc or load_yaml(config_path(path))
            problems.append(doc.error(("watches", w, "rules"), missing, RULES_PATH_HINT))
            continue
        try:
            rules = load_rules(watch.rules)
        except ConfigError as exc:
            problems.extend(getattr(exc, "errors", [exc]))
            continue
        known = set(rules.event_types)
        for r, route in enumerate(watch.routes):
            for t, event_type in enumerate(route.types):
                if event_type != "*" and event_type not in known:
                    doc = doc or load_yaml(config_path(path))
                    problems.append(
                        doc.error(
                            ("watches", w, "routes", r, "types", t),
                            f"unknown event type '{event_type}' (rules define: "
                            f"{', '.join(sorted(known))})",
                        )
                    )
    now = datetime.now(UTC)
    for channel in config.channels.values():
        if channel.enabled:
            try:
                check_templates(channel, now)
            except ConfigError as exc:
                problems.append(exc)
    return config, problems


def schemas() -> dict[str, dict[str, Any]]:
    from monitor.classify import rules_json_schema
    from monitor.config.types import ConfigJsonSchema

    # validation mode: the schema of what a config file may hold (``10m``, ``5MB``, ...)
    config_schema = Config.model_json_schema(mode="validation", schema_generator=ConfigJsonSchema)
    config_schema["title"] = "stmon config (monitor.yaml)"
    return {"config": config_schema, "rules": rules_json_schema()}


def cmd_schema(args: argparse.Namespace) -> int:
    all_schemas = schemas()
    if args.write:
        folder = Path(args.write)
        if folder.exists() and not folder.is_dir():
            raise MonitorError(
                f"cannot write the schemas into {folder}: it is a file, not a folder",
                hint="give --write a folder (one that does not exist yet is made)",
            )
        for name, schema in all_schemas.items():
            target = folder / f"{name}.schema.json"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
            except OSError as exc:
                raise cannot_write(target, exc) from None
            print(f"wrote {target}")
        return EXIT_OK
    json.dump(all_schemas[args.which], sys.stdout, indent=2, ensure_ascii=False)
    print()
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    engine = make_engine(database_url(args))
    try:
        before, after = migrate.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"database is up to date (revision {after})")
    else:
        print(f"database upgraded from {before or 'empty'} to {after}")
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    url = database_url(args)
    require_existing(url)
    engine = make_engine(url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    if current is not None and current != head:
        migrate.refuse_newer(current)
    state = "up to date" if current == head else f"needs `stmon db upgrade` (to {head})"
    print(f"revision {current or 'none'}: {state}")
    return EXIT_OK
