"""Slack- and Discord-compatible incoming-webhook bodies.

Feed text is untrusted: for Slack, ``&``, ``<`` and ``>`` are escaped so it cannot
form links or mentions (``<!channel>``); for Discord, markdown characters are
escaped and ``allowed_mentions`` is empty so ``@everyone`` pings nobody. Both stay
within the services' documented size limits, whatever the feed sent: Slack's
``text`` within 4,000 characters and each section within 3,000; Discord's
``content`` within 2,000, an embed's title within 256, its description within 4,096,
a field within 1,024 and all embeds together within 6,000. Text that is cut ends in
an ellipsis, and never inside an escape or a link; a link longer than ``URL_MAX``
is left out (its label stays).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from monitor.alert.message import AlertMessage, SourceLink
from monitor.alert.text import format_local, group_items, safe_url, truncate

SLACK_FALLBACK_MAX = 4000  # the top-level "text" (Slack truncates longer messages)
SLACK_TEXT_MAX = 3000  # per section text object
SLACK_HEADER_MAX = 150
SLACK_BLOCKS_MAX = 50
DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_EVENT_DESCRIPTION_MAX = 2000  # leaves room for the fields under the total
DISCORD_FIELD_MAX = 1024
DISCORD_EMBEDS_MAX = 10
DISCORD_TOTAL_MAX = 5500  # all embeds together; Discord allows 6000
_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#])")
_URL_UNSAFE = {"|": "%7C", "<": "%3C", ">": "%3E", " ": "%20", "(": "%28", ")": "%29"}
URL_MAX = 2000  # characters of a link target; a longer one is not linked
# what a cut may leave at the end of Slack mrkdwn: part of an entity or of a <link|label>
_SLACK_TORN = re.compile(r"&[a-z]{0,3}$|<[^<>]*$")


def slack_escape(text: str) -> str:
    """Escape the three control characters of Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_escape(text: str) -> str:
    """Backslash-escape Discord markdown so feed text shows as typed."""
    return _DISCORD_MARKDOWN.sub(r"\\\1", text)


def _quote_url(url: str) -> str:
    return "".join(_URL_UNSAFE.get(c, c) for c in url)


def _link_target(url: str) -> str:
    """The URL to link to, or ``#`` when it must not be linked (not http(s), too long)."""
    return safe_url(url) if len(url) <= URL_MAX else "#"


def slack_truncate(text: str, limit: int) -> str:
    """Escaped Slack mrkdwn cut to ``limit`` characters with an ellipsis, without a torn
    entity (``&am``) or link (``<http://…``) at the cut."""
    if len(text) <= limit:
        return text
    return _SLACK_TORN.sub("", text[: limit - 1]).rstrip() + "…"


def _slack_link(url: str, label: str) -> str:
    target = _link_target(url)
    if target == "#":
        return slack_escape(label)
    return f"<{_quote_url(target)}|{slack_escape(label)}>"


def _discord_link(url: str, label: str) -> str:
    target = _link_target(url)
    if target == "#":
        return discord_escape(label)
    return f"[{discord_escape(label)}]({_quote_url(target)})"


def _join_lines(lines: Iterable[str], limit: int, cut: Callable[[str, int], str] = truncate) -> str:
    """Lines joined by newlines while they fit in ``limit``, a line longer than that
    ``cut`` to it."""
    out: list[str] = []
    size = 0
    for line in lines:
        line = cut(line, limit)
        extra = len(line) + (1 if out else 0)
        if size + extra > limit:
            break
        out.append(line)
        size += extra
    return "\n".join(out)


def _first_url(sources: Iterable[SourceLink]) -> str | None:
    for source in sources:
        if _link_target(source.url) != "#":
            return source.url
    return None


def _section(text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": slack_truncate(text, SLACK_TEXT_MAX)},
    }


def _slack_footer(msg: AlertMessage, zone: ZoneInfo) -> dict[str, Any]:
    text = (
        f"First seen {format_local(msg.first_seen, zone)} · event `{slack_escape(msg.event_id)}`"
        f" · {slack_escape(msg.state)} · score {msg.score:.2f}"
    )
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _slack_event(msg: AlertMessage, zone: ZoneInfo) -> list[dict[str, Any]]:
    url = _first_url(msg.sources)
    title = _slack_link(url, msg.headline) if url else slack_escape(msg.headline)
    blocks = [_section(f"*{slack_escape(msg.event_type_label)}*\n{title}")]
    if msg.summary:
        blocks.append(_section(slack_escape(msg.summary)))
    if msg.evidence:
        lines = ["*Why it matched*", *(f"• {slack_escape(e)}" for e in msg.evidence)]
        blocks.append(_section(_join_lines(lines, SLACK_TEXT_MAX, slack_truncate)))
    if msg.sources:
        links = (f"• {_slack_link(s.url, s.title)} ({slack_escape(s.name)})" for s in msg.sources)
        blocks.append(_section(_join_lines(["*Sources*", *links], SLACK_TEXT_MAX, slack_truncate)))
    blocks.append(_slack_footer(msg, zone))
    return blocks


