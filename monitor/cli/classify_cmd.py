"""`stmon classify`, `stmon eval` and `stmon rules test`: the classifier from the shell."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from monitor.classify import (
    RuleSet,
    diff_rulesets,
    format_changes,
    read_corpus,
)
from monitor.classify.crossval import CrossValidation, cross_validate
from monitor.classify.evaluate import (
    ITEMS_HINT,
    TENSE_CLASSES,
    EvalReport,
    TypeMetrics,
    evaluate,
    read_labelled,
    score_items,
    shipped_thresholds,
    text_field,
)
from monitor.classify.explain import explain
from monitor.classify.nearmiss import format_near_misses, gate_reasons, near_misses
from monitor.classify.split import DEFAULT_HOLDOUT_SHARE, PARTS, split_items
from monitor.cli.common import add_db_option, count_arg, load_rules_given, terminal_safe
from monitor.cli.exits import EXIT_OK
from monitor.config.load import config_path, load_config, shipped_config
from monitor.errors import ConfigError, MonitorError
from monitor.fetch.failures import translate
from monitor.model import Classification
from monitor.parse.normalise import html_to_text

EVAL_HINT = "see `stmon eval --help`"
FETCH_HINT = "check the URL in a browser, or save the article as a file and classify the file"
FETCH_TIMEOUT = 20.0
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEAD_JUNK = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


def register(sub: Any) -> None:
    """Add the classifier commands to an argparse subparsers object."""
    p = sub.add_parser("classify", help="classify articles and say why")
    p.add_argument(
        "source", nargs="?", default="-", help="JSONL or article file, URL, or - (stdin)"
    )
    _rules_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per input item")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("eval", help="precision/recall of the rules on a labelled corpus")
    p.add_argument("corpus", help="labelled JSONL (id, title, text, labels[, relevant, lang])")
    _rules_option(p)
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.add_argument(
        "--split",
        choices=PARTS,
        help="only the train or the held-back part (by a hash of each id; "
        "holdout: aggregate figures only)",
    )
    p.add_argument(
        "--holdout-share",
        type=float,
        default=DEFAULT_HOLDOUT_SHARE,
        metavar="SHARE",
        help=f"share of the items held back (default {DEFAULT_HOLDOUT_SHARE})",
    )
    p.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="K-fold cross-validation of the thresholds (K >= 2; aggregate figures)",
    )
    p.add_argument(
        "--show-items",
        action="store_true",
        help="per-item diagnostics with --split holdout too",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("rules", help="work with rules files")
    rules_sub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    t = rules_sub.add_parser("test", help="show what edited rules would change on a corpus")
    t.add_argument("--rules", required=True, metavar="NEW", help="the edited rules file")
    t.add_argument("--against", metavar="OLD", help="the current rules (default: from config)")
    t.add_argument(
        "--corpus", metavar="FILE", help="items as JSONL (default: the stored items, newest first)"
    )
    add_db_option(t)
    t.add_argument("--limit", type=count_arg, default=5000, help="stored items to re-classify")
    t.set_defaults(func=cmd_rules_test)


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="PATH", help="rules file (default: the first watch's)")


def rules_of(args: argparse.Namespace, explicit: str | None, option: str = "--rules") -> RuleSet:
    """The rules file ``explicit`` (given with ``option``), else the config's first
    watch's (:func:`rules_path`), loaded."""
    return load_rules_given(rules_path(args, explicit), option)


def rules_path(args: argparse.Namespace, explicit: str | None) -> Path:
    """--rules, else the first watch's rules file in the config (the shipped one when none
    is named and the working folder has none: ``shipped_config``)."""
    if explicit:
        return Path(explicit)
    config = getattr(args, "config", None)
    shipped = shipped_config(config)
    if shipped is not None:
        print(f"note: no config/monitor.yaml in {Path.cwd()}: using {shipped}", file=sys.stderr)
        config = shipped
    cfg = load_config(config)
    if not cfg.watches:
        raise ConfigError(
            "the config has no watches", file=str(config_path(config)), hint="pass --rules PATH"
        )
    return Path(cfg.watches[0].rules)


