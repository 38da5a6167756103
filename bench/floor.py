"""The floor for the poll benchmark: fetch every feed with httpx and parse it with
feedparser (or fastfeedparser), at the same concurrency as stmon, storing nothing.

    python bench/floor.py URL_TEMPLATE COUNT CONCURRENCY [--parser fastfeedparser] [--state FILE]

``URL_TEMPLATE`` is e.g. http://127.0.0.1:8000/feed/{}.xml. With ``--state``, the ETags of
the answers are kept in FILE and sent back as If-None-Match the next time, as a poller
does: a second run over an unchanged farm is a cycle of 304s (the warm floor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def parser_named(name: str) -> Callable[[bytes], int]:
    """A function that parses a body and returns how many entries it read."""
    if name == "fastfeedparser":
        import fastfeedparser

        return lambda body: len(fastfeedparser.parse(body).entries)
    import feedparser

    return lambda body: len(feedparser.parse(body).entries)


async def main(args: argparse.Namespace) -> None:
    parse = parser_named(args.parser)
    etags: dict[str, str] = {}
    if args.state and args.state.exists():
        etags = json.loads(args.state.read_text())
    limit = asyncio.Semaphore(args.concurrency)
    entries = not_modified = 0
    limits = httpx.Limits(max_connections=args.concurrency)

    async with httpx.AsyncClient(limits=limits) as client:

        async def one(i: int) -> None:
            nonlocal entries, not_modified
            url = args.template.format(i)
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            async with limit:
                response = await client.get(url, headers=headers)
            if response.status_code == 304:
                not_modified += 1
                return
            if "etag" in response.headers:
                etags[url] = response.headers["etag"]
            entries += parse(response.content)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(args.count)))
        elapsed = time.perf_counter() - started
    if args.state:
        args.state.write_text(json.dumps(etags))
    print(
        f"floor parser={args.parser} feeds={args.count} entries={entries} "
        f"not_modified={not_modified} seconds={elapsed:.2f}"
    )


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("template")
    cli.add_argument("count", type=int)
    cli.add_argument("concurrency", type=int)
    cli.add_argument("--parser", choices=["feedparser", "fastfeedparser"], default="feedparser")
    cli.add_argument("--state", type=Path, help="keep ETags here between runs")
    asyncio.run(main(cli.parse_args()))
