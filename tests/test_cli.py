"""The command line as a user meets it: help, check's exit codes, schema, items."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_command() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in (
        "check",
        "db",
        "run",
        "poll",
        "status",
        "items",
        "classify",
        "eval",
        "rules",
        "alerts",
        "schema",
        "version",
    ):
        assert command in done.stdout, command


def test_check_shipped_config_exits_zero(repo_dir: Path) -> None:
    done = run("check", str(repo_dir / "config" / "monitor.yaml"))
    assert done.returncode == 0, done.stderr
    assert "ok:" in done.stdout


FEED = "feeds:\n  - name: one\n    url: https://e.org/1\n    tags: [x]\n"


def check(folder: Path, document: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`stmon check` of ``document`` written as FOLDER/monitor.yaml."""
    path = folder / "monitor.yaml"
    path.write_text(document, encoding="utf-8")
    return path, run("check", str(path))


@pytest.mark.parametrize(
    ("document", "note"),
    [("{}\n", "has no enabled feed"), (FEED, "has no watch: items are stored, none classified")],
    ids=["empty", "no-watch"],
)
def test_check_passes_a_config_that_does_nothing_useful_with_a_note(
    tmp_path: Path, document: str, note: str
) -> None:
    path, done = check(tmp_path, document)
    assert done.returncode == 0, done.stderr
    assert f"note: {path} {note}" in done.stdout


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            FEED + "    interval: 5 mins\n",
            "monitor.yaml:5: feeds[0].interval: invalid duration '5 mins'",
        ),
        (FEED + "    colour: red\n", "monitor.yaml:5: feeds[0].colour: unknown key"),
        (
            FEED + "  - name: one\n    url: https://e.org/2\n",
            "monitor.yaml:5: feeds[1].name: duplicate feed name 'one'",
        ),
        (
            FEED + "    interval: ${STMON_NOT_SET}\n",
            "monitor.yaml:5: feeds[0].interval: environment variable 'STMON_NOT_SET' is not set",
        ),
        (FEED + "    interval: [5m\n", "monitor.yaml:6: YAML syntax error"),
    ],
    ids=["bad-duration", "unknown-key", "duplicate-feed", "missing-env", "yaml-syntax"],
)
def test_check_reports_each_mistake_with_file_line_and_exit_2(
    tmp_path: Path, document: str, expected: str
) -> None:
    _, done = check(tmp_path, document)
    assert done.returncode == 2, done.stdout
    assert expected in done.stderr


def test_check_reports_a_broken_rules_file(tmp_path: Path, repo_dir: Path) -> None:
    rules = tmp_path / "rules.yaml"
    shipped = (repo_dir / "config" / "rules" / "seoul-tokyo.yaml").read_text(encoding="utf-8")
    rules.write_text(shipped.replace("$leaders_kr", "$leaders_kr_typo", 1), encoding="utf-8")
    config = tmp_path / "monitor.yaml"
    config.write_text(f"watches:\n  - name: w\n    rules: {rules}\n", encoding="utf-8")
    done = run("check", str(config))
    assert done.returncode == 2
    assert str(rules) in done.stderr and "leaders_kr_typo" in done.stderr


