"""Polling feeds through the cycle: conditional GET, unchanged bodies, adaptive intervals,
backoff, disabling and `feeds enable`, 429 with Retry-After, and hostile feeds refused.

Real loopback HTTP (pytest-httpserver) and a real PostgreSQL; nothing patched.
"""

from __future__ import annotations

import gzip
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug import Response

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.flows import cycle, runs
from pipeline.models import FeedSpec

from fixture_modules import fixture_module

site = fixture_module("monitor/site.py")

RSS = "application/rss+xml"


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, allow_private=("localhost", "127.0.0.1"), host_delay=0.0,
                    min_poll_interval=600, max_poll_interval=86_400, max_consecutive_errors=3,
                    connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)


def _register(settings: Settings, *urls: str) -> list[int]:
    return cycle.register_feeds(settings, [FeedSpec(url=url) for url in urls])


def _feed(settings: Settings, feed_id: int):
    with store.connect(settings) as conn:
        return store.list_feeds(conn, [feed_id])[0]


def _poll(settings: Settings, feed_ids: list[int]) -> dict:
    return cycle.poll_feed_batch(settings, feed_ids)


def test_monitor_304_costs_no_parse_and_keeps_validators(settings, httpserver, caplog):
    base = site.base_of(httpserver)
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/feed.xml").respond_with_data(
        site.document("feed_v1.xml", base), content_type=RSS,
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 02 Jan 2024 09:00:00 GMT"})
    [feed_id] = _register(settings, f"{base}/feed.xml")

    first = _poll(settings, [feed_id])
    assert first["counts"]["entries_new"] == 2
    assert _feed(settings, feed_id).etag == '"v1"'

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pipeline"):
        second = _poll(settings, [feed_id])
    assert second["counts"] == {"feeds_polled": 1, "feeds_unchanged": 1}
    conditional = httpserver.log[-1][0]
    assert conditional.headers["If-None-Match"] == '"v1"'
    assert conditional.headers["If-Modified-Since"] == "Tue, 02 Jan 2024 09:00:00 GMT"
    assert not [r for r in caplog.records if r.name == "pipeline.feeds.parse" or "entries" in r.getMessage()]
    state = _feed(settings, feed_id)
    assert state.last_status == 304 and state.etag == '"v1"' and state.consecutive_errors == 0
    with store.connect(settings) as conn:
        statuses = [row[0] for row in conn.execute("select status from fetch_log order by fetch_id")]
    assert statuses == [200, 304]


def test_monitor_unchanged_body_hash_is_not_parsed(settings, httpserver, caplog):
    base = site.base_of(httpserver)
    httpserver.expect_request("/feed.xml").respond_with_data(site.document("feed_v1.xml", base), content_type=RSS)
    [feed_id] = _register(settings, f"{base}/feed.xml")
    _poll(settings, [feed_id])
    body_hash = _feed(settings, feed_id).body_hash
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="pipeline"):
        second = _poll(settings, [feed_id])
    assert second["counts"] == {"feeds_polled": 1, "feeds_unchanged": 1}
    assert not [r for r in caplog.records if "entries" in r.getMessage()]
    assert _feed(settings, feed_id).body_hash == body_hash


def test_monitor_interval_follows_new_items_and_the_feed_ttl(settings, httpserver):
    base = site.base_of(httpserver)
    [feed_id] = _register(settings, f"{base}/feed.xml")
    assert _feed(settings, feed_id).poll_interval_s == 900

    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(site.document("feed_v1.xml", base),
                                                                    content_type=RSS)
    _poll(settings, [feed_id])
    first = _feed(settings, feed_id)
    assert first.poll_interval_s == 600  # new items: 900 halved, held at the floor
    assert first.next_poll_at - first.last_polled_at == timedelta(seconds=600)
    assert first.last_new_item_at == first.last_polled_at

    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(site.document("feed_v1.xml", base),
                                                                    content_type=RSS)
    _poll(settings, [feed_id])
    assert _feed(settings, feed_id).poll_interval_s == 900  # nothing new: × 1.5

    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(site.document("feed_v2.xml", base),
                                                                    content_type=RSS)
    counts = _poll(settings, [feed_id])["counts"]
    # only the really new item: the others come back with tracking parameters, a fragment
    # or an upper-case host, and canonicalise to the URLs already queued
    assert counts["entries_new"] == 1
    assert _feed(settings, feed_id).poll_interval_s == 7200  # <ttl>120</ttl> is a lower bound

    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(
        site.document("feed_v1.xml", base), content_type=RSS, headers={"Cache-Control": "public, max-age=20000"})
    _poll(settings, [feed_id])
    assert _feed(settings, feed_id).poll_interval_s == 20000  # Cache-Control max-age as well
    with store.connect(settings) as conn:
        assert conn.execute("select count(*) from entries").fetchone()[0] == 3


