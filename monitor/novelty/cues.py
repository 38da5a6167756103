"""What an item says happened: who took part, when, where, and in which state.

Cues read from the title and the opening of the body, kept small on purpose:

- **Actors** are offices, not names (names change with every cabinet): leader types
  (``summit_*``, ``leaders_call``) are always the South Korean president and the
  Japanese prime minister; ``ministerial_talks`` names the portfolio mentioned first
  (foreign, defense, finance, trade, fisheries; a minister's name counts for the
  portfolio); ``trilateral`` adds the United States or China, whichever comes first;
  every other type is the two countries.
- **Date** (``when_text``): the first month–day date in the title ("Aug. 23",
  "8월 23일", "8月23日"), as "Aug 23". Dates in the body are not used: the opening of
  a report is often a photo caption or a dateline ("speaks ... on June 4").
- **Place**: the first known venue there (display only).
- **State**: ``summit_announced`` is announced and ``summit_held`` held; other meeting
  types follow the label's tense (future: announced, past: held, none: reported).
  A postponement or cancellation cue in the title or lead makes any meeting type
  postponed or cancelled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

LEAD = 300

LEADER_TYPES = frozenset({"summit_announced", "summit_held", "leaders_call"})
MEETING_TYPES = LEADER_TYPES | {"ministerial_talks", "official_exchange", "trilateral"}
LEADERS = ("KR:president", "JP:prime_minister")
COUNTRIES = ("JP", "KR")

PORTFOLIOS: dict[str, tuple[str, ...]] = {
    "foreign": ("foreign minister", "top diplomat", "cho hyun", "cho tae-yul", "iwaya",
                "motegi", "kamikawa", "외교장관", "외교부 장관", "외무상", "외무장관", "外相",
                "外務大臣"),
    "defense": ("defense minister", "defence minister", "ahn gyu-back", "nakatani",
                "국방장관", "국방부 장관", "방위상", "防衛相", "防衛大臣", "国防相"),
    "finance": ("finance minister", "koo yun-cheol", "katayama", "기획재정부 장관", "재무상",
                "財務相"),
    "trade": ("trade minister", "industry minister", "commerce minister", "yeo han-koo",
              "akazawa", "산업통상", "경제산업상", "経済産業相", "経産相"),
    "fisheries": ("fisheries minister", "agriculture minister", "koizumi", "해양수산부",
                  "농림수산상", "農林水産相", "農相"),
}  # fmt: skip
THIRD_PARTIES = {
    "US": ("united states", "u.s.", "washington", "america", "미국", "米国", "日米韓", "韓米日"),
    "CN": ("china", "beijing", "중국", "中国"),
}
PLACES = ("Tokyo", "Seoul", "Osaka", "Busan", "Gyeongju", "Hiroshima", "Kananaskis",
          "Washington", "New York", "Camp David", "Beijing", "Jakarta", "Lima",
          "도쿄", "서울", "부산", "경주", "東京", "ソウル", "釜山", "慶州")  # fmt: skip
POSTPONED = ("postpone", "delayed", "put off", "pushed back", "연기", "延期")
CANCELLED = ("cancel", "called off", "scrapped", "취소", "무산", "中止", "見送")

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b", re.I
)
_CJK_DATE = re.compile(r"(\d{1,2})\s*[월月]\s*(\d{1,2})\s*[일日]")


@dataclass(frozen=True, slots=True)
class Happening:
    """The cues of one item for one event type."""

    actors: tuple[str, ...]
    state: str  # announced | held | postponed | cancelled | reported
    when_text: str | None = None
    place: str | None = None


def lead_of(title: str, text: str) -> str:
    return unicodedata.normalize("NFKC", f"{title}\n{text[:LEAD]}")


def read(event_type: str, tense: str | None, title: str, text: str) -> Happening:
    """The actors, state, date and place an item gives for one of its types."""
    lead, whole, heading = _texts(title, text)
    return Happening(
        actors=actors_of(event_type, whole),
        state=state_of(event_type, tense, lead.lower()),
        when_text=date_of(heading),
        place=place_of(lead),
    )


@lru_cache(maxsize=64)
def _texts(title: str, text: str) -> tuple[str, str, str]:
    """An item's lead, its whole text lower-cased and its title (NFKC), read once per item."""
    whole = unicodedata.normalize("NFKC", f"{title}\n{text}").lower()
    return lead_of(title, text), whole, unicodedata.normalize("NFKC", title)


def _first(text: str, terms: tuple[str, ...]) -> int:
    """Position of the first term found in ``text`` (lower-cased), or -1."""
    hits = [text.find(term) for term in terms]
    hits = [h for h in hits if h >= 0]
    return min(hits) if hits else -1


def _earliest(text: str, options: dict[str, tuple[str, ...]]) -> str | None:
    found = [(pos, name) for name, terms in options.items() if (pos := _first(text, terms)) >= 0]
    return min(found)[1] if found else None


def actors_of(event_type: str, text: str) -> tuple[str, ...]:
    if event_type in LEADER_TYPES:
        return LEADERS
    if event_type == "ministerial_talks":
        portfolio = _earliest(text, PORTFOLIOS) or "cabinet"
        return (f"JP:{portfolio}_minister", f"KR:{portfolio}_minister")
    if event_type == "trilateral":
        third = _earliest(text, THIRD_PARTIES)
        return tuple(sorted({*COUNTRIES, third} if third else set(COUNTRIES)))
    return COUNTRIES


def state_of(event_type: str, tense: str | None, lead: str) -> str:
    if event_type in MEETING_TYPES:
        if _first(lead, CANCELLED) >= 0:
            return "cancelled"
        if _first(lead, POSTPONED) >= 0:
            return "postponed"
    if event_type == "summit_announced":
        return "announced"
    if event_type == "summit_held":
        return "held"
    if event_type in MEETING_TYPES and tense in ("future", "past"):
        return "announced" if tense == "future" else "held"
    return "reported"


def date_of(title: str) -> str | None:
    found: list[tuple[int, int, int]] = []
    if match := _EN_DATE.search(title):
        found.append((match.start(), _MONTHS.index(match.group(1).lower()) + 1,
                      int(match.group(2))))  # fmt: skip
    if match := _CJK_DATE.search(title):
        found.append((match.start(), int(match.group(1)), int(match.group(2))))
    for _, month, day in sorted(found):
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{_MONTHS[month - 1].capitalize()} {day}"
    return None


def place_of(lead: str) -> str | None:
    found = [(pos, p) for p in PLACES if (pos := lead.find(p)) >= 0]
    return min(found)[1] if found else None


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
