"""What happens to items stored for the first time: classify, then hand on.

``Pipeline.process`` runs inside the transaction that inserted the items, so an item,
its classifications (and, later stages: its story, event and alert rows) are committed
together or not at all. Each watch classifies the items of the feeds it covers with
its own rules; an item is relevant when any watch finds it so. The verdicts of a batch
are written with one insert of classifications and one (executemany) update of the items
not stored with their relevance (``relevance`` gives it before the insert, when the
verdicts came with the items from a parser process).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from monitor.classify import RuleSet
    from monitor.metrics import Metrics
from monitor.log import log_event
from monitor.model import Classification, Classified, Item, Label, StoredItem
from monitor.store.db import Session
from monitor.store.items import record_verdicts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WatchRules:
    """A watch's compiled rules and the feeds it covers."""

    name: str
    rules: RuleSet
    feeds: frozenset[str]


class NextStage(Protocol):
    """Novelty and alerting plug in here."""

    def handle(self, session: Session, items: Sequence[Classified], now: datetime) -> None: ...


class Pipeline:
    def __init__(
        self,
        watches: Sequence[WatchRules],
        next_stage: NextStage | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.watches = tuple(watches)
        self.next_stage = next_stage
        self.metrics = metrics

    def rules_for(self, feed: str) -> tuple[tuple[str, RuleSet], ...]:
        """(watch, rules) of the watches that cover ``feed``: what a parser process needs
        to classify its items as :meth:`process` would."""
        return tuple((w.name, w.rules) for w in self.watches if feed in w.feeds)

    def relevance(
        self,
        feed: str,
        item: Item,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]],
    ) -> bool | None:
        """Whether :meth:`process` will find ``item`` (of ``feed``) relevant, when
        ``verdicts`` hold every verdict it needs (each watch covering the feed); else None."""
        known = verdicts.get((item.title, item.text), {})
        relevant = False
        for watch in self.watches:
            if feed not in watch.feeds:
                continue
            verdict = known.get(watch.name)
            if verdict is None:
                return None
            relevant = relevant or verdict.relevant
        return relevant

    def process(
        self,
        session: Session,
        items: list[StoredItem],
        now: datetime,
        verdicts: Mapping[tuple[str, str], Mapping[str, Classification]] | None = None,
    ) -> None:
        """Classify ``items`` (each watch's verdict given in ``verdicts``, by the item's
        title and text, is taken as it is: the same rules gave it in a parser process),
        record the verdicts and hand them on."""
        labels: list[tuple[int, Label]] = []
        marks: list[tuple[int, bool]] = []
        given = verdicts or {}
        classified = [self._classify(stored, labels, marks, given) for stored in items]
        record_verdicts(session, labels, marks, now)
        if self.next_stage is not None:
            self.next_stage.handle(session, classified, now)

    def _classify(
        self,
        stored: StoredItem,
        labels: list[tuple[int, Label]],
        marks: list[tuple[int, bool]],
        given: Mapping[tuple[str, str], Mapping[str, Classification]],
    ) -> Classified:
        """Classify one item; its best labels and relevance go to ``labels``/``marks``."""
        verdicts: dict[str, Classification] = {}
        best: dict[str, Label] = {}  # event type -> the best label any watch gave
        known = given.get((stored.item.title, stored.item.text), {})
        for watch in self.watches:
            if stored.feed not in watch.feeds:
                continue
            verdict = known.get(watch.name)
            if verdict is None:
                verdict = watch.rules.classify(stored.item.title, stored.item.text)
            verdicts[watch.name] = verdict
            for label in verdict.labels:
                kept = best.get(label.event_type)
                if kept is None or label.score > kept.score:
                    best[label.event_type] = label
        labels.extend((stored.id, label) for label in best.values())
        if self.metrics is not None and best:
            self.metrics.record_classification(best.keys())
        relevant = any(v.relevant for v in verdicts.values())
        if stored.relevant != relevant:  # (stored with it: no update)
            marks.append((stored.id, relevant))
        if relevant:
            log_event(
                log,
                logging.INFO,
                "item_classified",
                item=stored.id,
                feed=stored.feed,
                types=",".join(sorted(best)),
                title=stored.item.title[:120],
            )
        return Classified(stored, verdicts)
