"""The bundled sample site, served for real on a loopback port and read back over HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import feedparser
import httpx
import pytest
import trafilatura

from pipeline.errors import ConfigError
from pipeline.sample_site import (
    FEEDS,
    SampleSite,
    feed_stories,
    load_stories,
    serve_sample_site,
    write_feeds_file,
)
from pipeline.sample_site.content import ARTICLES_DIR

SITE_DIR = ARTICLES_DIR.parent
XML_FEEDS = [feed for feed in FEEDS if feed.format in ("rss", "atom")]
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)">')
# The parts of JSON Feed 1.1 a monitor relies on.
JSON_FEED_SCHEMA = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "feed_url": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "url", "title", "date_published"],
                "properties": {"id": {"type": "string"}, "url": {"type": "string"}},
            },
        },
    },
}


@pytest.fixture(scope="module")
def site() -> SampleSite:
    with serve_sample_site(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> httpx.Client:
    with httpx.Client(timeout=5) as http:
        yield http


def _raw_get(site: SampleSite, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A GET without httpx's decoding, to see the bytes and headers as sent."""
    connection = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _linked_urls(site: SampleSite, client: httpx.Client) -> set[str]:
    """Every page URL the good feeds link to, tracking parameters removed."""
    urls: set[str] = set()
    for feed in XML_FEEDS:
        urls |= {entry.link for entry in feedparser.parse(client.get(site.feed_url(feed.key)).content).entries}
    urls |= {_strip_query(item["url"]) for item in client.get(site.feed_url("latest")).json()["items"]}
    return urls


def test_sample_site_serves_on_a_free_port(site: SampleSite) -> None:
    assert site.port > 0
    assert site.base_url == f"http://127.0.0.1:{site.port}"
    assert site.feeds_opml_url == site.base_url + "/feeds.opml"
    assert len(site.feed_urls) == 4


@pytest.mark.parametrize("feed", XML_FEEDS, ids=lambda feed: feed.key)
def test_sample_site_xml_feeds_parse_with_feedparser(site: SampleSite, client: httpx.Client, feed) -> None:
    response = client.get(site.feed_url(feed.key))
    assert response.status_code == 200
    assert response.headers["content-type"] == f"application/{feed.format}+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[feed.format]
    expected = feed_stories(feed.key)
    assert len(parsed.entries) == len(expected) >= 7
    assert [entry.link for entry in parsed.entries] == [site.url_for(story) for story in expected]
    assert all(entry.title and entry.published_parsed and entry.summary for entry in parsed.entries)


def test_sample_site_json_feed_lists_latest_with_tracking_parameters(site: SampleSite, client: httpx.Client) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    response = client.get(site.feed_url("latest"))
    assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
    data = response.json()
    jsonschema.validate(data, JSON_FEED_SCHEMA)
    expected = feed_stories("latest")
    assert len(data["items"]) == len(expected) == 5
    assert [_strip_query(item["url"]) for item in data["items"]] == [site.url_for(s) for s in expected]
    assert all("utm_source=" in item["url"] for item in data["items"])
    assert data["feed_url"] == site.feed_url("latest")


def test_sample_site_feeds_overlap_and_cover_every_story(site: SampleSite, client: httpx.Client) -> None:
    in_feeds = {url: 0 for url in (site.url_for(story) for story in site.stories)}
    for key in ("world", "conflict", "latest"):
        for story in feed_stories(key):
            in_feeds[site.url_for(story)] += 1
    assert all(count >= 1 for count in in_feeds.values())
    assert sum(count >= 2 for count in in_feeds.values()) >= 4
    assert _linked_urls(site, client) == set(in_feeds)


def test_sample_site_broken_feed_is_not_xml(site: SampleSite, client: httpx.Client) -> None:
    response = client.get(site.feed_url("broken"))
    assert response.status_code == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(response.content)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo and not parsed.entries


