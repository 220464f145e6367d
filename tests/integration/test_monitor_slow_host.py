"""A host whose slow endpoints must not starve its other feeds (issue 14, point 4).

One loopback host (`tests/slow_host.py`) serves twenty good feeds and two that trickle
their answer a byte a second, never finishing; a real PostgreSQL; the cycle code
`wirewatch run --feeds` runs. Budgets are short through Settings, so seconds, not minutes.
"""

from __future__ import annotations

import time

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import FetchTimeout, HostBusy
from pipeline.flows import cycle
from pipeline.http.fetch import FetchRequest, Fetcher
from pipeline.http.politeness import Politeness
from pipeline.models import FeedSpec, Page

from slow_host import serve_slow_host

pytestmark = pytest.mark.slow

GOOD, SLOW = 20, 2
FEED_BUDGET_S = 1.5


@pytest.fixture
def host():
    with serve_slow_host(good=GOOD, slow=SLOW, drip_s=0.5) as running:
        yield running


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    # politeness as shipped (2 requests at once per host) and the default total timeout of
    # 60 s; only the feed budget is short, and the pacing small so the test is quick
    return Settings(database_url=migrated_url, allow_private=("127.0.0.1",), host_delay=0.02,
                    host_concurrency=2, feed_timeout=FEED_BUDGET_S, batch_size=32)


# How late a loaded machine may record an answered request's end: the server thread writes
# the last byte, the client (in this process) reads it, frees the host's slot and sends its next
# request before the server thread gets the interpreter back to note the time.
RECORDING_SLACK_S = 0.25


def _most_at_once(requests: list[tuple[str, float, float]]) -> int:
    """The most requests the server was answering at one moment: at each request's start, the
    others still running then (ending more than RECORDING_SLACK_S later), plus itself. The
    slow feeds hold their slots for seconds, so a request let in beside them is still counted."""
    return max((1 + sum(1 for _p, s, e in requests if s < start < e - RECORDING_SLACK_S)
                for _p, start, _e in requests), default=0)


def test_monitor_slow_feeds_do_not_starve_their_hosts_good_feeds(settings, host, analyzer):
    # the slow feeds first: they are due first and take both of the host's slots at once
    specs = [FeedSpec(url=url) for url in host.slow_feeds + host.good_feeds]
    started = time.monotonic()
    first = cycle.run_cycle(settings, specs, analyzer=analyzer)
    took = time.monotonic() - started

    counts = first["counts"]
    assert counts["feeds_polled"] == GOOD + SLOW and counts["feeds_failed"] == SLOW
    assert "feeds_deferred" not in counts
    assert counts["entries_new"] == GOOD and counts["articles_new"] == GOOD
    assert took < 30, f"the cycle took {took:.0f}s; a slow feed should cost one feed budget"
    with store.connect(settings) as conn:
        feeds = {f.url: f for f in store.list_feeds(conn)}
        done = dict(conn.execute("select f.url, count(*) from entries e join feeds f using (feed_id) "
                                 "where e.state = 'done' group by f.url").fetchall())
        articles = {row[0] for row in conn.execute("select url from articles")}
    for url in host.good_feeds:
        feed = feeds[url]
        assert feed.last_status == 200 and feed.last_error is None and feed.consecutive_errors == 0, url
        assert done.get(url) == 1, f"{url}: its entry was not stored and loaded in the first cycle"
        assert (feed.next_poll_at - feed.last_polled_at).total_seconds() >= settings.min_poll_interval
    assert {host.article_url(n) for n in range(GOOD)} <= articles
    for url in host.slow_feeds:  # each its own failure, with a one-line reason and its own backoff
        feed = feeds[url]
        assert feed.consecutive_errors == 1 and feed.enabled
        assert f"over the total deadline of {FEED_BUDGET_S}s (WIREWATCH_FEED_TIMEOUT)" in feed.last_error
        assert "\n" not in feed.last_error
        assert (feed.next_poll_at - feed.last_polled_at).total_seconds() >= settings.min_poll_interval
    # each trickle was cut at its own budget, and the host never saw more than its 2 requests at once
    assert all(end - begin < FEED_BUDGET_S + 1.0 for _p, begin, end in host.asked("/slow/"))
    assert _most_at_once(host.asked("/")) <= settings.host_concurrency

    # the next cycle, once everything is due again: the good feeds are polled before the
    # feeds that timed out, which still fail alone, backed off further
    with store.connect(settings) as conn:
        conn.execute("update feeds set next_poll_at = now()")
        conn.commit()
    before = len(host.asked("/"))
    second = cycle.run_cycle(settings, specs, analyzer=analyzer)
    assert second["counts"]["feeds_polled"] == GOOD + SLOW and second["counts"]["feeds_failed"] == SLOW
    assert second["counts"]["feeds_unchanged"] == GOOD and "feeds_deferred" not in second["counts"]
    asked = sorted(host.asked("/")[before:], key=lambda r: r[1])
    good_ends = [end for path, _s, end in asked if path.startswith("/feed/")]
    slow_starts = [begin for path, begin, _e in asked if path.startswith("/slow/")]
    assert len(good_ends) == GOOD and len(slow_starts) == SLOW
    assert max(good_ends) <= min(slow_starts) + 0.05, "a feed that timed out went before the host's good feeds"
    with store.connect(settings) as conn:
        feeds = {f.url: f for f in store.list_feeds(conn)}
    assert all(feeds[url].consecutive_errors == 0 and feeds[url].last_status == 200 for url in host.good_feeds)
    assert all(feeds[url].consecutive_errors == 2 for url in host.slow_feeds)


