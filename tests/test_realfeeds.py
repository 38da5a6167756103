"""Every file of the shared realfeeds goes through parse + normalise without a crash.

The walk runs once per session (about 10 s); each test checks one promise against it,
with the expectations taken from MANIFEST.tsv rather than written in here. Run with
``pytest -s tests/test_realfeeds.py`` to see the summary of counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.parse_realfeeds import (
    HANGUL,
    KANA,
    Outcome,
    known_differences,
    manifest,
    summary,
    walk,
)

JSON_ITEMS = re.compile(r"json\.loads finds (\d+) items")


@pytest.fixture(scope="module")
def outcomes(shared_dir: Path) -> dict[str, Outcome]:
    result = walk(shared_dir / "realfeeds")
    print("\n" + summary(result))
    return result


@pytest.fixture(scope="module")
def rows(shared_dir: Path) -> dict[str, dict[str, str]]:
    return manifest(shared_dir / "realfeeds")


def _listing(bad: list[str]) -> str:
    return f"{len(bad)} files:\n  " + "\n  ".join(bad[:40])


def test_every_file_is_walked_and_none_crashes(outcomes, rows):
    assert set(rows) <= set(outcomes), _listing(sorted(set(rows) - set(outcomes)))
    crashed = [f"{o.path}: {o.reason}" for o in outcomes.values() if o.status == "crashed"]
    assert not crashed, _listing(crashed)


def test_counts_meet_the_manifest(outcomes, rows):
    with_items = [p for p, r in rows.items() if int(r["item_count"]) > 0]
    json_feeds = [p for p, r in rows.items() if r["format"].startswith("jsonfeed")]
    readable = [o for o in outcomes.values() if o.status in ("parsed", "salvaged")]
    assert len(readable) >= len(with_items) + len(json_feeds), summary(outcomes)
    rejected = [o for o in outcomes.values() if o.status == "rejected"]
    assert all(o.reason for o in rejected)


def test_feeds_with_entries_keep_every_entry(outcomes, rows):
    bad = [
        f"{p}: manifest {r['item_count']}, got {outcomes[p].status} {outcomes[p].entries} "
        f"{outcomes[p].reason}"
        for p, r in rows.items()
        if int(r["item_count"]) > 0 and outcomes[p].entries != int(r["item_count"])
    ]
    assert not bad, _listing(bad)


def test_clean_feeds_parse_without_warnings(outcomes, rows):
    bad = [
        f"{p}: {outcomes[p].status} {outcomes[p].reason}"
        for p, r in rows.items()
        if r["bozo"] == "0" and int(r["item_count"]) > 0 and outcomes[p].status != "parsed"
    ]
    assert not bad, _listing(bad)


def test_json_feeds_yield_their_items(outcomes, rows):
    expected = {
        p: int(m.group(1))
        for p, r in rows.items()
        if r["format"].startswith("jsonfeed") and (m := JSON_ITEMS.search(r["notes"]))
    }
    assert len(expected) == sum(r["format"].startswith("jsonfeed") for r in rows.values())
    bad = [
        f"{p}: want {n}, got {outcomes[p].status} {outcomes[p].entries} {outcomes[p].reason}"
        for p, n in expected.items()
        if outcomes[p].entries != n
    ]
    assert not bad, _listing(bad)


def test_html_pages_are_rejected_as_html(outcomes, rows):
    html_rows = [p for p, r in rows.items() if r["format"] == "unknown(html)"]
    assert html_rows
    bad = [
        f"{p}: {outcomes[p].status} {outcomes[p].reason}"
        for p in html_rows
        if outcomes[p].status != "rejected" or "HTML page" not in outcomes[p].reason
    ]
    assert not bad, _listing(bad)


@pytest.mark.parametrize(("language", "script"), [("ko", HANGUL), ("ja", KANA)], ids=["ko", "ja"])
def test_korean_and_japanese_feeds_decode(outcomes, rows, language, script):
    cjk = [
        p
        for p, r in rows.items()
        if p.startswith("p1/") and r["language"] == language and int(r["item_count"]) > 0
    ]
    assert cjk
    bad = [
        f"{p}: {outcomes[p].status} script={bool(script.search(outcomes[p].text))} "
        f"U+FFFD={outcomes[p].text.count(chr(0xFFFD))} {outcomes[p].reason}"
        for p in cjk
        if not script.search(outcomes[p].text) or "\ufffd" in outcomes[p].text
    ]
    assert not bad, _listing(bad)


def test_legacy_encodings_are_covered(rows):
    encodings = {r["encoding"].split("detected=")[-1].lower() for r in rows.values()}
    assert {"euc-kr", "shift_jis", "euc-jp", "cp949", "cp932"} <= encodings


def test_normalised_items_are_sane(outcomes):
    bad = [
        f"{o.path}: {o.problems[0]} (+{len(o.problems) - 1})"
        for o in outcomes.values()
        if o.problems
    ]
    assert not bad, _listing(bad)


# The differential test: each file the fast path (feedparser-rs) reads is read by the
# feedparser path too, and the fields stmon uses agree, or differ as documented.
DIFFERENCES = Path(__file__).parent / "data" / "fast_parser_differences.json"


@pytest.fixture(scope="module")
def documented() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    return known_differences(DIFFERENCES)


def test_the_fast_path_reads_clean_feeds_of_every_kind(outcomes):
    fast = [o for o in outcomes.values() if o.fast]
    assert len(fast) >= 1000, summary(outcomes)
    assert {p.split("/")[0] for p in (o.path for o in fast)} == {"feedparser", "other", "p1"}
    assert any(HANGUL.search(o.text) for o in fast) and any(KANA.search(o.text) for o in fast)
    assert all(o.status == "parsed" for o in fast), _listing([o.path for o in fast])


def test_both_paths_agree_or_differ_as_documented(outcomes, documented):
    _kinds, files = documented
    bad = [
        f"{o.path}: {name}: {value}"
        for o in outcomes.values()
        for name, value in o.differences.items()
        if name not in files.get(o.path, {})
    ]
    assert not bad, _listing(bad)


def test_every_documented_difference_still_occurs_and_has_a_reason(outcomes, documented):
    kinds, files = documented
    stale = [
        f"{path}: {name}"
        for path, fields in files.items()
        for name in fields
        if path not in outcomes or name not in outcomes[path].differences
    ]
    assert not stale, _listing(stale)
    used = {kind for fields in files.values() for kind in fields.values()}
    assert used <= set(kinds) and all(len(kinds[k]) > 40 for k in used)


def test_publisher_feeds_read_by_the_fast_path_agree_field_by_field(outcomes):
    publishers = [o for o in outcomes.values() if o.path.startswith("p1/") and o.fast]
    assert len(publishers) >= 10  # the UTF-8 ones; legacy codepages go to feedparser
    assert not [o.path for o in publishers if o.differences]
