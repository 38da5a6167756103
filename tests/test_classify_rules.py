"""Loading rules: schema, $lists, compile errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from monitor.classify import load_rules, parse_rules, rules_json_schema
from monitor.errors import ConfigError
from tests.support.classify_rules import rules_text

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "rules" / "seoul-tokyo.yaml"
EVENT_TYPES = (
    "summit_announced summit_held leaders_call ministerial_talks official_exchange trilateral "
    "security_defense economy_trade historical_issue territorial_dispute people_exchange "
    "anniversary political_change commentary"
).split()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error_lines(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_rules(_write(tmp_path, text))
    return str(info.value).splitlines()


def test_shipped_rules_define_every_event_type() -> None:
    rules = load_rules(SHIPPED)
    assert sorted(rules.event_types) == sorted(EVENT_TYPES)
    assert rules.path == SHIPPED


def test_shipped_rules_point_at_the_schema() -> None:
    first = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../docs/schema/rules.schema.json"


def test_schema_file_is_generated_from_the_model() -> None:
    import json

    on_disk = json.loads((SHIPPED.parents[2] / "docs/schema/rules.schema.json").read_text())
    assert on_disk == json.loads(json.dumps(rules_json_schema()))
    assert on_disk["additionalProperties"] is False


def test_unknown_list_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    text = rules_text("  t:\n    any:\n      - terms: [summit, $leaders]\n")
    lines = _error_lines(tmp_path, text)
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / 'rules.yaml'}:14: types.t.any[0].terms[1]: ")
    assert "unknown list $leaders" in lines[0]


def test_list_cycle_is_an_error_showing_the_whole_cycle(tmp_path: Path) -> None:
    text = rules_text("  t:\n    any:\n      - terms: [$a]\n", "  a: [x1, $b]\n  b: [$a]\n")
    lines = _error_lines(tmp_path, text)
    assert lines == [
        f"{tmp_path / 'rules.yaml'}:12: lists.b[0]: $a refers back to a list that uses this one "
        "(cycle: $a → $b → $a)"
    ]
    three = "  a: [x1, $b]\n  b: [$c]\n  c: [$a]\n  s: [y1, $s]\n"
    text = rules_text("  t:\n    any:\n      - terms: [$b, $s]\n", three)
    lines = _error_lines(tmp_path, text)
    assert lines == [
        f"{tmp_path / 'rules.yaml'}:13: lists.c[0]: $a refers back to a list that uses this one "
        "(cycle: $a → $b → $c → $a)",
        f"{tmp_path / 'rules.yaml'}:14: lists.s[1]: $s refers to itself (cycle: $s → $s)",
    ]


def test_lists_nest(tmp_path: Path) -> None:
    text = rules_text("  t:\n    any:\n      - terms: [$both]\n", "  both: [$kr, $jp]\n")
    rules = load_rules(_write(tmp_path, text))
    verdict = rules.classify("Seoul and Tokyo: Ishiba speaks", "")
    assert verdict.types == ("t",)


def test_a_bad_term_of_a_list_is_one_error_naming_the_list(tmp_path: Path) -> None:
    """A list used by two clues: its unusable term is said once, at the list's line."""
    clues = "  t:\n    any:\n      - terms: [$odd]\n      - terms: [summit, $odd]\n"
    lines = _error_lines(tmp_path, rules_text(clues, "  odd: [talks, x]\n"))
    assert len(lines) == 1 and "lists.odd" in lines[0] and "too short" in lines[0]


def test_a_list_used_twice_gives_both_clues_its_terms(tmp_path: Path) -> None:
    clues = "  t:\n    any:\n      - terms: [$both]\n  u:\n    any:\n      - terms: [$both]\n"
    rules = load_rules(_write(tmp_path, rules_text(clues, "  both: [$kr, $jp]\n")))
    assert rules.classify("Seoul and Tokyo: Ishiba speaks", "").types == ("t", "u")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(i?)summit", "did you mean '(?i)'"),
        ("summit|", "can match the empty string"),
        ("(summit)*", "can match the empty string"),
        ("summit(", "invalid regular expression"),
        ("(?<=e)s?", "can match the empty string"),
    ],
    ids=["flag-typo", "empty-alternative", "star", "unbalanced", "empty-after-lookbehind"],
)
def test_regex_mistakes_are_config_errors(tmp_path: Path, pattern: str, reason: str) -> None:
    text = rules_text(f"  t:\n    any:\n      - regex: '{pattern}'\n")
    lines = _error_lines(tmp_path, text)
    assert len(lines) == 1
    assert ":14: types.t.any[0].regex: " in lines[0]
    assert reason in lines[0]


@pytest.mark.parametrize("pattern", ["summits? in (?:seoul|tokyo)", "summit(s?) in seoul"])
def test_good_regex_loads(tmp_path: Path, pattern: str) -> None:
    text = rules_text(f"  t:\n    any:\n      - regex: '{pattern}'\n")
    rules = load_rules(_write(tmp_path, text))
    assert rules.classify("Seoul and Tokyo", "Summits in Seoul.").types == ("t",)


def test_an_empty_match_of_a_regex_is_no_match() -> None:
    """A pattern that matches the empty string only after a character no load-time probe
    has is still no clue: its zero-length matches are not counted."""
    from monitor.classify.regexes import regex_hits

    pattern = regex.compile("(?<=ж)s?", regex.IGNORECASE)
    assert regex_hits(pattern, None, "Seoul and Tokyo жz", 0, 20) == []
    assert regex_hits(pattern, None, "Seoul and Tokyo жs", 0, 20) == [(17, "s")]


