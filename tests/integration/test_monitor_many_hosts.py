"""Many publishers with many feeds each, polled in one cycle (issue 14, `make bench-feeds` at scale).

Ten loopback hosts (127.0.0.2 to 127.0.0.11, `tests/slow_host.py`) of twenty feeds each,
every feed with one new article; polled by `wirewatch run`'s code in poll batches of 16,
so most hosts' feeds lie in two batches. The cycle fetches every host side by side,
whatever batch its feeds are in, without a thread sleeping through a host's pacing, and
still never starts two requests to one host less than `host_delay` apart. Real loopback
HTTP and a real PostgreSQL; nothing timed against a budget.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.http.fetch import FetchRequest, Fetcher
from pipeline.http.politeness import Politeness
from pipeline.models import FeedSpec, Page

from slow_host import serve_slow_host

pytestmark = pytest.mark.slow

HOSTS, FEEDS = 10, 20
DELAY_S = 0.2


@pytest.fixture
def hosts():
    with ExitStack() as stack:
        yield [stack.enter_context(serve_slow_host(good=FEEDS, slow=0, address=f"127.0.0.{n + 2}", first=n * FEEDS))
               for n in range(HOSTS)]


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, allow_private=("127.0.0.0/8",), host_delay=DELAY_S,
                    host_concurrency=2, poll_batch_size=16, batch_size=32)


def test_monitor_cycle_polls_every_host_side_by_side_and_loads_every_new_article(settings, hosts, analyzer):
    specs = [FeedSpec(url=url) for host in hosts for url in host.good_feeds]

    summary = cycle.run_cycle(settings, specs, analyzer=analyzer)

    counts = summary["counts"]
    assert counts["feeds_polled"] == HOSTS * FEEDS and "feeds_failed" not in counts
    assert "feeds_deferred" not in counts
    assert counts["entries_new"] == counts["articles_new"] == HOSTS * FEEDS
    with store.connect(settings) as conn:
        articles = {row[0] for row in conn.execute("select url from articles")}
        polled = conn.execute("select count(distinct feed_id) from fetch_log where run_id = %s and kind = 'feed'",
                              (summary["run_id"],)).fetchone()[0]
        feeds = store.list_feeds(conn)
    assert polled == HOSTS * FEEDS
    assert all(feed.last_status == 200 and feed.last_error is None for feed in feeds)
    assert articles == {host.article_url(n) for host in hosts
                        for n in range(host.first, host.first + FEEDS)}
    starts = {host.base: sorted(start for _path, start, _end in host.asked("/feed/")) for host in hosts}
    # every host's first feed was asked for before any host's third: not batch after batch
    assert max(s[0] for s in starts.values()) < min(s[2] for s in starts.values())
    for base, times in starts.items():  # and each host still paced
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert min(gaps) > DELAY_S - 0.05, f"{base}: two feeds asked {min(gaps):.3f}s apart"


def test_fetch_many_leaves_no_thread_sleeping_through_a_hosts_pacing(hosts):
    """Requests wait for their host's pacing in `fetch_many`, not in a thread: four threads
    fetch forty feeds of four hosts paced 0.2 s apart, and no thread waits for a host."""
    settings = Settings(allow_private=("127.0.0.0/8",), host_delay=DELAY_S, host_concurrency=2)
    slept: list[float] = []
    polite = Politeness(settings, sleep=slept.append)
    requests = [FetchRequest(url, kind="feed", key=url) for host in hosts[:4] for url in host.good_feeds[:10]]
    with Fetcher(settings, politeness=polite) as fetcher:
        outcomes = dict((request.key, outcome) for request, outcome in fetcher.fetch_many(requests, workers=4))
    assert all(isinstance(outcome, Page) and outcome.status == 200 for outcome in outcomes.values())
    assert len(outcomes) == 40
    assert max(slept, default=0.0) < DELAY_S / 2, f"a thread slept {max(slept):.2f}s waiting for its host"
