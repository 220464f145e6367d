"""RFC 5005 archived and paged feeds: the links of one page; walking them over HTTP is an
integration test (`tests/integration/test_archives_paged_feeds_walk.py`)."""

from __future__ import annotations

import json

import pytest

from pipeline.archives.paged_feeds import archive_links

from fixture_modules import fixture_module
from time_budget import budget_s, cpu_timed

site = fixture_module("archives/site.py")

BASE = site.EXAMPLE_BASE


def test_archive_links_reads_feed_level_links_only():
    links = archive_links(site.document("feed_current.xml"), f"{BASE}/feeds/world.xml")
    assert links == {"self": f"{BASE}/feeds/world.xml", "prev-archive": f"{BASE}/feeds/archive/2024-03-03.xml"}


def test_archive_links_reads_atom_links_of_an_rss_channel():
    links = archive_links(site.document("paged_rss_2.xml"), f"{BASE}/feeds/paged.xml?page=2")
    assert links == {"previous": f"{BASE}/feeds/paged.xml", "next": f"{BASE}/feeds/paged.xml?page=3"}


def test_archive_links_reads_json_feed_next_url():
    document = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [], "next_url": "?page=2"})
    assert archive_links(document.encode(), f"{BASE}/feed.json") == {"next": f"{BASE}/feed.json?page=2"}


@pytest.mark.parametrize("content", [b"", b"not xml", b"{broken json"])
def test_archive_links_of_garbage_is_empty(content):
    assert archive_links(content, f"{BASE}/feed") == {}


def test_archive_links_survive_markup_a_recovering_parse_names_oddly():
    # found by tests/fuzz: lxml's recovering parser makes an element named "https:" of
    # "<https://...", and etree.QName raised ValueError on it
    content = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
               b'<https://a.example/https://a.example/>'
               b'<link rel="prev-archive" href="https://site.example/2019.xml"/></feed>')
    assert archive_links(content, "https://site.example/feed.xml") in (
        {}, {"prev-archive": "https://site.example/2019.xml"})


def test_archive_links_of_deeply_unclosed_markup_in_linear_time():
    # found by tests/fuzz: a recovering parse took 17 s of CPU on 480 KB of "<utf-7"
    content = b"<feed>" + b"<utf-7" * 80_000
    result, seconds = cpu_timed(lambda: archive_links(content, "https://site.example/feed.xml"), len(content))
    assert result == {} and seconds < budget_s(len(content))
