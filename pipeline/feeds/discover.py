"""Finding a site's feeds from its home page: `wirewatch feeds discover SITE_URL`.

A newsroom knows the sites it follows, rarely their feed URLs. Discovery reads the
page's `<link rel="alternate">` elements of feed types (the way browsers and feed
readers find feeds); when the page names none, it tries the paths publishing
systems use (`/feed`, `/rss.xml`, `/atom.xml`, ...) on the same site. Every
candidate is fetched and parsed before it is reported, so what comes back is a feed
that works today, with its title and how many entries it holds.

Everything goes through the caller's `Fetcher`, so the address guard, the caps and
(with a `Politeness`) the pacing apply to discovery as to polling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

from pipeline.errors import FetchError, MalformedFeed
from pipeline.feeds.parse import parse_feed
from pipeline.http.fetch import Fetcher
from pipeline.http.urls import canonicalize_url, is_http_url, resolve_url
from pipeline.models import Page

__all__ = ["COMMON_FEED_PATHS", "DiscoveredFeed", "discover_feeds", "feed_links"]

logger = logging.getLogger(__name__)

#: where publishing systems put feeds (WordPress, Ghost, Hugo, Jekyll, Blogger, Drupal, ...), likeliest first
COMMON_FEED_PATHS = (
    "/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feed.json",
    "/rss/index.xml", "/feeds/posts/default", "/?feed=rss2", "/index.rss", "/rss/all.xml",
)
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
    "application/json", "application/xml", "text/xml", "application/x.atom+xml", "application/x-rss+xml",
})
#: a home page naming more feeds than this is a feed directory: the rest are ignored
MAX_CANDIDATES = 25


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    """A feed found for a site and checked to parse."""

    url: str
    title: str | None
    entries: int
    found_by: str  # "link" (rel=alternate), "path" (a common feed path) or "given" (the URL is a feed)


def feed_links(markup: str | bytes, page_url: str) -> list[tuple[str, str | None]]:
    """`(url, title)` of the page's `<link rel="alternate">` feeds, absolute, in page order."""
    if not markup or not (markup.strip() if isinstance(markup, str) else markup.strip()):
        return []
    try:
        document = lxml_html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for href in document.xpath("//base/@href"):
        base = resolve_url(page_url, href.strip())
        break
    found: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for link in document.xpath("//link[@href]"):
        rels = {rel.lower() for rel in (link.get("rel") or "").split()}
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES or "stylesheet" in rels:
            continue
        url = resolve_url(base, link.get("href", "").strip())
        if not is_http_url(url) or canonicalize_url(url) in seen:
            continue
        seen.add(canonicalize_url(url))
        title = (link.get("title") or "").strip() or None
        found.append((url, title))
    return found[:MAX_CANDIDATES]


def discover_feeds(fetcher: Fetcher, site_url: str, *, probe_all: bool = False) -> list[DiscoveredFeed]:
    """The working feeds of the site at `site_url`.

    Without `probe_all`, common paths are tried only when the page links no feed, and
    only until one answers; with it, all of them are tried. Raises `FetchError` when
    the page itself cannot be fetched.
    """
    page = fetcher.fetch(site_url, kind="page")
    given = _as_feed(page, "given", None)
    if given is not None:
        return [given]
    found: dict[str, DiscoveredFeed] = {}
    for url, title in feed_links(page.text or page.content, page.final_url):
        _probe(fetcher, url, "link", title, found)
    if not found or probe_all:
        for url in _common_urls(page.final_url):
            _probe(fetcher, url, "path", None, found)
            if found and not probe_all:
                break
    logger.info("discovered %d feed(s) on %s", len(found), site_url)
    return list(found.values())


def _probe(fetcher: Fetcher, url: str, found_by: str, title: str | None, found: dict[str, DiscoveredFeed]) -> None:
    try:
        page = fetcher.fetch(url, kind="feed")
    except FetchError as exc:
        logger.info("no feed at %s: %s", url, exc)
        return
    feed = _as_feed(page, found_by, title)
    if feed is None:
        return
    key = canonicalize_url(feed.url)
    if key not in found:
        found[key] = feed


def _as_feed(page: Page, found_by: str, title: str | None) -> DiscoveredFeed | None:
    """The page as a feed, or None when it does not parse as one (an HTML page, say)."""
    head = page.content[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return None
    try:
        parsed = parse_feed(page.content, page.final_url, headers=page.headers)
    except MalformedFeed as exc:
        logger.info("not a feed: %s", exc)
        return None
    url = page.url if found_by == "given" or page.final_url == page.url else page.final_url
    return DiscoveredFeed(url=url, title=parsed.title or title, entries=len(parsed.entries), found_by=found_by)


def _common_urls(page_url: str) -> list[str]:
    parts = urlsplit(page_url)
    urls = []
    for path in COMMON_FEED_PATHS:
        path, _, query = path.partition("?")
        urls.append(urlunsplit((parts.scheme, parts.netloc, path, query, "")))
    return urls
