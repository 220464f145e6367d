"""The entries queue against a real PostgreSQL: concurrent claimers, leases, retries, dead letters."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pipeline import store
from pipeline.models import FeedEntry


def _queue(conn, n: int) -> list[int]:
    items = [(FeedEntry("", f"https://q.example/{i}"), f"queue-hash-{i:05d}") for i in range(n)]
    store.add_entries(conn, None, items)
    conn.commit()
    return [row[0] for row in conn.execute("select entry_id from entries order by entry_id")]


def test_store_queue_two_concurrent_claimers_never_take_one_entry_twice(migrated_url):
    with store.connect(migrated_url) as conn:
        ids = _queue(conn, 400)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claimer(name: str) -> None:
        with store.connect(migrated_url) as conn:
            start.wait()
            while rows := store.claim_entries(conn, name, limit=7, lease_s=60):
                taken[name].extend(row.entry_id for row in rows)

    threads = [threading.Thread(target=claimer, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    both = taken["a"] + taken["b"]
    assert sorted(both) == ids  # every entry claimed exactly once
    assert taken["a"] and taken["b"]  # and both workers got some
    with store.connect(migrated_url) as conn:
        owners = dict(conn.execute("select entry_id, claimed_by from entries").fetchall())
    assert all(owners[i] == "a" for i in taken["a"]) and all(owners[i] == "b" for i in taken["b"])


def test_store_queue_claim_skips_rows_locked_by_another_claim(migrated_url):
    """A claim in flight (its transaction open) is skipped, not waited for."""
    with store.connect(migrated_url) as conn:
        ids = _queue(conn, 4)
    with store.connect(migrated_url) as slow, store.connect(migrated_url) as fast:
        with slow.transaction():
            held = slow.execute("select entry_id from entries order by entry_id limit 2 for update").fetchall()
            got = store.claim_entries(fast, "fast", limit=10, lease_s=60)
        assert [row[0] for row in held] == ids[:2]
        assert [row.entry_id for row in got] == ids[2:]


def test_store_queue_expired_lease_is_claimed_again_and_old_holder_cannot_settle(migrated_url):
    with store.connect(migrated_url) as conn:
        [entry_id] = _queue(conn, 1)
        [first] = store.claim_entries(conn, "dead-worker", limit=5, lease_s=60)
        assert store.claim_entries(conn, "other", limit=5, lease_s=60) == []  # lease still running
        conn.execute("update entries set lease_until = now() - interval '1 second'")  # time passes
        conn.commit()
        assert [e.entry_id for e in store.ready_entries(conn, 5)] == [entry_id]
        [second] = store.claim_entries(conn, "other", limit=5, lease_s=60)
        assert (second.entry_id, second.claimed_by, second.attempts) == (entry_id, "other", first.attempts + 1)
        assert not store.settle_entry(conn, entry_id, "dead-worker", "done")  # the old holder lost it
        assert store.settle_entry(conn, entry_id, "other", "failed", error="HTTP 404")
        conn.commit()


def test_store_queue_claim_only_among_given_ids_and_due(migrated_url):
    with store.connect(migrated_url) as conn:
        ids = _queue(conn, 3)
        conn.execute("update entries set next_attempt_at = now() + interval '1 hour' where entry_id = %s", (ids[0],))
        conn.commit()
        got = store.claim_entries(conn, "w", limit=10, lease_s=60, ids=ids[:2])
        assert [row.entry_id for row in got] == [ids[1]]  # ids[0] is not due, ids[2] was not asked for


def test_store_queue_backoff_doubles_and_is_capped():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert [store.backoff(n, 60, now) - now for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (60, 120, 240)]
    assert store.backoff(40, 60, now) - now == timedelta(days=1)


def test_store_queue_requeue_dead_letters(migrated_url):
    with store.connect(migrated_url) as conn:
        ids = _queue(conn, 3)
        store.claim_entries(conn, "w", limit=3, lease_s=60)
        store.settle_entry(conn, ids[0], "w", "dead", error="boom")
        store.settle_entry(conn, ids[1], "w", "dead", error="boom")
        store.settle_entry(conn, ids[2], "w", "failed", error="HTTP 404")
        conn.commit()
        assert [e.entry_id for e in store.list_entries(conn, "dead")] == sorted(ids[:2], reverse=True)
        assert store.requeue_entries(conn, [ids[0], ids[2]]) == [ids[0]]  # failed is not a dead letter
        assert sorted(store.requeue_entries(conn)) == [ids[1]]
        rows = store.get_entries(conn, ids)
        assert [(r.state, r.attempts) for r in rows] == [("pending", 0), ("pending", 0), ("failed", 1)]


def test_store_reader_role_cannot_take_advisory_locks(migrated_url):
    """The dashboards' read-only role (042) must not be able to freeze ingestion with advisory locks."""
    with store.connect(migrated_url) as conn:
        if conn.execute("select 1 from pg_roles where rolname = 'wirewatch_reader'").fetchone() is None:
            pytest.skip("role wirewatch_reader was not created (the migrating user may not create roles)")
        assert conn.execute("select pg_try_advisory_xact_lock(42)").fetchone()[0]  # the pipeline still can
    with psycopg.connect(make_conninfo(migrated_url, user="wirewatch_reader"), autocommit=True) as reader:
        for call in ("select pg_advisory_lock(1)", "select pg_try_advisory_lock(1, 2)",
                     "select pg_advisory_xact_lock_shared(1)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(call)
        assert reader.execute("select count(*) from dash_run_stats").fetchone()[0] >= 0  # it still reads


def test_store_connections_carry_timeouts_by_purpose(migrated_url):
    from pipeline.config import Settings
    from pipeline.errors import DatabaseTimeout

    settings = Settings(database_url=migrated_url, db_statement_timeout=2, db_lock_timeout=0.5,
                        db_idle_timeout=30, db_export_statement_timeout=600)
    show = "select current_setting('statement_timeout'), current_setting('lock_timeout'), " \
           "current_setting('idle_in_transaction_session_timeout')"
    with store.connect(settings) as conn:
        assert conn.execute(show).fetchone() == ("2s", "500ms", "30s")
        with pytest.raises(DatabaseTimeout, match="statement timeout"), \
                store.database.translate_errors("sleeping"):
            conn.execute("select pg_sleep(5)")
    with store.connect(settings, purpose="export") as conn:
        assert conn.execute(show).fetchone() == ("10min", "10min", "30s")


def test_store_loads_lock_per_article_not_the_warehouse(migrated_url, make_bundle):
    """A load in flight holds its own articles only: another article loads meanwhile, the same one waits."""
    from pipeline.config import Settings
    from pipeline.errors import DatabaseTimeout

    other_text = "GENEVA (AFP) - Protesters marched through Geneva on Sunday.\n\nPolice said the march was peaceful."
    settings = Settings(database_url=migrated_url, db_lock_timeout=0.5)
    with store.connect(settings) as first, store.connect(settings) as second:
        with first.transaction():
            store.load_articles(first, [make_bundle("https://a.example/x")])  # not committed yet
            outcomes = store.load_articles(second, [make_bundle("https://b.example/y", text=other_text)])
            second.commit()
            assert [o.duplicate for o in outcomes] == [False]  # loaded without waiting for the first
            with pytest.raises(DatabaseTimeout, match="lock timeout"):  # the same article: waits, cut by lock_timeout
                store.load_articles(second, [make_bundle("https://a.example/x")])
            second.rollback()
        [again] = store.load_articles(second, [make_bundle("https://a.example/x")])
        assert again.duplicate  # once the first committed, decided after it
