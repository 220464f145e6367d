"""Sitemaps and sitemap indexes parsed from bytes; walking them over HTTP is an integration test
(`tests/integration/test_archives_sitemaps_walk.py`)."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest

from pipeline.archives.sitemaps import parse_sitemap
from pipeline.errors import ArchiveError

from fixture_modules import fixture_module

site = fixture_module("archives/site.py")

BASE = site.EXAMPLE_BASE
UTC = timezone.utc


def test_parse_sitemap_reads_a_news_sitemap():
    sitemap = parse_sitemap(site.document("news-2024-03-02.xml"), f"{BASE}/sitemaps/news.xml")
    assert sitemap.kind == "urlset" and not sitemap.sitemaps
    first = sitemap.urls[0]
    assert first.loc == f"{BASE}/world/2024/03/02/car-bomb-market"
    assert first.published_at == datetime(2024, 3, 2, 8, 30, tzinfo=UTC)
    assert first.title == "Car bomb kills nine at market in northern town"
    assert first.language == "en"


def test_parse_sitemap_reads_an_index_with_relative_and_dated_children():
    sitemap = parse_sitemap(site.document("sitemap_index.xml"), f"{BASE}/sitemap_index.xml")
    assert sitemap.kind == "index" and not sitemap.urls
    locs = [ref.loc for ref in sitemap.sitemaps]
    assert f"{BASE}/sitemaps/nested-index.xml" in locs  # relative <loc> resolved
    assert sitemap.sitemaps[1].lastmod == datetime(2024, 3, 3, tzinfo=UTC)


def test_parse_sitemap_gunzips_by_magic_and_drops_non_http_locs():
    sitemap = parse_sitemap(gzip.compress(site.document("news-2024-03-03.xml")), f"{BASE}/s.xml.gz")
    assert [u.loc for u in sitemap.urls] == [f"{BASE}/americas/2024/03/03/santiago-students-protest", f"{BASE}/about"]


@pytest.mark.parametrize(
    "content",
    [b"<html><body>not a sitemap</body></html>", b"", b"<?xml version='1.0'?><urlset><url>", b"\x1f\x8bnotgzip"],
    ids=["html", "empty", "broken", "bad-gzip"],
)
def test_parse_sitemap_refuses_what_is_not_a_sitemap(content):
    with pytest.raises(ArchiveError, match="example.org/s.xml"):
        parse_sitemap(content, f"{BASE}/s.xml")


def test_parse_sitemap_does_not_resolve_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{BASE}/a?&xxe;</loc></url></urlset>"""
    try:
        sitemap = parse_sitemap(hostile.encode(), f"{BASE}/s.xml")
    except ArchiveError:
        return
    assert all("TOP-SECRET" not in u.loc for u in sitemap.urls)


def test_parse_sitemap_caps_what_a_gzip_inflates_to():
    bomb = gzip.compress(b"<urlset>" + b" " * 200_000 + b"</urlset>")
    with pytest.raises(ArchiveError, match="inflates to more than"):
        parse_sitemap(bomb, f"{BASE}/bomb.xml.gz", max_bytes=100_000)
