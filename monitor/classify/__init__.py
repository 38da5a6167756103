"""Classify items against the Seoul–Tokyo event types with YAML rules.

Rule semantics (docs/rules.md has the full language with examples):

- Text: title and body are normalised (NFKC, middle dots dropped, dashes unified,
  whitespace collapsed) and lower-cased. Latin-script terms match on word boundaries
  with simple plurals (``=US``: only as written, case included); Korean and Japanese
  terms match as substrings.
- ``lists``: named term lists, used anywhere as ``$name`` (lists may include lists).
- ``topic``: the relevance gate. Every side must be mentioned (in the title, or at
  least ``min_mentions`` times in the body; once in a body of at most ``short_body``
  characters), some mentions of all sides must lie ``within`` the given distance, and
  no ``none`` term may match.
- ``types``: per event type, ``all`` term groups must be present and no ``none`` term
  may match; then each clue of ``any`` that matches adds its ``weight`` once (times
  ``defaults.title_weight`` when it matches in the title). The score is that sum,
  capped at 1; the type is assigned when the score reaches its ``threshold`` (with
  ``lead: N``, only when a match that counted is in the title or the body's first N
  sentences; with ``stated_beside``, beside those types only when a clue with its own
  tense counted).
- ``tense``: cues for announced (future) and held (past) events. A match takes the
  tense of its clue when the clue has one (``tense:`` on a clue whose phrase states
  it), else of the nearest cue in its sentence. A type with ``tense: future`` ignores
  matches with a past cue and needs future-cued clues to outweigh past-cued ones;
  ``tense: past`` the reverse (uncued matches count for both). Every label carries
  the tense of its evidence.

Evaluation order, per item:

1. normalise title and body; automaton passes find every term hit;
2. the topic gate; when it fails the item is not relevant and no type is scored;
3. each type in file order: ``all`` → ``none`` → clues (terms, all, near, regex;
   the clue's ``in``, ``none`` (same sentence, or a given distance of the match) and
   tense filters apply to each of its matches);
4. the item is relevant when at least one type reached its threshold.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.classify.evaluate import EvalReport, read_corpus
    from monitor.classify.explain import Change, diff_rulesets, format_changes
    from monitor.classify.rules import load_rules, parse_rules
    from monitor.classify.ruleset import RuleSet
    from monitor.classify.schema import rules_json_schema

# What the package gives, imported when first asked for: the poller imports
# ``monitor.classify.stage`` at start-up and needs the classifier itself only when it
# classifies an item (a parser process usually does), so importing the package must not
# import the matcher, the rules schema and the evaluation (~45 ms). The functions named
# like their modules (``evaluate.evaluate``, ``explain.explain``) are imported from those
# modules: once a submodule is imported, its name in the package is the module.
_EXPORTS = {
    "Change": "explain",
    "EvalReport": "evaluate",
    "RuleSet": "ruleset",
    "diff_rulesets": "explain",
    "format_changes": "explain",
    "load_rules": "rules",
    "parse_rules": "rules",
    "read_corpus": "evaluate",
    "rules_json_schema": "schema",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Change",
    "EvalReport",
    "RuleSet",
    "diff_rulesets",
    "format_changes",
    "load_rules",
    "parse_rules",
    "read_corpus",
    "rules_json_schema",
]
