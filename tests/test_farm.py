"""The feed farm (tests/support/farm.py) that the multi-instance tests and the benchmarks
poll: in this process and in a process of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.support.farm import FeedFarm, Story, item_guid, start


def test_a_farm_in_this_process_answers_304_advances_and_records_fetches() -> None:
    story = Story("wire-1", "Seoul and Tokyo talk", "https://e.test/1", "Text.", datetime.now(UTC))
    with FeedFarm(3, keep=2, first=3) as farm, httpx.Client() as client:
        first = client.get(farm.url(1))
        assert first.status_code == 200
        assert item_guid(1, 3) in first.text and item_guid(1, 2) in first.text
        assert item_guid(1, 1) not in first.text  # only the 2 newest are kept
        etag = first.headers["etag"]
        assert client.get(farm.url(1), headers={"If-None-Match": etag}).status_code == 304
        assert farm.advance() == 4
        again = client.get(farm.url(1), headers={"If-None-Match": etag})
        assert again.status_code == 200 and item_guid(1, 4) in again.text
        farm.publish(2, story)
        assert "wire-1" in client.get(farm.url(2)).text
        assert "wire-1" not in client.get(farm.url(0)).text
        assert client.get(farm.url(1).replace("/feed/1.xml", "/nope")).status_code == 404
    assert [f.status for f in farm.fetches(1)] == [200, 304, 200]
    assert all(f.end >= f.start for f in farm.fetches())
    assert {f.feed for f in farm.fetches()} == {0, 1, 2}


def test_a_farm_in_its_own_process_serves_generated_articles_and_advances() -> None:
    proc, port = start(2, items=3)
    try:
        with httpx.Client() as client:
            url = f"http://127.0.0.1:{port}/feed/1.xml"
            body = client.get(url).text
            assert body.count("<item>") == 3 and item_guid(1, 3) in body
            assert "seoul" in body or "tokyo" in body  # generated words, not one sentence
            advanced = client.post(f"http://127.0.0.1:{port}/advance?n=2")
            assert advanced.status_code == 200
            assert item_guid(1, 5) in client.get(url).text
    finally:
        proc.terminate()
        proc.wait()
