"""The rules playground (``/rules``): classify a pasted article, and see what a pasted
candidate rules file would change on the stored items (`stmon rules test` in a page).

Both reuse the classifier's own explanations (``classify.nearmiss``, ``diff_rulesets``);
nothing here writes a file or the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from monitor.classify import Change, RuleSet, diff_rulesets, parse_rules
from monitor.classify.nearmiss import NearMiss, near_misses
from monitor.errors import ConfigError
from monitor.model import Classification
from monitor.store.items import newest_texts
from monitor.web.desk import Desk
from monitor.web.guard import CSRF_FIELD, csrf_ok

TEST_LIMIT = 5000  # stored items a candidate rules file is tried on, newest first
SHOWN_CHANGES = 200
MAX_FIELD = 200_000  # characters of a pasted field


def routes(desk: Desk) -> list[BaseRoute]:
    return [
        Route("/rules", _page(desk), methods=["GET"]),
        Route("/rules/classify", _classify(desk), methods=["POST"]),
        Route("/rules/test", _test(desk), methods=["POST"]),
    ]


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _context(desk: Desk, form: FormData | None = None, **extra: Any) -> dict[str, Any]:
    watches = desk.watch_names()
    chosen = _field(form, "watch") if form is not None else ""
    return {
        "watches": watches,
        "watch": chosen if chosen in watches else (watches[0] if watches else ""),
        "title": _field(form, "title") if form is not None else "",
        "text": _field(form, "text") if form is not None else "",
        "candidate": _field(form, "candidate") if form is not None else "",
        "verdict": None, "misses": [], "changes": None, "errors": [],
        **extra,
    }  # fmt: skip


def _page(desk: Desk) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        return desk.render(request, "rules.html", limit=TEST_LIMIT, **_context(desk))

    return page


async def _checked_form(desk: Desk, request: Request) -> tuple[FormData, Response | None]:
    form = await request.form()
    if csrf_ok(request, form.get(CSRF_FIELD)):
        return form, None
    refused = desk.render(
        request, "refused.html", status=403,
        reason="the form's CSRF token is missing or does not match: reload the page",
    )  # fmt: skip
    return form, refused


def _rules_or_error(desk: Desk, watch: str) -> tuple[RuleSet | None, list[str]]:
    if not watch:
        return None, ["the config has no watches: there are no rules to classify with"]
    try:
        return desk.rules(watch), []
    except ConfigError as exc:
        return None, str(exc).splitlines()


def _classify(desk: Desk) -> Callable[[Request], Awaitable[Response]]:
    async def classify(request: Request) -> Response:
        form, refused = await _checked_form(desk, request)
        if refused is not None:
            return refused
        context = _context(desk, form)

        def run() -> tuple[Classification | None, list[NearMiss], list[str]]:
            rules, errors = _rules_or_error(desk, context["watch"])
            if rules is None:
                return None, [], errors
            verdict = rules.classify(context["title"], context["text"])
            return verdict, near_misses(rules, context["title"], context["text"], verdict), []

        verdict, misses, errors = await run_in_threadpool(run)
        context.update(verdict=verdict, misses=misses, errors=errors)
        status = 200 if not errors else 500
        return desk.render(request, "rules.html", status=status, limit=TEST_LIMIT, **context)

    return classify


def _test(desk: Desk) -> Callable[[Request], Awaitable[Response]]:
    async def test(request: Request) -> Response:
        form, refused = await _checked_form(desk, request)
        if refused is not None:
            return refused
        context = _context(desk, form)

        def run() -> tuple[list[Change] | None, int, list[str]]:
            current, errors = _rules_or_error(desk, context["watch"])
            if current is None:
                return None, 0, errors
            try:
                candidate = parse_rules(context["candidate"], "pasted rules")
            except ConfigError as exc:
                return None, 0, str(exc).splitlines()
            with desk.db.session() as session:
                items = list(newest_texts(session, TEST_LIMIT))
            return diff_rulesets(current, candidate, items), len(items), []

        changes, total, errors = await run_in_threadpool(run)
        context.update(changes=changes, total=total, errors=errors, shown=SHOWN_CHANGES)
        status = 400 if errors else 200
        return desk.render(request, "rules.html", status=status, limit=TEST_LIMIT, **context)

    return test
