"""Feeds, the entry queue, runs and the fetch log, against a real PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from pipeline import store
from pipeline.errors import DatabaseError, LoadError
from pipeline.models import FeedEntry, FeedSpec

NOW = datetime(2024, 3, 3, 12, 0, tzinfo=timezone.utc)


def test_store_upsert_feeds_keeps_ids_and_refreshes_titles(db):
    first = store.upsert_feeds(db, [FeedSpec("https://a.example/feed"), FeedSpec("https://b.example/rss", "B")])
    again = store.upsert_feeds(db, [FeedSpec("https://b.example/rss"), FeedSpec("https://a.example/feed", "A")])

    assert again == first[::-1]
    feeds = store.list_feeds(db)
    assert [(f.url, f.title, f.enabled, f.consecutive_errors) for f in feeds] == [
        ("https://a.example/feed", "A", True, 0), ("https://b.example/rss", "B", True, 0)]
    assert {f.name for f in dataclasses.fields(store.FeedState)} == {
        c for (c,) in db.execute("select column_name from information_schema.columns where table_name = 'feeds'")}


def _record_poll(db, feed_id: int, **outcome) -> None:
    store.record_feed_polls(db, [store.FeedPoll(feed_id, **outcome)])


def test_store_due_feeds_and_poll_bookkeeping(db):
    [a, b] = store.upsert_feeds(db, [FeedSpec("https://a.example/feed"), FeedSpec("https://b.example/feed")])
    now = datetime.now(timezone.utc)  # new feeds are due at once
    _record_poll(db, a, status=200, etag='"v1"', last_modified=None, body_hash="h1", error=None,
                           new_items=3, next_poll_at=now + timedelta(minutes=15), poll_interval_s=900, polled_at=now)

    assert [f.feed_id for f in store.due_feeds(db, now, 10)] == [b]
    assert [f.feed_id for f in store.due_feeds(db, now + timedelta(hours=1), 10)] == [b, a]

    for attempt in (1, 2):
        _record_poll(db, a, status=None, etag=None, last_modified=None, body_hash=None,
                               error="connection refused", new_items=0, next_poll_at=now, poll_interval_s=1800,
                               polled_at=now + timedelta(minutes=attempt))
    [feed] = store.list_feeds(db, [a])
    assert (feed.consecutive_errors, feed.last_error, feed.etag, feed.body_hash) == (2, "connection refused", '"v1"', "h1")
    assert (feed.items_seen, feed.last_new_item_at, feed.poll_interval_s) == (3, now, 1800)

    _record_poll(db, a, status=304, etag=None, last_modified=None, body_hash=None, error=None,
                           new_items=0, next_poll_at=now, poll_interval_s=900, polled_at=now)
    assert store.list_feeds(db, [a])[0].consecutive_errors == 0

    store.disable_feed(db, a, "10 consecutive errors")
    assert [f.feed_id for f in store.due_feeds(db, now + timedelta(days=1), 10)] == [b]
    assert store.list_feeds(db, [a])[0].disabled_reason == "10 consecutive errors"


def test_store_add_feed_entries_counts_new_urls_by_feed_in_one_call(db):
    [a, b, c] = store.upsert_feeds(db, [FeedSpec(f"https://{n}.example/feed") for n in "abc"])

    def items(feed: str, *numbers: int) -> list[tuple[FeedEntry, str]]:
        return [(FeedEntry(feed, f"https://wire.example/{n}"), f"hash-{n:04d}") for n in numbers]

    # b syndicates story 2, which a queued first in the same call; c has nothing new
    counts = store.add_feed_entries(db, [(a, items("a", 1, 2)), (b, items("b", 2, 3)), (c, [])])
    assert counts == [2, 1, 0]
    assert store.add_feed_entries(db, [(c, items("c", 1, 4))]) == [1]
    assert store.add_feed_entries(db, [(a, []), (b, [])]) == [0, 0]
    owners = dict(db.execute("select url_hash, feed_id from entries").fetchall())
    assert owners == {"hash-0001": a, "hash-0002": a, "hash-0003": b, "hash-0004": c}


def test_store_entries_queue(db):
    [feed_id] = store.upsert_feeds(db, [FeedSpec("https://a.example/feed")])
    items = [(FeedEntry("https://a.example/feed", f"https://a.example/{n}", title=f"story {n}",
                        published_at=NOW - timedelta(hours=n)), f"hash-{n:04d}") for n in range(3)]

    assert store.add_entries(db, feed_id, items) == 3
    assert store.add_entries(db, feed_id, items[:2] + [(items[0][0], "hash-0099")]) == 1

    pending = store.ready_entries(db, 10)
    assert [e.url for e in pending] == [f"https://a.example/{n}" for n in range(3)] + ["https://a.example/0"]
    assert pending[0].title == "story 0" and pending[0].published_at == NOW and pending[0].state == "pending"

    # entries change state only from a claim, and only by the worker holding it
    claimed = store.claim_entries(db, "w1", limit=3, lease_s=60)
    assert [(e.state, e.attempts, e.claimed_by) for e in claimed] == [("claimed", 1, "w1")] * 3
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert store.settle_entry(db, pending[0].entry_id, "w1", "pending", error="timeout", next_attempt_at=later)
    assert store.settle_entry(db, pending[1].entry_id, "w1", "skipped", skip_reason="not_article", error="no body")
    assert not store.settle_entry(db, pending[2].entry_id, "w2", "done")  # not w2's claim: nothing changes
    assert store.settle_entry(db, pending[2].entry_id, "w1", "failed", error="HTTP 404")
    assert not store.settle_entry(db, pending[2].entry_id, "w1", "done")  # settled already
    rows = store.get_entries(db, [e.entry_id for e in pending[:3]])
    assert [(r.state, r.attempts, r.last_error, r.skip_reason, r.claimed_by) for r in rows] == [
        ("pending", 1, "timeout", None, None), ("skipped", 1, "no body", "not_article", None),
        ("failed", 1, "HTTP 404", None, None)]
    assert rows[0].next_attempt_at == later
    # the retried one is not ready before its next attempt
    assert [e.entry_id for e in store.ready_entries(db, 10)] == [pending[3].entry_id]

    with pytest.raises(DatabaseError, match="cannot settle it as 'later'"):
        store.settle_entry(db, pending[0].entry_id, "w1", "later")


def test_store_runs_and_fetch_log(db):
    run_id = store.start_run(db, "cycle")
    [feed_id] = store.upsert_feeds(db, [FeedSpec("https://a.example/feed")])
    written = store.log_fetches(db, [
        store.FetchLogRow(url="https://a.example/feed", kind="feed", run_id=run_id, feed_id=feed_id, status=200,
                          bytes=5120, elapsed_ms=42),
        store.FetchLogRow(url="https://a.example/1", kind="page", run_id=run_id, error="timed out"),
    ])
    store.finish_run(db, run_id, "ok", {"feeds_polled": 1, "pages_failed": 1}, {"fetch": 0.5},
                     [{"url": "https://a.example/1", "stage": "fetch", "error": "timed out"}])

    run = store.get_run(db, run_id)
    assert written == 2
    assert (run.kind, run.status, run.counts, run.timings) == ("cycle", "ok", {"feeds_polled": 1, "pages_failed": 1},
                                                               {"fetch": 0.5})
    assert run.errors == [{"url": "https://a.example/1", "stage": "fetch", "error": "timed out"}]
    assert run.finished_at >= run.started_at
    assert db.execute("select kind, status, error from fetch_log order by fetch_id").fetchall() == [
        ("feed", 200, None), ("page", None, "timed out")]


def test_store_invalid_bookkeeping_is_one_line_load_error(db):
    with pytest.raises(LoadError) as caught:
        store.log_fetches(db, [store.FetchLogRow(url="https://a.example/", kind="carrier-pigeon", status=200)])
    assert "\n" not in str(caught.value) and "fetch_log_kind_check" in str(caught.value)
    with pytest.raises(DatabaseError, match="run 12345 does not exist"):
        store.finish_run(db, 12345, "ok", {})
