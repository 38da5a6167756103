"""Near-duplicate lookup cost against 100k and 1M stored items, and ingest throughput.

Run: .venv/bin/python bench/bench_dedup.py [--sizes 100000,1000000] [--ingest 2000]
     [--copies 8000] [--repeat 3] [--sign]

For each size a SQLite file in /tmp is filled in bulk: items (with signatures) and
their LSH band keys, from synthetic texts. Then ``NearDuplicates.find`` is timed for
texts that are near-duplicates of stored items (found) and for fresh texts (not found).
A lookup is one indexed query on ``story_bands.band_key``; its cost must stay flat
as the store grows tenfold. Last, items are ingested the way a poll does (store, then
the novelty stage: stories, bands, events) and items per second are printed, for the
novelty stage alone and with the store's insert, in wall and in process CPU time. The
items arrive with their signatures, as from the parser processes of a poll (which
sign the items a watch finds relevant, outside the writer); ``--sign`` leaves them
out, so that the stage computes them (as with no parser process). First of all
(``--copies``), a hostile case: thousands of near-identical relevant items in one
transaction (one document of copies), twice (the second batch meets the first in the
store); time and the process's peak RSS so far are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import statistics
import tempfile
import time
from array import array
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from monitor.classify import load_rules
from monitor.config.schema import NoveltySettings, Route, WatchConfig
from monitor.model import Classification, Classified, EventKnowledge, Item, Label
from monitor.novelty import dedup
from monitor.novelty.minhash import signatures, story_text
from monitor.novelty.stage import NoveltyStage
from monitor.store import migrate
from monitor.store.db import Database
from monitor.store.feeds import feed_by_name, sync_feeds
from monitor.store.items import add_items
from monitor.store.tables import Feed

NOW = datetime(2025, 6, 1, tzinfo=UTC)
WORDS = [f"w{n}" for n in range(20000)]
BATCH = 5000


def synthetic_text(rng: random.Random, words: int = 120) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def edited(source: str, rng: random.Random) -> str:
    words = source.split()
    for _ in range(4):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return "Breaking: " + " ".join(words) + " Read more on our app."


def populate(db: Database, size: int, near: dedup.NearDuplicates, rng: random.Random) -> list[str]:
    """Store ``size`` items with signatures and band keys; returns a sample of their texts."""
    sample: list[str] = []
    # Signatures are the slow part of filling; a pool of real ones is reused with a salt
    # so that each stored item still gets distinct band keys.
    pool = []
    for _ in range(2000):
        body = synthetic_text(rng)
        sig = dedup.signature(body)
        assert sig is not None
        pool.append((body, sig))
    with db.engine.begin() as conn:
        conn.execute(insert(Feed).values(id=1, name="bench", url="x", fetch_url="x", created=NOW))
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        items: list[tuple[object, ...]] = []
        bands: list[tuple[object, ...]] = []
        for n in range(start, min(start + BATCH, size)):
            body, sig = pool[n % len(pool)]
            if n >= len(pool):  # a distinct signature: shift the values by the item number
                sig = array("I", ((v + n) & 0xFFFFFFFF for v in array("I", sig))).tobytes()
            when = NOW - timedelta(seconds=(size - n) * 5)  # 5 s apart, the newest last
            key = hashlib.sha256(str(n).encode()).hexdigest()
            items.append(_item_row(n + 1, key, body if n < len(pool) else key, sig, when))
            stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
            bands.extend((n + 1, k, stamp) for k in dedup.band_keys(sig, near.bands, near.rows))
            if n < len(pool) and len(sample) < 200:
                sample.append(body)
        with db.engine.begin() as conn:  # plain executemany: the ORM's per-row work is slow
            conn.exec_driver_sql(ITEM_SQL, items)
            conn.exec_driver_sql(BAND_SQL, bands)
    print(f"  filled {size:,} items ({size * near.bands:,} band rows) in "
          f"{time.perf_counter() - started:.0f}s")  # fmt: skip
    return sample


ITEM_SQL = (
    "INSERT INTO items (id, feed_id, source, url, url_key, guid, title, summary, content,"
    " published, fetched, language, content_hash, minhash)"
    " VALUES (?, 1, 'bench', ?, ?, ?, ?, '', ?, ?, ?, 'en', ?, ?)"
)
BAND_SQL = "INSERT INTO story_bands (item_id, band_key, created) VALUES (?, ?, ?)"


def _item_row(
    id_: int, key: str, body: str, sig: dedup.Signature, when: datetime
) -> tuple[object, ...]:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
    return (id_, key, key, key, key[:12], body, stamp, stamp, key, sig)


def time_lookups(
    db: Database, near: dedup.NearDuplicates, texts: list[str], when: datetime
) -> tuple[float, int]:
    sigs = [dedup.signature(t) for t in texts]
    times, found = [], 0
    with db.session() as session:
        for sig in sigs:
            assert sig is not None
            started = time.perf_counter()
            found += near.find(session, sig, when) is not None
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, found


def lookup_bench(size: int, rng: random.Random) -> None:
    near = dedup.NearDuplicates(threshold=0.6, window=timedelta(days=365 * 20))
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db.engine)
        sample = populate(db, size, near, rng)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        dup_ms, dup_found = time_lookups(db, near, [edited(t, rng) for t in sample], NOW)
        new_ms, new_found = time_lookups(db, near, [synthetic_text(rng) for _ in sample], NOW)
        size_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6
        db.dispose()
    print(f"  {size:>9,} items: lookup of a reprint {dup_ms:.2f} ms (found {dup_found}/"
          f"{len(sample)}), of a fresh text {new_ms:.2f} ms (false matches {new_found}); "
          f"db {size_mb:.0f} MB")  # fmt: skip


def shipped_events() -> EventKnowledge:
    """The shipped rules' event knowledge: events are placed as in production."""
    return load_rules(Path(__file__).resolve().parents[1] / "config/rules/seoul-tokyo.yaml").events


