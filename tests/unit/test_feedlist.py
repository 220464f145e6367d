"""Feeds files: OPML and URL lists read to FeedSpecs; anything else is an InputError."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.feeds.feedlist import parse_feed_list, read_feed_list
from pipeline.models import FeedSpec

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def test_read_feed_list_opml_nested_outlines() -> None:
    specs = read_feed_list(FEEDS / "feeds.opml")
    assert specs == [
        FeedSpec(url="https://news.example/feeds/world.xml", title="Daily Example & World",
                 site_url="https://news.example/world/"),
        FeedSpec(url="http://gazette.example/rss.xml", title="Harbour Gazette", site_url=None),
        FeedSpec(url="https://json.example/feed.json", title=None, site_url=None),
    ]


def test_read_feed_list_url_lines() -> None:
    specs = read_feed_list(str(FEEDS / "feeds.txt"))
    assert specs == [
        FeedSpec(url="https://news.example/feeds/world.xml"),
        FeedSpec(url="http://gazette.example/rss.xml", title="Harbour Gazette"),
        FeedSpec(url="https://json.example/feed.json"),
    ]


def test_read_feed_list_opml_does_not_resolve_external_entities() -> None:
    specs = read_feed_list(FEEDS / "opml_xxe.opml")
    assert specs == [FeedSpec(url="https://safe.example/feed.xml", title="Safe")]


def test_parse_feed_list_refuses_entity_tricks_in_attributes() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>')
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY l0 "lol">{laughs}]>'
            '<opml><body><outline text="&l9;" xmlUrl="https://a.example/"/></body></opml>').encode()
    for content in (xxe, bomb):
        with pytest.raises(InputError):
            parse_feed_list(content, "hostile.opml")


def test_parse_feed_list_accepts_bom_crlf_and_file_urls() -> None:
    content = b"\xef\xbb\xbfhttps://a.example/rss\r\nfile:///srv/feeds/local.xml\r\n"
    assert [spec.url for spec in parse_feed_list(content, "list")] == [
        "https://a.example/rss", "file:///srv/feeds/local.xml"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n# only a comment\n\n", "no feed URLs"),
        (b"https://a.example/rss\nthis is prose, not a URL\n", "list:2:"),
        (b"ftp://a.example/rss\n", "not an http(s) URL"),
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 https://a.example/\n", "not UTF-8"),
        (b"<html><body>page</body></html>", "not <opml>"),
        (b"<opml><body><outline text='x'", "not well-formed XML"),
        (b"<opml version='2.0'><body><outline text='folder'/></body></opml>", "no feed URLs"),
    ],
)
def test_parse_feed_list_refuses_other_files(content: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_feed_list(content, "list")
    assert message in str(caught.value)
    assert str(caught.value).startswith("list") and "\n" not in str(caught.value)


def test_read_feed_list_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.opml"
    with pytest.raises(InputError) as caught:
        read_feed_list(missing)
    assert str(missing) in str(caught.value)


def test_read_feed_list_not_a_feeds_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nSome feeds I like: the Guardian, Reuters.\n")
    with pytest.raises(InputError):
        read_feed_list(notes)