def cmd_classify(args: argparse.Namespace) -> int:
    rules = rules_of(args, args.rules)
    for item_id, title, text in read_items(args.source):
        verdict = rules.classify(title, text)
        if args.json:
            print(json.dumps(verdict_json(item_id, verdict), ensure_ascii=False))
        else:
            print(terminal_safe(f"== {item_id}: {title}"))
            stopped = gate_reasons(rules, title, text)
            print(terminal_safe(explain(verdict, rules, stopped)))
            misses = format_near_misses(near_misses(rules, title, text, verdict))
            if misses:
                print(terminal_safe(misses))
    return EXIT_OK


def verdict_json(item_id: str | int, verdict: Classification) -> dict[str, Any]:
    """What `stmon classify --json` prints for one item: ``id`` (as the input gave it),
    ``relevant``, ``labels`` (the assigned type ids), ``tenses`` (type id -> "future",
    "past" or null), ``scores`` (below threshold too) and ``evidence``."""
    evidence = {
        label.event_type: [
            {
                "rule": e.rule,
                "term": e.term,
                "where": e.where,
                "weight": e.weight,
                "snippet": e.snippet,
            }
            for e in label.evidence
        ]
        for label in verdict.labels
    }
    evidence["topic"] = [
        {"rule": e.rule, "term": e.term, "where": e.where, "weight": e.weight}
        for e in verdict.gate_evidence
    ]
    return {
        "id": item_id,
        "relevant": verdict.relevant,
        "labels": [x.event_type for x in verdict.labels],
        "tenses": {x.event_type: x.tense for x in verdict.labels},
        "scores": verdict.scores,
        "evidence": evidence,
    }


def read_items(source: str) -> Iterator[tuple[str | int, str, str]]:
    """(id, title, text) from a URL, a JSONL file, stdin JSON lines, or a plain article.

    A JSON line's ``id`` is kept as given when it is a string or a number (the line number
    without one)."""
    if source.startswith(("http://", "https://")):
        yield _fetch(source)
        return
    if source == "-":
        yield from _json_lines(sys.stdin.read(), "<stdin>")
        return
    path = Path(source)
    try:
        body = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read: {exc.strerror}", file=source, hint="check the path"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 ({exc.reason})", file=source, hint=ITEMS_HINT) from None
    if path.suffix in (".jsonl", ".json") or body.lstrip().startswith("{"):
        yield from _json_lines(body, source)
    else:
        yield _article(path.name, body)


def _json_lines(body: str, name: str) -> Iterator[tuple[str | int, str, str]]:
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ConfigError(
                f"not a JSON object: {exc}", file=name, line=number, hint=ITEMS_HINT
            ) from None
        item_id = row.get("id", number)
        if isinstance(item_id, bool) or not isinstance(item_id, str | int):
            item_id = str(item_id)
        yield item_id, text_field(row, "title"), text_field(row, "text")


def _article(name: str, body: str) -> tuple[str, str, str]:
    """A plain article (first line = title) or an HTML page (<title>, then the text)."""
    if re.search(r"<(html|body|p|div|title)\b", body, re.IGNORECASE):
        found = _TITLE.search(body)
        title = html_to_text(found.group(1)) if found else ""
        text = html_to_text(_TITLE.sub(" ", _HEAD_JUNK.sub(" ", body)))
        return name, title.strip(), text.strip()
    title, _, text = body.strip().partition("\n")
    return name, title.strip(), text.strip()


def _fetch(url: str) -> tuple[str, str, str]:
    """The article at ``url``; a failure or a 4xx/5xx answer is one line of stmon's own."""
    try:
        response = httpx.get(url, follow_redirects=True, timeout=FETCH_TIMEOUT)
    except httpx.HTTPError as exc:
        reason = translate(exc, url, connect_timeout=FETCH_TIMEOUT, read_timeout=FETCH_TIMEOUT)
        raise MonitorError(f"cannot fetch {url}: {reason.message}", hint=FETCH_HINT) from None
    if response.is_error:
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        raise MonitorError(f"cannot fetch {url}: {status}", hint=FETCH_HINT)
    return _article(url, response.text)


