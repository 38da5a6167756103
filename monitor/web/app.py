"""The web application: the pages' routes and the guard around them.

``create_app(desk)`` returns the ASGI app; the :class:`~monitor.web.desk.Desk` it is
given holds what the pages read (the database, the current config, compiled rules) and
renders templates.
"""

from __future__ import annotations

from collections.abc import Callable
from hmac import compare_digest as same
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.web import alerts, events, feeds, playground
from monitor.web.desk import Desk
from monitor.web.guard import TOKEN_COOKIE, Guard, csrf_ok, token_digest

CSS = resources.files("monitor.web").joinpath("static/style.css").read_bytes()


def create_app(desk: Desk) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/static/style.css", _css, methods=["GET"]),
        Route("/login", _login_page(desk), methods=["GET"]),
        Route("/login", _login(desk), methods=["POST"]),
    ]
    for module in (events, feeds, alerts, playground):
        routes += module.routes(desk)
    return Starlette(routes=routes, middleware=[Middleware(Guard, token=desk.token)])


def _css(request: Request) -> Response:
    return Response(CSS, media_type="text/css", headers={"cache-control": "max-age=3600"})


def _login_page(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        return desk.render(request, "login.html", error="")

    return page


def _login(desk: Desk) -> Callable[[Request], Any]:
    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return desk.render(
                request, "login.html", status=403, error="The form expired: try again."
            )
        given = form.get("token")
        if desk.token is None or not isinstance(given, str) or not same(given, desk.token):
            return desk.render(request, "login.html", status=401, error="Wrong token.")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            TOKEN_COOKIE, token_digest(desk.token), httponly=True, samesite="strict", path="/"
        )
        return response

    return login
