"""RFC 5005 archived and paged feeds: a feed's history, one document at a time.

A live feed holds the latest few dozen items. RFC 5005 lets a publisher chain older
ones: an *archived* feed links its subscription document to `prev-archive` documents,
each one a stable slice of the past; a *paged* feed links pages with `next` (older,
in practice) and `previous`/`prev`. JSON Feed has `next_url` for the same purpose.
`walk_feed_pages` follows those links from any page, with a visited set against
loops, and stops going further back once a page holds nothing newer than `start`.

Entries come from `pipeline.feeds.parse.parse_feed`, the live path's parser; this module
only reads the feed-level links, with lxml's entity resolution and network off.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from lxml import etree

from pipeline.archives.walk import in_window, walk_links
from pipeline.errors import ArchiveError, FetchError, MalformedFeed
from pipeline.feeds.parse import parse_feed
from pipeline.http.urls import is_http_url, resolve_url
from pipeline.models import FeedEntry, Page

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
#: links to documents further in the past, and to documents more recent
OLDER_RELS = ("prev-archive", "next")
NEWER_RELS = ("next-archive", "previous", "prev")
MAX_PAGES = 1_000


def archive_links(content: bytes, url: str) -> dict[str, str]:
    """The feed-level RFC 5005 links of a feed document, rel -> absolute URL.

    Reads `<link rel href>` children of an Atom `<feed>` or an RSS `<channel>`
    (`atom:link`), and `next_url` of a JSON Feed. Entry-level links are ignored. A feed
    that is not well-formed XML has none: lxml's recovering parse is quadratic in deeply
    nested unclosed elements (found by tests/fuzz), and an archive walk needs feeds a
    parser can trust.
    """
    stripped = content.lstrip()
    if stripped[:1] == b"{":
        try:
            document = json.loads(content)
        except ValueError:
            return {}
        next_url = document.get("next_url") if isinstance(document, dict) else None
        return {"next": resolve_url(url, next_url)} if isinstance(next_url, str) and next_url else {}
    links: dict[str, str] = {}
    try:
        for _event, element in etree.iterparse(io.BytesIO(content), events=("end",), resolve_entities=False,
                                               no_network=True, load_dtd=False, huge_tree=False, recover=False):
            if _localname(element) != "link":
                continue
            parent = element.getparent()
            if parent is None:
                continue
            holder = _localname(parent)
            if not (holder == "channel" or (holder == "feed" and parent.getparent() is None)):
                continue  # an entry's or item's link, not the feed's
            rel = (element.get("rel") or "").strip().lower()
            href = (element.get("href") or "").strip()
            if rel and href and rel not in links:
                base = element.base or url
                links[rel] = resolve_url(base, href)
    except etree.XMLSyntaxError:
        return {}
    return {rel: href for rel, href in links.items() if is_http_url(href)}


def _localname(element) -> str | None:
    """An element's name without its namespace; None for comments and processing instructions.
    Not `etree.QName`, which raises on the names a recovering parse makes of broken markup
    ("<https://a.example/...")."""
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else None


def walk_feed_pages(fetch: Callable[[str], Page], url: str, *, start: datetime | None = None,
                    end: datetime | None = None, include_undated: bool = False,
                    max_pages: int = MAX_PAGES, skipped: list[tuple[str, str]] | None = None,
                    ) -> Iterator[FeedEntry]:
    """Entries dated in [`start`, `end`) across the feed's archive and pages.

    `fetch` returns the `Page` of a URL (the live fetcher, for politeness). A page that
    fails is logged, appended to `skipped` and not followed; only the first failing
    raises. A page whose dated entries are all older than `start` is read but its
    links further back are not followed.
    """
    def read(current: str) -> tuple[list[FeedEntry], list[str]]:
        try:
            page = fetch(current)
            parsed = parse_feed(page.content, page.final_url, headers=page.headers)
        except (FetchError, MalformedFeed) as exc:
            if current == url:
                raise ArchiveError(f"{url}: cannot read the feed ({exc})", source=url) from None
            raise
        links = archive_links(page.content, page.final_url)
        dates = [e.published_at for e in parsed.entries if e.published_at is not None]
        all_older = start is not None and bool(dates) and max(dates) < start
        log.info("feed page %s: %d entries, links %s", current, len(parsed.entries), sorted(links))
        onward = [links[rel] for rel in (NEWER_RELS if all_older else OLDER_RELS + NEWER_RELS) if links.get(rel)]
        return [entry for entry in parsed.entries
                if in_window(entry.published_at, start, end, include_undated=include_undated)], onward

    return walk_links(url, read, limit=max_pages, what="feed page", failures=(FetchError, MalformedFeed),
                      skipped=skipped)
