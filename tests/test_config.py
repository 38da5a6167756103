"""Config loading: valid files load; every kind of mistake names file, line and key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.load import load_config
from monitor.config.types import parse_duration
from monitor.errors import ConfigError

BASE = """\
storage:
  url: sqlite:///var/test.db
feeds:
  - name: one
    url: https://example.org/one.xml
    interval: 5m
  - name: two
    url: https://example.org/two.xml
    tags: [korea]
channels:
  console:
    type: log
watches:
  - name: seoul-tokyo
    rules: rules/seoul-tokyo.yaml
    feeds: [one, "tag:korea"]
    routes:
      - types: [summit_announced]
        channels: [console]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    return str(info.value)


def test_valid_config_loads_with_types_and_resolved_paths(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE), env={})
    assert [f.name for f in config.feeds] == ["one", "two"]
    assert config.feeds[0].interval == timedelta(minutes=5)
    assert config.feeds[1].interval is None
    assert config.watches[0].rules == (tmp_path / "rules" / "seoul-tokyo.yaml").resolve()
    assert [f.name for f in config.feeds_of(config.watches[0])] == ["one", "two"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("interval: 5m", "interval: 5 mins", ":6: feeds[0].interval: invalid duration '5 mins'"),
        (
            "    tags: [korea]",
            "    tags: [korea]\n    colour: red",
            ":10: feeds[1].colour: unknown key",
        ),
        ("  - name: two", "  - name: one", ":7: feeds[1].name: duplicate feed name 'one'"),
        (
            "        channels: [console]",
            "        channels: [pager]",
            ":19: watches[0].routes[0].channels[0]: unknown channel 'pager'",
        ),
        (
            'feeds: [one, "tag:korea"]',
            "feeds: [one, three]",
            ":16: watches[0].feeds[1]: unknown feed 'three'",
        ),
        (
            "  url: sqlite:///var/test.db",
            "  url: ${STMON_TEST_DB}",
            ":2: storage.url: environment variable 'STMON_TEST_DB' is not set",
        ),
        ("    type: log", "    type: log\n   bad: [", ":13: YAML syntax error"),
        ("https://example.org/one.xml", "not a url", ":5: feeds[0].url: "),
        (
            "storage:\n",
            "fetch:\n  parser_idle: 0s\nstorage:\n",
            ":2: fetch.parser_idle: parser_idle must be at least 1s",
        ),
        (
            "storage:\n",
            "fetch:\n  interval: 0\nstorage:\n",
            ":2: fetch.interval: interval must be at least 10s",
        ),
        (
            "storage:\n",
            "fetch:\n  read_timeout: 0s\nstorage:\n",
            ":2: fetch.read_timeout: a timeout must be longer than 0s",
        ),
        (
            "  url: sqlite:///var/test.db",
            "  url: var/test.db",
            ":2: storage.url: not a database URL: give sqlite:///path/to/stmon.db",
        ),
        (
            "  url: sqlite:///var/test.db",
            "  url: mysql://desk:secret@db.example/stmon",
            ":2: storage.url: 'mysql' is not a database stmon can use",
        ),
    ],
    ids=[
        "bad-duration",
        "unknown-key",
        "duplicate-feed",
        "unknown-channel",
        "unknown-feed",
        "missing-env",
        "yaml-syntax",
        "bad-url",
        "parser-idle-floor",
        "fetch-interval-floor",
        "zero-timeout",
        "database-path-not-url",
        "unsupported-database",
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    message = error_of(path)
    assert message.startswith(str(path) + ":")
    assert expected in message


def test_env_reference_is_substituted_and_default_used(tmp_path: Path) -> None:
    text = BASE.replace("sqlite:///var/test.db", "${STMON_TEST_DB}", 1)
    config = load_config(write(tmp_path, text), env={"STMON_TEST_DB": "sqlite:///x.db"})
    assert config.storage.url == "sqlite:///x.db"
    text = BASE.replace("sqlite:///var/test.db", "${STMON_TEST_DB:-sqlite:///d.db}", 1)
    assert load_config(write(tmp_path, text), env={}).storage.url == "sqlite:///d.db"


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    text = BASE.replace("interval: 5m", "interval: soon").replace("tags: [korea]", "tagz: []")
    lines = error_of(write(tmp_path, text)).splitlines()
    assert len(lines) == 2
    assert "feeds[0].interval" in lines[0] and "feeds[1].tagz: unknown key" in lines[1]


def test_missing_file_is_named(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml").endswith("nope.yaml: file not found")


def test_missing_default_config_says_where_it_looked_and_how_to_choose_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STMON_CONFIG", raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={})
    assert str(caught.value).startswith(f"config/monitor.yaml: file not found in {tmp_path}")
    assert "--config" in caught.value.hint and "STMON_CONFIG" in caught.value.hint


def test_missing_named_config_asks_to_check_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", env={})
    assert caught.value.hint == "check the file's path"


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, BASE)
    monkeypatch.setenv("STMON_CONFIG", str(path))
    assert load_config(None, env={}).feeds[0].name == "one"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("7d", 604800),
        (45, 45),
        ("600", 600),  # seconds, given as text (a quoted YAML number, `--since 3600`)
        (" 1.5 ", 1.5),
    ],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["5 mins", "", "m", "-3", "1x", "1.", "3 600", True])
