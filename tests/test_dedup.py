"""Near-duplicate detection: shingles, MinHash, LSH band keys in the store, stories."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.novelty import dedup, minhash
from monitor.store.db import Database
from monitor.store.items import add_items
from monitor.store.stories import StoryRows
from monitor.store.tables import Item as ItemRow
from monitor.store.tables import Story, StoryBand
from tests.support.novelty_data import T0, ensure_feed, make_item, page_articles

ARTICLE = (
    "Trade envoy Han Seo-yeon on Monday called for closer economic ties between South Korea "
    "and Japan after talks in Seoul with a senior Japanese trade official. Speaking after her "
    "meeting with Kenji Morita, deputy minister for economic affairs, the envoy said the two "
    "economies depend on each other for parts, materials and skilled workers. The two officials "
    "set up a working group on supply chains and agreed to meet again before the end of the year."
)
OTHER = (
    "Destroyers from three navies carried out a missile-tracking exercise in international "
    "waters on Wednesday, the defence ministries announced. The ships practised sharing radar "
    "data in real time while a target was launched from a barge, and officials described the "
    "drill as routine training planned months in advance, not a response to any single event."
)
JA = (
    "福岡市と釜山市は10日、観光と経済の分野で協力を広げる覚書に署名し、若者の交流事業を来年から"
    "倍に増やすことで一致した。両市長は今後も定期的に会談し、災害時の相互支援を話し合う。"
)
KO = (
    "서울시와 도쿄도는 10일 도시 교통과 기후 대응 분야의 협력을 넓히고 공무원 교류를 내년부터 "
    "두 배로 늘리기로 했다. 두 도시는 정기적으로 실무 회의를 열고 재난 때 돕는 방안도 논의한다."
)


def store(
    db: Database, title: str, text: str, days: float = 0, *, source: str = "Wire"
) -> dedup.StoryMatch:
    near = dedup.NearDuplicates(threshold=0.6, window=timedelta(days=7))
    at = T0 + timedelta(days=days)
    with db.session() as session:
        feed = ensure_feed(session, "wire", at)
        [stored] = add_items(
            session, feed, [make_item(title, text, published=at, source=source)], at
        )
        return near.assign_story(session, stored.id, f"{title}\n{text}", at, at)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Seoul and Tokyo agree to expand shuttle diplomacy",
            {
                "seoul and tokyo",
                "and tokyo agree",
                "tokyo agree to",
                "agree to expand",
                "to expand shuttle",
                "expand shuttle diplomacy",
            },
        ),
        ("日韓首脳会談", {"日韓首脳", "韓首脳会", "首脳会談"}),
        ("한일 정상 회담", {"한일정상", "일정상회", "정상회담"}),
        ("", set()),
    ],
    ids=["latin-words", "japanese-chars", "korean-chars-without-spaces", "empty"],
)
def test_shingles_are_words_for_latin_and_characters_for_korean_and_japanese(
    text: str, expected: set[str]
) -> None:
    assert dedup.shingles(text) == expected


def test_signature_estimates_jaccard_similarity() -> None:
    original = dedup.signature(ARTICLE)
    edited = dedup.signature(ARTICLE.replace("Monday", "Tuesday") + " (Yonhap)")
    unrelated = dedup.signature(OTHER)
    assert original is not None and edited is not None and unrelated is not None
    exact = len(
        dedup.shingles(ARTICLE) & dedup.shingles(ARTICLE.replace("Monday", "Tuesday") + " (Yonhap)")
    ) / len(
        dedup.shingles(ARTICLE) | dedup.shingles(ARTICLE.replace("Monday", "Tuesday") + " (Yonhap)")
    )
    assert abs(dedup.similarity(original, edited) - exact) < 0.15
    assert dedup.similarity(original, unrelated) < 0.1
    assert dedup.similarity(original, dedup.signature(ARTICLE) or b"") == 1.0
    assert len(original) == 4 * dedup.NUM_PERM  # as stored: little-endian uint32 values


def test_japanese_and_korean_reprints_are_similar_and_differ_from_each_other() -> None:
    ja, ko = dedup.signature(JA), dedup.signature(KO)
    ja2 = dedup.signature("【速報】" + JA.replace("一致した", "合意した"))
    assert ja is not None and ko is not None and ja2 is not None
    assert dedup.similarity(ja, ja2) >= 0.6
    assert dedup.similarity(ja, ko) < 0.1


def test_too_short_a_text_has_no_signature() -> None:
    assert dedup.signature("Seoul Tokyo talks") is None
    assert dedup.signature("Seoul and Tokyo hold talks on trade and fisheries") is not None


@pytest.mark.parametrize(("threshold", "low", "high"), [(0.6, 0.45, 0.7), (0.8, 0.65, 0.9)])
def test_band_layout_puts_the_lsh_threshold_near_the_configured_one(
    threshold: float, low: float, high: float
) -> None:
    bands, rows = dedup.band_layout(threshold)
    assert bands * rows <= dedup.NUM_PERM
    assert low <= (1 / bands) ** (1 / rows) <= high


def test_the_band_layout_and_keys_do_not_load_numpy() -> None:
    """The poller's process stores the bands of signatures its parser processes computed:
    it has no other use for numpy."""
    code = (
        "import sys\n"
        "from monitor.novelty.minhash import band_keys, band_layout\n"
        "bands, rows = band_layout(0.6)\n"
        "band_keys(bytes(4 * 128), bands, rows)\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_band_keys_are_stable_signed_64_bit_and_differ_per_band() -> None:
    sig = dedup.signature(ARTICLE)
    assert sig is not None
    keys = dedup.band_keys(sig, 18, 7)
    assert keys == dedup.band_keys(dedup.signature(ARTICLE) or b"", 18, 7)
    assert len(set(keys)) == 18
    assert all(-(2**63) <= k < 2**63 for k in keys)


def test_reprint_with_new_headline_and_boilerplate_joins_the_first_story(db: Database) -> None:
    first = store(db, "Trade envoy urges closer Seoul-Tokyo ties", ARTICLE)
    reprint = store(
        db,
        "Envoy Han meets Japanese deputy minister Morita",
        "City Daily 8 hours ago\n"
        + ARTICLE
        + "\nDownload our app today from your preferred app store.",
        days=0.5,
        source="Aggregator",
    )
    other = store(db, "Three Navies Hold Missile-Tracking Drill", OTHER, days=0.6)
    assert not first.joined
    assert reprint.joined and reprint.story_id == first.story_id and reprint.similarity >= 0.6
    assert not other.joined and other.story_id != first.story_id
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 2
        rows = list(session.scalars(select(ItemRow).order_by(ItemRow.id)))
        assert [r.story_id for r in rows] == [first.story_id, first.story_id, other.story_id]
        assert all(r.minhash is not None and len(r.minhash) == 4 * dedup.NUM_PERM for r in rows)
        bands, _ = dedup.band_layout(0.6)
        assert session.scalar(select(func.count()).select_from(StoryBand)) == 3 * bands


def test_a_copy_outside_the_window_starts_a_new_story(db: Database) -> None:
    first = store(db, "Trade envoy urges closer Seoul-Tokyo ties", ARTICLE)
    late = store(db, "Trade envoy urges ties (archive)", ARTICLE + " Archive.", days=8)
    assert not late.joined and late.story_id != first.story_id


def test_an_earlier_copy_stored_later_still_finds_its_twin(db: Database) -> None:
    """The window is symmetric: a late-arriving older copy joins the newer one."""
    newer = store(db, "Trade envoy urges closer Seoul-Tokyo ties", ARTICLE, days=3)
    older = store(db, "Trade envoy meets Japanese official", ARTICLE + " (Yonhap)", days=1)
    assert older.joined and older.story_id == newer.story_id


def test_stories_are_found_across_processes_sharing_the_database(db_url: str, db: Database) -> None:
    first = store(db, "Trade envoy urges closer Seoul-Tokyo ties", ARTICLE)
    other_process = Database(db_url)
    try:
        second = store(other_process, "Trade envoy meets official", "Seoul (Yonhap) -- " + ARTICLE)
    finally:
        other_process.dispose()
    assert second.joined and second.story_id == first.story_id


def test_the_repeated_korea_herald_story_in_the_seed_pages_is_one_story(
    db: Database, shared_dir: Path
) -> None:
    """The PM nominee story is the lead of two pages and listed under another page's lead."""
    articles = [a for page in sorted((shared_dir / "seeds").iterdir()) for a in page_articles(page)]
    matches = {}
    for n, article in enumerate(articles):
        matches[(article.page, article.title, n)] = store(
            db, article.title, article.text, days=n / 100, source=article.page
        )
    nominee = {m.story_id for (_, title, _), m in matches.items() if title.startswith("PM nominee")}
    assert sum(title.startswith("PM nominee") for _, title, _ in matches) == 3
    assert len(nominee) == 1
    others = {
        m.story_id for (_, title, _), m in matches.items() if not title.startswith("PM nominee")
    }
    assert not nominee & others
    # every distinct headline is a distinct story (the other repeat, "Lee calls on", too)
    titles = {title for _, title, _ in matches}
    assert len({m.story_id for m in matches.values()}) == len(titles)


