"""An offline demonstration of stmon: `make demo`.

It starts, all on 127.0.0.1: a feed server whose feeds (Korea Herald, Yomiuri, Asahi,
Jiji, Mainichi, Japan Today, and an aggregator that reprints the Korea Herald) are built
from the real articles of the seed corpus, a local SMTP server and a webhook receiver.
The articles are news of others and are not part of the project: they are read from
``$STMON_SHARED/corpus/seed-articles.jsonl`` (default ``../shared`` beside the repository);
without that file the demo says where it looked and exits with status 2.
Then it runs `stmon run` with a demo config and releases the articles one by one over a
minute, as if they were being published live, printing each alert as it arrives, and
finally a summary: articles, stored items, events, and alerts (one per event, not one
per article).

    .venv/bin/python demo/run.py [--duration 60] [--interval 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from monitor.alert.channels import verify_signature

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = Path(os.environ.get("STMON_SHARED") or REPO.parent / "shared")
ARTICLES = SHARED / "corpus" / "seed-articles.jsonl"
NO_ARTICLES = 2  # exit status when the articles are not there
SECRET = "demo-secret"
AGGREGATOR = "newswire"


@dataclass
class Article:
    id: str
    title: str
    text: str
    source: str
    released: datetime | None = None


def say(line: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')}  {line}", flush=True)


class Newsroom:
    """The feeds, built from the articles released so far."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.lock = threading.Lock()

    def feeds(self) -> list[str]:
        return sorted({slug(a.source) for a in self.articles} | {AGGREGATOR})

    def release(self, article: Article) -> None:
        with self.lock:
            article.released = datetime.now(UTC)

    def render(self, feed: str) -> bytes:
        with self.lock:
            if feed == AGGREGATOR:  # reprints the Korea Herald under its own links and titles
                chosen = [a for a in self.articles if a.released and a.source == "Korea Herald"]
            else:
                chosen = [a for a in self.articles if a.released and slug(a.source) == feed]
            items = "".join(item(a, reprint=feed == AGGREGATOR) for a in chosen)
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{feed}</title><link>http://127.0.0.1/{feed}</link><description>demo"
            f"</description>{items}</channel></rss>"
        ).encode()


def slug(source: str) -> str:
    return source.lower().replace("the ", "").replace(" ", "-")


def item(a: Article, *, reprint: bool) -> str:
    assert a.released is not None
    link = f"https://news.example.org/{slug(a.source)}/{a.id}"
    title = a.title
    if reprint:
        link = f"https://{AGGREGATOR}.example.org/story?id={a.id}"
        title = f"{a.title} - {a.source}"
    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{slug(a.source)}-{a.id}{"-r" if reprint else ""}</guid>'
        f"<pubDate>{format_datetime(a.released)}</pubDate>"
        f"<description>{escape(a.text)}</description></item>"
    )


def feed_server(newsroom: Newsroom) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = newsroom.render(self.path.strip("/").removesuffix(".xml"))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Received:
    def __init__(self) -> None:
        self.webhooks: list[dict[str, Any]] = []
        self.signed = 0
        self.emails: list[str] = []


