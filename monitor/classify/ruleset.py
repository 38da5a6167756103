"""A compiled rule set that classifies items (match.py).

A rule set pickles (its term table leaves its automata out and builds them again on
first use), and this module imports neither the compiler nor what compiling takes
(pydantic, the YAML reader): the poller sends its compiled rule sets to its parser
processes, which load them with this module, the matcher and little else, and neither
validate nor compile anything before their first document.
"""

from __future__ import annotations

from monitor.classify.compiled import CompiledRules
from monitor.classify.match import classify
from monitor.model import Classification


class RuleSet(CompiledRules):
    """Compiled rules: call :meth:`classify` for a verdict with evidence."""

    def classify(self, title: str, text: str) -> Classification:
        """The verdict on one item, with evidence."""
        return classify(self, title, text)
