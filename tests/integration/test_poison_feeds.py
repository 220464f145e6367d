"""Each poison feed (`tests/fixtures/poison/feed/`) served from loopback beside a good feed, polled together.

The two feeds are polled in one batch by `cycle.poll_feed_batch`, the function a cycle
polls feeds with: the poison feed fails alone (its one-line error stored on the feed)
or parses, and the good feed's entries are queued either way. Real loopback HTTP and
a real PostgreSQL; nothing patched.
"""

from __future__ import annotations

import pytest
from poison_corpus import POISON, poison_rows
from werkzeug import Response

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec

from fixture_modules import fixture_module

site = fixture_module("monitor/site.py")
FEEDS = poison_rows("feed")


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, allow_private=("localhost", "127.0.0.1"), host_delay=0.0,
                    connect_timeout=2.0, read_timeout=5.0, total_timeout=20.0)


@pytest.mark.parametrize("row", FEEDS, ids=[row["file"] for row in FEEDS])
def test_poison_feed_fails_alone_and_the_good_feed_beside_it_loads(settings, httpserver, row) -> None:
    base = site.base_of(httpserver)
    poison = (POISON / row["file"]).read_bytes()
    httpserver.expect_request("/good.xml").respond_with_data(site.document("feed_v1.xml", base),
                                                            content_type="application/rss+xml")
    httpserver.expect_request("/poison.xml").respond_with_handler(
        lambda _request: Response(poison, headers={"Content-Type": row["content_type"]}))
    poison_id, good_id = cycle.register_feeds(settings, [FeedSpec(url=f"{base}/poison.xml"),
                                                         FeedSpec(url=f"{base}/good.xml")])

    result = cycle.poll_feed_batch(settings, [poison_id, good_id])

    with store.connect(settings) as conn:
        good_entries = conn.execute("select count(*) from entries where feed_id = %s", (good_id,)).fetchone()[0]
        poison_feed, = store.list_feeds(conn, [poison_id])
        poison_entries = conn.execute("select count(*) from entries where feed_id = %s", (poison_id,)).fetchone()[0]
    assert good_entries == 2, result
    if row["expect"] == "refused":
        assert poison_feed.last_error and "\n" not in poison_feed.last_error and poison_entries == 0
    elif row["expect"].startswith("parsed"):
        assert poison_entries == int(row["expect"].split()[1]), poison_feed.last_error
