"""The web application: the pages' routes, the templates and the guard around them.

``create_app(desk)`` returns the ASGI app; a :class:`Desk` holds what the pages read
(the database, the current config, compiled rules) and renders templates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hmac import compare_digest as same
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.classify import RuleSet, load_rules
from monitor.config.schema import Config
from monitor.store.db import Database
from monitor.web.guard import TOKEN_COOKIE, Guard, csrf_ok, csrf_token, keep_csrf, token_digest
from monitor.web.highlight import highlight, safe_href, terms_of

T = TypeVar("T")
log = logging.getLogger(__name__)
SLOW_TTL = 60.0  # seconds: how old the slow, slowly changing reads of a page may be
CSS = resources.files("monitor.web").joinpath("static/style.css").read_bytes()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.web", "templates"),
        autoescape=True,  # every value is escaped unless marked safe by our own code
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda d: "-" if d is None else f"{d:%Y-%m-%d %H:%M}"
    env.filters["href"] = safe_href
    env.filters["highlight"] = lambda text, term: highlight(text or "", terms_of(term or ""))
    return env


@dataclass
class Desk:
    """What the pages share: the store, the config in force, templates, rules."""

    db: Database
    config: Callable[[], Config]
    token: str | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    env: jinja2.Environment = field(default_factory=_environment)
    _rules: dict[str, tuple[float, RuleSet]] = field(default_factory=dict)
    _recent: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def recent(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, or its value from less than ``SLOW_TTL`` seconds ago: for reads
        that scan whole tables and change only with each poll (feed health, the filter
        choices). Two pages asking at once may both compute it; either result is right."""
        now = time.monotonic()
        held = self._recent.get(key)
        if held is not None and now - held[0] < SLOW_TTL:
            value: T = held[1]
            return value
        value = compute()
        self._recent[key] = (now, value)
        return value

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> Response:
        """The page ``template`` with ``context`` (and the CSRF token its forms need)."""
        csrf = csrf_token(request)
        html = self.env.get_template(template).render(
            csrf=csrf, path=request.url.path, signed_in=self.token is not None, **context
        )
        return keep_csrf(HTMLResponse(html, status_code=status), csrf)

    def rules(self, watch: str) -> RuleSet:
        """The compiled rules of ``watch`` (compiled again when the file changed)."""
        found = next((w for w in self.config().watches if w.name == watch), None)
        if found is None:
            raise KeyError(watch)
        path = Path(found.rules)
        stamp = path.stat().st_mtime
        cached = self._rules.get(watch)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_rules(path))
            self._rules[watch] = cached
        return cached[1]

    def watch_names(self) -> list[str]:
        return [w.name for w in self.config().watches]


def create_app(desk: Desk) -> Starlette:
    from monitor.web import alerts, events, feeds, playground

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
