"""Turn an AlertMessage into what a channel sends: email parts or a webhook body.

Email is rendered from Jinja2 templates in ``monitor/alert/templates``; a channel's
``template_dir`` holds overrides with the same names (``subject.txt.j2``,
``email.txt.j2``, ``email.html.j2``, ``digest.txt.j2``, ``digest.html.j2``).
HTML templates are autoescaped, so feed text can never become markup. Times are
shown in the channel's timezone.

Webhooks get the versioned JSON payload of :func:`webhook_payload` (see
docs/webhooks.md), or the Slack / Discord shapes of :mod:`monitor.alert.presets`.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from monitor.alert import presets
from monitor.alert.message import AlertMessage, notice, sample_message
from monitor.alert.text import format_local, group_items, safe_url, truncate
from monitor.config.channels import ChannelBase, EmailChannel, WebhookChannel
from monitor.errors import ConfigError

PAYLOAD_VERSION = 1
# `stmon check` renders every channel's templates (check_templates)
TEMPLATE_HINT = "fix the template and run `stmon check` again"
SUBJECT_MAX = 200
_SPACE = re.compile(r"\s+")


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str


@lru_cache(maxsize=16)
def _environment(template_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("monitor.alert", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["localtime"] = format_local
    env.filters["safe_url"] = safe_url
    return env


def _template_dir(channel: ChannelBase) -> Path | None:
    return channel.template_dir if isinstance(channel, EmailChannel) else None


def _context(msg: AlertMessage, channel: ChannelBase) -> dict[str, Any]:
    return {
        "msg": msg,
        "zone": channel.zone,
        "timezone": channel.timezone,
        "first_seen": format_local(msg.first_seen, channel.zone),
        "groups": group_items(msg.items),
        "is_summary": msg.kind in ("digest", "storm"),
    }


def clean_subject(text: str) -> str:
    """One line, no control characters, at most SUBJECT_MAX characters."""
    line = _SPACE.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()
    return truncate(line, SUBJECT_MAX)


def render_email(msg: AlertMessage, channel: ChannelBase) -> RenderedEmail:
    """``(subject, text, html)`` for ``msg`` in ``channel``'s timezone and templates.

    A broken user template raises ConfigError naming the template.
    """
    env = _environment(_template_dir(channel))
    context = _context(msg, channel)
    body = "digest" if context["is_summary"] else "email"
    names = ("subject.txt.j2", f"{body}.txt.j2", f"{body}.html.j2")
    parts: list[str] = []
    for name in names:
        try:
            parts.append(env.get_template(name).render(context))
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or name
            raise ConfigError(
                f"template {name} cannot be rendered: {exc}", file=where, hint=TEMPLATE_HINT
            ) from None
        except Exception as exc:  # a template's own expression failed (e.g. 1/0)
            reason = f"{type(exc).__name__}: {exc}"
            raise ConfigError(
                f"template {name} cannot be rendered: {reason}", hint=TEMPLATE_HINT
            ) from None
    return RenderedEmail(clean_subject(parts[0]), parts[1], parts[2])


def check_templates(channel: ChannelBase, now: datetime) -> None:
    """Render a sample alert and digest with the channel's templates; ConfigError if broken."""
    sample = sample_message(now)
    render_email(sample, channel)
    digest = notice(
        "digest", "check", event_type="digest", headline="Digest", at=now, items=[sample]
    )
    render_email(digest, channel)


def _event(msg: AlertMessage) -> dict[str, Any]:
    return {
        "id": msg.event_id,
        "type": msg.event_type,
        "type_label": msg.event_type_label,
        "state": msg.state,
        "headline": msg.headline,
        "summary": msg.summary,
        "evidence": list(msg.evidence),
        "first_seen": msg.first_seen.isoformat().replace("+00:00", "Z"),
        "score": msg.score,
        "when": msg.when or None,
    }


def _alert(msg: AlertMessage) -> dict[str, Any]:
    return {
        "alert_id": msg.alert_id,
        "idempotency_key": msg.idempotency_key,
        "kind": msg.kind,
        "event": _event(msg),
        "sources": [{"name": s.name, "title": s.title, "url": s.url} for s in msg.sources],
        "events": [
            {"id": e.event_id, "type": e.event_type, "type_label": e.type_label,
             "state": e.state, "headline": e.headline, "when": e.when or None}
            for e in msg.events
        ],
    }  # fmt: skip


def webhook_payload(msg: AlertMessage) -> dict[str, Any]:
    """The documented, versioned JSON payload of the generic webhook preset.

    ``{"version": 1, "alert_id", "idempotency_key", "kind", "event": {...},
    "sources": [...], "events": [...], "items": [...]}``; ``events`` lists every event
    the article touched (the alert's own first); ``items`` holds the folded alerts of a
    digest or storm summary, each shaped like the top level without ``version``
    and ``items``. See docs/webhooks.md.
    """
    return {
        "version": PAYLOAD_VERSION,
        **_alert(msg),
        "items": [_alert(item) for item in msg.items],
    }


def webhook_body(msg: AlertMessage, channel: WebhookChannel) -> dict[str, Any]:
    """The JSON body for ``channel``'s preset."""
    if channel.preset == "slack":
        return presets.slack(msg, channel.zone)
    if channel.preset == "discord":
        return presets.discord(msg, channel.zone)
    return webhook_payload(msg)