def webhook_sink(received: Received) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify_signature(
                SECRET,
                self.headers.get("X-Stmon-Timestamp", ""),
                body,
                self.headers.get("X-Stmon-Signature", ""),
                now=datetime.now(UTC),
            )
            payload = json.loads(body)
            received.webhooks.append(payload)
            received.signed += ok
            event = payload["event"]
            say(
                f"WEBHOOK  {event['type_label']}: {event['headline'][:70]}"
                f"  [{payload['kind']}, signature {'ok' if ok else 'BAD'}]"
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class MailSink:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = " ".join(str(message_from_bytes(envelope.content)["Subject"]).split())
        self.received.emails.append(subject)
        say(f"EMAIL    {subject[:90]}")
        return "250 OK"


def write_config(
    folder: Path, feeds: list[str], port: int, smtp: int, hook: int, every: int
) -> Path:
    rules = REPO / "config" / "rules" / "seoul-tokyo.yaml"
    lines = [
        f"storage:\n  url: sqlite:///{folder / 'demo.db'}",
        "logging:\n  level: info\n  format: json",
        "channels:",
        f"  desk-email:\n    type: email\n    host: 127.0.0.1\n    port: {smtp}\n"
        "    security: none\n    from: stmon <stmon@demo.test>\n    to: [desk@demo.test]\n"
        "    timezone: Asia/Seoul",
        f"  desk-hook:\n    type: webhook\n    url: http://127.0.0.1:{hook}/hook\n"
        f"    secret: {SECRET}\n    timezone: Asia/Tokyo",
        "watches:\n  - name: seoul-tokyo",
        f"    rules: {rules}",
        "    routes:",
        "      - types: [summit_announced, summit_held, leaders_call, ministerial_talks,"
        " trilateral, territorial_dispute, historical_issue, security_defense, economy_trade]",
        "        channels: [desk-email, desk-hook]",
        "      - types: [official_exchange, people_exchange, anniversary, political_change,"
        " commentary]",
        "        channels: [desk-hook]\n        delivery: digest",
        "feeds:",
    ]
    lines += [
        f"  - name: {f}\n    url: http://127.0.0.1:{port}/{f}.xml\n    interval: {every}s"
        for f in feeds
    ]
    path = folder / "demo.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def summary(db: Path) -> dict[str, Any]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            one = lambda sql: c.execute(text(sql)).scalar() or 0  # noqa: E731
            return {
                "items": one("SELECT count(*) FROM items"),
                "sightings": one("SELECT count(*) FROM item_sources"),
                "relevant": one("SELECT count(*) FROM items WHERE relevant"),
                "stories": one("SELECT count(DISTINCT story_id) FROM items"),
                "events": one("SELECT count(*) FROM events WHERE alerting"),
                "alerts_sent": one("SELECT count(*) FROM alerts WHERE status='sent'"),
                "alerts_dead": one("SELECT count(*) FROM alerts WHERE status='dead'"),
            }
    finally:
        engine.dispose()


def read_articles(path: Path) -> list[Article]:
    """The corpus rows in file order, with the fields the feeds show."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Article(r["id"], r["title"], r["text"], r["source"]) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60, help="seconds to release all")
    parser.add_argument("--interval", type=int, default=10, help="feed poll interval (s)")
    args = parser.parse_args()
    if not ARTICLES.is_file():
        print(
            f"demo: no articles: {ARTICLES} is missing (the seed corpus of the shared folder;"
            " set STMON_SHARED to the folder that holds corpus/seed-articles.jsonl)",
            file=sys.stderr,
        )
        return NO_ARTICLES
    articles = read_articles(ARTICLES)
    newsroom, received = Newsroom(articles), Received()
    feeds, hook = feed_server(newsroom), webhook_sink(received)
    smtp_port = free_port()
    smtp = Controller(MailSink(received), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    stmon = [sys.executable, "-m", "monitor"]
    with tempfile.TemporaryDirectory(prefix="stmon-demo-") as tmp:
        folder = Path(tmp)
        config = write_config(
            folder,
            newsroom.feeds(),
            feeds.server_address[1],
            smtp_port,
            hook.server_address[1],
            args.interval,
        )
        subprocess.run(
            [*stmon, "--config", str(config), "db", "upgrade"], check=True, capture_output=True
        )
        say(f"stmon runs with {len(newsroom.feeds())} local feeds (log: {folder / 'stmon.log'})")
        with (folder / "stmon.log").open("w") as log:
            daemon = subprocess.Popen(
                [*stmon, "--config", str(config), "run"], stderr=log, stdout=subprocess.DEVNULL
            )
        try:
            pause = args.duration / len(articles)
            for article in articles:
                newsroom.release(article)
                say(f"PUBLISH  [{article.source}] {article.title[:70]}")
                time.sleep(pause)
            time.sleep(args.interval * 2 + 5)  # one more poll of every feed, then delivery
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            smtp.stop()
            feeds.shutdown()
            hook.shutdown()
        figures = summary(folder / "demo.db")
        if code != 0:
            print((folder / "stmon.log").read_text(encoding="utf-8")[-3000:], file=sys.stderr)
    event_alerts = [w for w in received.webhooks if w["kind"] == "event"]
    print()
    print("Summary")
    print(f"  articles published      {len(articles)} (+ {AGGREGATOR} reprints)")
    print(
        f"  items stored            {figures['items']} (seen {figures['sightings']} times "
        f"across feeds), {figures['relevant']} relevant, {figures['stories']} stories"
    )
    print(f"  events opened           {figures['events']}")
    print(
        f"  webhook alerts          {len(event_alerts)} events + "
        f"{len(received.webhooks) - len(event_alerts)} other, "
        f"{received.signed} with a valid signature"
    )
    print(f"  emails                  {len(received.emails)}")
    print(f"  daemon exit code        {code}")
    ok = (
        code == 0
        and figures["alerts_dead"] == 0
        and event_alerts
        and received.signed == len(received.webhooks)
        and len({w["event"]["id"] for w in event_alerts}) == len(event_alerts)
    )
    print("  result                  " + ("ok: one alert per event" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
