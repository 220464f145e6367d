"""The feeds we poll and the article URLs they queue: what a cycle reads and records.

The queue itself (claims, leases, retries) is `pipeline.store.queue`.

Each function runs in `conn.transaction()`: on an idle connection it commits its own
work, inside a caller's transaction it is a savepoint and commits with the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from pipeline.errors import DatabaseError
from pipeline.models import FeedEntry, FeedSpec
from pipeline.store import statements as q
from pipeline.store.database import translate_errors
from pipeline.store.rows import FeedPoll, FeedState

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 900


def upsert_feeds(conn: psycopg.Connection, specs: Iterable[FeedSpec], *,
                 poll_interval_s: int = DEFAULT_POLL_INTERVAL_S) -> list[int]:
    """Add feeds (or refresh their title/site) by URL; their ids, in the order given."""
    ids: list[int] = []
    with translate_errors("registering feeds"), conn.transaction(), conn.cursor() as cur:
        for spec in specs:
            cur.execute(q.UPSERT_FEED, {"url": spec.url, "title": spec.title, "site_url": spec.site_url,
                                        "poll_interval_s": poll_interval_s})
            ids.append(_one(cur.fetchone(), "upserting feed", spec.url))
    return ids


def list_feeds(conn: psycopg.Connection, ids: Sequence[int] | None = None) -> list[FeedState]:
    """Every feed (or those with the given ids), by id."""
    with translate_errors("listing feeds"), conn.cursor(row_factory=class_row(FeedState)) as cur:
        if ids is None:
            return cur.execute(q.SELECT_FEEDS).fetchall()
        return cur.execute(q.SELECT_FEEDS_BY_ID, (list(ids),)).fetchall()


def due_feeds(conn: psycopg.Connection, now: datetime, limit: int) -> list[FeedState]:
    """Enabled feeds whose `next_poll_at` has come, most overdue first."""
    with translate_errors("selecting due feeds"), conn.cursor(row_factory=class_row(FeedState)) as cur:
        return cur.execute(q.SELECT_DUE_FEEDS, (now, limit)).fetchall()


def record_feed_polls(conn: psycopg.Connection, polls: Sequence[FeedPoll]) -> None:
    """Record a batch of polls in one transaction and one round trip (pipelined executemany).

    A success (`error` None) resets a feed's error count, a failure adds one; validators and
    metadata given as None keep their stored values. A 304 costs a share of one statement
    batch rather than a transaction.
    """
    if not polls:
        return
    params = [{name: getattr(poll, name) for name in FeedPoll.__slots__} for poll in polls]
    with translate_errors(f"recording {len(polls)} feed polls"), conn.transaction(), conn.cursor() as cur:
        cur.executemany(q.RECORD_FEED_POLL, params)


def relax_poll_commits(conn: psycopg.Connection) -> None:
    """Let this connection's commits return before they reach the disk: poll bookkeeping need
    not wait for it, since a crash loses at most the last few polls' records, whole (a feed's
    state and its entries commit together), and those polls are redone."""
    with translate_errors("turning off synchronous commit"):
        conn.execute(q.ASYNCHRONOUS_COMMIT)


def item_digests(conn: psycopg.Connection, feed_ids: Sequence[int]) -> dict[int, bytes]:
    """The item fingerprints stored for these feeds (`pipeline.feeds.items`), by feed id."""
    with translate_errors("reading feed item digests"):
        return {int(feed_id): bytes(blob) for feed_id, blob in conn.execute(q.SELECT_ITEM_DIGESTS, (list(feed_ids),))}


def save_item_digests(conn: psycopg.Connection, digests: Sequence[tuple[int, bytes]]) -> None:
    """Replace the item fingerprints of these feeds, in one transaction and one round trip."""
    if not digests:
        return
    with translate_errors("saving feed item digests"), conn.transaction(), conn.cursor() as cur:
        cur.executemany(q.UPSERT_ITEM_DIGESTS, [{"feed_id": f, "digests": d} for f, d in digests])


def disable_feed(conn: psycopg.Connection, feed_id: int, reason: str) -> None:
    """Stop polling a feed, saying why (shown by `wirewatch feeds`)."""
    with translate_errors(f"disabling feed {feed_id}"), conn.transaction():
        row = conn.execute(q.SET_FEED_ENABLED, {"feed_id": feed_id, "enabled": False, "reason": reason}).fetchone()
        _one(row, "disabling", f"feed {feed_id}")


def enable_feed(conn: psycopg.Connection, feed_id: int) -> None:
    """Poll a disabled feed again, from the next cycle on, with its error count cleared."""
    with translate_errors(f"enabling feed {feed_id}"), conn.transaction():
        row = conn.execute(q.ENABLE_FEED, {"feed_id": feed_id}).fetchone()
        _one(row, "enabling", f"feed {feed_id}")


def remove_feed(conn: psycopg.Connection, feed_id: int) -> None:
    """Forget a feed: its articles, events and fetch log stay, no longer linked to it."""
    with translate_errors(f"removing feed {feed_id}"), conn.transaction():
        _one(conn.execute(q.DELETE_FEED, {"feed_id": feed_id}).fetchone(), "removing", f"feed {feed_id}")


def defer_feed(conn: psycopg.Connection, feed_id: int, next_poll_at: datetime) -> None:
    """Poll a feed no sooner than `next_poll_at` (its host asked us to wait); not an error."""
    with translate_errors(f"deferring feed {feed_id}"), conn.transaction():
        _one(conn.execute(q.DEFER_FEED, {"feed_id": feed_id, "next_poll_at": next_poll_at}).fetchone(),
             "deferring", f"feed {feed_id}")


def feed_rates(conn: psycopg.Connection, days: int = 7) -> dict[int, float]:
    """New items a day of every feed over the last `days` days, by the items' own dates."""
    with translate_errors("measuring feed rates"):
        return {int(feed_id): float(rate) for feed_id, rate in conn.execute(q.SELECT_FEED_RATES, {"days": days})}


