"""`stmon eval --split/--folds/--show-items` and `stmon classify --json` end to end, on a
small synthetic corpus and rules written into tmp_path (tests/support/eval_corpus.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.classify import load_rules
from monitor.classify.evaluate import evaluate, read_labelled, score_items, shipped_thresholds
from monitor.classify.split import split_items
from tests.support.eval_corpus import rows, run, write


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    rules, corpus = write(tmp_path)
    return str(rules), str(corpus)


def eval_out(
    argv: list[str], files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    rules, corpus = files
    code = run(["eval", "--rules", rules, corpus, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_plain_eval_prints_languages_and_the_tense_matrix(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = eval_out([], files, capsys)
    assert code == 0
    lines = out.splitlines()
    langs = {
        line.split()[0]: line.split()[1] for line in lines if line[:3] in ("en ", "ko ", "unk")
    }
    assert langs == {"en": "13", "ko": "4", "unknown": "3"}
    at = lines.index("summit tense (summit_announced / summit_held), expected (rows) by predicted:")
    assert lines[at + 1].split() == ["announced", "held", "both", "neither"]
    assert lines[at + 2].split() == ["announced", "5", "0", "0", "2"]
    assert lines[at + 3].split() == ["held", "1", "4", "0", "0"]
    assert "s08: Lee Jae-myung, Ishiba will hold summit next week" in out  # per-item diagnostics


def test_split_parts_add_up_and_holdout_hides_the_items(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    share = ["--holdout-share", "0.5"]
    _, train, _ = eval_out(["--split", "train", *share], files, capsys)
    code, held, _ = eval_out(["--split", "holdout", *share], files, capsys)
    assert code == 0
    held_n = int(held.split("(")[1].split()[0])
    train_n = int(train.split("(")[1].split()[0])
    assert held.startswith(f"split: holdout ({held_n} of 20 items; holdout share 0.5, by id hash)")
    assert held_n + train_n == 20 and 0 < held_n < 20
    holdout = split_items(read_labelled(files[1]), "holdout", 0.5)
    misses = evaluate(load_rules(files[0]), holdout).misses
    assert misses, "the synthetic corpus should put a misclassified item in the holdout part"
    for item in holdout:
        assert item.id not in held and item.title not in held
    assert f"({len(misses)} misclassified held-back items not shown; --show-items" in held
    _, shown, _ = eval_out(["--split", "holdout", *share, "--show-items"], files, capsys)
    for miss in misses:
        assert f"{miss.item.id}: {miss.item.title}" in shown
    # train shows its own items
    train_items = split_items(read_labelled(files[1]), "train", 0.5)
    train_misses = evaluate(load_rules(files[0]), train_items).misses
    assert all(f"{m.item.id}: " in train for m in train_misses)


def test_holdout_json_has_the_split_and_no_items(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = eval_out(["--split", "holdout", "--json"], files, capsys)
    assert code == 0
    report = json.loads(out)
    assert report["split"]["part"] == "holdout" and report["split"]["of"] == 20
    assert report["split"]["holdout_share"] == 0.25
    assert report["items"] == report["split"]["items"]
    assert "misclassified" not in report
    assert {"micro", "macro", "per_type", "per_language", "tense_confusion"} <= set(report)
    _, out, _ = eval_out(["--split", "holdout", "--json", "--show-items"], files, capsys)
    assert "misclassified" in json.loads(out)


def test_folds_text_report(files: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = eval_out(["--folds", "4"], files, capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "4-fold cross-validation: 20 items, folds of 5 (by id hash)."
    micro = next(line for line in lines if line.startswith("micro P / R / F1"))
    assert len(re.findall(r"\b[01]\.\d\d\b", micro)) == 6  # held-out and shipped P/R/F1
    spread = next(line for line in lines if line.startswith("per-fold micro F1"))
    assert len(spread.split()[-2].split("-")) == 2
    trade = next(line for line in lines if line.startswith("trade "))
    assert trade.split()[1] == "4" and trade.split()[4] == "0.60"  # support, shipped threshold
    assert any(line.startswith("unknown ") for line in lines)
    assert "summit tense (summit_announced / summit_held), expected (rows) by predicted:" in out
    assert "s08" not in out  # aggregates only


def test_folds_json_report(files: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = eval_out(["--folds", "4", "--json"], files, capsys)
    assert code == 0
    report = json.loads(out)
    assert report["folds"] == 4 and report["items"] == 20
    assert report["fold_items"] == [5, 5, 5, 5]
    for side in ("held_out", "shipped"):
        part = report[side]
        assert set(part["micro"]) == {"precision", "recall", "f1"}
        assert set(part["per_type_f1"]) == {"summit_announced", "summit_held", "trade"}
        assert part["fold_micro_f1"]["min"] <= part["fold_micro_f1"]["max"]
        assert set(part["per_language"]) == {"en", "ko", "unknown"}
        matrix = part["tense_confusion"]["expected_by_predicted"]
        assert sum(sum(row.values()) for row in matrix.values()) == 20
    assert report["thresholds"]["shipped"]["trade"] == 0.6
    assert len(report["thresholds"]["fitted_per_fold"]) == 4
    assert len(report["per_fold_micro"]) == 4
    # the shipped side is the plain evaluation of the same items
    _, plain, _ = eval_out(["--json"], files, capsys)
    assert report["shipped"]["micro"] == json.loads(plain)["micro"]


def test_folds_on_the_train_part(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = eval_out(["--split", "train", "--folds", "2", "--json"], files, capsys)
    assert code == 0
    report = json.loads(out)
    assert report["items"] == report["split"]["items"] < 20


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--folds", "1"], "error: --folds needs at least 2 folds, not 1"),
        (["--folds", "21"], "needs at least 21 items"),
        (["--holdout-share", "1.5"], "error: --holdout-share must lie between 0 and 1, not 1.5"),
        (["--folds", "3", "--show-items"], "error: --show-items does not apply to --folds"),
    ],
)
def test_bad_flags_exit_2(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = eval_out(argv, files, capsys)
    assert code == 2 and out == ""
    assert message in err


def test_a_malformed_corpus_line_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, _ = write(tmp_path)
    corpus = tmp_path / "bad.jsonl"
    good, second = rows()[:2]
    del second["labels"]
    corpus.write_text(json.dumps(good) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    code = run(["eval", "--rules", str(rules), str(corpus), "--folds", "2"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {corpus}:2: not a labelled item: missing field 'labels'",
        "hint: each line is one JSON object: id, title, text, labels (relevant, lang optional), "
        "in UTF-8",
    ]


@pytest.mark.parametrize("body", ["", "\n  \n\n"], ids=["empty", "blank-lines"])
@pytest.mark.parametrize("command", ["eval", "rules test"])
def test_a_corpus_without_items_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, command: str
) -> None:
    rules, _ = write(tmp_path)
    corpus = tmp_path / "empty.jsonl"
    corpus.write_text(body, encoding="utf-8")
    if command == "eval":
        code = run(["eval", "--rules", str(rules), str(corpus)])
    else:
        code = run(["rules", "test", "--rules", str(rules), "--against", str(rules),
                    "--corpus", str(corpus)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        f"error: {corpus}: no items: the file is empty or holds only blank lines"
    )


def test_a_split_part_left_empty_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, corpus = write(tmp_path)
    first = corpus.read_text(encoding="utf-8").splitlines()[0]
    one = tmp_path / "one.jsonl"
    one.write_text(first + "\n", encoding="utf-8")
    [item] = read_labelled(one)
    empty = "holdout" if split_items([item], "train", 0.25) else "train"
    code = run(["eval", "--rules", str(rules), str(one), "--split", empty])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith(
        f"error: {one}: the {empty} part is empty: every item (1)"
    )


def test_a_label_the_rules_do_not_define_exits_2_naming_file_line_and_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, _ = write(tmp_path)
    corpus = tmp_path / "corpus.jsonl"
    first, second, third = rows()[:3]
    third["labels"] = ["summit_helt"]
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in (first, second, third)]
    corpus.write_text("".join(lines), encoding="utf-8")
    code = run(["eval", "--rules", str(rules), str(corpus)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {corpus}:3: labels: unknown event type 'summit_helt' "
        "(the rules define: summit_announced, summit_held, trade)",
        "hint: correct the label, or give the rules that define it with --rules",
    ]


def test_labels_of_the_rules_types_and_unlabelled_items_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    column = {
        "id": "c1",
        "title": "[Column] What Seoul and Tokyo owe each other",
        "text": "An opinion piece on South Korea and Japan.",
        "labels": ["commentary"],
    }
    other = {"id": "n1", "title": "Tokyo weather", "text": "Rain.", "labels": [], "relevant": False}
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(column) + "\n" + json.dumps(other) + "\n", encoding="utf-8")
    code = run(["eval", "--rules", str(SHIPPED), "--json", str(corpus)])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["items"] == 2 and report["per_type"]["commentary"]["support"] == 1


SHIPPED = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"


@pytest.fixture
def dev_articles(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "dev-articles.jsonl"  # the fixture skips without it


def test_five_folds_on_the_dev_corpus(
    dev_articles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = read_labelled(dev_articles)
    rules = load_rules(SHIPPED)
    code = run(["eval", "--rules", str(SHIPPED), str(dev_articles), "--folds", "5", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert report["folds"] == 5 and report["items"] == len(items)
    assert sum(report["fold_items"]) == len(items)
    assert max(report["fold_items"]) - min(report["fold_items"]) <= 1
    langs = {i.lang for i in items}
    plain = evaluate(rules, items)
    for side in ("held_out", "shipped"):
        part = report[side]
        assert set(part["per_type_f1"]) >= set(rules.event_types)
        assert set(part["per_language"]) == langs
        assert sum(v["items"] for v in part["per_language"].values()) == len(items)
        assert 0 <= part["fold_micro_f1"]["min"] <= part["fold_micro_f1"]["max"] <= 1
        matrix = part["tense_confusion"]["expected_by_predicted"]
        assert sum(sum(row.values()) for row in matrix.values()) == len(items)
        expected_announced = sum(
            "summit_announced" in i.labels and "summit_held" not in i.labels for i in items
        )
        assert sum(matrix["announced"].values()) == expected_announced
    assert report["shipped"]["micro"]["f1"] == round(plain.micro.f1, 4)
    assert report["shipped"]["relevance_accuracy"] == round(plain.relevance_accuracy, 4)
    for fitted in report["thresholds"]["fitted_per_fold"]:
        assert set(fitted) == set(rules.event_types)
        assert all(0 < v <= 1 for v in fitted.values())
    # predicting from the scores at the shipped thresholds gives the verdicts' labels
    shipped = shipped_thresholds(rules)
    assert all(
        s.predicted(shipped, rules.fallback) == set(s.verdict.types)
        for s in score_items(rules, items)
    )
    # the text report of the same run
    run(["eval", "--rules", str(SHIPPED), str(dev_articles), "--folds", "5"])
    text, _ = capsys.readouterr()
    assert text.startswith(f"5-fold cross-validation: {len(items)} items")
    assert "per-fold micro F1" in text and "held-out (fitted)" in text


def test_classify_json_is_one_object_per_input_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, _ = write(tmp_path)
    items = rows()
    items[3]["id"] = 41  # a numeric id stays a number
    del items[5]["id"]  # no id: the line number
    source = tmp_path / "items.jsonl"
    lines = [
        json.dumps({k: v for k, v in r.items() if k not in ("labels", "relevant")}) for r in items
    ]
    lines.insert(2, "")  # blank lines are skipped (and still counted)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = run(["classify", "--rules", str(rules), "--json", str(source)])
    out, _ = capsys.readouterr()
    assert code == 0
    got = [json.loads(line) for line in out.splitlines()]
    assert len(got) == len(items)
    expected_ids = [r.get("id") for r in items]
    expected_ids[5] = 7  # line 7 of the file (after the blank line 3)
    assert [g["id"] for g in got] == expected_ids
    compiled = load_rules(rules)
    for g, row in zip(got, items, strict=True):
        assert isinstance(g["relevant"], bool)
        verdict = compiled.classify(str(row["title"]), str(row["text"]))
        assert g["labels"] == list(verdict.types)
        assert g["relevant"] == bool(g["labels"])
    by_id = {g["id"]: g for g in got}
    assert by_id["s01"]["labels"] == ["summit_announced"]
    assert by_id["s05"]["labels"] == ["summit_held"]
    assert by_id["s12"]["labels"] == [] and by_id["s12"]["relevant"] is False