def test_bad_durations(text: str | bool) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["36501d", "1000000d", 10**30, float("inf")])
def test_durations_longer_than_a_century_are_refused(value: str | float) -> None:
    with pytest.raises(ValueError, match="is too long"):
        parse_duration(value)


def test_a_century_is_the_longest_duration_and_still_a_date_away() -> None:
    longest = parse_duration("36500d")
    assert longest.days == 36_500
    assert (datetime.now(UTC) - longest).year > 1900


def test_shipped_config_is_valid(repo_dir: Path) -> None:
    config = load_config(repo_dir / "config" / "monitor.yaml", env={})
    assert len(config.feeds) >= 10
    assert all(watch.rules.is_file() for watch in config.watches)


def test_a_watch_may_name_one_feed_selector_without_a_list(tmp_path: Path) -> None:
    listed = load_config(write(tmp_path, BASE), env={})
    alone = load_config(write(tmp_path, BASE.replace('feeds: [one, "tag:korea"]', "feeds: one")))
    assert alone.watches[0].feeds == ("one",)
    assert [f.name for f in alone.feeds_of(alone.watches[0])] == ["one"]
    tagged = load_config(
        write(tmp_path, BASE.replace('feeds: [one, "tag:korea"]', "feeds: tag:korea"))
    )
    korean = tuple(f for f in listed.feeds_of(listed.watches[0]) if "korea" in f.tags)
    assert korean and tagged.feeds_of(tagged.watches[0]) == korean
    path = write(tmp_path, BASE.replace('feeds: [one, "tag:korea"]', "feeds: al"))  # a typo
    assert ":16: watches[0].feeds[0]: unknown feed 'al'" in error_of(path)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("fetch:\n  max_body: 0\n", ":2: fetch.max_body: max_body must be at least 1.0KiB"),
        (
            "channels:\n  hook:\n    type: webhook\n    url: https://example.org/h\n"
            "    timeout: 0s\n",
            ":5: channels.hook.timeout: a timeout must be longer than 0s",
        ),
        (
            "channels:\n  hook:\n    type: webhook\n    url: https://example.org/h\n"
            "    secret: ''\n",
            ":5: channels.hook.secret: the secret is empty",
        ),
        (
            "service:\n  web:\n    token: short\n",
            ":3: service.web.token: a token needs at least 16 characters, not 5",
        ),
    ],
    ids=["max-body-0", "webhook-timeout-0", "empty-secret", "short-token"],
)
def test_values_that_would_break_every_fetch_or_send_are_refused(
    tmp_path: Path, section: str, expected: str
) -> None:
    path = write(tmp_path, section)
    message = error_of(path)
    assert message.startswith(f"{path}{expected}"), message
    assert "short" not in message.replace(str(path), "")  # a secret's value is never shown


def test_an_empty_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("\n", encoding="utf-8")
    path = write(
        tmp_path,
        "channels:\n  hook:\n    type: webhook\n    url: https://example.org/h\n"
        f"    secret_file: {tmp_path / 'secret'}\n",
    )
    assert "channels.hook.secret: the secret is empty" in error_of(path)
