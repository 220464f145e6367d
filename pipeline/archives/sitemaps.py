"""News sitemaps and sitemap indexes: which article URLs a site published, and when.

A news site lists its articles in sitemaps (sitemaps.org), often split by day or
month under a sitemap index, and often gzipped; news sitemaps add
`<news:publication_date>` and `<news:title>` per URL. `parse_sitemap` reads one
document; `walk_sitemaps` follows an index down to the URLs of a date range,
skipping child sitemaps whose `<lastmod>` says they hold nothing that recent.

Sitemaps come from strangers: they are parsed with lxml with entity resolution,
DTD loading and network access off (no XXE, no billion laughs), and gzipped ones are
inflated under a size cap (no gzip bomb).
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from pipeline.archives.walk import in_window, walk_links
from pipeline.dates import parse_timestamp
from pipeline.errors import ArchiveError, FetchError, one_line
from pipeline.http.compression import InflatedTooLarge, inflate
from pipeline.http.urls import is_http_url, resolve_url
from pipeline.models import Page

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
#: sitemaps.org caps a sitemap at 50 MB uncompressed
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_SITEMAPS = 10_000


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    """One `<url>` of a sitemap; `published_at` from a news sitemap, `lastmod` otherwise."""

    loc: str
    lastmod: datetime | None = None
    published_at: datetime | None = None
    title: str | None = None
    language: str | None = None

    @property
    def when(self) -> datetime | None:
        return self.published_at or self.lastmod


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """One `<sitemap>` of a sitemap index."""

    loc: str
    lastmod: datetime | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """One sitemap document: a `urlset` (URLs) or a `sitemapindex` (child sitemaps)."""

    url: str
    kind: str
    urls: tuple[SitemapUrl, ...] = ()
    sitemaps: tuple[SitemapRef, ...] = ()


def parse_sitemap(content: bytes, url: str, *, max_bytes: int = MAX_SITEMAP_BYTES) -> Sitemap:
    """Parse a sitemap or sitemap index (gzip recognised by its magic bytes).

    Raises `ArchiveError` naming `url` when the document is not a sitemap.
    """
    if content[:2] == GZIP_MAGIC:
        content = _gunzip(content, url, max_bytes)
    parser_args = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
    urls: list[SitemapUrl] = []
    refs: list[SitemapRef] = []
    kind: str | None = None
    try:
        for _event, element in etree.iterparse(io.BytesIO(content), events=("end",), **parser_args):
            name = etree.QName(element).localname
            if name == "url":
                item = _url(element, url)
                if item is not None:
                    urls.append(item)
                element.clear()
            elif name == "sitemap":
                loc = _child_text(element, "loc")
                if loc and is_http_url(resolve_url(url, loc)):
                    refs.append(SitemapRef(resolve_url(url, loc), _parse_date(_child_text(element, "lastmod"))))
                element.clear()
            elif name in ("urlset", "sitemapindex") and element.getparent() is None:
                kind = name
    except etree.XMLSyntaxError as exc:
        raise ArchiveError(f"{url}: not a sitemap (XML error: {one_line(exc.msg)}); check the URL", source=url) from None
    if kind is None:
        raise ArchiveError(f"{url}: not a sitemap (no <urlset> or <sitemapindex> root); check the URL", source=url)
    return Sitemap(url=url, kind="index" if kind == "sitemapindex" else "urlset", urls=tuple(urls), sitemaps=tuple(refs))


def walk_sitemaps(fetch: Callable[[str], Page], url: str, *, start: datetime | None = None,
                  end: datetime | None = None, include_undated: bool = False,
                  max_sitemaps: int = MAX_SITEMAPS, skipped: list[tuple[str, str]] | None = None,
                  ) -> Iterator[SitemapUrl]:
    """Every URL under the sitemap (or index) at `url` dated in [`start`, `end`).

    `fetch` gets a sitemap's URL and returns its `Page` (the live fetcher, so backfill
    is as polite as monitoring). A child sitemap that cannot be fetched or parsed is
    logged, appended to `skipped` as (url, reason), and the walk goes on; only the
    root failing raises. URLs with no date are given only with `include_undated`.
    """
    def read(current: str) -> tuple[list[SitemapUrl], list[str]]:
        page = fetch(current)
        sitemap = parse_sitemap(page.content, page.final_url)
        log.info("sitemap %s: %d URLs, %d child sitemaps", current, len(sitemap.urls), len(sitemap.sitemaps))
        onward = []
        for ref in sitemap.sitemaps:
            if start is not None and ref.lastmod is not None and ref.lastmod < start:
                log.debug("sitemap %s not modified since %s: not read", ref.loc, ref.lastmod)
            else:
                onward.append(ref.loc)
        return [item for item in sitemap.urls if in_window(item.when, start, end, include_undated=include_undated)], onward

    return walk_links(url, read, limit=max_sitemaps, what="sitemap", failures=(FetchError, ArchiveError),
                      skipped=skipped)


def _url(element: etree._Element, base: str) -> SitemapUrl | None:
    loc = _child_text(element, "loc")
    if not loc:
        return None
    loc = resolve_url(base, loc)
    if not is_http_url(loc):
        return None
    news = next((child for child in element if etree.QName(child).localname == "news"), None)
    published = title = language = None
    if news is not None:
        published = _parse_date(_child_text(news, "publication_date"))
        title = _child_text(news, "title")
        publication = next((c for c in news if etree.QName(c).localname == "publication"), None)
        if publication is not None:
            language = _child_text(publication, "language")
    return SitemapUrl(loc=loc, lastmod=_parse_date(_child_text(element, "lastmod")),
                      published_at=published, title=title, language=language)


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _parse_date(value: str | None) -> datetime | None:
    """A W3C datetime (`2024-03-02`, `2024-03-02T09:00Z`, `2024-03`, `2024`); naive is UTC, unreadable logged."""
    return parse_timestamp(value, source="sitemap date")


def _gunzip(content: bytes, url: str, max_bytes: int) -> bytes:
    try:
        return inflate(content, max_bytes)
    except zlib.error as exc:
        raise ArchiveError(f"{url}: gzipped sitemap is damaged ({exc}); check the file", source=url) from None
    except InflatedTooLarge:
        raise ArchiveError(f"{url}: sitemap inflates to more than {max_bytes} bytes; split it", source=url) from None
