"""The JSON Schemas in docs/schema describe what the loaders accept.

A standard validator (``jsonschema``, with format checks, as ``check-jsonschema`` runs
it) checks the shipped config, every shipped rules file and the complete examples of
the docs against the committed schemas. A complete example is a fenced block whose info
string names its schema, `` ```yaml config `` or `` ```yaml rules ``; other YAML blocks
(fragments, other tools' files) are left alone. Each example is also loaded by stmon's
own loader, and for the values YAML gives as strings (durations, sizes, times of day)
the schema and the loader are asked the same questions. That the committed schemas are
what ``stmon schema`` generates today is tests/test_cli.py's
``test_shipped_schema_files_are_current``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from monitor.classify import parse_rules
from monitor.config.load import load_config
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "docs" / "schema"
RULES_FILES = sorted((REPO / "config" / "rules").glob("*.yaml"))
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```yaml[ \t]+(?P<kind>config|rules)[ \t]*\n(?P<body>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")


@functools.cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(kind: str, data: Any) -> list[str]:
    errors = validator(kind).iter_errors(data)
    return [f"{e.json_path}: {e.message}" for e in sorted(errors, key=lambda e: e.json_path)]


def examples() -> list[tuple[str, str, str]]:
    """(``file:line``, kind, YAML text) of every complete example in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            indent = len(match.group("indent"))
            body = "".join(row[indent:] for row in match.group("body").splitlines(True))
            found.append((f"{doc.relative_to(REPO)}:{line}", match.group("kind"), body))
    return found


EXAMPLES = examples()


def test_the_docs_hold_complete_examples_of_both_kinds() -> None:
    assert {kind for _, kind, _ in EXAMPLES} == {"config", "rules"}


def test_the_shipped_config_is_valid() -> None:
    data = yaml.safe_load((REPO / "config" / "monitor.yaml").read_text(encoding="utf-8"))
    assert schema_errors("config", data) == []