def test_sample_site_every_linked_page_has_json_ld_and_canonical(site: SampleSite, client: httpx.Client) -> None:
    stories = {site.url_for(story): story for story in site.stories}
    for url in sorted(_linked_urls(site, client)):
        response = client.get(url)
        story = stories[url]
        assert response.status_code == 200, url
        assert response.headers["content-type"] == f"text/html; charset={story.encoding}"
        page = response.text
        assert CANONICAL.search(page).group(1) == url
        assert f'<meta property="og:url" content="{url}">' in page
        linked = json.loads(JSON_LD.search(page).group(1))
        if story.is_article:
            assert linked["@type"] == "NewsArticle"
            assert linked["headline"] == story.title
            assert linked["datePublished"] == story.published.isoformat()
            assert linked["author"][0]["name"] == "Wikinews contributors"
            assert "<article" in page and "cookie-notice" in page and "share-bar" in page
            assert story.attribution.source_url in page and story.attribution.license_url in page
        else:
            assert linked["@type"] == "VideoObject"


def test_sample_site_tracking_parameters_serve_the_same_page(site: SampleSite, client: httpx.Client) -> None:
    url = site.article_urls[0]
    plain, tracked = client.get(url), client.get(url + "?utm_source=jsonfeed&utm_medium=feed")
    assert tracked.status_code == 200 and tracked.content == plain.content


