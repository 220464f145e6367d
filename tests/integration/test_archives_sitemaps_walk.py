"""Sitemap indexes walked over a loopback HTTP server (pytest-httpserver); parsing one
sitemap from bytes is unit-tested in `tests/unit/test_archives_sitemaps.py`."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.archives.sitemaps import walk_sitemaps
from pipeline.errors import HTTPStatusError

from fixture_modules import fixture_module

site = fixture_module("archives/site.py")

UTC = timezone.utc


@pytest.fixture
def fetch():
    with site.feed_fetcher() as fetch:
        yield fetch


def test_walk_sitemaps_follows_the_index_within_the_date_range(httpserver, fetch):
    base = site.serve_archive_site(httpserver)
    skipped: list[tuple[str, str]] = []
    urls = list(walk_sitemaps(fetch, f"{base}/sitemap_index.xml",
                              start=datetime(2024, 3, 2, tzinfo=UTC), end=datetime(2024, 3, 4, tzinfo=UTC),
                              skipped=skipped))
    assert [u.loc for u in urls] == [
        f"{base}/world/2024/03/02/car-bomb-market",
        f"{base}/americas/2024/03/03/santiago-students-protest",
    ]
    assert [url for url, _reason in skipped] == [f"{base}/sitemaps/missing.xml"]
    requested = {request.path for request, _response in httpserver.log}
    assert "/sitemaps/old-2023.xml" not in requested  # lastmod before the range: not fetched
    assert "/sitemaps/news-2024-03-04.xml" in requested  # reached through the nested index


def test_walk_sitemaps_gives_undated_urls_only_when_asked(httpserver, fetch):
    base = site.serve_archive_site(httpserver)
    urls = [u.loc for u in walk_sitemaps(fetch, f"{base}/sitemaps/news-2024-03-03.xml", include_undated=True)]
    assert f"{base}/about" in urls
    urls = [u.loc for u in walk_sitemaps(fetch, f"{base}/sitemaps/news-2024-03-03.xml")]
    assert f"{base}/about" not in urls


def test_walk_sitemaps_raises_when_the_root_fails(httpserver, fetch):
    site.serve_archive_site(httpserver)
    with pytest.raises(HTTPStatusError):
        list(walk_sitemaps(fetch, httpserver.url_for("/sitemaps/missing.xml")))
