"""The web pages over plain HTTP against a running `stmon web`: the security headers,
CSRF refusals, the token off loopback and on, and `stmon run` serving the pages."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.web.guard import CSP
from tests.support.desk import (
    REPO,
    TOKEN,
    Desk,
    desk_fixture,
    free_port,
    serve,
    stmon,
    stop,
    write_config,
)
from tests.support.feedserver import FeedServer
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory, "desk-http")


def alerts(desk: Desk, status: str) -> list[dict[str, object]]:
    done = stmon("alerts", "--status", status, "--json", config=desk.config)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def event_uids(desk: Desk) -> list[str]:
    return re.findall(r'href="/events/(ev-[0-9a-f]+)"', httpx.get(desk.url + "/").text)


def test_every_page_forbids_script_and_framing(desk: Desk) -> None:
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
    assert CSP.startswith("default-src 'none'")
    pages = ["/", "/feeds", "/alerts", "/rules", "/login", f"/events/{event_uids(desk)[0]}"]
    for page in pages:
        response = httpx.get(desk.url + page)
        assert response.status_code == 200, page
        assert response.headers["content-security-policy"] == CSP, page
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "<script" not in response.text, page  # not even the hostile title's
    missing = httpx.get(desk.url + "/events/ev-0000")
    assert missing.status_code == 404 and missing.headers["content-security-policy"] == CSP


def test_a_resend_without_the_csrf_token_is_refused(desk: Desk) -> None:
    dead = alerts(desk, "dead")
    assert dead
    target = f"{desk.url}/alerts/{dead[0]['id']}/resend"
    with httpx.Client() as client:
        page = client.get(desk.url + "/alerts")  # sets the CSRF cookie
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None and client.cookies.get("stmon_csrf") == token.group(1)
        assert client.post(target, data={}).status_code == 403
        assert client.post(target, data={"csrf": "forged"}).status_code == 403
    # the right token without the cookie it must equal (another site's form)
    assert httpx.post(target, data={"csrf": token.group(1)}).status_code == 403
    assert [a["id"] for a in alerts(desk, "dead")] == [a["id"] for a in dead]


def test_a_resend_of_an_alert_that_is_not_dead_is_refused(desk: Desk) -> None:
    with httpx.Client() as client:
        page = client.get(desk.url + "/alerts")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        refused = client.post(f"{desk.url}/alerts/999999/resend", data={"csrf": token.group(1)})
    assert refused.status_code == 409
    assert "no dead alert with id 999999" in refused.text


def test_a_bad_date_filter_is_reported(desk: Desk) -> None:
    response = httpx.get(desk.url + "/?from=yesterday")
    assert response.status_code == 400
    assert "from: &#39;yesterday&#39; is not a date (use YYYY-MM-DD)" in response.text


def test_with_a_token_every_page_asks_for_it(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    with FeedServer(tmp_path / "feeds") as server:
        web = "    token: ${STMON_WEB_TOKEN}\n"
        config = write_config(tmp_path, server, web=web)
        env = {"STMON_WEB_TOKEN": TOKEN}
        assert stmon("db", "upgrade", config=config, env=env).returncode == 0
        # no feed file is served: every poll fails (exit 1), and the feeds' rows are made
        assert stmon("poll", "--once", config=config, env=env).returncode == 1
        process, url, _ = serve(config, tmp_path / "web.log", env=env)
        try:
            plain = httpx.get(url + "/feeds")
            assert plain.status_code == 401 and plain.headers["www-authenticate"] == "Bearer"
            wrong = {"authorization": "Bearer " + TOKEN[:-1] + "x"}
            assert httpx.get(url + "/feeds", headers=wrong).status_code == 401
            bearer = httpx.get(url + "/feeds", headers={"authorization": f"Bearer {TOKEN}"})
            assert bearer.status_code == 200 and "herald" in bearer.text
            browser = httpx.get(url + "/feeds", headers={"accept": "text/html"})
            assert browser.status_code == 303 and browser.headers["location"] == "/login"
            with httpx.Client(base_url=url) as client:
                form = client.get("/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
                assert csrf is not None
                bad = client.post("/login", data={"csrf": csrf.group(1), "token": "nope"})
                assert bad.status_code == 401 and client.get("/feeds").status_code == 401
                good = client.post("/login", data={"csrf": csrf.group(1), "token": TOKEN})
                assert good.status_code == 303
                assert "httponly" in good.headers["set-cookie"].lower()
                assert TOKEN not in good.headers["set-cookie"]  # a digest, not the token
                assert client.get("/feeds").status_code == 200
        finally:
            stop(process)


def test_off_loopback_without_a_token_it_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    with FeedServer(tmp_path / "feeds") as server:
        config = write_config(tmp_path, server)
        done = stmon("web", "--listen", f"0.0.0.0:{free_port()}", config=config)
        assert done.returncode == 2
        assert "service.web.token" in done.stderr and "not a loopback address" in done.stderr
        exposed = write_config(tmp_path, server, web="    listen: 0.0.0.0:8470\n")
        checked = stmon("check", str(exposed), config=exposed)
        assert checked.returncode == 2
        assert "service.web" in checked.stderr and "service.web.token" in checked.stderr


def test_stmon_run_serves_the_pages_when_enabled(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    with FeedServer(tmp_path / "feeds") as server:
        port = free_port()
        web = f"    enabled: true\n    listen: 127.0.0.1:{port}\n"
        config = write_config(tmp_path, server, web=web)
        assert stmon("db", "upgrade", config=config).returncode == 0
        log = (tmp_path / "run.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
        try:

            def feeds_page() -> bool:
                try:
                    return "herald" in httpx.get(f"http://127.0.0.1:{port}/feeds", timeout=2).text
                except httpx.TransportError:
                    return False

            assert wait_for(feeds_page, timeout=60), (tmp_path / "run.log").read_text()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            stop(process)  # type: ignore[arg-type]
            log.close()
