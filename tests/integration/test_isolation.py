"""One bad input fails alone, through the real cycle: loopback servers, the real stages, PostgreSQL.

A feed the parser refuses (it declares XML entities), an item whose link has port 99999
and an article page whose server answers 500 sit beside good feeds and good articles:
the good ones load in the same cycle, the bad feed is recorded failed with a one-line
reason where `wirewatch feeds list` shows it, the bad link is never queued, the bad page's
entry is retried later with its one-line reason, and the run is `ok`.

A feed and a page served with `charset=rot13` (a codec Python knows but no browser decodes
with) are good inputs: the label is ignored (WHATWG), and both load like the others.
"""

from __future__ import annotations

import time
import urllib.request
from datetime import datetime, timezone

import pytest
from werkzeug import Response

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec
from pipeline.sample_site import serve_sample_site

pytestmark = pytest.mark.slow

BAD_PORT_URL = "http://127.0.0.1:99999/a4.html"
ENTITY_FEED = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]>'
               b'<rss version="2.0"><channel><title>&a;</title><item><link>http://x/1</link></item></channel></rss>')


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


def _rss(*links: str) -> str:
    items = "".join(f"<item><title>story {n}</title><link>{link}</link><guid>{link}</guid></item>"
                    for n, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x/</link>{items}</channel></rss>'


def _one_line(text: str | None) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text


def test_isolation_bad_feed_bad_link_and_bad_page_fail_alone_in_one_cycle(migrated_url, httpserver, site, analyzer):
    good = list(site.article_urls[:3])
    page_html = urllib.request.urlopen(site.article_urls[3], timeout=10).read()
    rot13_page = httpserver.url_for("/rot13-page.html")
    broken_page = httpserver.url_for("/broken-page.html")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/good.xml").respond_with_data(
        _rss(*good, BAD_PORT_URL, rot13_page, broken_page), content_type="application/rss+xml")
    httpserver.expect_request("/rot13.xml").respond_with_data(
        _rss(site.article_urls[4]), content_type="application/rss+xml; charset=rot13")
    httpserver.expect_request("/entities.xml").respond_with_data(ENTITY_FEED, content_type="application/rss+xml")
    httpserver.expect_request("/rot13-page.html").respond_with_data(page_html, content_type="text/html; charset=rot13")
    httpserver.expect_request("/broken-page.html").respond_with_data("internal error", status=500)
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0,
                        batch_size=8)
    feeds = [FeedSpec(url=httpserver.url_for(path)) for path in ("/good.xml", "/rot13.xml", "/entities.xml")]

    summary = cycle.run_cycle(settings, feeds, force=True, analyzer=analyzer)

    counts = summary["counts"]
    assert counts["feeds_polled"] == 3 and counts["feeds_failed"] == 1 and counts["pages_failed"] == 1
    with store.connect(settings) as conn:
        loaded = {row[0] for row in conn.execute("select url from articles")}
        states = dict(conn.execute("select url, state from entries").fetchall())
        errors = dict(conn.execute("select url, last_error from entries").fetchall())
        next_at = dict(conn.execute("select url, next_attempt_at from entries").fetchall())
        feed_rows = {f.url: f for f in store.list_feeds(conn)}
        run = store.get_run(conn, summary["run_id"])
    assert {*good, site.article_urls[4], rot13_page} <= loaded  # the good ones beside the bad ones are in
    assert run.status == "ok"

    bad_feed = feed_rows[httpserver.url_for("/entities.xml")]
    assert bad_feed.consecutive_errors == 1 and _one_line(bad_feed.last_error) and "entities" in bad_feed.last_error
    assert feed_rows[httpserver.url_for("/good.xml")].last_error is None
    assert feed_rows[httpserver.url_for("/rot13.xml")].last_error is None

    assert BAD_PORT_URL not in states  # refused where the feed is read: never queued
    now = datetime.now(timezone.utc)
    # a failed attempt that may succeed later: retried after its backoff, with its reason
    assert states[broken_page] == "pending" and _one_line(errors[broken_page]) and next_at[broken_page] > now
    assert "500" in errors[broken_page]
    assert any(e["url"] == broken_page for e in run.errors)

    # a second cycle does not take it before its backoff, and nothing else is pending
    second = cycle.run_cycle(settings, feeds, force=True, analyzer=analyzer)
    assert second["counts"].get("pages_failed", 0) == 0