def test_check_of_a_rules_file_checks_it_as_rules(
    tmp_path: Path, repo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = repo_dir / "config" / "rules" / "seoul-tokyo.yaml"
    assert main(["check", str(shipped)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"ok: {shipped}: rules, 14 types, ") and err == ""
    broken = tmp_path / "rules.yaml"
    broken.write_text(
        "version: 1\nlists:\n  a: [Seoul, $b]\ntopic:\n  sides: {a: [$a], b: [Tokyo]}\n"
        "types:\n  t:\n    any:\n      - terms: [summit]\n",
        encoding="utf-8",
    )
    assert main(["check", str(broken)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0].startswith(f"error: {broken}:3: lists.a[1]: unknown list $b")
    assert "unknown key" not in err


def test_the_hint_of_errors_in_one_file_names_the_check_of_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "version: 1\ntopic: [\n"
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(broken, encoding="utf-8")
    two.write_text(broken, encoding="utf-8")
    assert main(["check", str(one)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"hint: fix the file and run `stmon check {one}` again"
    )
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "watches:\n  - name: w\n    rules: one.yaml\n  - name: v\n    rules: two.yaml\n",
        encoding="utf-8",
    )
    assert main(["check", str(config)]) == 2  # errors in two files: no one file to check
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: {one}:3: ") and err[1].startswith(f"error: {two}:3: ")
    assert err[-1] == "hint: fix the file and run `stmon check` again"


def test_check_of_a_config_with_a_types_key_still_checks_it_as_a_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(FEED + "types: {}\n", encoding="utf-8")
    assert main(["check", str(config)]) == 2
    assert f"error: {config}:5: types: unknown key" in capsys.readouterr().err


@pytest.mark.parametrize("folder", [False, True], ids=["missing", "a-folder"])
def test_a_watch_rules_path_that_names_no_file_is_shown_at_its_config_line(
    tmp_path: Path, folder: bool
) -> None:
    rules = tmp_path / "rules" / "seoul.yaml"
    if folder:
        rules.mkdir(parents=True)
    config = tmp_path / "monitor.yaml"
    config.write_text("watches:\n  - name: w\n    rules: rules/seoul.yaml\n", encoding="utf-8")
    done = run("check", str(config))
    assert done.returncode == 2
    reason = "a folder, not a file" if folder else "no such file"
    assert f"{config}:3: watches[0].rules: {reason}: {rules}" in done.stderr
    assert "hint: correct the watch's `rules:` path" in done.stderr
    # the daemon refuses such a config too, naming the watch
    started = run("--config", str(config), "run")
    assert started.returncode == 2
    assert f"watch 'w': rules: {reason}: {rules}" in started.stderr


def test_check_renders_the_channels_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "email.txt.j2").write_text("{{ msg.no_such_field }}\n", encoding="utf-8")
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "channels:\n  desk:\n    type: email\n    host: 127.0.0.1\n    security: none\n"
        "    from: stmon@example.org\n    to: [desk@example.org]\n"
        f"    template_dir: {templates}\n",
        encoding="utf-8",
    )
    done = run("check", str(config))
    assert done.returncode == 2, done.stdout
    assert "email.txt.j2" in done.stderr and "no_such_field" in done.stderr
    (templates / "email.txt.j2").write_text("{{ msg.headline }}\n", encoding="utf-8")
    done = run("check", str(config))
    assert done.returncode == 0, done.stderr


def test_schema_prints_json_schema_for_config_and_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "config"]) == 0
    config_schema = json.loads(capsys.readouterr().out)
    assert "feeds" in config_schema["properties"]
    assert main(["schema", "rules"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "object"


def test_shipped_schema_files_are_current(repo_dir: Path, tmp_path: Path) -> None:
    assert main(["schema", "--write", str(tmp_path)]) == 0
    for name in ("config.schema.json", "rules.schema.json"):
        shipped = (repo_dir / "docs" / "schema" / name).read_text(encoding="utf-8")
        assert shipped == (tmp_path / name).read_text(encoding="utf-8"), (
            f"docs/schema/{name} is stale: run `stmon schema --write docs/schema`"
        )


def test_adhoc_poll_then_items_json(feed_server: object, tmp_path: Path) -> None:
    from tests.support.feedserver import FeedServer

    assert isinstance(feed_server, FeedServer)
    fixtures = Path(__file__).parent / "data" / "feeds"
    feed_server.put("/atom.xml", (fixtures / "atom.xml").read_bytes())
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    done = run("poll", "--once", "--feed", feed_server.url("/atom.xml"), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "new items" in done.stdout
    listed = run("items", "--json", "--db", db)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and all(row["url"].startswith("http") for row in rows)
    expected = json.loads((fixtures / "atom.xml.expected.json").read_text())
    assert {row["guid"] for row in rows} == {item["guid"] for item in expected["items"]}
    status = run("status", "--json", "--db", db).stdout.splitlines()
    [feed] = [json.loads(line)["feed"] for line in status if '"feed"' in line]
    named = run("items", "--json", "--feed", feed, "--db", db)
    assert named.returncode == 0 and len(named.stdout.splitlines()) == len(rows)
    mistyped = run("items", "--feed", "no-such-feed", "--db", db)
    assert mistyped.returncode == 1
    assert "error: no feed named 'no-such-feed' in the store" in mistyped.stderr


def test_items_since_0_are_none_as_exports_since_0_are(tmp_path: Path, feed_server: Any) -> None:
    fixtures = Path(__file__).parent / "data" / "feeds"
    feed_server.put("/atom.xml", (fixtures / "atom.xml").read_bytes())
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    assert run("poll", "--once", "--feed", feed_server.url("/atom.xml"), "--db", db).returncode == 0
    every = run("items", "--json", "--since", "36500d", "--db", db).stdout.splitlines()
    assert every
    for command in ("items", "export"):
        done = (
            run(command, "--json", "--since", "0", "--db", db)
            if command == "items"
            else (run(command, "--since", "0", "--db", db))
        )
        assert done.returncode == 0 and done.stdout == "", command


def test_adhoc_poll_of_a_dead_feed_exits_1(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    done = run("poll", "--once", "--feed", "http://127.0.0.1:9/none.xml", "--db", db)
    assert done.returncode == 1
    assert "refused" in done.stdout


def test_adhoc_poll_leaves_the_configured_feeds_of_its_database_active(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stmon.db'}"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: {db}\nfeeds:\n  - name: desk\n    url: http://127.0.0.1:9/desk.xml\n",
        encoding="utf-8",
    )
    assert run("--config", str(config), "db", "upgrade").returncode == 0
    # rows for the config; its one feed cannot be reached, so the poll failed as a whole
    assert run("--config", str(config), "poll", "--once").returncode == 1
    run("poll", "--once", "--feed", "http://127.0.0.1:9/tried.xml", "--db", db)
    done = run("--config", str(config), "status", "--json")
    assert done.returncode == 0, done.stderr
    names = {json.loads(line)["feed"] for line in done.stdout.splitlines() if '"feed"' in line}
    assert "desk" in names and any(name.startswith("127.0.0.1-") for name in names)


def test_status_with_a_broken_config_says_how_to_see_the_store_without_it(
    tmp_path: Path,
) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text("fetch:\n  interval: soon\n", encoding="utf-8")
    done = run("--config", str(config), "status")
    assert done.returncode == 2
    assert f"{config}:2: fetch.interval" in done.stderr
    assert "`stmon status --db URL` shows the store without the config" in done.stderr


def test_status_shows_each_feed_with_its_state_and_health(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    run("poll", "--once", "--feed", "http://127.0.0.1:9/none.xml", "--db", db)
    done = run("status", "--json", "--db", db)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    feeds = [row for row in rows if "feed" in row]
    assert len(feeds) == 1
    assert feeds[0]["state"] == "error" and feeds[0]["errors"] == 1
    assert feeds[0]["health"] == "error" and "refused" in feeds[0]["last_error"]
    table = run("status", "--db", db)
    assert "connection refused" in table.stdout


def test_status_shows_no_problem_for_a_healthy_feed(tmp_path: Path, feed_server: Any) -> None:
    """A feed with a learned rhythm is healthy: its rhythm is in the JSON's health_reason,
    and its problem (the table's last column) is empty."""
    from email.utils import format_datetime

    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>t{n}</title><link>http://example.org/{n}</link>"
        f"<pubDate>{format_datetime(now - timedelta(hours=n))}</pubDate></item>"
        for n in range(8)
    )
    feed_server.put("/steady.xml", f"<rss version='2.0'><channel>{items}</channel></rss>".encode())
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    assert (
        run("poll", "--once", "--feed", feed_server.url("/steady.xml"), "--db", db).returncode == 0
    )
    [row] = [json.loads(line) for line in run("status", "--json", "--db", db).stdout.splitlines()]
    assert row["health"] == "ok" and row["health_reason"] == "usually every 1h"
    assert row["problem"] == ""
    table = run("status", "--db", db).stdout
    assert "usually every" not in table and row["feed"] in table


def test_each_command_is_dispatched_to_the_module_that_registers_it() -> None:
    import argparse

    from monitor.cli import COMMANDS, build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(actions[0].choices)

    assert commands(build_parser()) == set(COMMANDS)
    for command, module in COMMANDS.items():
        assert command in commands(build_parser(command)), (command, module)


@pytest.mark.parametrize("command", ["items", "events", "calendar", "export"])
def test_a_bad_since_is_a_usage_error_naming_the_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--since", "soon", "--db", "sqlite://"])
    assert done.value.code == 2
    assert "argument --since: invalid duration 'soon'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["items", "--limit", "10000000000000000000"],
        ["events", "--limit", "0"],
        ["alerts", "--limit", "-1"],
        ["alerts", "retry", "99999999999999999999"],
        ["rules", "test", "--rules", "x.yaml", "--limit", "lots"],
    ],
    ids=["too-large", "zero", "negative", "id-too-large", "not-a-number"],
)
def test_a_count_out_of_range_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--db", "sqlite://"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "must be between 1 and 9223372036854775807" in err or "not a whole number" in err


def test_an_event_id_too_large_for_the_database_is_no_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'stmon.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    for ident in ("9223372036854775808", "²"):
        assert main(["events", "show", ident, "--db", db]) == 1
        assert f"error: no event '{ident}'" in capsys.readouterr().err


def test_an_output_file_that_cannot_be_written_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'stmon.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    missing = tmp_path / "no-such-folder"
    for argv in (["export", "-o", f"{missing}/x.csv"], ["calendar", "--ics", f"{missing}/x.ics"]):
        capsys.readouterr()
        assert main([*argv, "--db", db]) == 1
        assert f"error: cannot write {missing}/x." in capsys.readouterr().err


@pytest.mark.parametrize(
    ("inside", "expected"),
    [
        ("schemas", "cannot write {taken}/schemas/"),  # a folder under a file
        ("", "cannot write the schemas into {taken}: it is a file, not a folder"),
    ],
    ids=["under-a-file", "a-file"],
)
def test_schema_write_into_a_path_that_cannot_be_a_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inside: str, expected: str
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file", encoding="utf-8")
    assert main(["schema", "--write", str(taken / inside if inside else taken)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("error: " + expected.format(taken=taken))
    assert taken.read_text(encoding="utf-8") == "a file"


def test_an_adhoc_feed_that_is_not_http_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["poll", "--once", "--feed", "ftp://example.com/feed"]
    assert main([*argv, "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 2
    err = capsys.readouterr().err
    assert "error: --feed ftp://example.com/feed: URL scheme should be 'http' or 'https'" in err


def test_find_command_skips_global_options() -> None:
    from monitor.cli import find_command

    assert find_command(["-c", "poll", "-v", "status", "--json"]) == "status"
    assert find_command(["--config=x.yaml", "poll", "--once"]) == "poll"
    assert find_command(["--help"]) is None
    assert find_command(["nonsense"]) is None


def test_poll_once_imports_neither_alembic_nor_the_email_or_template_stack(
    feed_server: object, tmp_path: Path
) -> None:
    """`stmon poll --once` loads what a poll uses: no Alembic, Jinja2, smtplib, scheduler,
    nor the metrics registry (nothing serves it)."""
    from tests.support.feedserver import FeedServer

    assert isinstance(feed_server, FeedServer)
    fixtures = Path(__file__).parent / "data" / "feeds"
    feed_server.put("/rss.xml", (fixtures / "rss20.xml").read_bytes())
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: {db}\nfeeds:\n  - name: one\n    url: {feed_server.url('/rss.xml')}\n"
    )
    script = (
        "import sys\nfrom monitor.cli import main\n"
        f"code = main(['--config', {str(config)!r}, 'poll', '--once'])\n"
        "heavy = ['alembic', 'jinja2', 'smtplib', 'apscheduler', 'watchfiles', 'mako',"
        " 'prometheus_client']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\nraise SystemExit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "new items" in done.stdout
    assert "LOADED []" in done.stdout


def test_poll_once_compiles_the_rules_only_when_a_feed_has_news(
    feed_server: object, tmp_path: Path, repo_dir: Path
) -> None:
    """A cycle of 304s does without the rules; the first document to store needs them,
    and a broken rules file then stops the cycle with its file and reason, storing nothing."""
    from tests.support.feedserver import FeedServer

    assert isinstance(feed_server, FeedServer)
    rss = (Path(__file__).parent / "data" / "feeds" / "rss20.xml").read_text(encoding="utf-8")
    feed_server.put("/rss.xml", rss, "application/rss+xml")
    shipped = (repo_dir / "config" / "rules" / "seoul-tokyo.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(shipped, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'p.db'}"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"storage:\n  url: {db}\nwatches:\n  - name: w\n    rules: {rules}\n"
        f"feeds:\n  - name: one\n    url: {feed_server.url('/rss.xml')}\n",
        encoding="utf-8",
    )
    assert run("db", "upgrade", "--db", db).returncode == 0

    def stored() -> int:
        return len(run("items", "--json", "--db", db).stdout.splitlines())

    first = run("--config", str(config), "poll", "--once")
    assert first.returncode == 0, first.stderr
    assert stored() == 6

    rules.write_text(shipped.replace("$leaders_kr", "$leaders_kr_typo", 1), encoding="utf-8")
    unchanged = run("--config", str(config), "poll", "--once", "--force")
    assert unchanged.returncode == 0, unchanged.stderr
    assert "0 new items, 0 failed" in unchanged.stdout

    extra = (
        "<item><title>Seoul and Tokyo hold talks</title><link>https://news.example/extra</link>"
        "<guid>extra-1</guid><description>Officials met.</description></item>"
    )
    feed_server.put("/rss.xml", rss.replace("</channel>", extra + "</channel>"))
    changed = run("--config", str(config), "poll", "--once", "--force")
    assert changed.returncode == 2
    assert str(rules) in changed.stderr and "leaders_kr_typo" in changed.stderr
    assert stored() == 6


def test_tables_show_feed_text_without_terminal_controls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from monitor.cli.common import print_table, terminal_safe

    hostile = "Summit\x1b[2J\x1b]0;owned\x07 held\u202e\r\nnext"
    print_table(["headline"], [[hostile], ["한일 정상회담"]])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x07" not in out
    assert "Summit\\x1b[2J\\x1b]0;owned\\x07 held\\u202e" in out
    assert out.count("\n") == 3  # the header and one line per row
    assert "한일 정상회담" in out
    assert terminal_safe("two\nlines\tand\u00a0spaces") == "two\nlines and spaces"
