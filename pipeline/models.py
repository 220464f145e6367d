"""The records stages hand to each other, named after the CLI contract's fields.

Every record is a frozen dataclass: a stage takes one in and gives a new one out.
`as_dict()` gives the JSON shape of `../shared/spec/cli-contract.md`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any


def as_dict(record: Any) -> dict[str, Any]:
    """The record as plain JSON-ready data (datetimes as ISO 8601 strings)."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return convert(dataclasses.asdict(record))


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed to monitor, as listed in a feeds file or the `feeds` table."""

    url: str
    title: str | None = None
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, normalised across RSS, Atom and JSON Feed."""

    feed_url: str
    link: str
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class LinklessEntry:
    """An item of a feed without an http(s) link (RSS 0.92 items, Atom entries with only an id).

    Kept so that a parse is complete (the feed's entry count is the document's), never
    queued: there is no page to fetch. `link` is what the document gave, if anything
    (a `javascript:` or relative-only link), cut to a sane length.
    """

    feed_url: str
    link: str | None = None
    title: str | None = None
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document after parsing: its metadata and entries (`linkless`: items with no page to fetch)."""

    url: str
    title: str | None
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    version: str | None = None
    ttl_seconds: int | None = None
    hub_url: str | None = None
    self_url: str | None = None
    update_period: str | None = None
    update_frequency: int | None = None
    linkless: tuple[LinklessEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched HTTP response, body decoded to text where it is text."""

    url: str
    final_url: str
    status: int
    content: bytes
    text: str | None
    encoding: str | None
    content_type: str | None
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False
    elapsed_ms: int | None = None
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    """An article's cleaned body and metadata: the contract's `extract` fields."""

    url: str | None
    canonical_url: str | None
    title: str | None
    author: str | None
    # aware (a time without an offset was taken as UTC, a date alone as its midnight);
    # `pipeline.dates.parse_timestamp` reads it where the page's text enters
    published_at: datetime | None
    language: str | None
    text: str
    extractor: str
    source_agency: str | None = None
    dateline: str | None = None
    sitename: str | None = None
    # The page declares itself not free or showed a subscription prompt: `text` may be
    # only the part served before the paywall.
    paywalled: bool = False
    # The page's rel=canonical / og:url when it was not accepted as `canonical_url` (another
    # site's URL, or the site's home page): a claim the page makes, never the article key.
    claimed_canonical_url: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """A named-entity mention; `text == article.text[start:end]`."""

    text: str
    label: str
    start: int
    end: int
    canonical: str


@dataclass(frozen=True, slots=True)
class Actor:
    """The source or target of an event."""

    text: str
    canonical: str
    type: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """Where an event happened, geocoded; `precision` is city, admin1 or country."""

    text: str
    name: str
    admin1: str | None
    country: str | None
    lat: float | None
    lon: float | None
    geonameid: int | None
    precision: str


@dataclass(frozen=True, slots=True)
class Event:
    """Who did what to whom, where, when: one PLOVER event read from a sentence."""

    type: str
    mode: str | None
    actor1: Actor | None
    actor2: Actor | None
    location: Location | None
    date: str | None
    date_text: str | None
    date_precision: str | None
    fatalities: int | None
    sentence: str
    start: int
    end: int
    confidence: float
    trigger: str | None = None
    location_source: str | None = None
    date_source: str | None = None
    supporting: tuple[tuple[int, int], ...] = ()
    speaker: Actor | None = None  # who the sentence quotes or reports ("..., a monitor said")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the NLP stage read from one text."""

    entities: tuple[Entity, ...]
    events: tuple[Event, ...]
    model_version: str
    # why the text was not analysed ("language": no pipeline for its language), else None
    not_analysed: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleBundle:
    """Everything the warehouse stores for one fetched article, loaded in one batch.

    `url_hash` keys the fetched URL and `canonical_url_hash` the article's canonical
    URL (both from `pipeline.http.urls.url_hash`); `raw` is the page body as fetched, kept
    in `raw_pages` when given. `entry_id` is the queue entry the page came from.
    """

    entry_id: int | None
    url: str
    url_hash: str
    canonical_url: str
    canonical_url_hash: str
    article: Article
    analysis: Analysis
    extractor_version: str
    analyzer_version: str
    raw: bytes | None = None
    content_type: str | None = None
    encoding: str | None = None
    fetched_at: datetime | None = None


# --- archives: a WARC file and the day index a backfill draws on its first pass --------------

@dataclass(frozen=True, slots=True)
class FileIdentity:
    """A file as it is now: absolute path, size, modification time (ns)."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> FileIdentity:
        resolved = Path(path).resolve()
        stat = os.stat(resolved)
        return cls(path=str(resolved), size=stat.st_size, mtime_ns=stat.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class WarcDayIndex:
    """One file's units by capture day (offsets ascending), and how many records the pass read."""

    file: FileIdentity
    records: int
    days: Mapping[date, tuple[int, ...]]

    def offsets_between(self, first: date, last: date) -> dict[date, tuple[int, ...]]:
        """The days of [`first`, `last`] that hold records, each with its units' offsets."""
        return {day: offsets for day, offsets in sorted(self.days.items()) if first <= day <= last}
