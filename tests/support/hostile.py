"""Hostile-feed cases: a server on 127.0.0.1 that answers each path with exactly the
status, headers and body a case gives, and a runner for ``stmon`` as a separate process
that reports the peak resident memory of the process tree it made.

Peak memory is the sum of each process's own high-water mark (``VmHWM`` in
``/proc/PID/status``, read every 10 ms while it runs, the top process's included). A sum
of peaks is never below the peak of the sum, so an assertion on it is on the safe side.
The kernel's ``ru_maxrss`` of the top process is not used: a child inherits its parent's
high-water mark through fork and exec, so it would count the test process itself (a few
hundred MB late in a full test run). A peak in the last 10 ms before a process exits
could be missed; a sample taken while a process starts a child can count the parent's
pages for the child once more (on the safe side).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MB = 1024 * 1024
RSS_LIMIT = 300 * MB  # the hostile-feed issue's bound for one `stmon poll --once`


@dataclass
class Answer:
    """One path's answer: status, headers (in order, repeats allowed) and body.
    ``drip`` > 0 sends the body a byte at a time with that many seconds between bytes."""

    body: bytes = b""
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    drip: float = 0.0


class HostileServer:
    """A threading HTTP server on 127.0.0.1; ``answers[path]`` says what a GET gets
    (404 for unknown paths); ``hits[path]`` counts requests; POST bodies are kept in
    ``posts[path]``."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: dict[str, int] = {}
        self.posts: dict[str, list[bytes]] = {}
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self.port: int = self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, answer: Answer) -> str:
        self.answers[path] = answer
        return self.url(path)

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer is part of the cases


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server.hits[self.path] = server.hits.get(self.path, 0) + 1
            answer = server.answers.get(self.path, Answer(b"not found", 404))
            self.send_response(answer.status)
            names = {name.lower() for name, _ in answer.headers}
            for name, value in answer.headers:
                self.send_header(name, value)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if not answer.drip:
                self.wfile.write(answer.body)
                return
            for i in range(len(answer.body)):
                self.wfile.write(answer.body[i : i + 1])
                self.wfile.flush()
                time.sleep(answer.drip)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            server.posts.setdefault(self.path, []).append(self.rfile.read(length))
            answer = server.answers.get(self.path, Answer(b"ok"))
            self.send_response(answer.status)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            for i in range(len(answer.body)) if answer.drip else ():
                self.wfile.write(answer.body[i : i + 1])
                self.wfile.flush()
                time.sleep(answer.drip)
            if not answer.drip:
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes, summed over the process tree's own peaks

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _status_hwm(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def _stmon_hwm(pid: int) -> int | None:
    """The peak memory of ``pid`` once it runs stmon: until its exec, a child started by
    fork or vfork shows the memory of the test process that started it (hundreds of MB
    late in the suite), and the kernel's ``ru_maxrss`` keeps that figure after the exec."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if not any(arg == b"monitor" or arg.startswith(b"monitor.") for arg in argv):
        return None
    return _status_hwm(pid)


def _descendants(pid: int) -> Iterator[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            yield child
            yield from _descendants(child)


def run_stmon(*args: str, timeout: float = 120, cwd: Path | None = None) -> Run:
    """``python -m monitor ARGS`` as a child process, watched every 10 ms for the peak
    memory of itself and of each process it starts (parser workers included)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    assert proc.stdout is not None and proc.stderr is not None
    streams = {"out": proc.stdout, "err": proc.stderr}
    texts: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: texts.__setitem__(k, f.read()), daemon=True)
        for k, f in streams.items()
    ]
    for reader in readers:
        reader.start()
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for pid in (proc.pid, *_descendants(proc.pid)):
                hwm = _stmon_hwm(pid)
                if hwm is not None:
                    peaks[pid] = max(peaks.get(pid, 0), hwm)
            stop.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    killer = threading.Timer(timeout, kill)
    killer.start()
    try:
        _, status = os.waitpid(proc.pid, 0)
    finally:
        killer.cancel()
        stop.set()
        watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    for stream in streams.values():
        stream.close()
    err = texts.get("err", b"").decode(errors="replace")
    if killed.is_set():
        raise AssertionError(f"stmon {' '.join(args)} did not finish in {timeout} s:\n{err}")
    # Each process's own peak (VmHWM, read every 10 ms), summed: processes that did not
    # run at the same time are counted as if they had, on the safe side.
    return Run(
        proc.returncode,
        texts.get("out", b"").decode(errors="replace"),
        err,
        sum(peaks.values()),
    )


def poll_once_config(tmp: Path, feeds: dict[str, str], extra: str = "") -> Path:
    """A config file with the shipped rules, a SQLite file in ``tmp`` and ``feeds``
    (name → URL); ``extra`` is YAML appended at the end (e.g. ``channels:``)."""
    rules = Path(__file__).resolve().parents[2] / "config" / "rules" / "seoul-tokyo.yaml"
    lines = [
        "storage:",
        f"  url: sqlite:///{tmp / 'stmon.db'}",
        "watches:",
        "  - name: seoul-tokyo",
        f"    rules: {rules}",
        "feeds:",
    ]
    for name, url in feeds.items():
        lines += [f"  - name: {name}", f"    url: {url}"]
    config = tmp / "monitor.yaml"
    config.write_text("\n".join(lines) + "\n" + extra)
    os.chmod(config, 0o600)
    return config