def test_isolation_entry_failing_every_attempt_becomes_a_dead_letter_and_can_be_retried(migrated_url, site,
                                                                                          analyzer, httpserver):
    broken_page = httpserver.url_for("/broken-page.html")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/feed.xml").respond_with_data(_rss(site.article_urls[0], broken_page),
                                                             content_type="application/rss+xml")
    httpserver.expect_request("/broken-page.html").respond_with_data("internal error", status=500)
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0,
                        max_entry_attempts=2, retry_delay=0.0)
    first = cycle.run_cycle(settings, [FeedSpec(url=httpserver.url_for("/feed.xml"))], force=True, analyzer=analyzer)
    assert first["counts"]["entries_retry"] == 1 and "entries_dead" not in first["counts"]
    summary = cycle.drain_queue(settings, "push", analyzer=analyzer)  # the second attempt: used up
    assert summary["counts"]["entries_dead"] == 1
    with store.connect(settings) as conn:
        [dead] = store.list_entries(conn, "dead")
        assert (dead.url, dead.attempts) == (broken_page, 2) and _one_line(dead.last_error)
        assert cycle.select_entry_batches(settings) == []  # a dead letter is never taken again by itself
        assert store.requeue_entries(conn) == [dead.entry_id]
        conn.commit()
        assert cycle.select_entry_batches(settings) == [[dead.entry_id]]


def test_isolation_retry_after_outlives_the_batch_within_the_process(migrated_url, httpserver, analyzer):
    """A host's Retry-After learnt in one batch still holds in the next (each batch opens its own fetcher)."""
    from pipeline.http.urls import canonicalize_url, url_hash
    from pipeline.models import FeedEntry

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/busy.html").respond_with_data("slow down", status=429, headers={"Retry-After": "3600"})
    httpserver.expect_request("/next.html").respond_with_data("<p>never asked</p>", content_type="text/html")
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0)
    urls = [httpserver.url_for("/busy.html"), httpserver.url_for("/next.html")]
    with store.connect(settings) as conn:
        store.add_entries(conn, None, [(FeedEntry("", u), url_hash(canonicalize_url(u))) for u in urls])
        conn.commit()
        ids = [row[0] for row in conn.execute("select entry_id from entries order by entry_id")]
    first = cycle.process_entry_batch(settings, ids[:1], analyzer=analyzer)
    second = cycle.process_entry_batch(settings, ids[1:], analyzer=analyzer)
    assert first["counts"]["pages_failed"] == 1  # the 429 itself: an attempt, retried later
    assert second["counts"] == {"pages_deferred": 1}  # the host is still on hold: not asked
    assert "/next.html" not in [request.path for request, _ in httpserver.log]
    with store.connect(settings) as conn:
        assert [e.attempts for e in store.get_entries(conn, ids)] == [1, 0]


