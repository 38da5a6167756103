"""The alerts page (``/alerts``): the outbox, and re-sending a dead alert.

The re-send is `stmon alerts retry`: ``store.outbox.requeue_dead`` puts the alert back
in the queue, from its first attempt; the running monitor's delivery worker sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.log import log_event
from monitor.store.outbox import list_alerts, outbox_by_channel, requeue_dead
from monitor.web.desk import Desk
from monitor.web.guard import CSRF_FIELD, csrf_ok

log = logging.getLogger(__name__)
STATUSES = ("pending", "sent", "dead", "digest", "digested", "folded")
SHOWN = 200


def routes(desk: Desk) -> list[BaseRoute]:
    return [
        Route("/alerts", _alerts(desk), methods=["GET"]),
        Route("/alerts/{alert_id:int}/resend", _resend(desk), methods=["POST"]),
    ]


def _alerts(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        status = request.query_params.get("status", "")
        channel = request.query_params.get("channel", "")
        with desk.db.session() as session:
            rows = list_alerts(
                session,
                status=status if status in STATUSES else None,
                channel=channel or None,
                limit=SHOWN,
            )
            totals = outbox_by_channel(session)
        resent = request.query_params.get("resent", "")
        return desk.render(
            request, "alerts.html", alerts=rows, totals=totals, statuses=STATUSES,
            chosen=status, channel=channel, resent=resent, shown=SHOWN,
        )  # fmt: skip

    return page


def _resend(desk: Desk) -> Callable[[Request], Awaitable[Response]]:
    async def resend(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get(CSRF_FIELD)):
            return desk.render(
                request, "refused.html", status=403,
                reason="the form's CSRF token is missing or does not match: reload the page",
            )  # fmt: skip
        alert_id: int = request.path_params["alert_id"]

        def requeue() -> bool:
            with desk.db.session() as session:
                return requeue_dead(session, alert_id, desk.clock())

        if not await run_in_threadpool(requeue):
            return desk.render(
                request, "refused.html", status=409, reason=f"no dead alert with id {alert_id}"
            )
        log_event(log, logging.INFO, "alert_requeued", alert=alert_id, by="web")
        return RedirectResponse(f"/alerts?resent={alert_id}", status_code=303)

    return resend
