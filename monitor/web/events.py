"""The events page (``/``), one event's page (``/events/<uid>``) and the meetings as an
iCalendar feed (``/calendar.ics``, what `stmon calendar --ics` writes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from monitor.alert.calendar import ics_feed
from monitor.store.events import (
    EventFilter,
    dated_events,
    event_evidence,
    event_facets,
    event_timeline,
    search_events,
)
from monitor.store.outbox import event_alerts
from monitor.web.charts import coverage_timeline
from monitor.web.desk import Desk

PAGE = 100  # events per page
FILTERS = ("watch", "type", "state", "lang", "from", "to", "q")


def routes(desk: Desk) -> list[BaseRoute]:
    return [
        Route("/", _list(desk), methods=["GET"]),
        Route("/events/{uid}", _one(desk), methods=["GET"]),
        Route("/calendar.ics", _calendar(desk), methods=["GET"]),
    ]


def _calendar(desk: Desk) -> Callable[[Request], Response]:
    def feed(request: Request) -> Response:
        with desk.db.session() as session:
            records = dated_events(session, None)
        return Response(ics_feed(records, desk.clock()), media_type="text/calendar")

    return feed


def _day(value: str, name: str, errors: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        errors.append(f"{name}: '{value}' is not a date (use YYYY-MM-DD)")
        return None


def _filter(params: dict[str, str], errors: list[str]) -> EventFilter:
    until = _day(params["to"], "to", errors)
    return EventFilter(
        watch=params["watch"] or None,
        event_type=params["type"] or None,
        state=params["state"] or None,
        language=params["lang"] or None,
        since=_day(params["from"], "from", errors),
        until=until + timedelta(days=1) if until else None,  # "to" is inclusive
        text=params["q"].strip() or None,
    )


def _list(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        params = {k: request.query_params.get(k, "") for k in FILTERS}
        errors: list[str] = []
        wanted = _filter(params, errors)
        number = request.query_params.get("page", "1")
        page_no = int(number) if number.isdigit() and int(number) > 0 else 1
        with desk.db.session() as session:
            rows = search_events(session, wanted, PAGE + 1, (page_no - 1) * PAGE)
            facets = desk.recent("facets", lambda: event_facets(session))
        return desk.render(
            request,
            "events.html",
            status=400 if errors else 200,
            events=rows[:PAGE],
            more=len(rows) > PAGE,
            page=page_no,
            params=params,
            facets=facets,
            errors=errors,
            query={k: v for k, v in params.items() if v},
        )

    return page


def _state_history(record: dict[str, Any], alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The event's states in order, from the alerts queued for it: each change once, with
    the article its alert named (the first state when no alert was queued)."""
    steps: list[dict[str, Any]] = []
    for alert in alerts:
        state = alert["state"]
        if not state or (steps and steps[-1]["state"] == state):
            continue
        source = alert["sources"][0] if alert["sources"] else {}
        steps.append(
            {"when": alert["created"], "state": state, "kind": alert["kind"],
             "title": source.get("title") or alert["headline"], "url": source.get("url", ""),
             "outlet": source.get("name", "")}
        )  # fmt: skip
    if not steps or steps[-1]["state"] != record["state"]:
        steps.append(
            {"when": record["last_seen"] if steps else record["first_seen"],
             "state": record["state"], "kind": "now" if steps else "new",
             "title": record["headline"], "url": "", "outlet": ""}
        )  # fmt: skip
    return steps


def _one(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        uid = request.path_params["uid"]
        with desk.db.session() as session:
            found = event_timeline(session, uid)
            if found is None:
                return desk.render(request, "missing.html", status=404, what=f"event {uid}")
            record, articles = found
            evidence = event_evidence(session, record["id"], record["type"])
            alerts = event_alerts(session, record["id"])
        for article in articles:
            article["score"], article["evidence"] = evidence.get(article["item"], (None, []))
        chart = coverage_timeline([(a["source"], a["published"], a["title"]) for a in articles])
        return desk.render(
            request,
            "event.html",
            event=record,
            articles=articles,
            chart=chart,
            alerts=alerts,
            history=_state_history(record, alerts),
        )

    return page
