"""Finding and adding feeds: `feeds discover` from rel=alternate links and common paths,
`feeds import` of an OPML file, and `feeds list` showing their health."""

from __future__ import annotations


import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.feeds.discover import discover_feeds, feed_links
from pipeline.flows import cycle, runs

from fixture_modules import fixture_module

site = fixture_module("monitor/site.py")

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"


def _serve_site(httpserver) -> str:
    base = site.base_of(httpserver)
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/").respond_with_data(site.document("site_home.html", base), content_type=HTML)
    httpserver.expect_request("/plain/").respond_with_data(site.document("site_plain.html", base), content_type=HTML)
    httpserver.expect_request("/feeds/world.xml").respond_with_data(site.document("feed_v1.xml", base),
                                                                    content_type=RSS)
    httpserver.expect_request("/feeds/politics.atom").respond_with_data(
        site.document("politics.atom", base), content_type="application/atom+xml")
    return base


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, allow_private=("localhost", "127.0.0.1"), host_delay=0.0)


def test_feed_links_reads_alternate_links_only() -> None:
    html = site.document("site_home.html", "https://news.example")
    assert feed_links(html, "https://news.example/") == [
        ("https://news.example/feeds/world.xml", "World"),
        ("https://news.example/feeds/politics.atom", "Politics (Atom)"),
        ("https://news.example/feeds/missing.xml", "Broken"),
    ]
    assert feed_links(b"", "https://news.example/") == []
    assert feed_links(b"<html><head><base href='https://cdn.example/x/'>"
                      b"<link rel='alternate' type='application/atom+xml' href='a.atom'></head></html>",
                      "https://news.example/") == [("https://cdn.example/x/a.atom", None)]


def test_discover_checks_each_linked_feed(settings, httpserver) -> None:
    base = _serve_site(httpserver)
    with runs.polite_fetcher(settings) as fetcher:
        found = discover_feeds(fetcher, f"{base}/")
    assert [(f.url, f.title, f.entries, f.found_by) for f in found] == [
        (f"{base}/feeds/world.xml", "Example Wire: World", 2, "link"),
        (f"{base}/feeds/politics.atom", "Example Wire: Politics", 1, "link"),
    ]  # the broken link answered 500 and was left out; common paths were not probed
    assert "/feed" not in [request.path for request, _ in httpserver.log]


def test_discover_falls_back_to_common_paths(settings, httpserver) -> None:
    base = _serve_site(httpserver)
    httpserver.expect_request("/rss.xml").respond_with_data(site.document("feed_v1.xml", base), content_type=RSS)
    with runs.polite_fetcher(settings) as fetcher:
        found = discover_feeds(fetcher, f"{base}/plain/")
    assert [(f.url, f.found_by) for f in found] == [(f"{base}/rss.xml", "path")]


def test_discover_given_a_feed_returns_it(settings, httpserver) -> None:
    base = _serve_site(httpserver)
    with runs.polite_fetcher(settings) as fetcher:
        found = discover_feeds(fetcher, f"{base}/feeds/world.xml")
    assert [(f.url, f.found_by) for f in found] == [(f"{base}/feeds/world.xml", "given")]


def test_discover_refuses_a_private_site_without_the_allow_list(migrated_url, httpserver) -> None:
    _serve_site(httpserver)
    with runs.polite_fetcher(Settings(database_url=migrated_url)) as fetcher, pytest.raises(FetchError) as caught:
        discover_feeds(fetcher, httpserver.url_for("/"))
    assert "WIREWATCH_ALLOW_PRIVATE" in str(caught.value)


def test_cli_discover_add_then_list_shows_health(settings, httpserver, monkeypatch, capsys) -> None:
    base = _serve_site(httpserver)
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WIREWATCH_ALLOW_PRIVATE", "localhost,127.0.0.1")
    monkeypatch.setenv("WIREWATCH_HOST_DELAY", "0")
    assert main(["feeds", "discover", f"{base}/", "--add"]) == 0
    out = capsys.readouterr().out
    assert f"{base}/feeds/world.xml\t2 entries\tlink\tExample Wire: World" in out
    assert "2 feed(s) registered" in out

    cycle.poll_feed_batch(settings, [f for batch in cycle.select_feed_batches(settings) for f in batch])
    assert main(["feeds", "list"]) == 0
    table = capsys.readouterr().out
    assert "items/day" in table and "last new item" in table
    assert f"{base}/feeds/politics.atom" in table and "200" in table

    assert main(["feeds", "discover", f"{base}/plain/"]) == 1
    assert "no feed found" in capsys.readouterr().err


def test_cli_import_opml_registers_each_feed_once(settings, httpserver, monkeypatch, capsys, tmp_path) -> None:
    base = _serve_site(httpserver)
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(site.document("feeds.opml", base))
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", settings.database_url)
    assert main(["feeds", "import", str(opml)]) == 0
    assert "2 feed(s) registered" in capsys.readouterr().out
    assert main(["feeds", "import", str(opml)]) == 0  # importing again adds nothing
    with store.connect(settings) as conn:
        feeds = store.list_feeds(conn)
    assert [(f.url, f.title, f.site_url) for f in feeds] == [
        (f"{base}/feeds/world.xml", "World", f"{base}/"),
        (f"{base}/feeds/politics.atom", "Politics", None),
    ]
