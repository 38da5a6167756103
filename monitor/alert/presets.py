"""Slack- and Discord-compatible incoming-webhook bodies.

Feed text is untrusted: for Slack, ``&``, ``<`` and ``>`` are escaped so it cannot
form links or mentions (``<!channel>``); for Discord, markdown characters are
escaped and ``allowed_mentions`` is empty so ``@everyone`` pings nobody. Both stay
within the services' documented size limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from monitor.alert.message import AlertMessage, SourceLink
from monitor.alert.text import format_local, group_items, safe_url, truncate

SLACK_TEXT_MAX = 3000  # per section text object
SLACK_HEADER_MAX = 150
SLACK_BLOCKS_MAX = 50
DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256
DISCORD_FIELD_MAX = 1024
DISCORD_EMBEDS_MAX = 10
DISCORD_TOTAL_MAX = 5500  # all embeds together; Discord allows 6000
_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#])")
_URL_UNSAFE = {"|": "%7C", "<": "%3C", ">": "%3E", " ": "%20", "(": "%28", ")": "%29"}


def slack_escape(text: str) -> str:
    """Escape the three control characters of Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_escape(text: str) -> str:
    """Backslash-escape Discord markdown so feed text shows as typed."""
    return _DISCORD_MARKDOWN.sub(r"\\\1", text)


def _quote_url(url: str) -> str:
    return "".join(_URL_UNSAFE.get(c, c) for c in url)


def _slack_link(url: str, label: str) -> str:
    target = safe_url(url)
    if target == "#":
        return slack_escape(label)
    return f"<{_quote_url(target)}|{slack_escape(label)}>"


def _discord_link(url: str, label: str) -> str:
    target = safe_url(url)
    if target == "#":
        return discord_escape(label)
    return f"[{discord_escape(label)}]({_quote_url(target)})"


def _join_lines(lines: Iterable[str], limit: int) -> str:
    """Whole lines joined by newlines while they fit in ``limit``; never a cut link."""
    out: list[str] = []
    size = 0
    for line in lines:
        line = truncate(line, limit)
        extra = len(line) + (1 if out else 0)
        if size + extra > limit:
            break
        out.append(line)
        size += extra
    return "\n".join(out)


def _first_url(sources: Iterable[SourceLink]) -> str | None:
    for source in sources:
        if safe_url(source.url) != "#":
            return source.url
    return None


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SLACK_TEXT_MAX)}}


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
        blocks.append(_section(_join_lines(lines, SLACK_TEXT_MAX)))
    if msg.sources:
        links = (f"• {_slack_link(s.url, s.title)} ({slack_escape(s.name)})" for s in msg.sources)
        blocks.append(_section(_join_lines(["*Sources*", *links], SLACK_TEXT_MAX)))
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
        blocks.append(_section(_join_lines(lines, SLACK_TEXT_MAX)))
    return blocks


def slack(msg: AlertMessage, zone: ZoneInfo) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...]}`` for a Slack incoming webhook."""
    if msg.kind in ("digest", "storm"):
        text = f"{msg.headline} ({len(msg.items)} alerts)"
        return {"text": slack_escape(text), "blocks": _slack_summary(msg, zone)}
    text = f"{msg.event_type_label}: {msg.headline}"
    return {"text": slack_escape(text), "blocks": _slack_event(msg, zone)}


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
        embed["description"] = truncate(discord_escape(msg.summary), 2000)
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
        embeds.append({"title": title, "description": _join_lines(lines, budget - len(title))})
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