def ingest_bench(count: int, rng: random.Random, signed: bool = True) -> dict[str, float]:
    """Items per second for the novelty stage alone and for store + novelty, in wall and in
    process CPU time (``stage``, ``total``, ``stage_cpu``, ``total_cpu``).

    ``signed``: the items arrive with their signatures, as from a parser process
    (``parse_packed`` signs the items a watch finds relevant there, outside this
    process's stage); otherwise the stage computes them (a poller without parser
    processes, or items a parser process could not classify)."""
    watch = WatchConfig(name="w", rules=Path("r"), routes=(Route(types=("*",), channels=("c",)),))
    stage = NoveltyStage(NoveltySettings(), [watch], knowledge={"w": shipped_events()})
    originals = [synthetic_text(rng) for _ in range(count // 2)]
    texts = originals + [edited(rng.choice(originals), rng) for _ in range(count - len(originals))]
    batches = [texts[start : start + 50] for start in range(0, count, 50)]  # a poll's new items
    sigs = [[s or b"" for s in signatures([story_text(t[:40], t) for t in batch])] if signed
            else [None] * len(batch) for batch in batches]  # fmt: skip
    label = Classification(True, (Label("ministerial_talks", 0.8),))
    wall = cpu = 0.0
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'ingest.db'}")
        migrate.upgrade(db.engine)
        started, started_cpu = time.perf_counter(), time.process_time()
        for n, (batch, batch_sigs) in enumerate(zip(batches, sigs, strict=True)):
            now = NOW + timedelta(minutes=50 * n)
            items = [_model_item(t, now, sig) for t, sig in zip(batch, batch_sigs, strict=True)]
            with db.session() as session:
                feed = feed_by_name(session, "f")
                if feed is None:
                    sync_feeds(session, [("f", "https://f.example/")], now)
                    feed = feed_by_name(session, "f")
                assert feed is not None
                stored = add_items(session, feed, items, now)
                began, began_cpu = time.perf_counter(), time.process_time()
                stage.process(session, [Classified(s, {"w": label}) for s in stored], now)
                wall += time.perf_counter() - began
                cpu += time.process_time() - began_cpu
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        db.dispose()
    return {"stage": count / wall, "total": count / elapsed, "stage_cpu": count / cpu,
            "total_cpu": count / elapsed_cpu}  # fmt: skip


def copies_bench(count: int) -> None:
    """``count`` copies of one relevant text (a reference number apart) in one transaction,
    through the novelty stage, then ``count`` more: seconds each, and the peak RSS."""
    watch = WatchConfig(name="w", rules=Path("r"), routes=(Route(types=("*",), channels=("c",)),))
    stage = NoveltyStage(NoveltySettings(), [watch], knowledge={"w": shipped_events()})
    label = Classification(True, (Label("summit_announced", 0.9),))
    body = synthetic_text(random.Random(11), 60)
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'copies.db'}")
        migrate.upgrade(db.engine)
        for batch in range(2):
            now = NOW + timedelta(minutes=batch)
            items = [_model_item(f"{body} ref {batch} {n}", now) for n in range(count)]
            with db.session() as session:
                sync_feeds(session, [("f", "https://f.example/")], now)
                feed = feed_by_name(session, "f")
                assert feed is not None
                stored = add_items(session, feed, items, now)
                started = time.perf_counter()
                stage.process(session, [Classified(s, {"w": label}) for s in stored], now)
                took = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {count:,} near-identical relevant items in one transaction (batch "
                  f"{batch + 1}): novelty stage {took:.2f} s, peak RSS {peak:.0f} MB")  # fmt: skip
        db.dispose()


