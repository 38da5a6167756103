"""Rendering alerts: email templates, overrides, the webhook payload and presets."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alert.message import EVENT_TYPE_LABELS, SourceLink, label_for
from monitor.alert.presets import discord, slack
from monitor.alert.render import check_templates, render_email, webhook_body, webhook_payload
from monitor.config.channels import EmailChannel, LogChannel, WebhookChannel
from monitor.errors import ConfigError
from tests.support.alerts import FIRST_SEEN, HOSTILE, make_digest, make_message


def email_channel(**extra: object) -> EmailChannel:
    data = {"type": "email", "host": "127.0.0.1", "from": "stmon@example.org"}
    return EmailChannel.model_validate({**data, "to": ["ops@example.org"], **extra})


def webhook_channel(**extra: object) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url": "http://h/x", **extra})


# -- the alert record ------------------------------------------------------------------


def test_labels_cover_every_event_type_of_the_contract(shared_dir: Path) -> None:
    text = (shared_dir / "event-types.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    assert len(ids) >= 14
    assert ids == set(EVENT_TYPE_LABELS)


def test_label_defaults_from_the_table_and_unknown_ids_read_as_words() -> None:
    assert make_message(event_type="leaders_call").event_type_label == "Leaders' call"
    assert label_for("new_kind_of_thing") == "New kind of thing"


def test_first_seen_must_be_aware_and_is_kept_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_message(first_seen=datetime(2025, 6, 1, 9, 30))
    seoul = datetime.fromisoformat("2025-06-01T18:30:00+09:00")
    assert make_message(first_seen=seoul).first_seen.isoformat() == "2025-06-01T09:30:00+00:00"


# -- email -----------------------------------------------------------------------------


def test_email_says_everything_an_alert_must_say() -> None:
    subject, text, html = render_email(make_message(), email_channel())
    assert subject == "[stmon] Summit announced: Lee and Ishiba to meet in Tokyo next month"
    for part in (text, html):
        assert "Summit announced" in part
        assert "Lee and Ishiba to meet in Tokyo next month" in part
        assert "will visit Tokyo for talks" in part
        assert "near &#39;Ishiba&#39;" in part or "near 'Ishiba'" in part
        assert "https://en.yna.co.kr/view/1" in part
        assert "Ishiba, Lee to hold talks" in part
        assert "ev-20250601-summit" in part
        assert "2025-06-01 09:30 UTC" in part
    assert '<a href="https://english.kyodonews.net/2">' in html


@pytest.mark.parametrize(
    ("timezone", "shown"),
    [
        ("UTC", "2025-06-01 09:30 UTC (UTC+00:00)"),
        ("Asia/Seoul", "2025-06-01 18:30 KST (UTC+09:00)"),
        ("Asia/Tokyo", "2025-06-01 18:30 JST (UTC+09:00)"),
        ("America/New_York", "2025-06-01 05:30 EDT (UTC-04:00)"),
    ],
    ids=["utc", "seoul", "tokyo", "new-york-dst"],
)
def test_first_seen_is_shown_in_the_channels_timezone(timezone: str, shown: str) -> None:
    _, text, html = render_email(make_message(), email_channel(timezone=timezone))
    assert f"First seen: {shown}" in text
    assert shown in html


def test_hostile_feed_text_is_escaped_in_html() -> None:
    msg = make_message(
        headline=HOSTILE,
        summary=HOSTILE,
        evidence=[HOSTILE],
        sources=[SourceLink(HOSTILE, HOSTILE, "javascript:alert(1)")],
    )
    _, text, html = render_email(msg, email_channel())
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:1)", "")
    assert 'href="#"' in html
    assert "<script>" in text  # plain text is not markup: shown as the feed wrote it


def test_subject_is_one_line_whatever_the_headline_holds() -> None:
    msg = make_message(headline="Summit\r\nBcc: victim@example.org\x00" + "x" * 400)
    subject, _, _ = render_email(msg, email_channel())
    assert "\n" not in subject and "\r" not in subject and "\x00" not in subject
    assert subject.startswith("[stmon] Summit announced: Summit Bcc: victim@example.org")
    assert len(subject) == 200 and subject.endswith("…")


def test_subject_names_updates_digests_and_health() -> None:
    channel = email_channel()
    assert render_email(make_message(kind="update"), channel).subject.startswith("[stmon] Update:")
    health = make_message(kind="health", headline="channel ops: 3 alerts dead")
    assert render_email(health, channel).subject == (
        "[stmon] Alerting problem: channel ops: 3 alerts dead"
    )
    digest = make_digest([make_message(), make_message(alert_id="a-2")])
    assert render_email(digest, channel).subject == "[stmon] Hourly digest (2 alerts)"


def test_digest_groups_items_by_event_type() -> None:
    items = [
        make_message(alert_id="1", headline="Summit set for June"),
        make_message(alert_id="2", event_type="territorial_dispute", headline="Dokdo survey"),
        make_message(alert_id="3", headline="Summit venue chosen"),
    ]
    _, text, html = render_email(make_digest(items), email_channel(timezone="Asia/Seoul"))
    assert text.index("Summit announced (2)") < text.index("Summit set for June")
    assert text.index("Summit venue chosen") < text.index("Territorial dispute (1)")
    assert text.index("Territorial dispute (1)") < text.index("Dokdo survey")
    assert "<h3>Territorial dispute (1)</h3>" in html
    assert "18:30 KST" in html


def test_user_template_dir_overrides_only_the_templates_it_holds(tmp_path: Path) -> None:
    (tmp_path / "email.txt.j2").write_text("CUSTOM {{ msg.event_type_label }} | {{ first_seen }}")
    channel = email_channel(template_dir=str(tmp_path), timezone="Asia/Tokyo")
    subject, text, html = render_email(make_message(), channel)
    assert text == "CUSTOM Summit announced | 2025-06-01 18:30 JST (UTC+09:00)"
    assert subject.startswith("[stmon] Summit announced")  # packaged subject template
    assert "<h2" in html  # packaged HTML template


def test_user_html_templates_are_autoescaped_too(tmp_path: Path) -> None:
    (tmp_path / "email.html.j2").write_text("<p>{{ msg.headline }}</p>")
    channel = email_channel(template_dir=str(tmp_path))
    _, _, html = render_email(make_message(headline="<b>x</b>"), channel)
    assert html == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


def test_a_broken_user_template_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "email.txt.j2").write_text("{{ msg.no_such_field }}")
    channel = email_channel(template_dir=str(tmp_path))
    with pytest.raises(ConfigError, match=r"email\.txt\.j2"):
        check_templates(channel, FIRST_SEEN)


def test_packaged_templates_pass_the_check() -> None:
    check_templates(email_channel(), FIRST_SEEN)
    check_templates(LogChannel(type="log"), FIRST_SEEN)


# -- webhook payload -------------------------------------------------------------------


def test_webhook_payload_is_versioned_and_complete() -> None:
    payload = webhook_payload(make_message())
    assert json.loads(json.dumps(payload)) == payload
    assert payload["version"] == 1
    assert payload["kind"] == "event"
    assert payload["alert_id"] == "a-1"
    assert payload["idempotency_key"] == "stmon-a-1"
    assert payload["event"] == {
        "id": "ev-20250601-summit",
        "type": "summit_announced",
        "type_label": "Summit announced",
        "state": "announced",
        "headline": "Lee and Ishiba to meet in Tokyo next month",
        "summary": make_message().summary,
        "evidence": list(make_message().evidence),
        "first_seen": "2025-06-01T09:30:00Z",
        "score": 0.87,
        "when": None,
    }
    assert payload["events"] == []
    assert payload["sources"][1] == {
        "name": "kyodo",
        "title": "Ishiba, Lee to hold talks",
        "url": "https://english.kyodonews.net/2",
    }
    assert payload["items"] == []


def test_webhook_payload_of_a_digest_carries_its_items() -> None:
    items = [make_message(alert_id="x1"), make_message(alert_id="x2", event_type="trilateral")]
    payload = webhook_payload(make_digest(items))
    assert payload["kind"] == "digest"
    assert [i["alert_id"] for i in payload["items"]] == ["x1", "x2"]
    assert payload["items"][1]["event"]["type_label"] == "Trilateral cooperation"
    assert "version" not in payload["items"][0]


def test_presets_are_chosen_by_the_channel() -> None:
    msg = make_message()
    assert webhook_body(msg, webhook_channel())["version"] == 1
    assert set(webhook_body(msg, webhook_channel(preset="slack"))) == {"text", "blocks"}
    discord_body = webhook_body(msg, webhook_channel(preset="discord"))
    assert set(discord_body) == {"content", "embeds", "allowed_mentions"}


# -- Slack -----------------------------------------------------------------------------


def test_slack_message_shape() -> None:
    body = slack(make_message(), webhook_channel(timezone="Asia/Seoul").zone)
    assert body["text"] == "Summit announced: Lee and Ishiba to meet in Tokyo next month"
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["section", "section", "section", "section", "context"]
    first = body["blocks"][0]["text"]
    assert first["type"] == "mrkdwn"
    link = "<https://en.yna.co.kr/view/1|Lee and Ishiba to meet in Tokyo next month>"
    assert first["text"] == "*Summit announced*\n" + link
    assert "18:30 KST" in body["blocks"][-1]["elements"][0]["text"]


def test_slack_escapes_hostile_text_so_it_cannot_link_or_mention() -> None:
    msg = make_message(
        headline=HOSTILE, summary=HOSTILE, sources=[SourceLink("a>b", HOSTILE, "http://x/?a=1|2")]
    )
    body = slack(msg, webhook_channel().zone)
    dumped = json.dumps(body)
    assert "<!channel>" not in dumped
    assert "<script>" not in dumped
    assert "&lt;/script&gt; &amp; &lt;!channel&gt; @everyone" in body["text"]
    sources = body["blocks"][-2]["text"]["text"]
    assert "<http://x/?a=1%7C2|&lt;script&gt;" in sources
    assert "(a&gt;b)" in sources


def test_slack_digest_has_a_header_and_a_section_per_type() -> None:
    items = [make_message(alert_id=str(i), event_type=t) for i, t in enumerate(EVENT_TYPE_LABELS)]
    body = slack(make_digest(items), webhook_channel().zone)
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Hourly digest"},
    }
    assert len(body["blocks"]) == 1 + len(EVENT_TYPE_LABELS)
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"])


# -- Discord ---------------------------------------------------------------------------


def test_discord_message_shape_and_mentions_neutralised() -> None:
    body = discord(make_message(headline=HOSTILE), webhook_channel().zone)
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"].startswith("**Summit announced**: ")
    assert "\\*\\*bold\\*\\*" in body["content"]
    assert "\\[x\\]\\(javascript:1\\)" in body["content"]
    (embed,) = body["embeds"]
    assert embed["url"] == "https://en.yna.co.kr/view/1"
    assert [f["name"] for f in embed["fields"]] == ["Why it matched", "Sources"]
    assert (
        "[Lee to visit Tokyo for summit](https://en.yna.co.kr/view/1)"
        in (embed["fields"][1]["value"])
    )
    assert embed["timestamp"] == "2025-06-01T09:30:00+00:00"


def test_discord_stays_within_its_size_limits() -> None:
    long = "Summit " * 1000
    body = discord(make_message(headline=long, summary=long, evidence=[long] * 5), UTC_ZONE)
    assert len(body["content"]) <= 2000
    embed = body["embeds"][0]
    assert len(embed["title"]) <= 256
    assert all(len(f["value"]) <= 1024 for f in embed.get("fields", []))
    assert embed["fields"][0]["value"].startswith("• Summit Summit")  # cut, not dropped
    many = [
        make_message(alert_id=str(i), event_type=t, headline=long)
        for i, t in enumerate(EVENT_TYPE_LABELS)
    ]
    digest = discord(make_digest(many * 3), UTC_ZONE)
    assert len(digest["embeds"]) <= 10
    assert sum(len(e["title"]) + len(e["description"]) for e in digest["embeds"]) <= 6000


UTC_ZONE = LogChannel(type="log").zone

HUGE = "Lee & Ishiba <meet> " * 100_000  # 2 MB of feed text, every escape at every cut


def embed_size(embed: dict[str, object]) -> int:
    fields = embed.get("fields", [])
    assert isinstance(fields, list)
    texts = [embed.get("title", ""), embed.get("description", "")]
    texts += [f["name"] + f["value"] for f in fields]
    return sum(len(str(t)) for t in texts)


@pytest.mark.parametrize("kind", ["event", "digest"])
def test_a_2mb_headline_stays_within_slacks_limits(kind: str) -> None:
    source = SourceLink("feed", HUGE, "https://e.org/" + "a" * 3000)  # a link too long to use
    msg = make_message(headline=HUGE, summary=HUGE, evidence=[HUGE], sources=[source])
    body = slack(make_digest([msg] * 3) if kind == "digest" else msg, UTC_ZONE)

    assert len(body["text"]) <= 4000
    if kind == "event":
        assert len(body["text"]) > 3000 and body["text"].endswith("…")
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert texts and all(len(t) <= 3000 for t in texts)
    for text in [body["text"], *texts]:
        assert not re.search(r"&[a-z]{0,3}…|<[^<>]*$", text)  # no torn entity or link
        assert "a" * 3000 not in text


def test_slack_text_is_cut_between_escapes() -> None:
    body = slack(make_message(headline="&" * 5000), UTC_ZONE)

    assert body["text"].endswith("&amp;…") and len(body["text"]) <= 4000


@pytest.mark.parametrize("kind", ["event", "digest"])
def test_a_2mb_headline_stays_within_discords_limits(kind: str) -> None:
    msg = make_message(headline=HUGE, summary=HUGE, evidence=[HUGE])
    body = discord(make_digest([msg] * 3) if kind == "digest" else msg, UTC_ZONE)

    assert len(body["content"]) <= 2000
    for embed in body["embeds"]:
        assert len(embed["title"]) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert all(
            len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed.get("fields", [])
        )
    assert sum(embed_size(e) for e in body["embeds"]) <= 6000
    if kind == "event":
        assert body["content"].endswith("…") and body["embeds"][0]["description"].endswith("…")


def test_a_digest_of_one_type_keeps_its_description_within_4096() -> None:
    many = [make_message(alert_id=str(i), headline=f"Summit {i} " * 20) for i in range(100)]
    (embed,) = discord(make_digest(many), UTC_ZONE)["embeds"]

    assert 3000 < len(embed["description"]) <= 4096


def test_every_kind_renders() -> None:
    for kind in ("event", "update", "test", "health"):
        msg = make_message(kind=kind)
        assert render_email(msg, email_channel()).text
        assert webhook_payload(msg)["kind"] == kind
    storm = make_digest([make_message()], kind="storm", headline="12 more alerts held back")
    assert "12 more alerts held back" in render_email(storm, email_channel()).html
    assert storm.items[0].first_seen.tzinfo is UTC
