"""Meetings as an iCalendar feed (`stmon calendar --ics`, the web page `/calendar.ics`).

Each event has a stable UID and a SEQUENCE that grows with each state change, so a
calendar that subscribes to the feed sees a meeting move to held, postponed or
cancelled.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from monitor.alert.message import label_for

# iCalendar STATUS of an event's state (RFC 5545 3.8.1.11)
STATUS = {"announced": "CONFIRMED", "held": "CONFIRMED", "postponed": "TENTATIVE",
          "cancelled": "CANCELLED", "reported": "TENTATIVE"}  # fmt: skip


def ics_feed(records: list[dict[str, Any]], now: datetime) -> bytes:
    """The events as an iCalendar document (all-day events over the days they take place)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//stmon//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "stmon meetings")
    for r in records:
        event = Event()
        event.add("uid", f"{r['uid']}@stmon")
        event.add("dtstamp", r["changed"] or now)
        event.add("dtstart", _day(r["start"]))
        event.add("dtend", _day(r["end"]))
        event.add("summary", _summary(r))
        event.add("status", STATUS.get(r["state"], "TENTATIVE"))
        event.add("sequence", r["changes"])
        event.add("categories", [r["type"]])
        if r["place"]:
            event.add("location", r["place"])
        event.add(
            "description",
            f"{label_for(r['type'])}, {r['state']} ({r['when']}). Watch {r['watch']}; "
            f"{', '.join(r['actors'])}. Event {r['uid']}: {r['headline']}",
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _day(value: date) -> date:
    return value if not isinstance(value, datetime) else value.date()


def _summary(record: dict[str, Any]) -> str:
    state = record["state"]
    prefix = f"{state.capitalize()}: " if state in ("postponed", "cancelled", "held") else ""
    return f"{prefix}{label_for(record['type'])}: {record['headline']}"
