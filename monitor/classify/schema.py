"""The pydantic schema of a rules file (see docs/rules.md for the language).

Validation here is about shape: keys, types, ranges. Term lists are plain strings
here; ``$name`` references are resolved and patterns compiled in ``rules.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_WITHIN = re.compile(r"^\s*(\d+)\s*(words?|sentences?)?\s*$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_within(value: int | str) -> tuple[int, str]:
    """``8`` or ``"8 words"`` → (8, "words"); ``"2 sentences"`` → (2, "sentences")."""
    if isinstance(value, bool):
        raise ValueError("within must be a number of words or 'N sentences'")
    if isinstance(value, int):
        count, unit = value, "words"
    else:
        match = _WITHIN.match(value)
        if not match:
            raise ValueError(f"invalid distance '{value}' (use e.g. 8, '8 words', '1 sentence')")
        count, unit = int(match.group(1)), (match.group(2) or "words")
        unit = "sentences" if unit.startswith("sentence") else "words"
    if count < 1:
        raise ValueError("within must be at least 1")
    return count, unit


def _check_within(value: int | str) -> int | str:
    parse_within(value)
    return value


Within = Annotated[int | str, AfterValidator(_check_within)]
Where = Literal["any", "title", "body"]
TermList = Annotated[list[str], Field(min_length=1)]
# One term group inside all/near: a list of terms, or a single term or $list.
Group = TermList | str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Filter(Strict):
    """Terms that must not appear (``in`` the title, the body or anywhere), unless a term
    of every ``unless`` group appears there too (or in ``unless_in``)."""

    terms: TermList
    in_: Where = Field("any", alias="in")
    unless: list[Group] = Field(
        default_factory=list,
        description="term groups: when a term of each is in the same place (`in`, or "
        "`unless_in`), the terms do not veto",
    )
    unless_in: Where | None = Field(
        None, description="where the `unless` groups are looked for (default: `in`)"
    )

    @model_validator(mode="after")
    def _unless_in_needs_unless(self) -> Filter:
        if self.unless_in is not None and not self.unless:
            raise ValueError("unless_in without unless: there are no groups to look for")
        return self


class NoneNear(Strict):
    """Terms that veto a clue's match only ``within`` this distance of it."""

    terms: TermList
    within: Within = Field(description="'4 words' (in the match's sentence) or 'N sentences'")