def test_prune_bands_drops_only_old_band_keys(db: Database) -> None:
    store(db, "Trade envoy urges closer Seoul-Tokyo ties", ARTICLE)
    store(db, "Three Navies Hold Missile-Tracking Drill", OTHER, days=10)
    bands, _ = dedup.band_layout(0.6)
    with db.session() as session:
        assert dedup.prune_bands(session, T0 + timedelta(days=5)) == bands
        assert session.scalar(select(func.count()).select_from(StoryBand)) == bands


def datasketch_signature(text: str) -> bytes | None:
    """The signature datasketch gives a text, as stored; None below MIN_SHINGLES."""
    import zlib

    import numpy as np
    from datasketch import MinHash

    grams = dedup.shingles(text)
    if len(grams) < minhash.MIN_SHINGLES:
        return None
    reference = MinHash(
        num_perm=dedup.NUM_PERM, seed=dedup.SEED, hashfunc=zlib.crc32, scheme=dedup.SCHEME
    )
    reference.update_batch([g.encode("utf-8") for g in grams])
    return np.asarray(reference.hashvalues, "<u4").tobytes()


def generated_texts(seed: int, count: int, most: int = 400) -> list[str]:
    rng = random.Random(seed)
    vocabulary = ARTICLE.split() + OTHER.split() + list(JA) + list(KO)
    return [" ".join(rng.choices(vocabulary, k=rng.randint(3, most))) for _ in range(count)]


