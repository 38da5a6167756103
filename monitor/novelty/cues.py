"""What an item says happened: who took part, when, where, and in which state.

What to look for is declared per watch in its rules file (``events:``, compiled to
``monitor.model.EventKnowledge``; docs/rules.md). Cues are read from the title and the
opening of the body, kept small on purpose:

- **Actors** are offices, not names (names change with every cabinet): a meeting type
  lists its actors, or takes ``portfolio`` (each party's minister of the portfolio named
  first; a minister's name counts for the portfolio; ``cabinet`` when none is named),
  or ``third_party`` (the parties and the third country named first). Every other type
  is the parties.
- **Date** (``when``, ``monitor.novelty.dates``): the first date in the title ("Aug. 23",
  "8월 23일", "8月23日", "next month", "next week"), resolved against the item's
  publication date; for an announcement without one there, the first date in the lead
  that lies ahead of publication (the opening of a report is often a photo caption or
  a dateline of something past: "speaks ... on June 4").
- **Place**: the first venue there (display only).
- **State**: a type with a lifecycle is announced, a type of its later state is that
  state (held, postponed, cancelled); other meeting types follow the label's tense
  (future: announced, past: held, none: reported). A postponement or cancellation cue
  in the title or lead makes any meeting type postponed or cancelled.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from monitor.model import EventKnowledge
from monitor.novelty.dates import When, read_when

LEAD = 300


@dataclass(frozen=True, slots=True)
class Happening:
    """The cues of one item for one event type."""

    actors: tuple[str, ...]
    state: str  # announced | held | postponed | cancelled | reported
    when: When | None = None
    place: str | None = None


def lead_of(title: str, text: str) -> str:
    return unicodedata.normalize("NFKC", f"{title}\n{text[:LEAD]}")


def read(
    known: EventKnowledge,
    event_type: str,
    tense: str | None,
    title: str,
    text: str,
    published: date,
) -> Happening:
    """The actors, state, date (resolved against ``published``) and place an item gives
    for one of its types."""
    lead, lower, whole, heading = _texts(title, text)
    state = state_of(known, event_type, tense, lower)
    return Happening(
        actors=actors_of(known, event_type, whole),
        state=state,
        when=date_of(heading, lead, state, published),
        place=place_of(known, lead),
    )


@lru_cache(maxsize=64)
def _texts(title: str, text: str) -> tuple[str, str, str, str]:
    """An item's lead (as written and lower-cased), its whole text lower-cased and its
    title (NFKC), read once per item."""
    whole = unicodedata.normalize("NFKC", f"{title}\n{text}").lower()
    lead = lead_of(title, text)
    return lead, lead.lower(), whole, unicodedata.normalize("NFKC", title)


def _first(text: str, terms: tuple[str, ...]) -> int:
    """Position of the first term found in ``text`` (lower-cased), or -1."""
    best = -1
    for term in terms:
        # after a hit, only an earlier one matters: search no further than it
        pos = text.find(term) if best < 0 else text.find(term, 0, best + len(term) - 1)
        if pos >= 0:
            best = pos
    return best


def _earliest(text: str, options: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The option whose terms occur first in ``text`` (at the same place: the first name)."""
    found = [(pos, name) for name, terms in options if (pos := _first(text, terms)) >= 0]
    return min(found)[1] if found else None


def actors_of(known: EventKnowledge, event_type: str, text: str) -> tuple[str, ...]:
    actors = known.meetings.get(event_type, "parties")
    if isinstance(actors, tuple):
        return actors
    if actors == "portfolio":
        portfolio = _earliest(text, known.portfolios) or "cabinet"
        return tuple(f"{party}:{portfolio}_minister" for party in known.parties)
    if actors == "third_party":
        third = _earliest(text, known.third_parties)
        return tuple(sorted({*known.parties, third} if third else set(known.parties)))
    return known.parties


def state_of(known: EventKnowledge, event_type: str, tense: str | None, lead: str) -> str:
    meeting = event_type in known.meeting_types
    if meeting:
        if _first(lead, known.cancelled) >= 0:
            return "cancelled"
        if _first(lead, known.postponed) >= 0:
            return "postponed"
    if event_type in known.later:
        return known.later[event_type][1]
    if event_type in known.announced:
        return "announced"
    if meeting and tense in ("future", "past"):
        return "announced" if tense == "future" else "held"
    return "reported"


def date_of(heading: str, lead: str, state: str, published: date) -> When | None:
    """The date of the title; for an announcement, else the first date in the lead if it
    lies after the day of publication."""
    if (found := read_when(heading, published)) is not None:
        return found
    if state in ("announced", "postponed"):
        found = read_when(lead, published)
        if found is not None and found.start > published:
            return found
    return None


def place_of(known: EventKnowledge, lead: str) -> str | None:
    """The venue named first in ``lead`` (at the same place: the first in order)."""
    best: tuple[int, str] | None = None
    for venue in known.venues:
        # after a hit, only one as early or earlier matters: search no further
        end = len(lead) if best is None else best[0] + len(venue)
        pos = lead.find(venue, 0, end)
        if pos >= 0 and (best is None or (pos, venue) < best):
            best = (pos, venue)
    return None if best is None else best[1]


# State changes that are news: from the state an event is in, to the state an item reports.
NEWS_TRANSITIONS = frozenset({
    ("announced", "held"), ("announced", "postponed"), ("announced", "cancelled"),
    ("postponed", "held"), ("postponed", "cancelled"),
    ("reported", "postponed"), ("reported", "cancelled"),
})  # fmt: skip
# Changes recorded without news: a vague report made definite.
QUIET_TRANSITIONS = frozenset({("reported", "announced"), ("reported", "held")})


def transition(current: str, reported: str) -> tuple[str, bool]:
    """The event's state after an item reporting ``reported``, and whether that is news."""
    if (current, reported) in NEWS_TRANSITIONS:
        return reported, True
    if (current, reported) in QUIET_TRANSITIONS:
        return reported, False
    return current, False