def test_fetch_many_queues_a_busy_hosts_requests_itself_not_in_a_thread(host):
    """No request waits on its host's slot in a thread (where it would give up as `HostBusy`):
    a slot that frees is handed to the host's next request. Here a thread would give up
    after 0.3 s, long before the trickles are cut."""
    settings = Settings(allow_private=("127.0.0.1",), host_delay=0.0, host_concurrency=2, feed_timeout=1.0)
    polite = Politeness(settings, max_wait_s=0.3)
    requests = [FetchRequest(url, kind="feed", key=url) for url in host.slow_feeds + host.good_feeds[:6]]
    with Fetcher(settings, politeness=polite) as fetcher:
        outcomes = {request.key: outcome for request, outcome in fetcher.fetch_many(requests, workers=16)}
    assert not [o for o in outcomes.values() if isinstance(o, HostBusy)]
    assert all(isinstance(outcomes[url], FetchTimeout) for url in host.slow_feeds)
    assert all(isinstance(outcomes[url], Page) and outcomes[url].status == 200 for url in host.good_feeds[:6])
    assert _most_at_once(host.asked("/")) <= 2


def test_fetch_many_starts_last_failed_requests_after_the_hosts_others(host):
    settings = Settings(allow_private=("127.0.0.1",), host_delay=0.0, host_concurrency=2, feed_timeout=0.6)
    requests = ([FetchRequest(url, kind="feed", key=url, last_failed=True) for url in host.slow_feeds]
                + [FetchRequest(url, kind="feed", key=url) for url in host.good_feeds[:6]])
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
        order = [request.key for request, _outcome in fetcher.fetch_many(requests)]
    assert set(order[:6]) == set(host.good_feeds[:6]) and set(order[6:]) == set(host.slow_feeds)
    first_slow = min(begin for _p, begin, _e in host.asked("/slow/"))
    assert all(end <= first_slow + 0.05 for _p, _b, end in host.asked("/feed/"))


def test_monitor_feed_deferred_by_our_own_limits_stays_due(settings, host):
    """A feed whose host's slots stay taken (here by another user of the process's
    politeness) waits for the next cycle, its next poll not pushed ahead; one the host
    put on hold (Retry-After) waits as long as it asked."""
    [busy_id] = cycle.register_feeds(settings, [FeedSpec(url=host.good_feeds[0])])
    polite = Politeness(settings.with_(host_concurrency=1), max_wait_s=0.2)
    with store.connect(settings) as conn:
        due_at = store.list_feeds(conn, [busy_id])[0].next_poll_at
    with polite.slot(host.good_feeds[0]), Fetcher(settings, politeness=polite) as fetcher:
        busy = cycle.poll_feed_batch(settings, [busy_id], fetcher=fetcher)
    assert busy["counts"] == {"feeds_polled": 1, "feeds_deferred": 1}
    with store.connect(settings) as conn:
        feed = store.list_feeds(conn, [busy_id])[0]
    assert feed.next_poll_at == due_at and feed.consecutive_errors == 0 and feed.last_polled_at is None
    assert [f for batch in cycle.select_feed_batches(settings) for f in batch] == [busy_id]

    polite.hold(host.good_feeds[0], 120)
    with Fetcher(settings, politeness=polite) as fetcher:
        held = cycle.poll_feed_batch(settings, [busy_id], fetcher=fetcher)
    assert held["counts"] == {"feeds_polled": 1, "feeds_deferred": 1}
    with store.connect(settings) as conn:
        feed = store.list_feeds(conn, [busy_id])[0]
    assert (feed.next_poll_at - due_at).total_seconds() > 100
    assert cycle.select_feed_batches(settings) == []