def test_monitor_backoff_disable_and_feeds_enable(settings, httpserver, monkeypatch, capsys):
    base = site.base_of(httpserver)
    httpserver.expect_request("/feed.xml").respond_with_data("down for maintenance", status=500)
    [feed_id] = _register(settings, f"{base}/feed.xml")

    waits = []
    for errors in (1, 2, 3):
        result = _poll(settings, [feed_id])
        assert result["counts"]["feeds_failed"] == 1
        assert result["errors"][0]["url"] == f"{base}/feed.xml" and "HTTP 500" in result["errors"][0]["error"]
        state = _feed(settings, feed_id)
        assert state.consecutive_errors == errors and "HTTP 500" in state.last_error
        waits.append(round((state.next_poll_at - state.last_polled_at).total_seconds()))
    assert waits == [600, 1200, 2400]  # floor × 2^(errors-1)
    assert state.poll_interval_s == 900  # the feed's own rhythm is kept for when it recovers
    assert not state.enabled and "3 consecutive errors" in state.disabled_reason
    assert cycle.select_feed_batches(settings, force=True) == []

    monkeypatch.setenv("WIREWATCH_DATABASE_URL", settings.database_url)
    assert main(["feeds", "enable", f"{base}/feed.xml"]) == 0
    assert f"1 feed(s) enabled: {feed_id}" in capsys.readouterr().out
    state = _feed(settings, feed_id)
    assert state.enabled and state.disabled_reason is None and state.consecutive_errors == 0
    assert state.next_poll_at <= datetime.now(timezone.utc)
    assert cycle.select_feed_batches(settings) == [[feed_id]]

    assert main(["feeds", "enable", "999999"]) == 1
    assert "feed 999999: no such row" in capsys.readouterr().err


def test_monitor_429_retry_after_holds_the_host_and_defers_its_other_feeds(settings, httpserver):
    base = site.base_of(httpserver)
    httpserver.expect_request("/a.xml").respond_with_data("slow down", status=429, headers={"Retry-After": "7200"})
    httpserver.expect_request("/b.xml").respond_with_data(site.document("feed_v1.xml", base), content_type=RSS)
    limited, other = _register(settings, f"{base}/a.xml", f"{base}/b.xml")
    before = datetime.now(timezone.utc)

    with runs.polite_fetcher(settings) as fetcher:  # one fetcher, as in a cycle: the hold is shared
        first = cycle.poll_feed_batch(settings, [limited], fetcher=fetcher)
        second = cycle.poll_feed_batch(settings, [other], fetcher=fetcher)

    assert first["counts"]["feeds_failed"] == 1 and "retry after 7200s" in first["errors"][0]["error"]
    state = _feed(settings, limited)
    assert state.last_status == 429 and state.next_poll_at >= before + timedelta(seconds=7200)
    assert second["counts"] == {"feeds_polled": 1, "feeds_deferred": 1}
    deferred = _feed(settings, other)
    assert deferred.consecutive_errors == 0 and deferred.last_polled_at is None
    assert deferred.next_poll_at >= before + timedelta(seconds=7000)
    assert [request.path for request, _ in httpserver.log] == ["/a.xml"]  # b.xml was never asked


def _bomb() -> bytes:
    return gzip.compress(b"<rss>" + b" " * (40 * 1024 * 1024) + b"</rss>", compresslevel=9)


