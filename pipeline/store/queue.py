"""The entries queue: claims with a lease, settling by the claim's holder, retries, dead letters.

    pending ──claim──► claimed ──settle──► done | duplicate | skipped | failed
       ▲                  │  └──settle (retryable, attempts left)──► pending, next_attempt_at later
       │                  ├──release (host busy: not an attempt)───► pending, next_attempt_at later
       │                  ├──settle (attempts used up)────────────► dead
       │                  └──lease runs out (worker died)──────────► claimable again
       └───────────────── requeue (`wirewatch entries retry`) ◄──── dead (or failed)

A worker claims entries with `for update skip locked`, so two workers (a mapped Airflow
task, push's drain, a backfill, the CLI) never take the same entry; a claim is a lease,
so a worker that dies leaves its entries to be claimed again once `lease_until` passes.
Only the worker holding a claim can move its entry on: `settle` and `release` are
guarded updates that say whether they applied (False: the lease was lost to another
worker, whose outcome stands).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.rows import class_row

from pipeline.errors import DatabaseError
from pipeline.store import statements as q
from pipeline.store.database import translate_errors
from pipeline.store.rows import EntryRow

#: states an entry can be settled in by the worker holding it
SETTLED_STATES = frozenset({"pending", "done", "skipped", "failed", "duplicate", "dead"})
ENTRY_STATES = SETTLED_STATES | {"claimed"}
#: no retry waits longer than this, however many attempts came before
MAX_BACKOFF_S = 24 * 3600.0


def worker_id() -> str:
    """A name for this claimant, unique across hosts, processes and calls: `host:pid:token`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def backoff(attempts: int, base_s: float, now: datetime | None = None) -> datetime:
    """When an entry that failed its `attempts`-th attempt is tried again: base · 2^(attempts−1), capped."""
    delay = min(base_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)
    return (now or datetime.now(timezone.utc)) + timedelta(seconds=delay)


def ready_entries(conn: psycopg.Connection, limit: int) -> list[EntryRow]:
    """Entries a worker may claim now (pending and due, or with an expired lease), next due first."""
    with translate_errors("selecting ready entries"), conn.cursor(row_factory=class_row(EntryRow)) as cur:
        return cur.execute(q.SELECT_READY_ENTRIES, (limit,)).fetchall()


def get_entries(conn: psycopg.Connection, ids: Sequence[int]) -> list[EntryRow]:
    """The entries with these ids, by id (missing ids are left out)."""
    with translate_errors("reading entries"), conn.cursor(row_factory=class_row(EntryRow)) as cur:
        return cur.execute(q.SELECT_ENTRIES_BY_ID, (list(ids),)).fetchall()


def pending_entry_ids(conn: psycopg.Connection, url_hashes: Sequence[str]) -> list[int]:
    """The ids of the pending entries among those with these URL hashes, by id."""
    with translate_errors("selecting pending entries"):
        return [int(row[0]) for row in conn.execute(q.SELECT_PENDING_BY_URL_HASH, (list(url_hashes),))]


def claim_entries(conn: psycopg.Connection, worker: str, *, limit: int, lease_s: float,
                  ids: Sequence[int] | None = None) -> list[EntryRow]:
    """Claim up to `limit` ready entries (only among `ids` when given) for `worker`, oldest due first.

    Entries another transaction is claiming are skipped, never waited for. Commits (the
    claim must be visible to other workers before the work starts).
    """
    params = {"worker": worker, "limit": limit, "lease_s": lease_s, "ids": None if ids is None else list(ids)}
    with translate_errors("claiming entries"), conn.transaction(), \
            conn.cursor(row_factory=class_row(EntryRow)) as cur:
        rows = cur.execute(q.CLAIM_ENTRIES, params).fetchall()
    if not conn.autocommit:
        conn.commit()
    return sorted(rows, key=lambda row: (row.discovered_at, row.entry_id))


def settle_entry(conn: psycopg.Connection, entry_id: int, worker: str, state: str, *, error: str | None = None,
                 skip_reason: str | None = None, article_id: int | None = None,
                 next_attempt_at: datetime | None = None, refund: bool = False) -> bool:
    """Move an entry `worker` holds to `state`; False when the claim was no longer its own.

    `next_attempt_at` (with state `pending`) is when it may be claimed again; `refund`
    gives the attempt back (the host asked us to wait: nothing was tried).
    """
    if state not in SETTLED_STATES:
        raise DatabaseError(f"entry {entry_id}: cannot settle it as {state!r}; use one of "
                            f"{', '.join(sorted(SETTLED_STATES))}")
    if state == "skipped" and skip_reason is None:
        raise DatabaseError(f"entry {entry_id}: settling it as skipped needs a skip_reason")
    params = {"entry_id": entry_id, "worker": worker, "state": state, "error": error,
              "skip_reason": skip_reason if state == "skipped" else None, "article_id": article_id,
              "next_attempt_at": next_attempt_at, "refund": 1 if refund else 0}
    with translate_errors(f"settling entry {entry_id}"), conn.transaction():
        return conn.execute(q.SETTLE_ENTRY, params).fetchone() is not None


def requeue_entries(conn: psycopg.Connection, ids: Sequence[int] | None = None, *,
                    states: Sequence[str] = ("dead",)) -> list[int]:
    """Put entries in `states` (dead letters by default) back to pending now, attempts cleared.

    With `ids`, only those; their ids, in no particular order.
    """
    params = {"ids": None if ids is None else list(ids), "states": list(states)}
    with translate_errors("requeueing entries"), conn.transaction():
        return [int(row[0]) for row in conn.execute(q.REQUEUE_ENTRIES, params)]


def list_entries(conn: psycopg.Connection, state: str | None = None, limit: int = 50) -> list[EntryRow]:
    """The most recently changed entries (in `state`, when given)."""
    if state is not None and state not in ENTRY_STATES:
        raise DatabaseError(f"unknown entry state {state!r}; use one of {', '.join(sorted(ENTRY_STATES))}")
    with translate_errors("listing entries"), conn.cursor(row_factory=class_row(EntryRow)) as cur:
        return cur.execute(q.SELECT_ENTRIES_IN_STATE, {"state": state, "limit": limit}).fetchall()
