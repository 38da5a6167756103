"""Rule sets from rules files: read, validate (schema.py) and compile (compiler.py) them
into a :class:`~monitor.classify.ruleset.RuleSet`."""

from __future__ import annotations

from pathlib import Path

from monitor.classify.compiler import compile_document
from monitor.classify.ruleset import RuleSet
from monitor.config.yamlload import Document, load_yaml, parse_yaml

__all__ = ["RuleSet", "compile_rules", "load_rules", "parse_rules"]


def load_rules(path: str | Path) -> RuleSet:
    """Read, validate and compile a rules file; raises ConfigError(s) with file:line."""
    return compile_rules(load_yaml(path))


def parse_rules(text: str, name: str = "<rules>") -> RuleSet:
    """Compile rules given as YAML text (tests, `stmon rules test` on stdin)."""
    return compile_rules(parse_yaml(text, name))


def compile_rules(document: Document) -> RuleSet:
    """Validate and compile a parsed rules document (its file's name as its path)."""
    return compile_document(document, Path(document.file))
