"""sd_notify over a real unix datagram socket, and `systemd-analyze verify` on the unit."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.service.systemd import Notifier, watchdog_interval

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "systemd" / "stmon.service"
ENV_FILE = REPO / "systemd" / "stmon.env"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    try:
        yield sock, path
    finally:
        sock.close()


def receive(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_ready_status_watchdog_arrive_as_datagrams(
    notify_socket: tuple[socket.socket, str],
) -> None:
    sock, path = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.ready("12 feeds (0 failing)")
    assert receive(sock) == ["READY=1", "STATUS=12 feeds (0 failing)"]
    assert notifier.status("polling\nmultiline")
    assert receive(sock) == ["STATUS=polling multiline"]
    assert notifier.watchdog()
    assert receive(sock) == ["WATCHDOG=1"]
    assert notifier.stopping()
    assert receive(sock) == ["STOPPING=1"]


def test_reloading_carries_a_monotonic_timestamp(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    assert Notifier({"NOTIFY_SOCKET": path}).reloading()
    first, second = receive(sock)
    assert first == "RELOADING=1"
    match = re.fullmatch(r"MONOTONIC_USEC=(\d+)", second)
    assert match is not None
    now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert 0 < int(match.group(1)) <= now_usec


def test_abstract_namespace_socket() -> None:
    name = f"stmon-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert receive(sock) == ["WATCHDOG=1"]


def test_without_systemd_every_call_is_a_no_op() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog() is False


def test_a_vanished_socket_is_reported_not_raised(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert notifier.enabled
    assert notifier.status("still running") is False


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "60000000"}, 60.0),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}, 0.5),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "sixty"}, None),
    ],
    ids=["unset", "ours", "ours-by-pid", "another-process", "zero", "garbage"],
)
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(env) == expected


# --- the unit file --------------------------------------------------------------------


def verify(unit: Path) -> tuple[bool, str]:
    """systemd-analyze verify: exit code 0 and no complaint naming the unit file."""
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is needed (apt-get install systemd)"
    proc = subprocess.run(
        [tool, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    output = proc.stdout + proc.stderr
    complaints = [line for line in output.splitlines() if unit.name in line]
    return proc.returncode == 0 and not complaints, output


def runnable_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with its commands pointing at an executable that exists here."""
    text = text if text is not None else UNIT.read_text()
    assert "ExecStart=/opt/stmon/bin/stmon " in text
    copy = tmp_path / "stmon.service"
    copy.write_text(text.replace("=/opt/stmon/bin/stmon ", f"={sys.executable} "))
    return copy


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    ok, output = verify(runnable_copy(tmp_path))
    assert ok, output


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ProtectSystem=strict", "ProtectSytem=strict"),
        ("Type=notify", "Type=notify-later"),
        ("Restart=on-failure", "Restart=sometimes"),
    ],
    ids=["misspelt-key", "bad-type", "bad-restart"],
)
def test_verify_fails_on_a_broken_unit(tmp_path: Path, old: str, new: str) -> None:
    text = UNIT.read_text()
    assert old in text
    ok, output = verify(runnable_copy(tmp_path, text.replace(old, new, 1)))
    assert not ok, output


def test_verify_fails_when_the_program_is_missing(tmp_path: Path) -> None:
    copy = tmp_path / "stmon.service"
    copy.write_text(UNIT.read_text())  # /opt/stmon/bin/stmon is not installed here
    ok, _ = verify(copy)
    assert not ok


def test_unit_has_what_the_service_needs() -> None:
    text = UNIT.read_text()
    directives = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and line[0].isalpha()
    )
    assert directives["Type"] in ("notify", "notify-reload")
    assert directives["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert directives["Restart"] == "on-failure"
    assert directives["ExecStart"] == "/opt/stmon/bin/stmon --config /etc/stmon/monitor.yaml run"
    for key in ("WatchdogSec", "StateDirectory", "ConfigurationDirectory", "LogsDirectory",
                "ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges",
                "RestrictAddressFamilies", "CapabilityBoundingSet"):  # fmt: skip
        assert key in directives, key


def test_every_hardening_line_has_a_comment() -> None:
    lines = UNIT.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- hardening"))
    end = lines.index("[Install]")
    for i in range(start + 1, end):
        if lines[i] and not lines[i].startswith("#"):
            assert lines[i - 1].startswith("#"), f"no comment above: {lines[i]}"


def test_env_file_sets_the_database_and_keeps_secrets_commented() -> None:
    lines = [line for line in ENV_FILE.read_text().splitlines() if line and line[0] != "#"]
    assert lines == ["STMON_DB_URL=sqlite:////var/lib/stmon/stmon.db"]
