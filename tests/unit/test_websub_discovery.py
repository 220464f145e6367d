"""Hub discovery from HTTP Link headers and from the feed document."""

import pytest

from pipeline.models import ParsedFeed
from pipeline.websub.discovery import discover_hub, parse_link_header

FEED = "https://news.example/rss/world.xml"


def parsed(hub=None, self_url=None):
    return ParsedFeed(url=FEED, title="World", site_url=None, entries=(), hub_url=hub, self_url=self_url)


def test_websub_discovery_link_header_parsed_with_several_rels_and_quoted_commas():
    header = '<https://hub.example/>; rel="hub", </rss/world.xml>; title="a, b; c"; rel="self alternate"'
    assert parse_link_header(header, FEED) == [
        ("https://hub.example/", {"hub"}),
        ("https://news.example/rss/world.xml", {"self", "alternate"}),
    ]


def test_websub_discovery_headers_win_over_the_document():
    headers = {"Link": "<https://hub.example/>; rel=hub, <https://news.example/topic>; rel=self"}
    links = discover_hub(FEED, headers, parsed(hub="https://other-hub.example/"))
    assert (links.hub_url, links.topic_url, links.found_in) == ("https://hub.example/", "https://news.example/topic", "headers")


def test_websub_discovery_header_names_are_case_insensitive_and_topic_defaults_to_feed_url():
    links = discover_hub(FEED, {"link": "<https://hub.example/>; REL=hub"})
    assert (links.hub_url, links.topic_url) == ("https://hub.example/", FEED)


def test_websub_discovery_from_the_document_with_relative_urls():
    links = discover_hub(FEED, {"Content-Type": "application/rss+xml"}, parsed(hub="/hub", self_url="/rss/world.xml?x=1"))
    assert (links.hub_url, links.topic_url, links.found_in) == (
        "https://news.example/hub", "https://news.example/rss/world.xml?x=1", "document")


@pytest.mark.parametrize("headers, feed", [(None, None), ({"Link": '<https://x/>; rel="next"'}, parsed())])
def test_websub_discovery_none_without_a_hub(headers, feed):
    assert discover_hub(FEED, headers, feed) is None
