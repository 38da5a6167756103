"""`stmon classify`, `stmon eval` and `stmon rules test`: the classifier from the shell."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from monitor.classify import (
    RuleSet,
    diff_rulesets,
    evaluate,
    explain,
    format_changes,
    load_rules,
    read_corpus,
)
from monitor.classify.evaluate import EvalReport
from monitor.config.load import load_config
from monitor.errors import ConfigError, MonitorError
from monitor.model import Classification
from monitor.parse.normalise import html_to_text

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
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
    p.set_defaults(func=_guard(cmd_classify))

    p = sub.add_parser("eval", help="precision/recall of the rules on a labelled corpus")
    p.add_argument("corpus", help="labelled JSONL (id, title, text, labels, relevant)")
    _rules_option(p)
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.set_defaults(func=_guard(cmd_eval))

    p = sub.add_parser("rules", help="work with rules files")
    rules_sub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    t = rules_sub.add_parser("test", help="show what edited rules would change on a corpus")
    t.add_argument("--rules", required=True, metavar="NEW", help="the edited rules file")
    t.add_argument("--against", metavar="OLD", help="the current rules (default: from config)")
    t.add_argument(
        "--corpus", metavar="FILE", help="items as JSONL (default: the stored items, newest first)"
    )
    t.add_argument("--db", metavar="URL", help="database URL (default: storage.url)")
    t.add_argument("--limit", type=int, default=5000, help="stored items to re-classify")
    t.set_defaults(func=_guard(cmd_rules_test))


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="PATH", help="rules file (default: the first watch's)")


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = func(args)
        except ConfigError as exc:
            for line in str(exc).splitlines():
                print(f"error: {line}", file=sys.stderr)
            return EXIT_CONFIG
        except MonitorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        return code

    return run


def rules_path(args: argparse.Namespace, explicit: str | None) -> Path:
    """--rules, else the first watch's rules file in the config, else the default."""
    if explicit:
        return Path(explicit)
    config = getattr(args, "config", None)
    cfg = load_config(config)
    if not cfg.watches:
        raise ConfigError("the config has no watches; pass --rules PATH", file=str(config))
    return Path(cfg.watches[0].rules)


def cmd_classify(args: argparse.Namespace) -> int:
    rules = load_rules(rules_path(args, args.rules))
    for item_id, title, text in read_items(args.source):
        verdict = rules.classify(title, text)
        if args.json:
            print(json.dumps(verdict_json(item_id, verdict), ensure_ascii=False))
        else:
            print(f"== {item_id}: {title}")
            print(explain(verdict, rules))
    return EXIT_OK


def verdict_json(item_id: str, verdict: Classification) -> dict[str, Any]:
    """``{"id","relevant","labels","scores","evidence"}`` as `stmon classify --json` prints."""
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
        "labels": [
            {"type": x.event_type, "score": x.score, "tense": x.tense} for x in verdict.labels
        ],
        "scores": verdict.scores,
        "evidence": evidence,
    }


def read_items(source: str) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) from a URL, a JSONL file, stdin JSON lines, or a plain article."""
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
        raise ConfigError(f"cannot read: {exc.strerror}", file=source) from None
    if path.suffix in (".jsonl", ".json") or body.lstrip().startswith("{"):
        yield from _json_lines(body, source)
    else:
        yield _article(path.name, body)


def _json_lines(body: str, name: str) -> Iterator[tuple[str, str, str]]:
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ConfigError(f"not a JSON object: {exc}", file=name, line=number) from None
        yield str(row.get("id", number)), str(row.get("title", "")), str(row.get("text", ""))


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
    try:
        response = httpx.get(url, follow_redirects=True, timeout=20.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise MonitorError(f"cannot fetch {url}: {exc}") from None
    return _article(url, response.text)


def cmd_eval(args: argparse.Namespace) -> int:
    rules = load_rules(rules_path(args, args.rules))
    report = evaluate(rules, read_corpus(args.corpus))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(format_report(report, rules))
    return EXIT_OK


def format_report(report: EvalReport, rules: RuleSet) -> str:
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
    for miss in report.misses:
        lines.append(f"\n{miss.item.id}: {miss.item.title}")
        lines.append(
            f"  expected: {', '.join(sorted(miss.item.labels)) or '(not relevant)'}; "
            f"missing: {', '.join(miss.missing) or '-'}; extra: {', '.join(miss.extra) or '-'}"
        )
        lines.extend("  " + line for line in explain(miss.verdict, rules).splitlines())
    return "\n".join(lines)


def cmd_rules_test(args: argparse.Namespace) -> int:
    new = load_rules(args.rules)
    old = load_rules(rules_path(args, args.against))
    if args.corpus:
        items = [(i.id, i.title, i.text) for i in read_corpus(args.corpus)]
    else:
        items = stored_items(args.db or load_config(args.config).storage.url, args.limit)
    print(format_changes(diff_rulesets(old, new, items), total=len(items)))
    return EXIT_OK


def stored_items(url: str, limit: int) -> list[tuple[str, str, str]]:
    """The newest stored items as (id, title, text), for `stmon rules test`."""
    from monitor.app import open_database
    from monitor.store.items import newest_texts

    db = open_database(url)
    try:
        with db.session() as session:
            return newest_texts(session, limit)
    finally:
        db.dispose()
