"""Parse + normalise throughput against bare feedparser.parse on generated feeds.

    .venv/bin/python bench/bench_parse.py [--feeds 200] [--items 50] [--rounds 3]

Both sides read the same bytes from memory; the figure that matters is the ratio
(stmon's parse + normalise time over feedparser's own), since the polling target is
a full cycle within 1.5x of bare httpx + feedparser.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import feedparser

from monitor.parse import parse
from monitor.parse.normalise import normalise

BODY = (
    "<p>President Lee Jae Myung will visit Tokyo to hold talks with Prime Minister "
    "Shigeru Ishiba, the presidential office said on {n}. The two leaders will discuss "
    "shuttle diplomacy &amp; trilateral cooperation.</p><p>이재명 대통령은 이시바 총리와 "
    "정상회담을 갖는다.</p><script>track()</script><p>Paragraph {n} with a "
    "<a href='https://example.org/x?utm_source=rss'>link</a>.</p>"
)


def make_feed(index: int, items: int) -> bytes:
    start = datetime(2025, 6, 1, tzinfo=UTC)
    parts = []
    for n in range(items):
        when = format_datetime(start + timedelta(hours=n))
        link = f"https://News.Example.org/{index}/{n}?utm_source=rss&amp;id={n}#top"
        parts.append(
            f"<item><title>Seoul-Tokyo story {index}-{n} &amp; more</title><link>{link}</link>"
            f"<guid>urn:bench:{index}:{n}</guid><pubDate>{when}</pubDate>"
            f"<description><![CDATA[{BODY.format(n=n)}]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench {index}</title><link>https://example.org/</link><ttl>15</ttl>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def time_bare(bodies: list[bytes]) -> float:
    start = time.perf_counter()
    for body in bodies:
        feedparser.parse(io.BytesIO(body))
    return time.perf_counter() - start


def time_stmon(bodies: list[bytes]) -> tuple[float, float, int]:
    fetched = datetime.now(UTC)
    parse_time = norm_time = 0.0
    count = 0
    for body in bodies:
        t0 = time.perf_counter()
        feed = parse(body, "application/rss+xml; charset=utf-8")
        t1 = time.perf_counter()
        for entry in feed.entries:
            normalise(entry, source="bench", feed_url="https://example.org/f", fetched=fetched)
            count += 1
        norm_time += time.perf_counter() - t1
        parse_time += t1 - t0
    return parse_time, norm_time, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    bodies = [make_feed(i, args.items) for i in range(args.feeds)]
    size = sum(map(len, bodies)) / 1e6
    print(f"{args.feeds} feeds x {args.items} items, {size:.1f} MB, best of {args.rounds}")
    bare = min(time_bare(bodies) for _ in range(args.rounds))
    runs = [time_stmon(bodies) for _ in range(args.rounds)]
    parse_t, norm_t, count = min(runs, key=lambda r: r[0] + r[1])
    total = parse_t + norm_t
    print(f"bare feedparser.parse   {bare:7.3f} s  {count / bare:9.0f} items/s")
    print(f"stmon parse             {parse_t:7.3f} s")
    print(f"stmon normalise         {norm_t:7.3f} s  {norm_t / count * 1e6:6.1f} us/item")
    print(f"stmon parse+normalise   {total:7.3f} s  {count / total:9.0f} items/s")
    print(f"ratio stmon / bare      {total / bare:7.2f}")


if __name__ == "__main__":
    main()
