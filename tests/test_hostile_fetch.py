"""Hostile feeds against `stmon poll --once`, each case a separate process with its peak
memory (summed over its processes) under ``RSS_LIMIT``: what a feed's server sends is
bounded while it is fetched and parsed, the hostile feed fails alone with a reason that
names it, and the good feed beside it is stored (tests/support/hostile_cases.py); and
`stmon run` parses in a memory-limited parser process too."""

from __future__ import annotations

import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
import trustme

from tests.support.hostile import RSS_LIMIT, Answer, HostileServer, poll_once_config
from tests.support.hostile_cases import (
    CONTROL_TITLES,
    GOOD,
    KOREAN,
    PRIVATE_TARGETS,
    RSS,
    Case,
    CaseRun,
    bad_bytes_case,
    brotli_bomb_case,
    control_chars_case,
    deflate_bomb_case,
    entity_bomb_case,
    good_feed,
    gzip_bomb_case,
    huge_title_case,
    lone_surrogate_case,
    many_items_case,
    nested_json_case,
    private_redirect_case,
    rss,
    run_case,
    stacked_gzip_case,
    unknown_coding_case,
)
from tests.support.rawserver import RawServer
from tests.support.wait import wait_for


def bounded(run: CaseRun) -> None:
    """The poll ended normally, within the memory bound, and the good feed is stored."""
    assert run.poll.returncode == 0, run.poll.output
    assert run.poll.peak_rss < RSS_LIMIT, f"peak RSS {run.poll.peak_rss / 2**20:.0f} MiB"
    assert "Traceback" not in run.poll.output
    assert run.status[GOOD]["state"] == "ok" and run.status[GOOD]["items"] == 1


def failed(run: CaseRun, feed: str, reason: str) -> None:
    """``feed`` failed with ``reason``: in the poll's output, named, and in the status."""
    assert run.failure(feed) == f"{feed}: {reason}"
    row = run.status[feed]
    assert (row["state"], row["items"], row["last_error"]) == ("failing", 0, reason)


# compression ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [brotli_bomb_case, deflate_bomb_case, gzip_bomb_case],
    ids=["brotli", "deflate", "gzip"],
)
def test_a_compression_bomb_is_cut_at_max_body_once_decoded(
    build: Callable[[], Case], tmp_path: Path
) -> None:
    case = build()
    assert len(case.feeds["bomb"].body) < 2 * 2**20  # half a gigabyte once decoded

    run = run_case(case, tmp_path)

    bounded(run)
    coding = case.feeds["bomb"].headers[-1][1]
    failed(run, "bomb", f"body ({coding}) passed the 5242880 byte cap once decoded; cut")


def test_stacked_gzip_is_refused(tmp_path: Path) -> None:
    run = run_case(stacked_gzip_case(), tmp_path)

    bounded(run)
    failed(run, "bomb", "stacked content codings refused: gzip, gzip")


def test_a_coding_that_was_not_asked_for_is_refused(tmp_path: Path) -> None:
    run = run_case(unknown_coding_case(), tmp_path)

    bounded(run)
    failed(run, "bomb", "content coding 'zstd' was not asked for; refused")


# parsing --------------------------------------------------------------------------------------


def test_an_internal_entity_is_not_expanded(tmp_path: Path) -> None:
    run = run_case(entity_bomb_case(), tmp_path)

    bounded(run)
    assert run.status["entities"]["state"] == "ok" and run.status["entities"]["items"] == 30
    assert max(len(i["summary"]) for i in run.items("entities")) < 1000


def test_a_2mb_title_is_cut(tmp_path: Path) -> None:
    run = run_case(huge_title_case(), tmp_path)

    bounded(run)
    (item,) = run.items("huge")
    assert len(item["title"]) == 1000 and item["title"].endswith("…")
    assert item["title"].startswith("Lee and Ishiba to meet Lee and Ishiba")


def test_only_the_newest_items_of_a_huge_document_are_stored(tmp_path: Path) -> None:
    run = run_case(many_items_case(), tmp_path)

    bounded(run)
    assert run.status["many"]["state"] == "ok"
    guids = {i["guid"] for i in run.items("many")}
    assert guids == {f"m{i}" for i in range(59_000, 60_000)}


def test_an_invalid_byte_costs_one_character_not_the_feed(tmp_path: Path) -> None:
    run = run_case(bad_bytes_case(), tmp_path)

    bounded(run)
    for feed in ("euc-kr", "utf-8"):
        assert run.status[feed]["state"] == "ok"
        titles = sorted(i["title"] for i in run.items(feed))
        damaged = KOREAN[1].replace("외교장관", "\ufffd외교장관")
        assert titles == sorted(f"{t} {feed}" for t in (KOREAN[0], damaged, KOREAN[2]))


