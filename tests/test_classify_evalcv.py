"""Held-back split, folds, threshold fitting, per-language and tense figures of `stmon eval`.

Everything here runs on small synthetic data written in the tests; the corpus test at the
end runs on shared/corpus/dev-articles.jsonl.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from monitor.classify.crossval import cross_validate, fit_threshold, fit_thresholds
from monitor.classify.evaluate import (
    LabelledItem,
    Scored,
    read_labelled,
    tally,
    tense_class,
)
from monitor.classify.split import assign_folds, id_hash, in_holdout, split_items
from monitor.errors import ConfigError
from monitor.model import Classification


def item(item_id: str, labels: tuple[str, ...] = (), lang: str = "en") -> LabelledItem:
    return LabelledItem(item_id, f"title {item_id}", "", frozenset(labels), bool(labels), lang)


def scored(
    item_id: str, labels: tuple[str, ...], scores: dict[str, float], lang: str = "en"
) -> Scored:
    return Scored(item(item_id, labels, lang), Classification(relevant=False, scores=scores))


IDS = [f"item-{n}" for n in range(2000)]


# --- split and folds ---------------------------------------------------------------


def test_id_hash_is_the_documented_function() -> None:
    # the first 8 bytes of SHA-256 over the UTF-8 id, big-endian (pinned: a change of the
    # function moves items between train and holdout)
    assert id_hash("item-1") == 6453814349519802412
    assert id_hash("기사-7") == 16301840074343923160
    assert all(0 <= id_hash(i) < 2**64 for i in IDS[:50])


def test_split_partitions_the_items_whatever_their_order() -> None:
    items = [item(i) for i in IDS]
    train, holdout = split_items(items, "train"), split_items(items, "holdout")
    assert len(train) + len(holdout) == len(items)
    assert {i.id for i in train}.isdisjoint(i.id for i in holdout)
    shuffled = items[:]
    random.Random(7).shuffle(shuffled)
    assert {i.id for i in split_items(shuffled, "holdout")} == {i.id for i in holdout}
    # an item keeps its part when the corpus changes around it
    assert {i.id for i in split_items(items[:500], "holdout")} == {
        i.id for i in holdout if int(i.id.split("-")[1]) < 500
    }


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5])
def test_holdout_share_is_the_share_of_items(share: float) -> None:
    held = sum(in_holdout(i, share) for i in IDS)
    assert abs(held / len(IDS) - share) < 0.03, held
    # a larger share holds back a superset
    assert all(in_holdout(i, 0.6) for i in IDS if in_holdout(i, share))


def test_bad_share_and_part_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        in_holdout("x", 1.0)
    with pytest.raises(ValueError, match="unknown part"):
        split_items([item("x")], "test")


@pytest.mark.parametrize("k", [2, 5, 7])
def test_folds_cover_every_item_once_in_near_equal_sizes(k: int) -> None:
    ids = IDS[:183]
    folds = assign_folds(ids, k)
    assert set(folds) == set(ids)
    sizes = [sum(1 for f in folds.values() if f == n) for n in range(k)]
    assert set(folds.values()) == set(range(k))
    assert max(sizes) - min(sizes) <= 1
    shuffled = ids[:]
    random.Random(3).shuffle(shuffled)
    assert assign_folds(shuffled, k) == folds
    # not simply file order: neighbouring ids are spread over the folds
    assert [folds[i] for i in ids[:k]] != list(range(k))


def test_folds_need_two_folds_and_enough_items() -> None:
    with pytest.raises(ValueError, match="at least 2 folds"):
        assign_folds(IDS[:10], 1)
    with pytest.raises(ValueError, match="at least 5 items"):
        assign_folds(IDS[:4], 5)


# --- threshold fitting -------------------------------------------------------------


def test_fit_threshold_takes_the_best_f1() -> None:
    points = [(0.9, True), (0.6, True), (0.4, False), (0.3, True), (0.0, False)]
    # 0.3: tp 3 fp 1 -> F1 6/7; 0.5 and 0.6: 4/5; 0.4: 4/6; 0.9: 2/4
    assert fit_threshold(points, shipped=0.5) == 0.3


def test_fit_threshold_ties_go_to_the_shipped_threshold() -> None:
    # 0.5 and 0.6 both predict only the labelled item
    assert fit_threshold([(0.6, True), (0.2, False)], shipped=0.5) == 0.5


def test_fit_threshold_ties_go_to_the_candidate_nearest_the_shipped_one() -> None:
    # 0.1 (tp 2, fp 2) and 0.3 (tp 1, fn 1) both reach F1 2/3; the shipped 0.5 reaches 0
    points = [(0.1, True), (0.15, False), (0.2, False), (0.3, True)]
    assert fit_threshold(points, shipped=0.5) == 0.3
    # equally near: the higher
    points = [(0.25, True), (0.4, False), (0.55, False), (0.75, True)]
    assert fit_threshold(points, shipped=0.5) == 0.75


def test_fit_threshold_without_positives_keeps_the_shipped_threshold() -> None:
    assert fit_threshold([(0.7, False), (0.0, False)], shipped=0.5) == 0.5
    assert fit_threshold([], shipped=0.4) == 0.4


def test_unscored_items_are_never_predicted() -> None:
    # 0.0 stands for "not scored": no threshold predicts it, so it is a false negative
    assert fit_threshold([(0.0, True), (0.0, True), (0.45, False)], shipped=0.5) == 0.5


def test_fit_thresholds_per_type() -> None:
    rows = [
        scored("a", ("x",), {"x": 0.3, "y": 0.3}),
        scored("b", ("x", "y"), {"x": 0.35, "y": 0.8}),
        scored("c", (), {"x": 0.1, "y": 0.6}),
    ]
    assert fit_thresholds(rows, {"x": 0.5, "y": 0.5}) == {"x": 0.3, "y": 0.8}


def test_cross_validation_scores_each_fold_with_thresholds_fitted_elsewhere() -> None:
    # type x: labelled items score 0.3, unlabelled ones 0.1: every fold fits 0.3 (the
    # shipped 0.5 finds nothing); type y is never labelled and keeps 0.5
    rows = [scored(f"p{n}", ("x",), {"x": 0.3, "y": 0.6}) for n in range(6)]
    rows += [scored(f"n{n}", (), {"x": 0.1}) for n in range(6)]
    cv = cross_validate(rows, {"x": 0.5, "y": 0.5}, k=3, fallback=None)
    assert [f.items for f in cv.folds] == [4, 4, 4]
    assert all(f.thresholds == {"x": 0.3, "y": 0.5} for f in cv.folds)
    held = cv.pooled.per_type
    assert (held["x"].tp, held["x"].fp, held["x"].fn) == (6, 0, 0)
    assert (held["y"].tp, held["y"].fp) == (0, 6)
    assert cv.pooled.relevance_accuracy == 1.0
    assert (cv.shipped.per_type["x"].tp, cv.shipped.per_type["x"].fn) == (0, 6)
    assert cv.shipped.relevance_accuracy == 1.0  # y at 0.6 makes the positives relevant
    data = cv.as_dict()
    assert data["held_out"]["per_type_f1"]["x"] == 1.0
    assert data["shipped"]["per_type_f1"]["x"] == 0.0
    assert data["fold_items"] == [4, 4, 4]


def test_a_fold_is_fitted_without_its_own_items() -> None:
    # labelled items score 0.3 in fold 0 and 0.9 in fold 1; unlabelled ones 0.6. Fold 0 is
    # scored with the threshold fitted on fold 1 (0.9: its positives are missed), fold 1
    # with the one fitted on fold 0 (0.3: its negatives become false positives).
    positives, negatives = [f"p{n}" for n in range(8)], [f"n{n}" for n in range(8)]
    fold = assign_folds(positives + negatives, 2)
    rows = [scored(i, ("x",), {"x": 0.3 if fold[i] == 0 else 0.9}) for i in positives]
    rows += [scored(i, (), {"x": 0.6}) for i in negatives]
    cv = cross_validate(rows, {"x": 0.5}, k=2, fallback=None)
    assert [f.thresholds["x"] for f in cv.folds] == [0.9, 0.3]
    pos0 = sum(1 for i in positives if fold[i] == 0)
    neg1 = sum(1 for i in negatives if fold[i] == 1)
    assert 0 < pos0 < 8 and 0 < neg1 < 8
    x = cv.pooled.per_type["x"]
    assert (x.tp, x.fn, x.fp) == (8 - pos0, pos0, neg1)


# --- per-language figures and the tense matrix ----------------------------------------


def test_tense_class() -> None:
    assert tense_class({"summit_announced"}) == "announced"
    assert tense_class({"summit_held", "trilateral"}) == "held"
    assert tense_class({"summit_announced", "summit_held"}) == "both"
    assert tense_class({"trilateral"}) == tense_class(()) == "neither"


def test_tally_counts_languages_and_the_tense_matrix() -> None:
    a, h = "summit_announced", "summit_held"
    rows = [
        (scored("1", (a,), {}, "en"), frozenset({a})),
        (scored("2", (a,), {}, "en"), frozenset({h})),
        (scored("3", (h,), {}, "ko"), frozenset({a, h})),
        (scored("4", (), {}, "ko"), frozenset()),
        (scored("5", (a, h), {}, "unknown"), frozenset({"trilateral"})),
    ]
    report = tally(rows, [a, h, "trilateral"])
    matrix = report.tense_matrix()
    assert matrix["announced"] == {"announced": 1, "held": 1, "both": 0, "neither": 0}
    assert matrix["held"]["both"] == 1
    assert matrix["neither"]["neither"] == 1
    assert matrix["both"]["neither"] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 5
    en, ko, unknown = report.per_lang["en"], report.per_lang["ko"], report.per_lang["unknown"]
    assert (en.items, en.tp, en.fp, en.fn, en.relevance_correct) == (2, 1, 1, 1, 2)
    assert (ko.items, ko.tp, ko.fp, ko.fn, ko.relevance_correct) == (2, 1, 1, 0, 2)
    assert (unknown.tp, unknown.fp, unknown.fn) == (0, 1, 2)
    data = report.as_dict()
    assert data["per_language"]["en"]["f1"] == 0.5
    assert data["tense_confusion"]["expected_by_predicted"]["held"]["both"] == 1
    assert "misclassified" not in report.as_dict(items=False)


# --- reading a labelled corpus ---------------------------------------------------------


GOOD = '{"id": "a", "title": "t", "text": "x", "labels": ["trilateral"], "lang": "ko"}'


def test_read_labelled_reads_lang_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        GOOD + '\n\n{"id": 7, "title": "t", "text": "x", "labels": [], "lang": null}\n',
        encoding="utf-8",
    )
    first, second = read_labelled(path)
    assert (first.lang, first.relevant, first.labels) == ("ko", True, frozenset({"trilateral"}))
    assert (second.id, second.lang, second.relevant) == ("7", "unknown", False)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "b", "title": "t", "text": "x", "labels": [}', "bad JSON"),
        ('["b", "t"]', "a JSON object is needed, not a list"),
        ('{"id": "b", "title": "t", "labels": []}', "missing field 'text'"),
        ('{"id": "b", "title": "t", "text": "x"}', "missing field 'labels'"),
        ('{"title": "t", "text": "x", "labels": []}', "missing field 'id'"),
        (
            '{"id": "b", "title": 3, "text": "x", "labels": []}',
            "'title' must be a string, not a number",
        ),
        (
            '{"id": "b", "title": "t", "text": "x", "labels": "trilateral"}',
            "'labels' must be a list of event type ids, not a string",
        ),
        ('{"id": "b", "title": "t", "text": "x", "labels": [1]}', "not a list holding a number"),
        (
            '{"id": "b", "title": "t", "text": "x", "labels": [], "relevant": "no"}',
            "'relevant' must be true or false, not a string",
        ),
        (
            '{"id": null, "title": "t", "text": "x", "labels": []}',
            "'id' must be a non-empty string or a number, not null",
        ),
        (
            '{"id": "b", "title": "t", "text": "x", "labels": [], "lang": 1}',
            "'lang' must be a string",
        ),
        (
            '{"id": "a", "title": "t", "text": "x", "labels": []}',
            "duplicate id 'a' (first on line 1)",
        ),
    ],
)
def test_a_bad_line_names_file_line_and_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(GOOD + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_labelled(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: not a labelled item: "), message
    assert reason in message
