"""Rows read from and written to the warehouse's bookkeeping tables.

Read with psycopg's `class_row`, so a row is matched to fields by column name, never by
position: adding a column in a migration means adding a field here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedState:
    """One `feeds` row: a monitored feed and its polling state."""

    feed_id: int
    url: str
    title: str | None
    site_url: str | None
    enabled: bool
    disabled_reason: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_status: int | None
    last_error: str | None
    consecutive_errors: int
    last_polled_at: datetime | None
    last_new_item_at: datetime | None
    next_poll_at: datetime
    poll_interval_s: int
    items_seen: int
    hub_url: str | None
    self_url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One `entries` row: an article URL waiting in (or done with) the queue."""

    entry_id: int
    feed_id: int | None
    source: str
    url: str
    url_hash: str
    title: str | None
    summary: str | None
    guid: str | None
    published_at: datetime | None
    discovered_at: datetime
    state: str
    attempts: int
    last_error: str | None
    skip_reason: str | None
    article_id: int | None
    updated_at: datetime
    claimed_by: str | None = None
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RunRow:
    """One `pipeline_runs` row."""

    run_id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, Any]
    timings: dict[str, Any] | None
    errors: list[dict[str, Any]] | None
    host: str | None
    owner_pid: int | None = None


@dataclass(frozen=True, slots=True)
class FetchLogRow:
    """One HTTP fetch to record in `fetch_log`; `fetched_at` defaults to the time of logging."""

    url: str
    kind: str
    run_id: int | None = None
    feed_id: int | None = None
    status: int | None = None
    error: str | None = None
    bytes: int | None = None
    elapsed_ms: int | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What became of one bundle of a load, in the order the bundles were given.

    `duplicate` is true when the article was already stored (or came earlier in the
    same batch); `reason` then says how it was recognised: `url` (same canonical or
    fetched URL) or `content` (same text under another URL: a syndicated copy).
    """

    entry_id: int | None
    url: str
    article_id: int
    duplicate: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """The outcome of one feed poll, for `record_feed_polls` (None keeps a stored value)."""

    feed_id: int
    status: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error: str | None
    new_items: int
    next_poll_at: datetime
    poll_interval_s: int
    polled_at: datetime
    title: str | None = None
    site_url: str | None = None
    hub_url: str | None = None
    self_url: str | None = None
