"""The floor for the poll benchmark: fetch every feed with httpx and parse it with
feedparser, at the same concurrency as stmon, storing nothing.

    python bench/floor.py URL_TEMPLATE COUNT CONCURRENCY     # e.g. http://127.0.0.1:8000/feed/{}.xml
"""

from __future__ import annotations

import asyncio
import sys
import time

import feedparser
import httpx


async def main(template: str, count: int, concurrency: int) -> None:
    limit = asyncio.Semaphore(concurrency)
    entries = 0

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(i: int) -> None:
            nonlocal entries
            async with limit:
                response = await client.get(template.format(i))
            entries += len(feedparser.parse(response.content).entries)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    print(f"floor feeds={count} entries={entries} seconds={elapsed:.2f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
