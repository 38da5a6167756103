"""Human text for a verdict (why an item matched or did not) and for rule changes.

``diff_rulesets`` re-classifies items with two rule sets and returns what changed;
``format_changes`` renders that for ``stmon rules test``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.classify.doc import Doc, Prepared
from monitor.classify.match import verdict
from monitor.classify.ruleset import RuleSet
from monitor.classify.terms import scan
from monitor.model import Classification, Evidence


def explain(
    verdict: Classification,
    rules: RuleSet | None = None,
    gate_failed: Sequence[str] | None = None,
) -> str:
    """Several lines: relevance with the gate evidence, then each label and its evidence.

    ``gate_failed`` (:func:`~monitor.classify.nearmiss.gate_reasons`) tells an item that
    passed the topic gate and matched no type (no reasons) from one the gate stopped, and
    why it stopped it; without it, an irrelevant item with no scores is taken to have been
    stopped by the gate."""
    lines = [f"relevant: {'yes' if verdict.relevant else 'no'}"]
    found = {e.rule.split(".", 1)[1] for e in verdict.gate_evidence if e.rule != "topic.none"}
    for ev in verdict.gate_evidence:
        if ev.rule == "topic.none":
            lines.append(f"  excluded by '{ev.term}' in the {ev.where}")
        else:
            lines.append(f"  {ev.rule}: '{ev.term}' ({ev.where}, {ev.weight:g} mentions)")
    if rules is not None:
        for side, _ in rules.topic.sides:
            if side not in found:
                lines.append(f"  topic.{side}: not mentioned")
    if gate_failed is None:
        gate_passed = verdict.relevant or bool(verdict.scores)
    else:
        gate_passed = not gate_failed
    if not gate_passed and (verdict.gate_evidence or gate_failed):
        reasons = "; ".join(gate_failed or ())
        because = f": {reasons}" if reasons else ""
        lines.append(f"  (the topic gate did not pass{because}; see docs/rules.md, 'topic')")
    elif gate_passed and not verdict.relevant and not verdict.scores:
        lines.append("  (the topic gate passed, but no type was scored: see the near misses)")
    thresholds = {t.id: t.threshold for t in rules.types} if rules is not None else {}
    for label in verdict.labels:
        tense = f", {label.tense}" if label.tense else ""
        threshold = thresholds.get(label.event_type, 0.0)
        why = (
            f" (below its threshold {threshold:.2f}: the best type of an item whose title"
            " names every side; defaults.fallback)"
            if label.score < threshold
            else ""
        )
        lines.append(f"{label.event_type} {label.score:.2f}{tense}{why}")
        lines.extend("  " + evidence_line(ev) for ev in label.evidence)
    assigned = set(verdict.types)
    below = {k: v for k, v in verdict.scores.items() if k not in assigned}
    if below:
        text = ", ".join(f"{k} {v:.2f}" for k, v in sorted(below.items(), key=lambda kv: -kv[1]))
        lines.append(f"below threshold: {text}")
    return "\n".join(lines)


def evidence_line(ev: Evidence) -> str:
    """``summit_held.leaders meet +0.70 title: 'summit + Lee + Ishiba' «…snippet…»``."""
    snippet = f" «{ev.snippet}»" if ev.snippet else ""
    return f"{ev.rule} +{ev.weight:.2f} {ev.where}: '{ev.term}'{snippet}"


@dataclass(frozen=True, slots=True)
class Change:
    """How one item's verdict differs between the old and the new rules."""

    id: str
    title: str
    added: tuple[str, ...]  # types the new rules assign and the old did not (new matches)
    removed: tuple[str, ...]  # types the old rules assigned and the new do not (lost matches)
    relevant_before: bool
    relevant_after: bool
    new: Classification

    @property
    def relevance_changed(self) -> bool:
        return self.relevant_before != self.relevant_after


def diff_rulesets(
    old: RuleSet, new: RuleSet, items: Iterable[tuple[str, str, str]]
) -> list[Change]:
    """Items (id, title, text) whose labels or relevance differ between ``old`` and ``new``.

    Each item's text is normalised once for both rule sets, and scanned once when both
    have the same terms (an edit of weights, thresholds or clues)."""
    changes: list[Change] = []
    same_terms = old.terms.same_forms(new.terms)
    for item_id, title, text in items:
        item = Prepared(title, text)
        hits = scan(old.terms, item.low) if same_terms else None
        before, after = verdict(Doc(old, item, hits)), verdict(Doc(new, item, hits))
        was, now = set(before.types), set(after.types)
        if was == now and before.relevant == after.relevant:
            continue
        changes.append(
            Change(
                id=item_id,
                title=title,
                added=tuple(sorted(now - was)),
                removed=tuple(sorted(was - now)),
                relevant_before=before.relevant,
                relevant_after=after.relevant,
                new=after,
            )
        )
    return changes


def format_changes(changes: list[Change], total: int | None = None) -> str:
    """Text for `stmon rules test`: one block per changed item, then a summary."""
    lines: list[str] = []
    for change in changes:
        lines.append(f"{change.id}: {change.title}")
        if change.relevance_changed:
            was = "relevant" if change.relevant_before else "not relevant"
            now = "relevant" if change.relevant_after else "not relevant"
            lines.append(f"  relevance: {was} -> {now}")
        for event_type in change.added:
            lines.append(f"  + {event_type} (new match)")
            label = next(x for x in change.new.labels if x.event_type == event_type)
            lines.extend("      " + evidence_line(ev) for ev in label.evidence)
        for event_type in change.removed:
            score = change.new.scores.get(event_type, 0.0)
            lines.append(f"  - {event_type} (lost match; new score {score:.2f})")
    added = sum(len(c.added) for c in changes)
    removed = sum(len(c.removed) for c in changes)
    of = f" of {total}" if total is not None else ""
    lines.append(f"{len(changes)}{of} items change: {added} new matches, {removed} lost matches")
    return "\n".join(lines)