def test_signatures_are_the_values_datasketch_gives() -> None:
    """Stored signatures stay comparable: same permutations, hash and scheme as datasketch."""
    texts = [ARTICLE, OTHER, JA, KO, "Seoul and Tokyo hold talks on trade and fisheries"]
    texts += generated_texts(11, 200)
    sigs = dedup.signatures(texts)
    assert sigs == [datasketch_signature(text) for text in texts]
    assert sum(sig is None for sig in sigs) < 10 < sum(sig is not None for sig in sigs)
    assert [dedup.signature(text) for text in texts] == sigs
    assert dedup.signatures(["Seoul Tokyo talks", ARTICLE])[0] is None
    assert dedup.signatures(["Seoul Tokyo talks"]) == [None] and dedup.signatures([]) == []


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_signatures_of_texts_across_numpy_passes(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Texts split between passes of CHUNK_SHINGLES shingles, or longer than one pass
    (a long article, a few shingles repeated), get the values datasketch gives."""
    monkeypatch.setattr(minhash, "CHUNK_SHINGLES", chunk)
    long = [" ".join([ARTICLE] * 20), "Seoul and Tokyo hold talks on trade " * 500]
    texts = generated_texts(12, 30, most=150) + long
    texts.insert(10, "Seoul Tokyo talks")  # no signature, between two that have one
    assert dedup.signatures(texts) == [datasketch_signature(text) for text in texts]
    assert dedup.signatures(texts[::-1]) == dedup.signatures(texts)[::-1]


def test_numpy_is_loaded_only_to_compute_signatures() -> None:
    """A process that stores, compares and looks up signatures computed elsewhere (the poller
    of `poll --once`, whose parser processes compute them) does not load numpy (~15 MB)."""
    script = (
        "import sys\n"
        "from monitor.novelty import dedup, stage\n"
        "from monitor.poll import parser_process\n"
        "import monitor.app, monitor.cli.daemon\n"
        "sig = bytes(range(256)) * 2\n"
        "assert dedup.similarity(sig, sig) == 1.0 and dedup.band_keys(sig, 18, 7)\n"
        "print('before', 'numpy' in sys.modules)\n"
        f"assert dedup.signatures([{ARTICLE!r}])[0]\n"
        "print('after', 'numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["before", "False", "after", "True"]


def test_the_permutations_are_those_datasketch_draws() -> None:
    """The constants in monitor.novelty.minhash are numpy's RandomState(SEED) draw, as datasketch
    makes it for the affine32 scheme (odd multipliers)."""
    import numpy as np

    gen = np.random.RandomState(dedup.SEED)
    a = gen.randint(0, 1 << 31, dedup.NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, dedup.NUM_PERM, dtype=np.uint32)
    assert minhash._A == tuple(int(v) for v in a)
    assert minhash._B == tuple(int(v) for v in b)


def test_a_batch_gets_the_stories_that_one_item_at_a_time_gets(db: Database) -> None:
    """Copies within one batch, of stored items and of each other, across the window."""
    texts = [
        ("Trade envoy urges closer Seoul-Tokyo ties", ARTICLE, 0.0),
        ("Three Navies Hold Missile-Tracking Drill", OTHER, 0.1),
        ("Han meets Morita", "Seoul (Yonhap) -- " + ARTICLE, 0.2),
        ("Joint drill", OTHER + " Read more on our app.", 0.3),
        ("Trade envoy (archive)", ARTICLE + " Archive.", 9.0),  # outside the window of 0.0
        ("Ties", ARTICLE.replace("Monday", "Tuesday"), 9.1),
        ("Short", "Seoul Tokyo talks", 9.2),
        ("Drill again", "Watch: " + OTHER, 6.0),
    ]
    near = dedup.NearDuplicates(threshold=0.6, window=timedelta(days=7))

    def run(mode: str) -> tuple[dict[str, tuple[str, str | None]], dict[str, bytes | None]]:
        """Per title: the title that started its story, and the title it matched; and the
        signature stored. ``mode``: one at a time, a batch, or a batch whose signatures were
        computed before (stored with the items)."""
        title: dict[int, str] = {}
        story_of: dict[int, str] = {}
        found: dict[str, tuple[str, str | None]] = {}
        now = T0 + timedelta(days=10)
        with db.session() as session:
            for part in (texts[:2], texts[2:]):  # two polls
                items = [make_item(t, x, published=T0 + timedelta(days=d)) for t, x, d in part]
                if mode == "parsed":
                    texts_ = [f"{i.title}\n{i.text}" for i in items]
                    sigs = [sig or b"" for sig in minhash.signatures(texts_)]
                    items = [replace(i, minhash=sig) for i, sig in zip(items, sigs, strict=True)]
                stored = add_items(session, ensure_feed(session, "wire", now), items, now)
                entries = [
                    dedup.ItemText(s.id, f"{s.item.title}\n{s.item.text}", s.item.published,
                                   s.item.minhash)
                    for s in stored
                ]  # fmt: skip
                if mode != "one":
                    matches = near.assign_stories(session, entries, now)
                else:
                    matches = [
                        near.assign_story(session, e.item_id, e.text, e.when, now) for e in entries
                    ]
                for s, m in zip(stored, matches, strict=True):
                    title[s.id] = s.item.title
                    story_of.setdefault(m.story_id, s.item.title)
                    joined = None if m.duplicate_of is None else title[m.duplicate_of]
                    found[s.item.title] = (story_of[m.story_id], joined)
            rows = session.execute(select(ItemRow.title, ItemRow.minhash)).all()
            session.rollback()  # the same items again for the other run
        return found, dict(rows)

    one_by_one, signatures = run("one")
    assert run("batch") == (one_by_one, signatures)
    assert run("parsed") == (one_by_one, signatures)
    assert signatures["Short"] is None
    assert signatures["Ties"] == dedup.signature(f"Ties\n{texts[5][1]}")
    stories = {}
    for name, (first, _) in one_by_one.items():
        stories.setdefault(first, set()).add(name)
    assert sorted(map(sorted, stories.values())) == [
        ["Drill again", "Joint drill", "Three Navies Hold Missile-Tracking Drill"],
        ["Han meets Morita", "Trade envoy urges closer Seoul-Tokyo ties"],
        ["Short"],
        ["Ties", "Trade envoy (archive)"],
    ]


def copies(count: int, start: int = 0) -> list[str]:
    """``count`` near-identical texts: the same article with a different reference."""
    return [f"{ARTICLE} Reference {n}." for n in range(start, start + count)]


def test_a_document_of_copies_is_one_story_with_bounded_candidates(db: Database) -> None:
    """Hundreds of copies of one text, in one batch and then against the stored ones: all
    in one story, and no lookup reads more than MAX_BAND_ROWS rows of a band key."""
    near = dedup.NearDuplicates(threshold=0.6, window=timedelta(days=7))
    count = 20 * dedup.MAX_BAND_ROWS
    stories: set[int] = set()
    with db.session() as session:
        feed = ensure_feed(session, "wire", T0)
        for poll, start in enumerate((0, count)):
            now = T0 + timedelta(minutes=poll)
            items = [make_item(f"Copy {start + n}", t, published=now)
                     for n, t in enumerate(copies(count, start))]  # fmt: skip
            stored = add_items(session, feed, items, now)
            entries = [dedup.ItemText(s.id, f"{s.item.title}\n{s.item.text}", now) for s in stored]
            matches = near.assign_stories(session, entries, now)
            stories.update(m.story_id for m in matches)
            assert all(m.joined for m in matches[1:])
        sig = dedup.signature(copies(1, 2 * count)[0])
        assert sig is not None
        keys = dedup.band_keys(sig, near.bands, near.rows)
        rows = StoryRows(session).bands_near(keys, T0 - timedelta(days=1), T0 + timedelta(days=1),
                                             per_key=dedup.MAX_BAND_ROWS)  # fmt: skip
        shared = [key for key in keys if key in rows]
        band_rows = session.scalar(select(func.count()).select_from(StoryBand))
    assert len(stories) == 1
    assert shared and all(len(rows[key]) == dedup.MAX_BAND_ROWS for key in shared)
    newest = max(item_id for key in shared for item_id, _ in rows[key])
    assert all([i for i, _ in rows[key]] == sorted((i for i, _ in rows[key]), reverse=True)
               for key in shared)  # fmt: skip
    assert band_rows == 2 * count * near.bands  # every copy is still findable by its keys
    assert newest == max(s.id for s in stored)
