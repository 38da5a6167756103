"""`stmon calendar`: announced meetings with their dates, as a table and an iCalendar feed."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from monitor.cli import calendar_cmd
from monitor.store.db import Database
from tests.support.novelty_data import T0, ingest, make_item, stage, verdict

PLAN = "President Lee Jae Myung will visit Tokyo for a summit with Prime Minister Ishiba."


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="stmon")
    calendar_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


def vevents(path: Path) -> dict[str, dict[str, object]]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {
        str(e["uid"]): {
            "start": e.decoded("dtstart"),
            "end": e.decoded("dtend"),
            "status": str(e["status"]),
            "sequence": int(e["sequence"]),
            "summary": str(e["summary"]),
            "location": str(e.get("location", "")),
        }
        for e in calendar.walk("VEVENT")
    }


def calendar_page(db: Database) -> bytes:
    """``/calendar.ics`` of the web pages over this store, answered in-process."""
    import asyncio

    import httpx

    from monitor.config.schema import Config
    from monitor.web.app import create_app
    from monitor.web.desk import Desk

    config = Config.model_validate({})
    app = create_app(Desk(db, lambda: config))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/calendar.ics")

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return response.content


def test_calendar_lists_dated_meetings_and_the_feed_follows_their_state(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    novelty = stage()
    tokyo = make_item("Lee to visit Tokyo on Aug. 23 for summit", PLAN, published=at(0))
    undated = make_item("Lee, Ishiba to meet", PLAN + " No date yet.", published=at(0.5))
    ingest(db, novelty, [(tokyo, verdict("summit_announced"))], at(0))
    call = verdict("leaders_call", tense={"leaders_call": "future"})
    ingest(db, novelty, [(undated, call)], at(0.5))

    code, out = run_cli(capsys, "calendar", "--db", db.url, "--json")
    [record] = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert (record["when"], record["state"], record["type"]) == (
        "2025-08-23",
        "announced",
        "summit_announced",
    )
    code, table = run_cli(capsys, "calendar", "--db", db.url)
    assert code == 0 and "2025-08-23" in table and record["uid"] in table

    feed = tmp_path / "meetings.ics"
    assert run_cli(capsys, "calendar", "--db", db.url, "--ics", str(feed))[0] == 0
    uid = f"{record['uid']}@stmon"
    [(found_uid, event)] = vevents(feed).items()
    assert found_uid == uid
    assert (event["start"], event["end"]) == (date(2025, 8, 23), date(2025, 8, 24))
    assert (event["status"], event["sequence"], event["location"]) == ("CONFIRMED", 0, "Tokyo")

    postponed = make_item(
        "Korea-Japan summit postponed",
        "The summit planned for Aug. 23 has been postponed, Seoul said.",
        published=at(3),
        source="Yonhap",
    )
    ingest(db, novelty, [(postponed, verdict("summit_announced"))], at(3))
    run_cli(capsys, "calendar", "--db", db.url, "--ics", str(feed))
    event = vevents(feed)[uid]
    assert (event["status"], event["sequence"]) == ("TENTATIVE", 1)
    assert str(event["summary"]).startswith("Postponed: Summit announced")

    cancelled = make_item(
        "Korea-Japan summit called off",
        "The summit planned for Aug. 23 was cancelled, officials said.",
        published=at(5),
        source="Kyodo",
    )
    ingest(db, novelty, [(cancelled, verdict("summit_announced"))], at(5))
    run_cli(capsys, "calendar", "--db", db.url, "--ics", str(feed))
    event = vevents(feed)[uid]
    assert (event["status"], event["sequence"]) == ("CANCELLED", 2)
    assert not list(tmp_path.glob(".meetings.ics.*"))  # written atomically, nothing left over

    # the web page serves the same feed (the daemon's `/calendar.ics`)
    served = tmp_path / "served.ics"
    served.write_bytes(calendar_page(db))
    assert vevents(served) == vevents(feed)


def test_ics_goes_to_stdout_without_a_file(
    db: Database, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    ingest(db, stage(), [(make_item("Leaders to meet on Aug. 23", PLAN, published=at(0)),
                          verdict("summit_announced"))], at(0))  # fmt: skip
    parser = argparse.ArgumentParser(prog="stmon")
    calendar_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["calendar", "--db", db.url, "--ics"])
    assert args.func(args) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"BEGIN:VCALENDAR") and b"DTSTART;VALUE=DATE:20250823" in out