def test_unknown_key_and_bad_values_are_reported_together(tmp_path: Path) -> None:
    text = rules_text(
        "  t:\n    threshold: 2\n    any:\n      - terms: [summit]\n        wieght: 0.5\n"
    )
    lines = _error_lines(tmp_path, text)
    assert any(":13: types.t.threshold:" in line for line in lines)
    assert any(":16: types.t.any[0].wieght: unknown key" in line for line in lines)


def test_clue_needs_exactly_one_kind(tmp_path: Path) -> None:
    text = rules_text("  t:\n    any:\n      - terms: [a1]\n        regex: 'b1'\n")
    lines = _error_lines(tmp_path, text)
    assert "exactly one of" in lines[0]


@pytest.mark.parametrize("within", ["'8 words'", "8", "'1 sentence'", "'2 sentences'"])
def test_within_forms_are_accepted(within: str) -> None:
    text = rules_text(f"  t:\n    any:\n      - near: [summit, $kr]\n        within: {within}\n")
    assert parse_rules(text).event_types == ("t",)


def test_bad_within_is_rejected(tmp_path: Path) -> None:
    text = rules_text("  t:\n    any:\n      - near: [summit, $kr]\n        within: 8 miles\n")
    lines = _error_lines(tmp_path, text)
    assert "invalid distance" in lines[0] and ":15: types.t.any[0].within" in lines[0]


def test_type_id_must_be_snake_case(tmp_path: Path) -> None:
    lines = _error_lines(tmp_path, rules_text("  Summit-Held:\n    any:\n      - terms: [a1]\n"))
    assert "lower_snake_case" in lines[0] and "types.Summit-Held" in lines[0]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_rules(tmp_path / "nope.yaml")


def _classify_imports() -> dict[str, set[str]]:
    """Module -> the monitor.classify modules it imports, anywhere in its body."""
    import ast

    folder = SHIPPED.parents[2] / "monitor" / "classify"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {n.rsplit(".", 1)[1] for n in names if n.startswith("monitor.classify.")}
        graph[path.stem] = found
    return graph


def test_rule_data_compiler_and_matcher_import_no_cycle() -> None:
    graph = _classify_imports()
    assert graph["compiled"] <= {"schema", "terms"}  # data only: no compiler, no matcher
    assert "match" not in graph["compiler"] and "doc" not in graph["compiler"]
    assert "compiler" not in graph["match"] | graph["doc"]
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name not in done:
            for other in graph.get(name, set()):
                visit(other, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())


def test_no_function_level_imports_in_the_classifier() -> None:
    import ast

    folder = SHIPPED.parents[2] / "monitor" / "classify"
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                assert not inner, f"{path.name}: import inside {node.name}()"


def test_the_poller_s_imports_leave_the_classifier_out_until_it_is_asked_for() -> None:
    import subprocess
    import sys

    heavy = ["monitor.classify.match", "monitor.classify.schema", "monitor.classify.evaluate"]
    probe = (
        "import sys, monitor.cli.daemon; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules)); "
        "from monitor.classify import load_rules, RuleSet; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), callable(load_rules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, after = out.stdout.splitlines()
    assert before == "[]"  # `stmon poll` starts without them: a parser process classifies
    # the package's names still import what they need (the rules: not the evaluation)
    assert after == "['monitor.classify.match', 'monitor.classify.schema'] True"


def test_a_bad_term_of_a_list_used_nowhere_is_an_error_at_its_line(tmp_path: Path) -> None:
    extra = "  unused: [$nested, Suga]\n  nested: ['^Suga']\n  cues: [x]\n"
    text = rules_text("  t:\n    any:\n      - terms: [summit]\n", extra)
    text += "events:\n  postponed: [$cues]\n"  # a list of cues: read as cues, not as terms
    lines = _error_lines(tmp_path, text)
    assert len(lines) == 1  # the bad term once, at its own list
    assert ":12: lists.nested[0]: '^Suga': a leading ^ only applies to Korean terms" in lines[0]


def test_an_unknown_list_among_the_venues_is_shown_at_its_line(tmp_path: Path) -> None:
    text = (
        rules_text("  t:\n    any:\n      - terms: [summit]\n") + "events:\n  venues: [$nolist]\n"
    )
    [line] = _error_lines(tmp_path, text)
    assert ":16: events.venues[0]: unknown list $nolist" in line


def test_a_form_of_a_value_that_was_not_written_gives_no_error(tmp_path: Path) -> None:
    """`none:` takes terms or {terms, within} mappings: a mapping in error is reported as
    one (not also as "not a string"), with no class names in the key path."""
    body = "  t:\n    any:\n      - terms: [alpha]\n        none: [{terms: [beta], in: title}]\n"
    lines = _error_lines(tmp_path, rules_text(body))
    assert [line.split(".yaml:")[1] for line in lines] == [
        "15: types.t.any[0].none[0].in: unknown key",
        "15: types.t.any[0].none[0].within: required key is missing",
    ]
    number = "  t:\n    any:\n      - terms: [alpha]\n        none: [5]\n"
    lines = _error_lines(tmp_path, rules_text(number))  # neither form: both say why
    assert [line.split(".yaml:")[1] for line in lines] == [
        "15: types.t.any[0].none[0]: Input should be a valid string",
        "15: types.t.any[0].none[0]: Input should be a mapping (key: value)",
    ]