def test_isolation_entry_whose_workers_keep_dying_becomes_a_dead_letter(migrated_url, analyzer):
    """An entry claimed again after every holder died (its lease ran out) is given up once its attempts are used."""
    from pipeline.models import FeedEntry

    settings = Settings(database_url=migrated_url, max_entry_attempts=2)
    with store.connect(settings) as conn:
        store.add_entries(conn, None, [(FeedEntry("", "http://127.0.0.1:9/poison.html"), "poison-hash-0001")])
        conn.commit()
        for worker in ("killed-1", "killed-2"):  # two workers claim it and die (kill -9) without settling
            assert store.claim_entries(conn, worker, limit=1, lease_s=60)
            conn.execute("update entries set lease_until = now() - interval '1 second'")
            conn.commit()
        [entry_id] = [row[0] for row in conn.execute("select entry_id from entries")]
    summary = cycle.process_entry_batch(settings, [entry_id], analyzer=analyzer)
    assert summary["counts"] == {"entries_dead": 1}  # not fetched a third time
    with store.connect(settings) as conn:
        [dead] = store.get_entries(conn, [entry_id])
    assert (dead.state, dead.claimed_by) == ("dead", None) and "gave up after 2 attempts" in dead.last_error


def test_isolation_each_error_disposes_of_its_entry_as_its_class_says(migrated_url, analyzer):
    """Through the real queue: errors that may pass (a 502, a timeout, a corrupt body) are retried with
    backoff, then dead letters; errors that never will (404, a blocked address, a body over the cap)
    fail at once and are not claimed again."""
    from pytest_httpserver import HTTPServer

    httpserver = HTTPServer(threaded=True)  # the slow answer must not hold up the others
    httpserver.start()
    try:
        _dispose_of_each_error(httpserver, migrated_url, analyzer)
    finally:
        httpserver.stop()


def _dispose_of_each_error(httpserver, migrated_url, analyzer) -> None:
    from pipeline.http.urls import canonicalize_url, url_hash
    from pipeline.models import FeedEntry

    def slow(request):
        time.sleep(1.5)
        return Response("<p>too late</p>", content_type="text/html")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/unavailable.html").respond_with_data("down", status=502)
    httpserver.expect_request("/slow.html").respond_with_handler(slow)
    httpserver.expect_request("/corrupt.html").respond_with_data(b"not gzip at all", content_type="text/html",
                                                                 headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/missing.html").respond_with_data("gone", status=404)
    httpserver.expect_request("/huge.html").respond_with_data(b"<p>" + b"x" * 4096 + b"</p>", content_type="text/html")
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0,
                        read_timeout=0.5, max_body_bytes=2048, max_entry_attempts=2, retry_delay=0.0)
    retried = [httpserver.url_for(p) for p in ("/unavailable.html", "/slow.html", "/corrupt.html")]
    failed = [httpserver.url_for("/missing.html"), "http://10.0.0.1/blocked.html", httpserver.url_for("/huge.html")]
    with store.connect(settings) as conn:
        store.add_entries(conn, None, [(FeedEntry("", u), url_hash(canonicalize_url(u))) for u in retried + failed])
        conn.commit()
        ids = dict(conn.execute("select url, entry_id from entries").fetchall())

    first = cycle.process_entry_batch(settings, list(ids.values()), analyzer=analyzer)
    with store.connect(settings) as conn:
        after_first = {e.url: e for e in store.get_entries(conn, list(ids.values()))}
    second = cycle.process_entry_batch(settings, list(ids.values()), analyzer=analyzer)
    with store.connect(settings) as conn:
        after_second = {e.url: e for e in store.get_entries(conn, list(ids.values()))}

    assert first["counts"]["pages_failed"] == 6 and first["counts"]["entries_retry"] == 3
    assert {u: after_first[u].state for u in retried + failed} == {
        **dict.fromkeys(retried, "pending"), **dict.fromkeys(failed, "failed")}
    assert all(_one_line(after_first[u].last_error) for u in retried + failed)
    assert "502" in after_first[retried[0]].last_error and "timed out" in after_first[retried[1]].last_error
    assert "corrupt compressed body" in after_first[retried[2]].last_error
    assert second["counts"]["entries_dead"] == 3  # the second attempt used them up
    assert {u: (after_second[u].state, after_second[u].attempts) for u in retried + failed} == {
        **{u: ("dead", 2) for u in retried}, **{u: ("failed", 1) for u in failed}}