@pytest.mark.parametrize("path", ["/feeds/world.rss", "/feeds/conflict.atom", "/feeds/latest.json", "/feeds.opml"])
def test_sample_site_conditional_get_returns_304(site: SampleSite, client: httpx.Client, path: str) -> None:
    first = client.get(site.base_url + path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = client.get(site.base_url + path, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b"" and by_etag.headers["etag"] == etag
    by_date = client.get(site.base_url + path, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304
    stale = client.get(site.base_url + path, headers={"If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.content == first.content
    modified_since = format_datetime(parsedate_to_datetime(last_modified) - timedelta(days=1), usegmt=True)
    assert client.get(site.base_url + path, headers={"If-Modified-Since": modified_since}).status_code == 200
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110).
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert client.get(site.base_url + path, headers=both).status_code == 200


def test_sample_site_validators_are_stable_across_servers(site: SampleSite) -> None:
    """Same base URL, same bytes: a restarted `make run` sees 304s, not new versions."""
    with serve_sample_site(port=0) as other:
        assert other.base_url != site.base_url
    first = _raw_get(site, "/feeds/world.rss", {})
    again = _raw_get(site, "/feeds/world.rss", {})
    assert first[1]["etag"] == again[1]["etag"] and first[1]["last-modified"] == again[1]["last-modified"]


@pytest.mark.parametrize("path", ["/feeds/world.rss", "/", "/feeds/latest.json"])
def test_sample_site_gzip_only_when_asked(site: SampleSite, path: str) -> None:
    status, headers, body = _raw_get(site, path, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    plain_status, plain_headers, plain = _raw_get(site, path, {"Accept-Encoding": "identity"})
    assert plain_status == 200 and "content-encoding" not in plain_headers
    assert gzip.decompress(body) == plain
    assert int(headers["content-length"]) == len(body) < len(plain)
    refused = _raw_get(site, path, {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused[1]


def test_sample_site_serves_a_page_in_a_legacy_charset(site: SampleSite, client: httpx.Client) -> None:
    legacy = [story for story in site.stories if story.encoding != "utf-8"]
    assert len(legacy) == 1
    story = legacy[0]
    _, headers, body = _raw_get(site, story.path, {})
    assert headers["content-type"] == "text/html; charset=windows-1252"
    assert b'<meta charset="windows-1252">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "\u2014 who include UN Secretary-General" in body.decode("windows-1252")


def test_sample_site_home_page_announces_feeds(site: SampleSite, client: httpx.Client) -> None:
    home = client.get(site.base_url + "/")
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    assert (f'<link rel="alternate" type="application/rss+xml" title="The Loopback Courier: World" '
            f'href="{site.feed_url("world")}">') in home.text
    assert f'href="{site.feed_url("conflict")}"' in home.text
    assert all(url in home.text for url in site.article_urls)


def test_sample_site_robots_txt_allows_articles(site: SampleSite, client: httpx.Client) -> None:
    robots = client.get(site.base_url + "/robots.txt")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    assert "User-agent: *" in robots.text and f"Sitemap: {site.base_url}/sitemap.xml" in robots.text
    sitemap = ET.fromstring(client.get(site.base_url + "/sitemap.xml").content)
    assert len(sitemap) == len(site.stories)


def test_sample_site_unknown_path_is_404(site: SampleSite, client: httpx.Client) -> None:
    response = client.get(site.base_url + "/world/2099/01/01/missing.html")
    assert response.status_code == 404
    assert "Page not found" in response.text and "etag" not in response.headers


def test_sample_site_opml_and_list_name_every_feed(site: SampleSite, client: httpx.Client, tmp_path: Path) -> None:
    served = client.get(site.feeds_opml_url)
    assert served.headers["content-type"] == "text/x-opml; charset=utf-8"
    outlines = ET.fromstring(served.content).iter("outline")
    assert tuple(o.get("xmlUrl") for o in outlines if o.get("xmlUrl")) == site.feed_urls
    written = write_feeds_file(tmp_path / "feeds" / "sample.opml", site.base_url)
    assert written.read_bytes() == served.content
    listed = write_feeds_file(tmp_path / "feeds.txt", site.base_url, kind="list")
    assert listed.read_bytes() == client.get(site.feeds_list_url).content
    assert [line for line in listed.read_text().splitlines() if not line.startswith("#")] == list(site.feed_urls)


def test_write_feeds_file_rejects_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kind 'csv'"):
        write_feeds_file(tmp_path / "feeds.csv", "http://127.0.0.1:8765", kind="csv")


def test_sample_site_port_in_use_is_a_config_error(site: SampleSite) -> None:
    with pytest.raises(ConfigError, match=f"127.0.0.1:{site.port}"):
        serve_sample_site(port=site.port)


def test_sample_site_records_requests_and_stops(client: httpx.Client) -> None:
    running = serve_sample_site()
    client.get(running.feed_url("world"), headers={"User-Agent": "wirewatch-test"})
    assert running.requests[-1].path == "/feeds/world.rss"
    assert running.requests[-1].status == 200 and running.requests[-1].user_agent == "wirewatch-test"
    running.stop()
    running.stop()
    with pytest.raises(httpx.ConnectError):
        client.get(running.feed_url("world"))


def test_sample_site_pages_extract_to_their_body(site: SampleSite, client: httpx.Client) -> None:
    """The boilerplate is real but removable: trafilatura gets the body and nothing else."""
    for story in site.stories:
        if not story.is_article:
            continue
        page = client.get(site.url_for(story)).content
        text = trafilatura.extract(page, include_comments=False)
        assert text is not None, story.slug
        assert text.split() == story.text.split(), story.slug
        assert "cookies" not in text and "Related stories" not in text


def test_sample_site_attribution_for_every_story() -> None:
    notice = (SITE_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    stories = load_stories()
    articles = [story for story in stories if story.is_article]
    assert 10 <= len(articles) <= 14
    for story in stories:
        credit = story.attribution
        assert credit.license and credit.license_url.startswith("https://creativecommons.org/")
        assert credit.authors and credit.changes
        if story.is_article:
            assert credit.source == "Wikinews" and credit.authors == "Wikinews contributors"
            assert credit.source_url.startswith("https://en.wikinews.org/wiki/")
            assert credit.source_url in notice, story.slug
            expected = "CC BY 2.5" if story.published.date().isoformat() >= "2005-09-25" else "Public domain"
            assert credit.license == expected, story.slug
        else:
            assert credit.license == "CC0 1.0" and story.slug in notice


def test_sample_site_package_stays_small() -> None:
    size = sum(path.stat().st_size for path in SITE_DIR.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    assert size < 300_000


def test_load_stories_names_a_malformed_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"slug": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json: missing kind"):
        load_stories(tmp_path)
