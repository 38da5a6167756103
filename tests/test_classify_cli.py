"""`stmon classify`, `stmon eval`, `stmon rules test` through their argparse entry points."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from monitor.classify import diff_rulesets, parse_rules
from monitor.cli import main
from tests.support.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "config" / "rules" / "seoul-tokyo.yaml"
SUMMIT = {
    "id": "a1",
    "title": "Lee, Ishiba to hold summit in Tokyo next week",
    "text": "President Lee Jae-myung will visit Tokyo to hold a summit with Japanese Prime "
    "Minister Shigeru Ishiba, Seoul said.",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_json_lines_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = {"id": "a2", "title": "Skymark flights", "text": "Charter flights to Taipei."}
    stdin = "\n".join(json.dumps(x) for x in (SUMMIT, other)) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, out, _ = run(["classify", "--rules", str(SHIPPED), "--json", "-"], capsys)
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert set(first) == {"id", "relevant", "labels", "tenses", "scores", "evidence"}
    assert first["id"] == "a1" and first["relevant"] is True
    assert first["labels"] == ["summit_announced"]
    assert first["tenses"] == {"summit_announced": "future"}
    assert first["evidence"]["summit_announced"][0]["where"] == "title"
    assert second == {
        "id": "a2",
        "relevant": False,
        "labels": [],
        "tenses": {},
        "scores": {},
        "evidence": {"topic": []},
    }


def test_classify_reads_a_null_title_or_text_as_none_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # JSON null is no title (no text), not the word "None" in the item
    rows = [
        {"id": "t", "title": "President Yoon to visit Tokyo for summit with Kishida", "text": None},
        {"id": "b", "title": None, "text": SUMMIT["text"]},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(r) for r in rows)))
    code, out, _ = run(["classify", "--rules", str(SHIPPED), "--json", "-"], capsys)
    assert code == 0
    for line in out.splitlines():
        verdict = json.loads(line)
        assert verdict["relevant"] is True, verdict
        found = [e for t in verdict["labels"] for e in verdict["evidence"][t]]
        snippets = [e["snippet"] for e in found]
        assert snippets and not any("None" in s for s in snippets), snippets


def test_classify_plain_article_file_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "story.txt"
    article.write_text(SUMMIT["title"] + "\n" + SUMMIT["text"], encoding="utf-8")
    code, out, _ = run(["classify", "--rules", str(SHIPPED), str(article)], capsys)
    assert code == 0
    assert "relevant: yes" in out
    assert "summit_announced" in out and "title: '" in out


def test_classify_tells_a_gate_pass_without_matches_from_a_gate_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tmp_path / "items.jsonl"
    rows = [
        # both sides, in the title, but nothing any type looks for
        {"id": "b1", "title": "South Korea and Japan", "text": "South Korea and Japan."},
        {"id": "b2", "title": "South Korea", "text": "Seoul weather."},  # one side only
    ]
    items.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out, _ = run(["classify", "--rules", str(SHIPPED), str(items)], capsys)
    assert code == 0
    passed, failed = out.split("== b2")
    assert "relevant: no" in passed and "relevant: no" in failed
    assert "the topic gate passed, but no type was scored: see the near misses" in passed
    assert "did not pass" not in passed
    assert "the topic gate did not pass" in failed


def test_classify_url(capsys: pytest.CaptureFixture[str]) -> None:
    page = f"<html><head><title>{SUMMIT['title']}</title></head><body><p>{SUMMIT['text']}</p>"
    with FeedServer() as server:
        server.put("/story.html", page, "text/html; charset=utf-8")
        code, out, _ = run(
            ["classify", "--rules", str(SHIPPED), "--json", server.url("/story.html")], capsys
        )
    assert code == 0
    assert json.loads(out)["labels"] == ["summit_announced"]


def test_classify_a_url_that_answers_404_is_one_error_line_of_stmon_s_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FeedServer() as server:
        url = server.url("/nosuch.html")
        code, out, err = run(["classify", "--rules", str(SHIPPED), url], capsys)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == f"error: cannot fetch {url}: HTTP 404 Not Found"
    assert lines[1].startswith("hint: check the URL")


def test_classify_uses_the_first_watch_of_the_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(SUMMIT) + "\n"))
    config = ROOT / "config" / "monitor.yaml"
    code, out, err = run(["--config", str(config), "classify", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["relevant"] is True


def test_classify_outside_the_checkout_uses_its_shipped_rules_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # a folder without config/monitor.yaml
    monkeypatch.delenv("STMON_CONFIG", raising=False)
    source = tmp_path / "articles.jsonl"
    source.write_text(json.dumps(SUMMIT) + "\n", encoding="utf-8")
    code, out, err = run(["classify", "--json", str(source)], capsys)
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["id"] == "a1" and verdict["relevant"] is True
    assert f"using {ROOT / 'config' / 'monitor.yaml'}" in err
    # a config that is named is never replaced by the shipped one
    code, _, err = run(["--config", str(tmp_path / "none.yaml"), "classify", str(source)], capsys)
    assert code == 2 and "none.yaml: file not found" in err


def test_bad_rules_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "topic:\n  sides: {a: [x1], b: [y1]}\ntypes:\n  t:\n    any:\n      - terms: [$nope]\n"
        "      - regex: '(i?)x'\n",
        encoding="utf-8",
    )
    corpus = tmp_path / "c.jsonl"  # never read: the rules are refused first
    corpus.write_text(
        json.dumps({**SUMMIT, "labels": [], "relevant": True}) + "\n", encoding="utf-8"
    )
    code, out, err = run(["eval", "--rules", str(bad), str(corpus)], capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"error: {bad}:6: types.t.any[0].terms[0]: unknown list $nope")
    assert lines[1].startswith(f"error: {bad}:7: types.t.any[1].regex: ")
    assert lines[2] == f"hint: fix the file and run `stmon check {bad}` again"


def test_classify_a_file_that_is_not_utf8_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tmp_path / "items.jsonl"
    items.write_bytes(b'{"id": 1, "title": "\xff"}\n')
    code, out, err = run(["classify", "--rules", str(SHIPPED), str(items)], capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"error: {items}: not UTF-8 (invalid start byte)"


def test_rules_test_on_a_corpus_that_is_not_utf8_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b'{"id": 1, "title": "\xff"}\n')
    argv = ["rules", "test", "--rules", str(SHIPPED), "--corpus", str(corpus)]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith(f"error: {corpus}: cannot read corpus: not UTF-8")


def test_rules_test_asks_for_items_where_eval_asks_for_labelled_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(SUMMIT) + "\n" + json.dumps([SUMMIT]) + "\n", encoding="utf-8")
    argv = ["rules", "test", "--rules", str(SHIPPED), "--corpus", str(corpus)]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {corpus}:2: not an item: a JSON object is needed, not a list holding an object",
        "hint: each line is one JSON object: id, title, text (labels not needed), in UTF-8",
    ]
    code, out, err = run(["eval", "--rules", str(SHIPPED), str(corpus)], capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"error: {corpus}:1: not a labelled item: missing field 'labels'"
    assert "labels" in err.splitlines()[1]
    corpus.write_bytes(b'{"id": 1, "title": "\xff"}\n')
    code, _, err = run(argv, capsys)
    assert code == 2 and "labels not needed" in err.splitlines()[1]


def test_eval_json_report(capsys: pytest.CaptureFixture[str], seed_corpus: Path) -> None:
    code, out, _ = run(["eval", "--rules", str(SHIPPED), "--json", str(seed_corpus)], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["items"] == 18
    assert report["relevance_accuracy"] == 1.0
    assert report["micro"]["f1"] >= 0.9
    assert set(report["per_type"]["summit_announced"]) >= {"precision", "recall", "f1", "support"}
    for miss in report["misclassified"]:
        assert (
            miss["missing"]
            or miss["extra"]
            or miss["relevant"]["expected"] != miss["relevant"]["got"]
        )


def test_eval_text_report_lists_misclassified_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.jsonl"
    wrong = {**SUMMIT, "labels": ["summit_held"], "relevant": True}
    corpus.write_text(json.dumps(wrong) + "\n", encoding="utf-8")
    code, out, _ = run(["eval", "--rules", str(SHIPPED), str(corpus)], capsys)
    assert code == 0
    assert "relevance accuracy: 100.0%" in out
    assert "missing: summit_held; extra: summit_announced" in out
    assert "summit_announced.leaders meet" in out


def _tight(tmp_path: Path) -> Path:
    """The shipped rules made stricter: every type without a threshold of its own needs 0.9."""
    shipped = SHIPPED.read_text(encoding="utf-8")
    text = shipped.replace("  threshold: 0.5\n", "  threshold: 0.9\n", 1)
    assert text != shipped
    path = tmp_path / "new.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_test_shows_lost_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed_corpus: Path
) -> None:
    new = _tight(tmp_path)
    argv = ["rules", "test", "--rules", str(new), "--against", str(SHIPPED)]
    code, out, _ = run([*argv, "--corpus", str(seed_corpus)], capsys)
    assert code == 0
    assert "(lost match" in out
    summary = out.splitlines()[-1]
    assert summary.endswith(
        f"of 18 items change: 0 new matches, {out.count('(lost match')} lost matches"
    )


def test_diff_rulesets_reports_new_and_lost_matches() -> None:
    shipped = SHIPPED.read_text(encoding="utf-8")
    assert "\n  fallback: " in shipped
    plain = re.sub(r"\n  fallback: [0-9.]+", "", shipped)  # types by threshold alone
    old = parse_rules(plain)
    new = parse_rules(plain.replace("threshold: 0.5", "threshold: 0.3", 1))
    item = ("a", "Seoul, Tokyo: Lee and Ishiba", "The two leaders met for a summit.")
    items = [item, ("b", "Tokyo", "Nothing.")]  # a: summit_held 0.3
    changes = diff_rulesets(old, new, items)
    assert [c.id for c in changes] == ["a"]
    assert changes[0].added and not changes[0].removed
    assert diff_rulesets(new, old, items)[0].removed == changes[0].added
    assert diff_rulesets(old, old, items) == []


def test_a_regex_timeout_is_logged_whole_on_stderr(tmp_path: Path) -> None:
    """`stmon classify` sets logging up: the warning reaches stderr with its fields."""
    import subprocess
    import sys

    rules = tmp_path / "slow.yaml"
    rules.write_text(
        "version: 1\ntopic:\n  sides: {korea: [Korea], japan: [Japan]}\n"
        "types:\n  t:\n    any:\n      - regex: '(a|aa)+b'\n",
        encoding="utf-8",
    )
    items = tmp_path / "slow.jsonl"
    items.write_text(json.dumps({"id": 1, "title": "Korea Japan", "text": "a" * 60 + "c"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "classify", "--rules", str(rules), "--json", str(items)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [logged] = [json.loads(line) for line in done.stderr.splitlines()]
    assert logged["event"] == "regex_clue_timed_out" and logged["title"] == "Korea Japan"
    assert logged["pattern"] == "(a|aa)+b" and "simplify the pattern" in logged["hint"]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["classify", "--rules", "{config}", "{items}"], "--rules"),
        (["eval", "--rules", "{config}", "{items}"], "--rules"),
        (["rules", "test", "--rules", "{config}", "--corpus", "{items}"], "--rules"),
        (["rules", "test", "--rules", "{rules}", "--against", "{config}", "--corpus", "{items}"],
         "--against"),
    ],
    ids=["classify", "eval", "rules-test", "rules-test-against"],
)  # fmt: skip
def test_a_config_given_for_rules_is_refused_saying_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    config = ROOT / "config" / "monitor.yaml"
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({**SUMMIT, "labels": []}) + "\n", encoding="utf-8")
    names = {"config": config, "items": items, "rules": SHIPPED}
    code, out, err = run([a.format(**names) for a in argv], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {config}: a stmon config, not a rules file",
        f"hint: give {option} a rules file (a watch's `rules:`, e.g. "
        "config/rules/seoul-tokyo.yaml); a config goes with --config",
    ]