HOSTILE = {
    "billion-laughs": (lambda base: Response(site.document("billion_laughs.xml", base), content_type=RSS),
                       "declares XML entities"),
    "external-entity": (lambda base: Response(site.document("xxe.xml", base), content_type=RSS),
                        "declares XML entities"),
    "gzip-bomb": (lambda base: Response(_bomb(), content_type=RSS, headers={"Content-Encoding": "gzip"}),
                  "over the cap"),
    "huge-body": (lambda base: Response(b"<rss>" + b"x" * (2 * 1024 * 1024), content_type=RSS), "over the cap"),
    "metadata-redirect": (lambda base: Response("", status=302,
                                                headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
                          "cloud-metadata address"),
    "private-redirect": (lambda base: Response("", status=302, headers={"Location": "http://10.1.2.3/feed.xml"}),
                         "private address"),
    "file-redirect": (lambda base: Response("", status=302, headers={"Location": "file:///etc/passwd"}),
                      "only http(s) redirects"),
    "redirect-loop": (lambda base: Response("", status=302, headers={"Location": f"{base}/hostile.xml?again"}),
                      "more than 5 redirects"),
    "html-not-feed": (lambda base: Response(b"<!doctype html><html><body><p>Hi</p></body></html>",
                                            content_type="text/html"), "not a feed"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_monitor_hostile_feed_ends_in_a_bounded_logged_refusal(kind, settings, httpserver, caplog):
    base = site.base_of(httpserver)
    make, expected = HOSTILE[kind]
    httpserver.expect_request("/hostile.xml").respond_with_response(make(base))
    [feed_id] = _register(settings, f"{base}/hostile.xml")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        result = _poll(settings.with_(max_body_bytes=1024 * 1024), [feed_id])
    assert time.monotonic() - started < 5
    assert result["counts"] == {"feeds_polled": 1, "feeds_failed": 1}
    state = _feed(settings, feed_id)
    assert expected in state.last_error and "\n" not in state.last_error
    assert state.consecutive_errors == 1 and state.next_poll_at > state.last_polled_at
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{base}/hostile.xml" in message and expected in message for message in warnings)


def test_monitor_slow_feed_is_cut_at_the_total_timeout(settings, httpserver):
    base = site.base_of(httpserver)

    def drip(_request):
        def body():
            for _ in range(20):
                time.sleep(0.2)
                yield b"<rss>"
        return Response(body(), content_type=RSS)

    httpserver.expect_request("/slow.xml").respond_with_handler(drip)
    [feed_id] = _register(settings, f"{base}/slow.xml")
    started = time.monotonic()
    result = _poll(settings.with_(total_timeout=1.0), [feed_id])
    assert time.monotonic() - started < 3
    assert result["counts"]["feeds_failed"] == 1
    assert "total deadline" in _feed(settings, feed_id).last_error or "after 1.0s" in _feed(settings, feed_id).last_error
    with store.connect(settings) as conn:
        logged = conn.execute("select status, error, elapsed_ms from fetch_log").fetchone()
    assert logged[0] is None and logged[1] and logged[2] >= 900  # the time spent trying is logged


def test_monitor_batches_keep_a_hosts_feeds_together(settings, httpserver):
    by_name = site.base_of(httpserver)
    by_address = by_name.replace("localhost", "127.0.0.1")
    ids = _register(settings, f"{by_name}/1.xml", f"{by_address}/2.xml", f"{by_name}/3.xml", f"{by_address}/4.xml")
    batches = cycle.select_feed_batches(settings.with_(poll_batch_size=2))
    assert batches == [[ids[1], ids[3]], [ids[0], ids[2]]]  # 127.0.0.1 sorts before localhost


def test_monitor_records_a_hub_named_in_link_headers(settings, httpserver):
    """WebSub discovery during polling: an HTTP Link header names the hub (it wins over the document)."""
    base = site.base_of(httpserver)
    httpserver.expect_request("/feed.xml").respond_with_data(
        site.document("feed_v1.xml", base), content_type=RSS,
        headers={"Link": f'<https://hub.example.net/>; rel="hub", <{base}/topic.xml>; rel="self"'})
    [feed_id] = _register(settings, f"{base}/feed.xml")
    _poll(settings, [feed_id])
    state = _feed(settings, feed_id)
    assert state.hub_url == "https://hub.example.net/"
    assert state.self_url == f"{base}/topic.xml"