@pytest.mark.parametrize("path", RULES_FILES, ids=[p.name for p in RULES_FILES])
def test_every_shipped_rules_file_is_valid(path: Path) -> None:
    assert schema_errors("rules", yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(("where", "kind", "text"), EXAMPLES, ids=[w for w, _, _ in EXAMPLES])
def test_every_complete_example_in_the_docs_is_valid_and_loads(
    where: str, kind: str, text: str, tmp_path: Path
) -> None:
    assert schema_errors(kind, yaml.safe_load(text)) == [], where
    if kind == "rules":
        parse_rules(text)
    else:
        path = tmp_path / "monitor.yaml"
        path.write_text(text, encoding="utf-8")
        load_config(path, env={name: "x" for name in ENV_REF.findall(text)})


# --- the schema and the loader agree on the values written as strings -----------------

DURATIONS = {
    "90s": True,
    "10m": True,
    "1h30m": True,
    "1.5h": True,
    "2w": True,
    "500ms": True,
    " 10M ": True,
    "600": True,  # a number of seconds, quoted or not (`--since 3600` on the command line)
    "1.": False,
    600: True,
    0.5: True,
    "PT10M": False,
    "-5s": False,
    "1h 30m": False,
    "soon": False,
    "": False,
    -1: False,
    True: False,
}
TIMES = {
    "22:00": True,
    "7:05": True,
    " 23:59 ": True,
    "24:00": False,
    "22:60": False,
    "22": False,
    "10pm": False,
    1320: True,  # YAML 1.1 reads an unquoted 22:00 as 1320 (minutes)
    1440: False,
}
QUIET_HOURS = {
    "22:00-07:00": True,
    "22:00 - 07:00": True,
    "22:00": False,
    "22:00-07:00-08:00": False,
    "22-07": False,
    None: True,
}
# (max_body: at least 1 KiB, which the loader checks and the schema does not)
SIZES = ["5MB", "5mb", "512KiB", "512 kib", "1.5GB", " 5MB ", "2048 B", "5000", 5_000_000, 4096]


def loads(config: dict[str, Any], tmp_path: Path) -> bool:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError:
        return False
    return True


def both(config: dict[str, Any], tmp_path: Path) -> tuple[bool, bool]:
    """(the loader accepts it, the schema accepts it)"""
    return loads(config, tmp_path), not schema_errors("config", config)


@pytest.mark.parametrize(("value", "valid"), DURATIONS.items(), ids=repr)
def test_durations(value: object, valid: bool, tmp_path: Path) -> None:
    assert both({"novelty": {"window": value}}, tmp_path) == (valid, valid)


def channel(**keys: object) -> dict[str, Any]:
    return {"channels": {"c": {"type": "log", **keys}}}


@pytest.mark.parametrize(("value", "valid"), TIMES.items(), ids=repr)
def test_times_of_day(value: object, valid: bool, tmp_path: Path) -> None:
    assert both(channel(quiet_hours=[value, "12:00"]), tmp_path) == (valid, valid)


@pytest.mark.parametrize(("value", "valid"), QUIET_HOURS.items(), ids=repr)
def test_quiet_hours(value: object, valid: bool, tmp_path: Path) -> None:
    assert both(channel(quiet_hours=value), tmp_path) == (valid, valid)


@pytest.mark.parametrize("value", SIZES, ids=repr)
def test_sizes_users_write_are_accepted_by_both(value: object, tmp_path: Path) -> None:
    assert both({"fetch": {"max_body": value}}, tmp_path) == (True, True)


@pytest.mark.parametrize("value", ["five MB", "-1MB", -1, 1.5], ids=repr)
def test_sizes_that_are_no_size_are_refused_by_both(value: object, tmp_path: Path) -> None:
    assert both({"fetch": {"max_body": value}}, tmp_path) == (False, False)


def test_a_secret_may_come_from_a_file_but_not_from_both(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    hook = {"type": "webhook", "url": "https://hooks.example.org/x"}
    from_file = {"channels": {"h": {**hook, "secret_file": str(secret)}}}
    both_keys = {"channels": {"h": {**hook, "secret": "x", "secret_file": str(secret)}}}
    assert both(from_file, tmp_path) == (True, True)
    assert both(both_keys, tmp_path) == (False, False)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("5MB", 5_000_000),
        ("512KiB", 524_288),
        ("1.5GB", 1_500_000_000),
        ("2048 B", 2048),
        (7000, 7000),
    ],
    ids=repr,
)
def test_sizes_keep_their_meaning(value: object, size: int, tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({"fetch": {"max_body": value}}), encoding="utf-8")
    assert load_config(path, env={}).fetch.max_body == size


@pytest.mark.parametrize(
    ("fetch", "key"),
    [({"max_body": "5GiB"}, "fetch.max_body"), ({"parser_memory": "2TiB"}, "fetch.parser_memory")],
)
def test_sizes_past_their_bound_are_errors_with_file_and_line(
    fetch: dict[str, str], key: str, tmp_path: Path
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({"fetch": fetch}), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{path}:2: {key}: Input should be less than"):
        load_config(path, env={})


def test_alert_delivery_keys_are_accepted_by_both(tmp_path: Path) -> None:
    alerts = {"give_up_after": "24h", "send_deadline": "30s", "retry_delay": "1m"}
    assert both({"alerts": alerts}, tmp_path) == (True, True)
    assert both({"alerts": {"max_attempts": 8}}, tmp_path) == (True, True)  # still a cap
    assert both({"alerts": {"give_up_after": "a day"}}, tmp_path) == (False, False)


@pytest.mark.parametrize(
    ("alerts", "key", "reason"),
    [
        ({"send_deadline": "0s"}, "alerts.send_deadline", "longer than 0s"),
        ({"give_up_after": "10s", "retry_delay": "1m"}, "alerts.give_up_after", "retry_delay"),
    ],
)
def test_alert_delivery_bounds_are_checked_with_file_and_line(
    alerts: dict[str, str], key: str, reason: str, tmp_path: Path
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({"alerts": alerts}), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert f"{path}:" in message and key in message and reason in message