def cmd_eval(args: argparse.Namespace) -> int:
    share = args.holdout_share
    if not 0.0 < share < 1.0:
        raise ConfigError(
            f"--holdout-share must lie between 0 and 1, not {share:g}", hint=EVAL_HINT
        )
    if args.folds is not None and args.folds < 2:
        raise ConfigError(f"--folds needs at least 2 folds, not {args.folds}", hint=EVAL_HINT)
    if args.show_items and args.folds is not None:
        raise ConfigError(
            "--show-items does not apply to --folds (it reports aggregates only)", hint=EVAL_HINT
        )
    rules = rules_of(args, args.rules)
    corpus = read_labelled(args.corpus, rules.event_types)
    items = split_items(corpus, args.split, share) if args.split else corpus
    split = None
    if args.split:
        if not items:
            raise ConfigError(
                f"the {args.split} part is empty: every item ({len(corpus)}) falls in the "
                f"{'holdout' if args.split == 'train' else 'train'} part (holdout share {share:g})",
                file=args.corpus,
                hint="give more items, or another --holdout-share",
            )
        split = {"part": args.split, "holdout_share": share, "items": len(items), "of": len(corpus)}
    if args.folds is not None:
        if len(items) < args.folds:
            raise ConfigError(
                f"--folds {args.folds} needs at least {args.folds} items",
                file=args.corpus,
                hint="use fewer folds",
            )
        cv = cross_validate(
            score_items(rules, items),
            shipped_thresholds(rules),
            args.folds,
            fallback=rules.fallback,
        )
        if args.json:
            print(
                json.dumps(
                    {**({"split": split} if split else {}), **cv.as_dict()}, ensure_ascii=False
                )
            )
        else:
            print(_split_line(split) + format_crossval(cv))
        return EXIT_OK
    report = evaluate(rules, items)
    show_items = args.split != "holdout" or args.show_items
    if args.json:
        data = report.as_dict(items=show_items)
        print(json.dumps({**({"split": split} if split else {}), **data}, ensure_ascii=False))
    else:
        text = format_report(report, rules, items=show_items)
        if not show_items and report.misses:
            text += (
                f"\n({len(report.misses)} misclassified held-back items not shown; "
                "--show-items shows them)"
            )
        print(_split_line(split) + text)
    return EXIT_OK


def _split_line(split: dict[str, Any] | None) -> str:
    if split is None:
        return ""
    return (
        f"split: {split['part']} ({split['items']} of {split['of']} items; "
        f"holdout share {split['holdout_share']:g}, by id hash)\n"
    )


def format_report(report: EvalReport, rules: RuleSet, items: bool = True) -> str:
    """The text of `stmon eval`: figures, then (``items``) each misclassified item."""
    lines = [format_figures(report)]
    if not items:
        return lines[0]
    for miss in report.misses:
        lines.append(f"\n{miss.item.id}: {miss.item.title}")
        lines.append(
            f"  expected: {', '.join(sorted(miss.item.labels)) or '(not relevant)'}; "
            f"missing: {', '.join(miss.missing) or '-'}; extra: {', '.join(miss.extra) or '-'}"
        )
        stopped = gate_reasons(rules, miss.item.title, miss.item.text)
        lines.extend("  " + line for line in explain(miss.verdict, rules, stopped).splitlines())
        if miss.missing:
            near = near_misses(rules, miss.item.title, miss.item.text, miss.verdict)
            text = format_near_misses([n for n in near if n.event_type in miss.missing])
            lines.extend("  " + line for line in text.splitlines())
    return "\n".join(lines)


def format_figures(report: EvalReport) -> str:
    """Per-type and averaged P/R/F1, relevance, per-language figures, the tense matrix."""
    lines = [f"{'type':<22}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}"]
    for name, m in report.per_type.items():
        lines.append(f"{name:<22}{m.precision:>10.2f}{m.recall:>8.2f}{m.f1:>7.2f}{m.support:>9}")
    micro = report.micro
    lines.append(f"{'micro':<22}{micro.precision:>10.2f}{micro.recall:>8.2f}{micro.f1:>7.2f}")
    lines.append(
        f"{'macro':<22}{report.macro_precision:>10.2f}{report.macro_recall:>8.2f}"
        f"{report.macro_f1:>7.2f}"
    )
    lines.append(f"relevance accuracy: {report.relevance_accuracy:.1%} ({report.items} items)")
    lines.append("")
    lines.extend(format_languages(report))
    lines.append("")
    lines.extend(format_tense(report))
    return "\n".join(lines)


def format_languages(report: EvalReport) -> list[str]:
    lines = [
        f"{'language':<10}{'items':>6}{'relevance':>11}{'precision':>11}{'recall':>8}{'f1':>7}"
    ]
    for lang, s in sorted(report.per_lang.items()):
        m = s.micro
        lines.append(
            f"{lang:<10}{s.items:>6}{s.relevance_accuracy:>11.1%}{m.precision:>11.2f}"
            f"{m.recall:>8.2f}{m.f1:>7.2f}"
        )
    return lines


