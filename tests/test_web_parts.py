"""The web pages' small parts: highlighted snippets stay escaped, links are http(s) only,
the sparkline counts the right days, and the web settings guard the listen address."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from monitor.cli.web_cmd import web_settings
from monitor.config.service import WebSettings
from monitor.errors import ConfigError
from monitor.web.charts import coverage_timeline, sparkline
from monitor.web.highlight import highlight, safe_href, terms_of


def test_highlight_marks_terms_and_escapes_the_rest() -> None:
    text = '<b>Ishiba</b> & Lee "meet" <script>x</script>'
    marked = str(highlight(text, terms_of("Ishiba + lee")))
    assert marked == (
        "&lt;b&gt;<mark>Ishiba</mark>&lt;/b&gt; &amp; <mark>Lee</mark> &#34;meet&#34; "
        "&lt;script&gt;x&lt;/script&gt;"
    )


def test_a_term_with_markup_is_marked_as_text() -> None:
    assert str(highlight("a <i> b", ["<i>"])) == "a <mark>&lt;i&gt;</mark> b"


@pytest.mark.parametrize(
    ("url", "shown"),
    [("https://e.org/a", "https://e.org/a"), ("HTTP://e.org", "HTTP://e.org"),
     ("javascript:alert(1)", None), ("data:text/html,x", None), ("//e.org", None)],
    ids=["https", "http-upper", "javascript", "data", "scheme-relative"],
)  # fmt: skip
def test_only_http_links_are_shown(url: str, shown: str | None) -> None:
    assert safe_href(url) == shown


def test_sparkline_counts_the_last_days() -> None:
    line = sparkline({"2026-03-10": 4, "2026-03-09": 2, "2026-02-01": 9}, date(2026, 3, 10), 3)
    assert (line.total, line.peak, line.days) == (6, 4, 3)
    ys = [float(p.split(",")[1]) for p in line.points.split()]
    assert ys[2] < ys[1] < ys[0]  # 0, 2, 4 items: higher is drawn nearer the top


def test_timeline_has_a_row_per_outlet_and_a_dot_per_article() -> None:
    t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    chart = coverage_timeline([("b", t1, "later"), ("a", t0, "first"), ("b", t0, "same")])
    assert [(r.outlet, len(r.dots)) for r in chart.rows] == [("a", 1), ("b", 2)]
    assert chart.rows[1].dots[0].x > chart.rows[0].dots[0].x


def test_off_loopback_needs_a_token() -> None:
    with pytest.raises(ValidationError, match=r"service\.web\.token"):
        WebSettings(listen="192.0.2.1:8470")
    assert WebSettings(listen="[::1]:8470").address == ("::1", 8470)
    with_token = WebSettings(listen="0.0.0.0:8470", token="x" * 16)  # type: ignore[arg-type]
    assert with_token.address == ("0.0.0.0", 8470)


def test_listen_option_is_checked_like_the_config() -> None:
    with pytest.raises(ConfigError, match=r"--listen 0\.0\.0\.0:1: .*service\.web\.token"):
        web_settings(WebSettings(), "0.0.0.0:1")
    assert web_settings(WebSettings(), "127.0.0.2:1").listen == "127.0.0.2:1"


@pytest.mark.parametrize("source", ["service.web.listen", "--listen"])
def test_an_address_in_use_is_a_config_error_naming_where_it_was_given(source: str) -> None:
    from monitor.web.server import WebServer

    async def nothing(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            WebServer(nothing, "127.0.0.1", port, source).bind()
    assert str(caught.value).startswith(f"{source}: cannot listen on 127.0.0.1:{port}: ")
    assert "--listen" in caught.value.hint
    assert ("service.web.listen" in caught.value.hint) == (source == "service.web.listen")


def test_a_bad_web_listen_address_suggests_the_web_port() -> None:
    from monitor.config.service import MetricsSettings, WebSettings

    with pytest.raises(ValueError, match=r"e\.g\. 127\.0\.0\.1:8470\)"):
        WebSettings(listen="nonsense")
    with pytest.raises(ValueError, match=r"e\.g\. 127\.0\.0\.1:9464\)"):
        MetricsSettings(listen="nonsense")