class Clue(Strict):
    """One piece of evidence for an event type; adds ``weight`` to its score once."""

    name: str | None = Field(None, description="label shown in evidence (default: its kind)")
    terms: TermList | None = Field(None, description="any of these terms")
    all: Annotated[list[Group], Field(min_length=2)] | None = Field(
        None, description="every one of these term groups, anywhere in the item"
    )
    near: Annotated[list[Group], Field(min_length=2)] | None = Field(
        None, description="one term of each group within `within` of the first group's term"
    )
    regex: str | None = Field(None, description="a regular expression (case-insensitive)")
    within: Within | None = Field(None, description="for near: 8, '8 words' or '1 sentence'")
    in_: Where = Field("any", alias="in", description="where the clue must match")
    weight: float = Field(0.5, gt=0, le=1)
    none: list[str | NoneNear] = Field(
        default_factory=list,
        description="a match in the same sentence as one of these is ignored "
        "({terms, within}: only this close to the match)",
    )
    min_sentences: int = Field(
        1, ge=1, description="the clue must match in at least this many different sentences"
    )
    tense: Literal["future", "past"] | None = Field(
        None,
        description="the clue's phrase states its tense: its matches take this tense "
        "instead of the nearest tense cue's",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Clue:
        kinds = [k for k in ("terms", "all", "near", "regex") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a clue needs exactly one of: terms, all, near, regex")
        if self.within is not None and self.near is None:
            raise ValueError("within only applies to near")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("terms", "all", "near", "regex") if getattr(self, k) is not None)


class EventType(Strict):
    description: str = ""
    threshold: float | None = Field(None, gt=0, le=1, description="default: defaults.threshold")
    tense: Literal["future", "past"] | None = Field(
        None, description="future: needs announced-cues to outweigh held-cues; past: the reverse"
    )
    lead: int | None = Field(
        None,
        ge=1,
        description="the type counts only when one of its matches is in the title or the "
        "body's first N sentences, or a clue with its own tense matched (an event first "
        "named deeper in the body, and not stated, is background)",
    )
    background: Group | None = Field(
        None,
        description="terms that date a sentence as earlier ('last year', '3月には', '2019년'): "
        "past the type's lead, a match in such a sentence does not count (it recalls an "
        "event); needs lead",
    )
    stated_beside: list[str] = Field(
        default_factory=list,
        description="when one of these types is assigned too, this type counts only when a "
        "clue with its own tense matched (a report of a held summit states the next one)",
    )
    all: list[Group] = Field(
        default_factory=list,
        description="term groups that must all be present, else the type is not scored",
    )
    none: list[str | Filter] = Field(
        default_factory=list, description="terms that veto the type (plain strings: anywhere)"
    )
    any: Annotated[list[Clue], Field(min_length=1)]


class Topic(Strict):
    sides: dict[str, TermList] = Field(description="every side must be mentioned")
    min_mentions: int = Field(
        1, ge=1, description="body mentions a side needs when the title does not name it"
    )
    short_body: int | None = Field(
        None,
        ge=1,
        description="a body of at most this many characters (a brief) needs one mention "
        "of a side, whatever min_mentions says",
    )
    within: Within | None = Field(None, description="some mentions of all sides this close")
    none: list[str | Filter] = Field(default_factory=list, description="vetoes relevance")

    @model_validator(mode="after")
    def _two_sides(self) -> Topic:
        if len(self.sides) < 2:
            raise ValueError("the topic gate needs at least two sides")
        return self


class Tense(Strict):
    future: TermList = Field(
        description="cues that an event lies ahead (will, to hold, 예정, 予定)"
    )
    past: TermList = Field(
        description="cues that an event took place (held, met, 열렸다, 会談した)"
    )
    within: Within = Field(12, description="a cue counts this close to a match, same sentence")
    headline_future: bool = Field(
        False,
        description="a match in a headline written in Korean or Japanese with no cue of its "
        "own is future when the body's first sentence has future cues and no past one "
        "(those headlines drop the tense: '…총리와 정상회담', '…首脳会談'; the lead "
        "sentence says it)",
    )


class Defaults(Strict):
    threshold: float = Field(0.5, gt=0, le=1, description="score at which a type is assigned")
    title_weight: float = Field(2.0, ge=1, le=5, description="multiplier for a clue in the title")
    within: Within = Field(10, description="default distance for near")
    fallback: float | None = Field(
        None,
        gt=0,
        le=1,
        description="an item whose title names every side of the topic but that reaches "
        "no type's threshold gets its best-scoring type when that scores at least this "
        "(default: never)",
    )


class Meeting(Strict):
    """An event type that is a meeting, and of whom."""

    actors: list[str] | Literal["parties", "portfolio", "third_party"] = Field(
        "parties",
        description="who meets: a list of actor ids (e.g. KR:president), 'parties' (the "
        "sides of events.parties), 'portfolio' (each party's minister of the portfolio the "
        "item names first) or 'third_party' (the parties and the first third party named)",
    )


class Lifecycle(Strict):
    """The types that report a later state of an announced meeting of this type."""

    held: str | None = Field(None, description="a type reporting the meeting took place")
    postponed: str | None = Field(None, description="a type reporting it was postponed")
    cancelled: str | None = Field(None, description="a type reporting it was called off")


class Events(Strict):
    """What the event stage reads from items of this watch (see docs/rules.md, "Events").

    Cue terms match case-insensitively inside words, in the title and the item's text
    (venues, postponement and cancellation cues: the title and the opening of the body).
    Term lists may use ``$name`` references to ``lists``.
    """

    parties: list[str] | None = Field(
        None, description="the sides as actor ids, e.g. [JP, KR] (default: the topic's sides)"
    )
    meetings: dict[str, Meeting] = Field(
        default_factory=dict, description="event types that are meetings, and of whom"
    )
    lifecycle: dict[str, Lifecycle] = Field(
        default_factory=dict,
        description="announced type -> the types of its later states; an item of a later "
        "type moves the announced event along instead of opening another",
    )
    postponed: list[str] = Field(default_factory=list, description="postponement cues")
    cancelled: list[str] = Field(default_factory=list, description="cancellation cues")
    venues: list[str] = Field(
        default_factory=list, description="places shown with an event (matched as written)"
    )
    portfolios: dict[str, TermList] = Field(
        default_factory=dict,
        description="portfolio -> terms naming its minister (offices and names)",
    )
    third_parties: dict[str, TermList] = Field(
        default_factory=dict, description="actor id of a third country -> terms naming it"
    )


class RulesFile(Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        title="stmon rules file",
        json_schema_extra={"$comment": "see docs/rules.md"},
    )

    version: Literal[1] = 1
    defaults: Defaults = Field(default_factory=Defaults)
    lists: dict[str, TermList] = Field(default_factory=dict, description="named term lists: $name")
    tense: Tense | None = None
    not_inside: dict[str, TermList] = Field(
        default_factory=dict,
        description="term -> longer words that hold it without meaning it (no hit there counts)",
    )
    topic: Topic
    types: Annotated[dict[str, EventType], Field(min_length=1)]
    events: Events | None = Field(None, description="event knowledge: meetings, lifecycle, cues")


def rules_json_schema() -> dict[str, object]:
    """The JSON Schema of a rules file (docs/schema/rules.schema.json is generated from it)."""
    schema = RulesFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