def _slack_summary(msg: AlertMessage, zone: ZoneInfo) -> list[dict[str, Any]]:
    header = {"type": "plain_text", "text": truncate(msg.headline, SLACK_HEADER_MAX)}
    blocks: list[dict[str, Any]] = [{"type": "header", "text": header}]
    if msg.summary:
        blocks.append(_section(slack_escape(msg.summary)))
    for label, items in group_items(msg.items)[: SLACK_BLOCKS_MAX - len(blocks)]:
        lines = [f"*{slack_escape(label)}* ({len(items)})"]
        for item in items:
            url = _first_url(item.sources)
            title = _slack_link(url, item.headline) if url else slack_escape(item.headline)
            lines.append(f"• {title} — {format_local(item.first_seen, zone)}")
        blocks.append(_section(_join_lines(lines, SLACK_TEXT_MAX, slack_truncate)))
    return blocks


def slack(msg: AlertMessage, zone: ZoneInfo) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...]}`` for a Slack incoming webhook."""
    if msg.kind in ("digest", "storm"):
        text = f"{msg.headline} ({len(msg.items)} alerts)"
        return {"text": _slack_text(text), "blocks": _slack_summary(msg, zone)}
    text = f"{msg.event_type_label}: {msg.headline}"
    return {"text": _slack_text(text), "blocks": _slack_event(msg, zone)}


def _slack_text(text: str) -> str:
    return slack_truncate(slack_escape(text), SLACK_FALLBACK_MAX)


def _discord_event(msg: AlertMessage, zone: ZoneInfo) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": truncate(discord_escape(msg.headline), DISCORD_TITLE_MAX),
        "fields": [],
        "timestamp": msg.first_seen.isoformat(),
        "footer": {
            "text": f"Event {msg.event_id} · {msg.state} · first seen "
            f"{format_local(msg.first_seen, zone)} · score {msg.score:.2f}"
        },
    }
    if msg.summary:
        embed["description"] = truncate(discord_escape(msg.summary), DISCORD_EVENT_DESCRIPTION_MAX)
    url = _first_url(msg.sources)
    if url:
        embed["url"] = _quote_url(url)
    if msg.evidence:
        value = _join_lines((f"• {discord_escape(e)}" for e in msg.evidence), DISCORD_FIELD_MAX)
        embed["fields"].append({"name": "Why it matched", "value": value})
    if msg.sources:
        lines = (
            f"• {_discord_link(s.url, s.title)} ({discord_escape(s.name)})" for s in msg.sources
        )
        embed["fields"].append({"name": "Sources", "value": _join_lines(lines, DISCORD_FIELD_MAX)})
    return embed


def _discord_summary(msg: AlertMessage, zone: ZoneInfo) -> list[dict[str, Any]]:
    groups = group_items(msg.items)[:DISCORD_EMBEDS_MAX]
    budget = DISCORD_TOTAL_MAX // max(len(groups), 1)
    embeds = []
    for label, items in groups:
        lines = []
        for item in items:
            url = _first_url(item.sources)
            title = _discord_link(url, item.headline) if url else discord_escape(item.headline)
            lines.append(f"• {title} — {format_local(item.first_seen, zone)}")
        title = truncate(f"{label} ({len(items)})", DISCORD_TITLE_MAX)
        room = min(budget - len(title), DISCORD_DESCRIPTION_MAX)
        embeds.append({"title": title, "description": _join_lines(lines, room)})
    return embeds


def discord(msg: AlertMessage, zone: ZoneInfo) -> dict[str, Any]:
    """``{"content", "embeds", "allowed_mentions": {"parse": []}}`` for Discord."""
    if msg.kind in ("digest", "storm"):
        content = f"**{discord_escape(msg.headline)}** ({len(msg.items)} alerts)"
        embeds = _discord_summary(msg, zone)
    else:
        content = f"**{discord_escape(msg.event_type_label)}**: {discord_escape(msg.headline)}"
        embeds = [_discord_event(msg, zone)]
    return {
        "content": truncate(content, DISCORD_CONTENT_MAX),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    }
