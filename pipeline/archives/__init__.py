"""Archive sources for backfilling: what a news site or a crawler kept of the past.

    warc.read_warc(path, record_filter)       WARC / WARC.gz records as `Page`s, streamed
    sitemaps.parse_sitemap(content, url)      one sitemap or sitemap index document
    sitemaps.walk_sitemaps(fetch, url, ...)   every article URL of a sitemap tree in a date range
    paged_feeds.walk_feed_pages(fetch, url)   entries of an RFC 5005 archived or paged feed

Readers are pure: they take bytes or a `fetch` callable and give models, and never
touch the warehouse. `pipeline.flows.backfill` turns what they give into stored articles
through the same extraction, analysis and loading as the live path.
"""

from pipeline.archives.paged_feeds import archive_links, walk_feed_pages
from pipeline.archives.sitemaps import Sitemap, SitemapUrl, parse_sitemap, walk_sitemaps
from pipeline.archives.warc import ArchivedPage, RecordFilter, WarcReader, expand_warc_paths, read_warc

__all__ = [
    "ArchivedPage",
    "RecordFilter",
    "Sitemap",
    "SitemapUrl",
    "WarcReader",
    "archive_links",
    "expand_warc_paths",
    "parse_sitemap",
    "read_warc",
    "walk_feed_pages",
    "walk_sitemaps",
]