def find_feed(conn: psycopg.Connection, ref: str) -> int:
    """The id of a feed given as its id or its exact URL; `DatabaseError` naming it otherwise."""
    if ref.isdigit():
        return int(ref)
    with translate_errors(f"looking up feed {ref}"):
        row = conn.execute(q.SELECT_FEED_BY_URL, (ref,)).fetchone()
    return _one(row, "finding", f"feed {ref}")


def add_entries(conn: psycopg.Connection, feed_id: int | None,
                entries: Sequence[tuple[FeedEntry, str]], source: str = "feed") -> int:
    """Queue article URLs (each with its canonical URL's hash); how many were new."""
    return add_feed_entries(conn, [(feed_id, entries)], source)[0]


def add_feed_entries(conn: psycopg.Connection, feeds: Sequence[tuple[int | None, Sequence[tuple[FeedEntry, str]]]],
                     source: str = "feed") -> list[int]:
    """Queue the article URLs of several feeds in one round trip; how many were new, by feed.

    A URL already queued (by any feed: its canonical hash is unique) is not new.
    """
    params = [{"feed_id": feed_id, "source": source, "url": entry.link, "url_hash": url_hash, "title": entry.title,
               "summary": entry.summary, "guid": entry.entry_id, "published_at": entry.published_at}
              for feed_id, entries in feeds for entry, url_hash in entries]
    if not params:
        return [0] * len(feeds)
    inserted: list[bool] = []
    what = f"feed {feeds[0][0]}" if len(feeds) == 1 else f"{len(feeds)} feeds"
    with translate_errors(f"queueing entries of {what}"), conn.transaction(), conn.cursor() as cur:
        cur.executemany(q.INSERT_ENTRY, params, returning=True)  # pipelined: one round trip
        while True:
            inserted.append(cur.fetchone() is not None)
            if not cur.nextset():
                break
    counts, start = [], 0
    for _feed_id, entries in feeds:
        counts.append(sum(inserted[start:start + len(entries)]))
        start += len(entries)
    return counts


def known_article_hashes(conn: psycopg.Connection, url_hashes: Iterable[str]) -> set[str]:
    """Those of `url_hashes` an article is already stored under (no need to fetch them again)."""
    hashes = list(set(url_hashes))
    if not hashes:
        return set()
    with translate_errors("looking up known URLs"):
        return {row[0] for row in conn.execute(q.SELECT_KNOWN_ARTICLE_HASHES, {"hashes": hashes})}


def _one(row: tuple | None, doing: str, what: str) -> int:
    if row is None:
        raise DatabaseError(f"{doing} {what}: no such row; list them with `wirewatch feeds`")
    return int(row[0])