def test_a_lone_surrogate_in_an_author_is_replaced(tmp_path: Path) -> None:
    run = run_case(lone_surrogate_case(), tmp_path)

    bounded(run)
    assert run.status["surrogate"]["state"] == "ok"
    authors = {i["guid"]: i["author"] for i in run.items("surrogate")}
    assert authors == {"s1": "Kim \ufffd", "s2": "Sato"}


def test_deeply_nested_json_is_a_parse_error(tmp_path: Path) -> None:
    run = run_case(nested_json_case(), tmp_path)

    bounded(run)
    failed(run, "nested", "JSON nested too deeply to be a JSON Feed")


def test_control_characters_are_removed_from_titles(tmp_path: Path) -> None:
    run = run_case(control_chars_case(), tmp_path)

    bounded(run)
    titles = {i["guid"]: i["title"] for i in run.items("control")}
    assert titles == {"c0": "Lee and Ishiba", "c1": "Summit[2J announced", "c2": "C1 here"}
    assert len(CONTROL_TITLES) == len(titles)


# redirects ------------------------------------------------------------------------------------


def test_a_redirect_into_a_private_network_is_refused(tmp_path: Path) -> None:
    run = run_case(private_redirect_case(), tmp_path)

    bounded(run)
    for feed, kind, address in (
        ("to-link-local", "link-local", "169.254.169.254"),
        ("to-private", "private", "10.255.255.1"),
    ):
        reason = (
            f"redirect to a {kind} address ({address}) refused: the feed is not on one: "
            f"{PRIVATE_TARGETS[feed]}"
        )
        failed(run, feed, reason)


class RedirectOverTLS(RawServer):
    """Answers every request over TLS with a permanent redirect to ``location``."""

    def __init__(self, context: ssl.SSLContext, location: str) -> None:
        super().__init__()
        self.context = context
        self.reply = (
            f"HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n"
        ).encode()
        self.start()

    def answer(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        with conn:
            try:
                while b"\r\n\r\n" not in conn.recv(65536):
                    pass
                conn.sendall(self.reply)
            except (ssl.SSLError, OSError):
                return


def test_a_permanent_move_from_https_to_http_is_followed_but_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))  # the stmon process trusts the test CA
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    tls: list[RedirectOverTLS] = []

    def prepare(server: HostileServer) -> dict[str, str]:
        moved = rss("<item><title>Moved from https</title><guid>moved-1</guid></item>")
        plain = server.serve("/plain.xml", Answer(moved.encode(), headers=RSS))
        tls.append(RedirectOverTLS(context, plain))
        return {"secure": f"https://127.0.0.1:{tls[0].port}/feed.xml"}

    try:
        run = run_case(Case("https to http", {GOOD: good_feed()}), tmp_path, prepare=prepare)
    finally:
        for server in tls:
            server.close()

    bounded(run)
    assert run.status["secure"]["state"] == "ok"
    assert run.status["secure"]["url"] == f"https://127.0.0.1:{tls[0].port}/feed.xml"
    assert [i["title"] for i in run.items("secure")] == ["Moved from https"]
    assert "feed_move_not_stored" in run.poll.stderr


def test_a_permanent_move_on_http_is_stored(tmp_path: Path) -> None:
    """The other side of the rule above: a plain permanent move is stored."""

    def prepare(server: HostileServer) -> dict[str, str]:
        target = server.url(f"/{GOOD}")
        return {"moved": server.serve("/moved", Answer(status=301, headers=[("Location", target)]))}

    run = run_case(Case("moved", {GOOD: good_feed()}), tmp_path, prepare=prepare)

    bounded(run)
    assert run.status["moved"]["url"].endswith(f"/{GOOD}")


# the daemon -----------------------------------------------------------------------------------


def parser_processes(pid: int) -> list[int]:
    """The parser processes among ``pid``'s children."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"monitor.poll.parser_process" in cmdline:
                found.append(int(child))
    return found


def test_the_daemon_parses_in_a_memory_limited_parser_process(tmp_path: Path) -> None:
    limit = 384 * 2**20
    extra = f"fetch:\n  parser_memory: {limit}\nservice:\n  metrics:\n    enabled: false\n"
    with HostileServer() as server:
        config = poll_once_config(tmp_path, {GOOD: server.serve("/good", good_feed())}, extra)
        upgrade = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "db", "upgrade"],
            capture_output=True,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert wait_for(lambda: stored(tmp_path / "stmon.db") == 1, timeout=60)
            (worker,) = parser_processes(daemon.pid)
            limits = Path(f"/proc/{worker}/limits").read_text().splitlines()
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0

    (line,) = [line for line in limits if line.startswith("Max address space")]
    assert line.split()[3:5] == [str(limit)] * 2


def stored(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
