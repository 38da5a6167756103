"""A real HTTP feed server on 127.0.0.1, in a background thread, for tests and benchmarks.

    with FeedServer(root) as server:          # or the ``feed_server`` fixture
        server.put("/news.xml", rss_bytes)    # add or replace a document at run time
        url = server.url("/news.xml")
        ...
        server.hits("/news.xml"); server.requests[-1].headers["if-none-match"]

Documents come from ``put()`` first, then from files under ``root``. They are served the
way a static web server does: with an ETag (a hash of the content) and a Last-Modified,
honouring If-None-Match (checked first) and If-Modified-Since with a 304.

Built-in routes (a route set with ``set_route`` wins over them; a key ending in ``/*``
is a prefix route):

    /sample.xml              a small RSS 2.0 feed (a document, replaceable with put)
    /status/{code}           that status; ?retry-after=V adds Retry-After: V, ?location=U
    /etag/{path}             {path} with validators and conditional GET, even if disabled
    /slow, /slow/{path}      waits ?delay=2.0 seconds, then serves the sample or {path}
    /trickle                 ?chunks=50 small chunks, one every ?interval=0.1 seconds
    /huge                    an endless chunked body; ?size=N stops after N bytes;
                             ?length=1 (with size) sends Content-Length instead of chunks
    /redirect-loop           302 → /redirect-loop/b → 302 → /redirect-loop
    /redirect-chain/{n}      n hops of 302, then the sample feed
    /redirect/{code}/{path}  a {code} redirect to /{path}
    /moved, /moved/{path}    301 to /sample.xml or /{path}
    /temp, /temp/{path}      302 to /sample.xml or /{path}
    /gzip, /gzip/{path}      the sample or {path}, Content-Encoding: gzip (also /deflate, /br)
    /html                    an HTML web page, not a feed
    /empty                   200 with an empty body

Records: ``requests`` (method, path, query, lower-cased headers), ``hits(path)``,
``peak_concurrency(path)`` (most requests in flight at once), ``bytes_sent(path)`` and
``disconnects(path)`` (the client went away mid-body); ``wait_until(predicate)`` waits
for the server threads to catch up.

To use the fixture in a test module (ruff-clean, no re-import warning):

    from tests.support import feedserver
    feed_server = feedserver.feed_server
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import mimetypes
import socket
import socketserver
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

SAMPLE_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Sample feed</title><link>http://example.test/</link><description>test</description>
<ttl>15</ttl>
<item><title>Seoul and Tokyo hold talks</title><link>http://example.test/a1</link>
<guid>sample-1</guid><pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>
<description>Officials met in Tokyo.</description></item>
</channel></rss>
"""
HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Not a feed</title></head>
<body><h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>
"""
CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    """What a route answers. An iterable body is streamed (chunked unless a length is set)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[RecordedRequest], Reply]


@dataclass(frozen=True)
class _Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