def _model_item(body: str, now: datetime, minhash: bytes | None = None) -> Item:
    key = hashlib.sha256(body.encode()).hexdigest()
    return Item(source="f", url=f"https://f.example/{key}", guid=key, title=body[:40], summary="",
                content=body, author=None, published=now, fetched=now, language="en",
                content_hash=key, minhash=minhash)  # fmt: skip


def signature_us(texts: list[str]) -> tuple[float, float]:
    """µs per text for signatures of a poll's 50 texts at once, and of one text at a time."""
    dedup.signatures(texts[:1])  # first use: numpy loaded, permutations drawn (not timed)
    started = time.perf_counter()
    for start in range(0, len(texts), 50):
        dedup.signatures(texts[start : start + 50])
    batched = time.perf_counter() - started
    started = time.perf_counter()
    for body in texts:
        dedup.signature(body)
    single = time.perf_counter() - started
    return batched / len(texts) * 1e6, single / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="0: skip the lookup part")
    parser.add_argument("--ingest", type=int, default=2000, help="0: skip the ingest part")
    parser.add_argument("--repeat", type=int, default=3, help="ingest runs (the median is shown)")
    parser.add_argument(
        "--sign",
        action="store_true",
        help="ingest items without signatures: the stage computes them",
    )
    parser.add_argument("--copies", type=int, default=8000, help="0: skip the hostile case")
    args = parser.parse_args()
    if args.copies > 0:
        print("near-identical items (hostile input)")
        copies_bench(args.copies)
    rng = random.Random(5)
    bands, rows = dedup.band_layout(0.6)
    batched, single = signature_us([synthetic_text(rng) for _ in range(1000)])
    print(f"signature (120 words, {dedup.NUM_PERM} permutations): {batched:.0f} µs/item "
          f"in batches of 50, {single:.0f} µs/item one by one")  # fmt: skip
    print(f"near-duplicate lookup (threshold 0.6: {bands} bands x {rows} rows, SQLite)")
    for size in (int(s) for s in args.sizes.split(",") if int(s) > 0):
        lookup_bench(size, rng)
    if args.ingest <= 0:
        return
    runs = [ingest_bench(args.ingest, random.Random(7), not args.sign) for _ in range(args.repeat)]
    rate = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    how = "signing them in the stage" if args.sign else "signed by the parser"
    print(f"ingest with de-duplication and events ({args.ingest} items, {how}, 50 per "
          f"transaction, median of {args.repeat}): novelty stage {rate['stage']:.0f} items/s "
          f"({1000 / rate['stage']:.3f} ms/item); store + novelty {rate['total']:.0f} items/s; "
          f"in CPU time {rate['stage_cpu']:.0f} and {rate['total_cpu']:.0f} items/s")  # fmt: skip


if __name__ == "__main__":
    main()
