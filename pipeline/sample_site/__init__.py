"""The bundled sample news site, served on a loopback port for `make run` and the tests.

A dozen news stories adapted from Wikinews (see ATTRIBUTION.md), laid out as a news
site lays them out (navigation, share bar, related stories, comments, cookie notice,
JSON-LD, OpenGraph, canonical links) and listed in RSS 2.0, Atom and JSON Feed feeds
that overlap, plus one broken feed, an OPML file and a plain list. The monitor reaches
it through the real HTTP path, so everything it does offline it does on the web.

    with serve_sample_site() as site:
        write_feeds_file("feeds.opml", site.base_url)
        ...  # monitor site.feeds_opml_url
"""

from pipeline.sample_site.content import Attribution, SampleStory, load_stories
from pipeline.sample_site.documents import FEEDS, FeedDefinition, feed_stories, render_site, story_url
from pipeline.sample_site.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    RequestRecord,
    SampleSite,
    serve_sample_site,
    write_feeds_file,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "FEEDS",
    "Attribution",
    "FeedDefinition",
    "RequestRecord",
    "SampleSite",
    "SampleStory",
    "feed_stories",
    "load_stories",
    "render_site",
    "serve_sample_site",
    "story_url",
    "write_feeds_file",
]
