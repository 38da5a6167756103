"""The feeds page (``/feeds``): each feed's health, schedule and items per day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from monitor.service.health import source_health
from monitor.store.feeds import active_feeds
from monitor.store.items import item_counts
from monitor.store.status import items_per_day
from monitor.web.charts import sparkline
from monitor.web.desk import Desk

DAYS = 14  # the sparkline's span


def routes(desk: Desk) -> list[BaseRoute]:
    return [Route("/feeds", _feeds(desk), methods=["GET"])]


def _feeds(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        now = desk.clock()
        settings = desk.config().service.source_health
        with desk.db.session() as session:
            feeds = active_feeds(session)
            # the health of every feed and its items per day read all the recent items:
            # at most a minute old (the daemon's status line is five minutes old)
            health = desk.recent(
                "health", lambda: {h.feed: h for h in source_health(session, now, settings)}
            )
            counts = item_counts(session)
            daily = desk.recent("daily", lambda: items_per_day(session, now - timedelta(days=DAYS)))
        rows = [
            {"feed": f, "health": health.get(f.name), "stored": counts.get(f.id, 0),
             "spark": sparkline(daily.get(f.id, {}), now.date(), DAYS)}
            for f in feeds
        ]  # fmt: skip
        return desk.render(request, "feeds.html", rows=rows, days=DAYS)

    return page
