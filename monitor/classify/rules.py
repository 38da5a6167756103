"""Rule sets: load a rules file (compiler.py) and classify items with it (match.py)."""

from __future__ import annotations

from pathlib import Path

from monitor.classify.compiled import CompiledRules
from monitor.classify.compiler import compile_document
from monitor.classify.match import classify
from monitor.config.yamlload import Document, load_yaml, parse_yaml
from monitor.model import Classification


class RuleSet(CompiledRules):
    """Compiled rules: call :meth:`classify` for a verdict with evidence."""

    # the parsed YAML they were compiled from: a parser process compiles the same rules
    # from it (``compile_rules``) to classify items on another core
    document: Document | None = None

    @classmethod
    def of(cls, rules: CompiledRules) -> RuleSet:
        return cls(
            path=rules.path,
            spec=rules.spec,
            terms=rules.terms,
            topic=rules.topic,
            types=rules.types,
            tense=rules.tense,
            events=rules.events,
        )

    def classify(self, title: str, text: str) -> Classification:
        """The verdict on one item, with evidence."""
        return classify(self, title, text)


def load_rules(path: str | Path) -> RuleSet:
    """Read, validate and compile a rules file; raises ConfigError(s) with file:line."""
    return compile_rules(load_yaml(path))


def parse_rules(text: str, name: str = "<rules>") -> RuleSet:
    """Compile rules given as YAML text (tests, `stmon rules test` on stdin)."""
    return compile_rules(parse_yaml(text, name))


def compile_rules(document: Document) -> RuleSet:
    """Validate and compile a parsed rules document (its file's name as its path)."""
    rules = RuleSet.of(compile_document(document, Path(document.file)))
    rules.document = document
    return rules
