"""What the web pages share: a :class:`Desk` holds the store, the config in force and
compiled rules, keeps slow reads for a while, and renders templates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from monitor.classify import RuleSet, load_rules
from monitor.config.schema import Config
from monitor.store.db import Database
from monitor.web.guard import csrf_token, keep_csrf
from monitor.web.highlight import highlight, safe_href, terms_of

T = TypeVar("T")
SLOW_TTL = 60.0  # seconds: how old the slow, slowly changing reads of a page may be


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