def format_tense(report: EvalReport) -> list[str]:
    """The summit_announced / summit_held confusion matrix, expected by predicted."""
    matrix = report.tense_matrix()
    lines = [
        "summit tense (summit_announced / summit_held), expected (rows) by predicted:",
        f"{'':<12}" + "".join(f"{c:>11}" for c in TENSE_CLASSES),
    ]
    for expected in TENSE_CLASSES:
        row = matrix[expected]
        lines.append(f"{expected:<12}" + "".join(f"{row[c]:>11}" for c in TENSE_CLASSES))
    return lines


def format_crossval(cv: CrossValidation) -> str:
    """The text of `stmon eval --folds K`."""
    sizes = [f.items for f in cv.folds]
    pooled, shipped = cv.pooled, cv.shipped
    size = f"{min(sizes)}" if min(sizes) == max(sizes) else f"{min(sizes)}-{max(sizes)}"
    lines = [
        f"{cv.k}-fold cross-validation: {pooled.items} items, folds of {size} (by id hash).",
        f"Per fold, each type's threshold is fitted (best F1) on the other {cv.k - 1} folds",
        "and the held-out fold is scored with it. Only thresholds are refitted: the term",
        "lists were written with the whole corpus in view (see docs/rules.md).",
        "",
        f"{'':<22}{'held-out (fitted)':>20}{'shipped thresholds':>21}",
    ]

    def prf(m: TypeMetrics) -> str:
        return f"{m.precision:.2f} / {m.recall:.2f} / {m.f1:.2f}"

    lo_f, hi_f = cv.spread("fitted")
    lo_s, hi_s = cv.spread("shipped")
    lines += [
        f"{'micro P / R / F1':<22}{prf(pooled.micro):>20}{prf(shipped.micro):>21}",
        f"{'macro F1':<22}{pooled.macro_f1:>20.2f}{shipped.macro_f1:>21.2f}",
        f"{'relevance accuracy':<22}{pooled.relevance_accuracy:>20.1%}"
        f"{shipped.relevance_accuracy:>21.1%}",
        f"{'per-fold micro F1':<22}{f'{lo_f:.2f}-{hi_f:.2f}':>20}{f'{lo_s:.2f}-{hi_s:.2f}':>21}",
        "",
        f"{'type':<22}{'support':>8}{'f1 held-out':>13}{'f1 shipped':>12}"
        f"{'threshold':>11}{'fitted':>13}",
    ]
    for name, m in pooled.per_type.items():
        base = shipped.per_type.get(name, TypeMetrics())
        if name in cv.shipped_thresholds:
            lo, hi = cv.threshold_range(name)
            fitted = f"{lo:.2f}" if lo == hi else f"{lo:.2f}-{hi:.2f}"
            shipped_th = f"{cv.shipped_thresholds[name]:.2f}"
        else:
            fitted = shipped_th = "-"
        lines.append(
            f"{name:<22}{m.support:>8}{m.f1:>13.2f}{base.f1:>12.2f}{shipped_th:>11}{fitted:>13}"
        )
    lines += ["", "held-out predictions (fitted thresholds):"]
    lines += format_languages(pooled)
    lines.append("")
    lines += format_tense(pooled)
    return "\n".join(lines)


def cmd_rules_test(args: argparse.Namespace) -> int:
    new = load_rules_given(args.rules)
    old = rules_of(args, args.against, "--against")
    items: Iterable[tuple[str, str, str]]
    if args.corpus:
        items = [(i.id, i.title, i.text) for i in read_corpus(args.corpus)]
    else:
        items = stored_items(args.db or load_config(args.config).storage.url, args.limit)
    seen = 0

    def counted() -> Iterator[tuple[str, str, str]]:
        nonlocal seen
        for item in items:
            seen += 1
            yield item

    changes = diff_rulesets(old, new, counted())
    print(format_changes(changes, total=seen))
    return EXIT_OK


def stored_items(url: str, limit: int) -> Iterator[tuple[str, str, str]]:
    """The newest stored items as (id, title, text), for `stmon rules test`: read from
    the database in batches as they are classified, so memory does not grow with
    ``limit``."""
    from monitor.app import open_database
    from monitor.store.items import newest_texts

    db = open_database(url)
    try:
        with db.session() as session:
            yield from newest_texts(session, limit)
    finally:
        db.dispose()