class FeedServer:
    """A threaded HTTP/1.1 server with documents, fault routes and a request log."""

    def __init__(self, root: Path | None = None, *, conditional: bool = True) -> None:
        self.root = root.resolve() if root is not None else None
        self.conditional = conditional
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._documents: dict[str, _Document] = {}
        self._file_cache: dict[Path, tuple[int, int, _Document]] = {}
        self._routes: dict[str, Route] = dict(self._builtin_routes())
        self._requests: list[RecordedRequest] = []
        self._hits: Counter[str] = Counter()
        self._in_flight: Counter[str | None] = Counter()
        self._peak: Counter[str | None] = Counter()
        self._sent: Counter[str] = Counter()
        self._disconnects: Counter[str] = Counter()
        self._connections: set[socket.socket] = set()
        self._last_stamp = 0.0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.put("/sample.xml", SAMPLE_RSS, "application/rss+xml")

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> FeedServer:
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="feed-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._httpd.server_close()  # joins the request threads
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # addressing and content ----------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def set_route(self, path: str, handler: Route) -> None:
        """Answer ``path`` (or every path under it, for a key ending in ``/*``) with ``handler``."""
        with self._lock:
            self._routes[path] = handler

    def put(self, path: str, body: bytes | str, content_type: str | None = None) -> None:
        """Serve ``body`` at ``path`` from now on, with a fresh ETag and Last-Modified."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._last_stamp = max(time.time(), self._last_stamp + 1.0)
            stamp = formatdate(self._last_stamp, usegmt=True)
            kind = content_type or _content_type(path)
            self._documents[path] = _Document(data, kind, _etag(data), stamp)

    def remove(self, path: str) -> None:
        with self._lock:
            self._documents.pop(path, None)

    # records -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def peak_concurrency(self, path: str | None = None) -> int:
        """Most requests in flight at once, to ``path`` or (None) to any path."""
        with self._lock:
            return self._peak[path]

    def bytes_sent(self, path: str) -> int:
        with self._lock:
            return self._sent[path]

    def disconnects(self, path: str) -> int:
        with self._lock:
            return self._disconnects[path]

    def reset_records(self) -> None:
        with self._lock:
            self._requests.clear()
            for counter in (self._hits, self._peak, self._sent, self._disconnects):
                counter.clear()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until it holds or ``timeout`` seconds pass; its last value."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # request handling (server threads) ---------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        request = _record(handler)
        path = request.path
        with self._lock:
            self._requests.append(request)
            self._hits[path] += 1
            for key in (path, None):
                self._in_flight[key] += 1
                self._peak[key] = max(self._peak[key], self._in_flight[key])
        try:
            self._write(handler, path, self._reply(request))
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
            with self._lock:
                self._disconnects[path] += 1
        finally:
            with self._lock:
                for key in (path, None):
                    self._in_flight[key] -= 1

    def _reply(self, request: RecordedRequest) -> Reply:
        try:
            return self._dispatch(request)
        except Exception as exc:  # a broken route answers 500 instead of dropping the connection
            return Reply(500, f"route failed: {exc!r}\n".encode(), {"Content-Type": "text/plain"})

    def _dispatch(self, request: RecordedRequest) -> Reply:
        with self._lock:
            route = self._routes.get(request.path) or self._prefix_route(request.path)
        if route is not None:
            return route(request)
        return self._serve(request, request.path, self.conditional)

    def _prefix_route(self, path: str) -> Route | None:
        prefixes = [k for k in self._routes if k.endswith("/*") and path.startswith(k[:-1])]
        return self._routes[max(prefixes, key=len)] if prefixes else None

    def _write(self, handler: _Handler, path: str, reply: Reply) -> None:
        handler.send_response(reply.status)
        headers = {k.lower(): v for k, v in reply.headers.items()}
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if isinstance(reply.body, bytes):
            if reply.status not in (204, 304):
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            self._send_bytes(handler, path, reply.body)
            return
        chunked = "content-length" not in headers
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for piece in reply.body:
            if piece and chunked:
                handler.wfile.write(b"%X\r\n" % len(piece))
            self._send_bytes(handler, path, piece)
            if piece and chunked:
                handler.wfile.write(b"\r\n")
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")

    def _send_bytes(self, handler: _Handler, path: str, data: bytes) -> None:
        if data:
            handler.wfile.write(data)
            with self._lock:
                self._sent[path] += len(data)

    def _document(self, path: str) -> _Document | None:
        with self._lock:
            document = self._documents.get(path)
        if document is not None or self.root is None:
            return document
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root) or not file.is_file():
            return None
        stat = file.stat()
        cached = self._file_cache.get(file)
        if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        data = file.read_bytes()
        stamp = formatdate(stat.st_mtime, usegmt=True)
        document = _Document(data, _content_type(file.name), _etag(data), stamp)
        self._file_cache[file] = (stat.st_mtime_ns, stat.st_size, document)
        return document

    def _serve(self, request: RecordedRequest, path: str, conditional: bool) -> Reply:
        document = self._document(path)
        if document is None:
            return Reply(404, b"not found\n", {"Content-Type": "text/plain"})
        if not conditional:
            return Reply(200, document.body, {"Content-Type": document.content_type})
        validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
        if _not_modified(request.headers, document):
            return Reply(304, b"", validators)
        return Reply(200, document.body, {"Content-Type": document.content_type, **validators})

    # built-in routes ---------------------------------------------------------------------

    def _builtin_routes(self) -> dict[str, Route]:
        return {
            "/status/*": self._status,
            "/etag/*": lambda r: self._serve(r, _rest(r.path, "/etag"), conditional=True),
            "/slow": self._slow,
            "/slow/*": self._slow,
            "/trickle": self._trickle,
            "/huge": self._huge,
            "/redirect-loop": lambda r: _redirect(302, "/redirect-loop/b"),
            "/redirect-loop/b": lambda r: _redirect(302, "/redirect-loop"),
            "/redirect-chain/*": self._redirect_chain,
            "/redirect/*": self._redirect,
            "/moved": lambda r: _redirect(301, "/sample.xml"),
            "/moved/*": lambda r: _redirect(301, _rest(r.path, "/moved")),
            "/temp": lambda r: _redirect(302, "/sample.xml"),
            "/temp/*": lambda r: _redirect(302, _rest(r.path, "/temp")),
            "/gzip": lambda r: self._encoded(r, "gzip"),
            "/gzip/*": lambda r: self._encoded(r, "gzip"),
            "/deflate/*": lambda r: self._encoded(r, "deflate"),
            "/br/*": lambda r: self._encoded(r, "br"),
            "/html": lambda r: Reply(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"}),
            "/empty": lambda r: Reply(200, b"", {"Content-Type": "application/rss+xml"}),
        }

    def _status(self, request: RecordedRequest) -> Reply:
        code = int(_rest(request.path, "/status").strip("/"))
        headers = {"Content-Type": "text/plain"}
        if "retry-after" in request.query:
            headers["Retry-After"] = request.query["retry-after"]
        if "location" in request.query:
            headers["Location"] = request.query["location"]
        body = b"" if code in (204, 304) else f"status {code}\n".encode()
        return Reply(code, body, headers)

    def _slow(self, request: RecordedRequest) -> Reply:
        self._stopping.wait(float(request.query.get("delay", "2.0")))
        path = _rest(request.path, "/slow")
        return self._serve(request, path if path != "/" else "/sample.xml", conditional=False)

    def _trickle(self, request: RecordedRequest) -> Reply:
        chunks = int(request.query.get("chunks", "50"))
        interval = float(request.query.get("interval", "0.1"))

        def body() -> Iterator[bytes]:
            for _ in range(chunks):
                if self._stopping.wait(interval):
                    return
                yield b"<!-- trickle -->\n"

        return Reply(200, body(), {"Content-Type": "application/rss+xml"})

    def _huge(self, request: RecordedRequest) -> Reply:
        size = int(request.query["size"]) if "size" in request.query else None
        headers = {"Content-Type": "application/rss+xml"}
        if size is not None and request.query.get("length"):
            headers["Content-Length"] = str(size)

        def body() -> Iterator[bytes]:
            block = b"<!-- padding -->" * (CHUNK // 16)
            left = size
            while not self._stopping.is_set() and (left is None or left > 0):
                piece = block if left is None else block[:left]
                left = None if left is None else left - len(piece)
                yield piece

        return Reply(200, body(), headers)

    def _redirect_chain(self, request: RecordedRequest) -> Reply:
        hops = int(_rest(request.path, "/redirect-chain").strip("/"))
        if hops <= 0:
            return self._serve(request, "/sample.xml", conditional=False)
        return _redirect(302, f"/redirect-chain/{hops - 1}")

    def _redirect(self, request: RecordedRequest) -> Reply:
        code, _, target = _rest(request.path, "/redirect").strip("/").partition("/")
        return _redirect(int(code), "/" + target)

    def _encoded(self, request: RecordedRequest, encoding: str) -> Reply:
        path = _rest(request.path, "/" + encoding)
        document = self._document(path if path != "/" else "/sample.xml")
        if document is None:
            return Reply(404, b"not found\n", {"Content-Type": "text/plain"})
        headers = {"Content-Type": document.content_type, "Content-Encoding": encoding}
        return Reply(200, _compress(document.body, encoding), headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads
    block_on_close = True
    request_queue_size = 256  # a benchmark opens many connections at once

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: FeedServer):
        self.owner = owner
        super().__init__(address, handler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup of the address
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.owner._lock:
            self.server.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _record(handler: _Handler) -> RecordedRequest:
    parts = urlsplit(handler.path)
    headers = {name.lower(): value for name, value in handler.headers.items()}
    return RecordedRequest(handler.command, parts.path, dict(parse_qsl(parts.query)), headers)


def _not_modified(headers: dict[str, str], document: _Document) -> bool:
    if "if-none-match" in headers:
        tags = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return "*" in tags or document.etag in tags
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
        return parsedate_to_datetime(document.last_modified) <= since
    return False


def _redirect(code: int, location: str) -> Reply:
    return Reply(code, b"", {"Location": location})


def _rest(path: str, prefix: str) -> str:
    return path[len(prefix) :] or "/"


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest()[:20] + '"'


def _content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/xml"


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)
    brotli = importlib.import_module("brotli")  # a runtime dependency of stmon
    return bytes(brotli.compress(data))


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """A started FeedServer whose root is an empty ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    with FeedServer(root) as server:
        yield server
