"""Politeness over real loopback HTTP: robots.txt for article pages, pacing per host,
Retry-After holds, and what the cycle does with pages it may not fetch yet."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import HostBusy, HTTPStatusError, RobotsDisallowed
from pipeline.flows import cycle
from pipeline.http.fetch import Fetcher
from pipeline.http.politeness import Politeness
from pipeline.http.urls import canonicalize_url, url_hash
from pipeline.models import FeedEntry

from fixture_modules import fixture_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monitor"
site = fixture_module("monitor/site.py")

HTML = "text/html; charset=utf-8"


def _settings(**changes: object) -> Settings:
    base = Settings(allow_private=("localhost", "127.0.0.1"), host_delay=0.0, connect_timeout=2.0,
                    read_timeout=2.0, total_timeout=5.0)
    return base.with_(**changes)


def _robots(httpserver, body: str = "", status: int = 200) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(body, status=status, content_type="text/plain")


def test_robots_disallowed_page_is_refused_before_any_request(httpserver):
    _robots(httpserver, (FIXTURES / "robots_site.txt").read_text())
    httpserver.expect_request("/world/a.html").respond_with_data("<p>fine</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/world/a.html")).status == 200
        with pytest.raises(RobotsDisallowed) as caught:
            fetcher.fetch(httpserver.url_for("/private/b.html"))
        fetcher.fetch(httpserver.url_for("/world/a.html"))
        # feeds are subscriptions, not crawling: robots.txt does not apply to them
        httpserver.expect_request("/private/feed.xml").respond_with_data("<rss/>", content_type="application/rss+xml")
        fetcher.fetch(httpserver.url_for("/private/feed.xml"), kind="feed")
    assert "robots.txt" in str(caught.value) and "Wirewatch" in str(caught.value)
    paths = [request.path for request, _ in httpserver.log]
    assert paths == ["/robots.txt", "/world/a.html", "/world/a.html", "/private/feed.xml"]  # robots.txt fetched once


def test_robots_checked_again_after_a_redirect_to_a_disallowed_page(httpserver):
    _robots(httpserver, "User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/private/x.html"})
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher, pytest.raises(RobotsDisallowed):
        fetcher.fetch(httpserver.url_for("/go"))
    assert "/private/x.html" not in [request.path for request, _ in httpserver.log]


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (500, False), (429, False)])
def test_robots_missing_allows_unreachable_defers(httpserver, status, allowed):
    _robots(httpserver, "nope", status=status)
    httpserver.expect_request("/world/a.html").respond_with_data("<p>fine</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        if allowed:
            assert fetcher.fetch(httpserver.url_for("/world/a.html")).status == 200
        else:
            with pytest.raises(HostBusy) as caught:
                fetcher.fetch(httpserver.url_for("/world/a.html"))
            assert caught.value.retry_after > 60 and "unreachable" in str(caught.value)


def test_robots_crawl_delay_paces_the_host(httpserver):
    _robots(httpserver, "User-agent: Wirewatch\nCrawl-delay: 1\nDisallow: /private/\n")
    httpserver.expect_request("/a.html").respond_with_data("<p>a</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        fetcher.fetch(httpserver.url_for("/a.html"))
        started = time.monotonic()
        fetcher.fetch(httpserver.url_for("/a.html"))
    assert time.monotonic() - started >= 0.9  # host_delay is 0: the wait is robots.txt's


def test_host_delay_applies_per_host_not_across_hosts(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>", content_type="application/rss+xml")
    settings = _settings(host_delay=0.3)
    by_name = httpserver.url_for("/feed.xml")
    by_address = by_name.replace("localhost", "127.0.0.1")
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        started = time.monotonic()
        fetcher.fetch(by_name, kind="feed")
        fetcher.fetch(by_address, kind="feed")  # another host name: no wait
        across = time.monotonic() - started
        fetcher.fetch(by_name, kind="feed")
        fetcher.fetch(by_name, kind="feed")
        same = time.monotonic() - started
    assert across < 0.25
    assert same >= 0.55


def test_retry_after_holds_the_host_for_later_requests(httpserver):
    _robots(httpserver, "", status=404)
    httpserver.expect_oneshot_request("/busy.html").respond_with_data("busy", status=503,
                                                                     headers={"Retry-After": "1"})
    httpserver.expect_request("/busy.html").respond_with_data("<p>ok</p>", content_type=HTML)
    settings = _settings()
    polite = Politeness(settings)
    with Fetcher(settings, politeness=polite) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.fetch(httpserver.url_for("/busy.html"))
        assert caught.value.status == 503 and caught.value.retry_after == 1
        assert polite.held_for(httpserver.url_for("/other")) > 0.5
        started = time.monotonic()
        assert fetcher.fetch(httpserver.url_for("/busy.html")).status == 200
    assert time.monotonic() - started >= 0.8


def test_cycle_skips_robots_pages_and_leaves_held_ones_pending(migrated_url, httpserver, analyzer):
    _robots(httpserver, (FIXTURES / "robots_site.txt").read_text())
    httpserver.expect_request("/private/a.html").respond_with_data("<p>secret</p>", content_type=HTML)
    settings = _settings(database_url=migrated_url)
    urls = [httpserver.url_for("/private/a.html"), httpserver.url_for("/world/b.html")]
    entries = [(FeedEntry(feed_url="", link=url, title="t"), url_hash(canonicalize_url(url))) for url in urls]
    polite = Politeness(settings)
    with store.connect(settings) as conn:
        store.add_entries(conn, None, entries)
        conn.commit()
        ids = [row[0] for row in conn.execute("select entry_id from entries order by entry_id")]
    with Fetcher(settings, politeness=polite) as fetcher:
        assert polite.robots_rules(fetcher, urls[0]).allows("Wirewatch", urls[1])
        polite.hold(urls[1], 3600)  # as a 429 from that host would
        result = cycle.process_entry_batch(settings, ids, fetcher=fetcher, analyzer=analyzer)
    assert result["counts"] == {"pages_skipped": 1, "skipped_robots": 1, "pages_deferred": 1}
    with store.connect(settings) as conn:
        rows = conn.execute("select url, state, skip_reason, attempts from entries order by entry_id").fetchall()
    assert rows == [(urls[0], "skipped", "robots", 1), (urls[1], "pending", None, 0)]
    assert "/private/a.html" not in [request.path for request, _ in httpserver.log]


# --- robots.txt as served: RFC 9309 §2.3.1 and §2.5 ------------------------------------------------


def test_robots_longest_match_over_http(httpserver):
    # urllib.robotparser took the first matching rule and refused /news/; RFC 9309 takes the longest
    _robots(httpserver, "User-agent: *\nDisallow: /\nAllow: /news/\nDisallow: /*?print=1\n")
    httpserver.expect_request("/news/x.html").respond_with_data("<p>news</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/news/x.html")).status == 200
        for path in ("/sport/y.html", "/news/x.html?print=1"):
            with pytest.raises(RobotsDisallowed):
                fetcher.fetch(httpserver.url_for(path))
    assert [request.path for request, _ in httpserver.log] == ["/robots.txt", "/news/x.html"]


def test_robots_redirects_are_followed_up_to_five(httpserver):
    for hop in range(1, 5):  # /robots.txt -> /r1 -> ... -> /r4 -> /real-robots.txt: five redirects
        source = "/robots.txt" if hop == 1 else f"/r{hop - 1}"
        httpserver.expect_request(source).respond_with_data("", status=301, headers={"Location": f"/r{hop}"})
    httpserver.expect_request("/r4").respond_with_data("", status=302, headers={"Location": "/real-robots.txt"})
    httpserver.expect_request("/real-robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    httpserver.expect_request("/public.html").respond_with_data("<p>ok</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.fetch(httpserver.url_for("/private/a.html"))
        assert fetcher.fetch(httpserver.url_for("/public.html")).status == 200
    paths = [request.path for request, _ in httpserver.log]
    assert paths == ["/robots.txt", "/r1", "/r2", "/r3", "/r4", "/real-robots.txt", "/public.html"]


def test_robots_redirected_to_a_missing_file_allows_all(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=301, headers={"Location": "/gone.txt"})
    httpserver.expect_request("/gone.txt").respond_with_data("gone", status=410)
    httpserver.expect_request("/a.html").respond_with_data("<p>a</p>", content_type=HTML)
    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/a.html")).status == 200


def test_robots_oversize_only_the_first_500_kib_count(httpserver):
    # a rule inside the first 500 KiB applies; one past it is never read (§2.5), even past the body cap
    filler = "# " + "x" * 98 + "\n"
    head = "User-agent: *\nDisallow: /early/\n"
    room = 500 * 1024 - 5 - len(head)  # the late rule starts 5 bytes before the limit: cut mid-line
    head += filler * (room // len(filler)) + "#" * (room % len(filler) - 1) + "\n"
    body = head + "Disallow: /late/\n" + filler * 2000
    assert len(head.encode()) < 500 * 1024 < len(head.encode()) + len("Disallow: /late/")
    _robots(httpserver, body)
    httpserver.expect_request("/late/a.html").respond_with_data("<p>late</p>", content_type=HTML)
    settings = _settings(max_body_bytes=600 * 1024)  # the whole file would be refused as too large
    assert len(body.encode()) > settings.max_body_bytes
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.fetch(httpserver.url_for("/early/a.html"))
        assert fetcher.fetch(httpserver.url_for("/late/a.html")).status == 200


def test_robots_5xx_defers_then_the_answer_applies(httpserver):
    httpserver.expect_oneshot_request("/robots.txt").respond_with_data("down", status=503)
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n",
                                                              content_type="text/plain")
    httpserver.expect_request("/a.html").respond_with_data("<p>a</p>", content_type=HTML)
    clock = [1000.0]
    settings = _settings()
    polite = Politeness(settings, clock=lambda: clock[0])
    with Fetcher(settings, politeness=polite) as fetcher:
        with pytest.raises(HostBusy) as caught:  # complete disallow while unreachable: deferred, not failed
            fetcher.fetch(httpserver.url_for("/a.html"))
        assert "unreachable (HTTP 503)" in str(caught.value)
        clock[0] += 15 * 60 + 1  # ROBOTS_RETRY_S later robots.txt is asked again
        assert fetcher.fetch(httpserver.url_for("/a.html")).status == 200
        with pytest.raises(RobotsDisallowed):
            fetcher.fetch(httpserver.url_for("/private/b.html"))


def test_robots_unreachable_later_keeps_the_last_copy(httpserver):
    httpserver.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n",
                                                                      content_type="text/plain")
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=500)
    httpserver.expect_request("/a.html").respond_with_data("<p>a</p>", content_type=HTML)
    clock = [1000.0]
    settings = _settings()
    polite = Politeness(settings, clock=lambda: clock[0])
    with Fetcher(settings, politeness=polite) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/a.html")).status == 200
        clock[0] += 24 * 3600 + 1  # the copy is stale: asked again, and the server fails
        assert fetcher.fetch(httpserver.url_for("/a.html")).status == 200  # §2.4: the last copy serves
        with pytest.raises(RobotsDisallowed):
            fetcher.fetch(httpserver.url_for("/private/b.html"))
    assert [request.path for request, _ in httpserver.log].count("/robots.txt") == 2
