"""The desk's web pages in a real browser (headless Chromium) over a store filled by a
real poll: events, an event's articles and evidence, filters, re-sending a dead alert,
the rules playground, hostile feed text shown as text. Each page's screenshot is saved
in docs/screenshots/ (linked from the README)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import chromium
from tests.support.desk import HOSTILE, REPO, Desk, desk_fixture

SHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory, "desk")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def shoot(browser: webdriver.Chrome, name: str) -> None:
    """Save the whole page (the window made as tall as the page) as docs/screenshots/NAME.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, max(700, min(int(height) + 20, 3000)))
    try:
        assert browser.save_screenshot(str(SHOTS / f"{name}.png"))
    finally:
        browser.set_window_size(1280, 1000)


def follow(browser: webdriver.Chrome, element: WebElement) -> None:
    """Click a link or a submit button and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    # While the old page is torn down, ChromeDriver may answer the staleness probe with
    # "unhandled inspector error" (its document's context is gone) instead of a stale
    # element: that probe is tried again, as the wait does with a page not gone yet.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,))
    wait.until(expected_conditions.staleness_of(page))


def rows(browser: webdriver.Chrome) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "table.events tbody tr")
    ]


def test_events_page_lists_the_polled_events_newest_first(
    desk: Desk, browser: webdriver.Chrome
) -> None:
    browser.get(desk.url + "/")
    listed = rows(browser)
    types = [row[1] for row in listed]
    assert sorted(types) == ["ministerial_talks", "summit_announced"]
    first_seen = [row[0] for row in listed]
    assert first_seen == sorted(first_seen, reverse=True)
    summit = next(row for row in listed if row[1] == "summit_announced")
    assert summit[2] == "announced"
    assert summit[4:] == ["2", "3"]  # two outlets, three articles
    shoot(browser, "events")


def test_filter_by_type_and_search_headlines(desk: Desk, browser: webdriver.Chrome) -> None:
    browser.get(desk.url + "/")
    Select(browser.find_element(By.NAME, "type")).select_by_value("ministerial_talks")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert "type=ministerial_talks" in browser.current_url
    assert [row[1] for row in rows(browser)] == ["ministerial_talks"]
    browser.get(desk.url + "/?q=FOREIGN+minister")
    assert [row[1] for row in rows(browser)] == ["ministerial_talks"]
    browser.get(desk.url + "/?q=nothing+like+this")
    assert rows(browser) == []
    assert "No events match" in browser.find_element(By.TAG_NAME, "main").text


def test_event_page_shows_articles_evidence_timeline_and_alerts(
    desk: Desk, browser: webdriver.Chrome
) -> None:
    browser.get(desk.url + "/?type=summit_announced")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.event-link"))
    assert "/events/ev-" in browser.current_url
    articles = browser.find_elements(By.CSS_SELECTOR, "article.article")
    assert len(articles) == 3
    titles = [a.find_element(By.TAG_NAME, "h3").text for a in articles]
    assert "Lee Jae-myung and Ishiba to hold summit in Tokyo next month" in titles
    marks = browser.find_elements(By.CSS_SELECTOR, "q.snippet mark")
    assert {m.text.lower() for m in marks} & {"summit", "lee jae-myung", "ishiba"}
    outlets = browser.find_elements(By.CSS_SELECTOR, "svg.timeline text")
    assert {"herald", "yomiuri"} <= {t.text for t in outlets}
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.timeline circle.dot")) == 3
    history = browser.find_element(By.CSS_SELECTOR, "ol.history").text
    assert "announced" in history
    alerts = browser.find_element(By.XPATH, "//h2[text()='Alerts']/following-sibling::table")
    assert "desk-hook" in alerts.text
    shoot(browser, "event")


def test_hostile_feed_text_renders_as_text(desk: Desk, browser: webdriver.Chrome) -> None:
    browser.get(desk.url + "/?type=summit_announced")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.event-link"))
    main = browser.find_element(By.TAG_NAME, "main")
    assert HOSTILE in main.text  # shown, as the characters the feed sent
    assert browser.title != "owned"  # the script did not run
    assert main.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.CSS_SELECTOR, "img") == []


def test_feeds_page_shows_each_feed_with_a_sparkline(desk: Desk, browser: webdriver.Chrome) -> None:
    browser.get(desk.url + "/feeds")
    table = browser.find_element(By.CSS_SELECTOR, "table.feeds")
    names = [
        c.text.splitlines()[0] for c in table.find_elements(By.CSS_SELECTOR, "tbody td:first-child")
    ]
    assert names == ["herald", "yomiuri"]
    sparks = table.find_elements(By.CSS_SELECTOR, "svg.spark")
    assert len(sparks) == 2
    assert [s.get_attribute("aria-label").split()[0] for s in sparks] == ["2", "2"]
    assert all(
        cell.text == "2" for cell in table.find_elements(By.CSS_SELECTOR, "tbody td:nth-child(4)")
    )
    shoot(browser, "feeds")


def test_resend_a_dead_alert(desk: Desk, browser: webdriver.Chrome) -> None:
    browser.get(desk.url + "/alerts?status=dead")
    dead = browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")
    assert len(dead) == 2 and all("dead" in row.text for row in dead)
    assert all("connect" in row.text.lower() or "refused" in row.text.lower() for row in dead)
    shoot(browser, "alerts")
    row_id = dead[0].get_attribute("id")
    follow(browser, dead[0].find_element(By.CSS_SELECTOR, "button.resend"))
    notice = browser.find_element(By.ID, "resent").text
    assert f"Alert {row_id.removeprefix('alert-')} is queued again" in notice
    row = browser.find_element(By.ID, row_id)
    assert "pending" in row.text
    assert row.find_elements(By.CSS_SELECTOR, "button.resend") == []
    browser.get(desk.url + "/alerts?status=dead")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")) == 1


def test_playground_classifies_a_pasted_article(desk: Desk, browser: webdriver.Chrome) -> None:
    browser.get(desk.url + "/rules")
    browser.find_element(By.NAME, "title").send_keys(
        "Lee Jae-myung and Ishiba to hold summit in Tokyo next month"
    )
    browser.find_element(By.NAME, "text").send_keys(
        "South Korean President Lee Jae-myung will visit Tokyo next month for a summit "
        "with Japanese Prime Minister Shigeru Ishiba, the presidential office said."
    )
    follow(browser, browser.find_element(By.ID, "classify"))
    verdict = browser.find_element(By.ID, "verdict")
    assert "Relevant: yes" in verdict.text
    labels = [h.text.split()[0] for h in verdict.find_elements(By.CSS_SELECTOR, "h3.label")]
    assert labels == ["summit_announced"]
    assert verdict.find_elements(By.CSS_SELECTOR, "q.snippet mark")
    misses = verdict.find_elements(By.CSS_SELECTOR, ".miss")
    assert any("summit_held" in m.text and "to hold summit" in m.text for m in misses)
    shoot(browser, "rules")


def test_playground_tries_a_candidate_rules_file_without_writing_it(
    desk: Desk, browser: webdriver.Chrome
) -> None:
    from tests.support.desk import RULES

    before = RULES.read_bytes()
    # the type renamed everywhere it is named (its clues, the events section's links)
    renamed = before.decode().replace("summit_announced", "summit_planned")
    assert renamed != before.decode()
    browser.get(desk.url + "/rules")
    area = browser.find_element(By.NAME, "candidate")
    browser.execute_script("arguments[0].value = arguments[1]", area, renamed)
    follow(browser, browser.find_element(By.ID, "try-rules"))
    changes = browser.find_element(By.ID, "changes").text
    assert "3 of 4 items change: 3 new matches, 3 lost matches" in changes
    assert changes.count("+ summit_planned") == 3 and changes.count("− summit_announced") == 3
    assert RULES.read_bytes() == before


def test_playground_names_the_line_of_a_broken_candidate(
    desk: Desk, browser: webdriver.Chrome
) -> None:
    from tests.support.desk import RULES

    broken = RULES.read_text(encoding="utf-8").replace("threshold: 0.5", "threshold: 5.0")
    browser.get(desk.url + "/rules")
    area = browser.find_element(By.NAME, "candidate")
    browser.execute_script("arguments[0].value = arguments[1]", area, broken)
    follow(browser, browser.find_element(By.ID, "try-rules"))
    errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "p.error")]
    line = broken.splitlines().index("  threshold: 5.0") + 1
    assert errors == [
        f"pasted rules:{line}: defaults.threshold: Input should be less than or equal to 1"
    ]
    assert browser.find_elements(By.ID, "changes") == []
