"""RFC 5005 archived and paged feeds walked over a loopback HTTP server (pytest-httpserver);
reading one page's links is unit-tested in `tests/unit/test_archives_paged_feeds.py`."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.archives.paged_feeds import walk_feed_pages
from pipeline.errors import ArchiveError

from fixture_modules import fixture_module

site = fixture_module("archives/site.py")

UTC = timezone.utc


@pytest.fixture
def fetch():
    with site.feed_fetcher() as fetch:
        yield fetch


def test_walk_feed_pages_follows_prev_archive_and_stops_before_the_range(httpserver, fetch):
    base = site.serve_archive_site(httpserver)
    entries = list(walk_feed_pages(fetch, f"{base}/feeds/world.xml",
                                   start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 3, 4, tzinfo=UTC)))
    assert [e.link for e in entries] == [
        f"{base}/americas/2024/03/03/santiago-students-protest",
        f"{base}/world/2024/03/02/car-bomb-market",
    ]
    requested = [request.path for request, _response in httpserver.log]
    assert "/feeds/archive/2024-02-29.xml" in requested  # read: it might hold entries in range
    assert "/feeds/archive/2024-02-28.xml" not in requested  # not followed: older than the range
    assert "/should/not/be/followed" not in requested  # an entry's rel=next is not a page link
    assert requested.count("/feeds/world.xml") == 1  # next-archive back to the start: no loop


def test_walk_feed_pages_follows_next_of_a_paged_feed_and_skips_a_failing_page(httpserver, fetch):
    base = site.serve_archive_site(httpserver)
    skipped: list[tuple[str, str]] = []
    entries = list(walk_feed_pages(fetch, f"{base}/feeds/paged.xml", include_undated=True, skipped=skipped))
    assert [e.link for e in entries] == [
        f"{base}/world/2024/03/04/geneva-ceasefire-talks",
        f"{base}/americas/2024/03/03/santiago-students-protest",
        f"{base}/undated",
    ]
    assert [url for url, _reason in skipped] == [f"{base}/feeds/paged.xml?page=3"]


def test_walk_feed_pages_raises_when_the_first_page_fails(httpserver, fetch):
    site.serve_archive_site(httpserver)
    with pytest.raises(ArchiveError, match="cannot read the feed"):
        list(walk_feed_pages(fetch, httpserver.url_for("/feeds/nothing-here.xml")))
