"""Pipeline runs and the fetch log: what ran, what it counted, every HTTP request it made."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from pipeline.errors import DatabaseError
from pipeline.store import statements as q
from pipeline.store.database import translate_errors
from pipeline.store.rows import FetchLogRow, RunRow

log = logging.getLogger(__name__)

RUN_STATUSES = frozenset({"ok", "failed"})


def start_run(conn: psycopg.Connection, kind: str, *, owner_pid: int | None = None) -> int:
    """Record that a run (cycle, backfill, reprocess, push, ...) started; its id.

    `owner_pid`: the process the run lives and dies with (a command-line run), so that
    `abandon_dead_runs` can tell when it died; None for a run that several processes
    share (an Airflow DAG run), whose teardown records its end.
    """
    with translate_errors(f"starting a {kind} run"), conn.transaction():
        row = conn.execute(q.INSERT_RUN, (kind, socket.gethostname(), owner_pid)).fetchone()
    assert row is not None
    return int(row[0])


def abandon_dead_runs(conn: psycopg.Connection, alive: Callable[[int], bool] | None = None) -> list[int]:
    """Record as failed the runs of this host whose owning process is gone (killed, out of
    memory, the machine restarted); their ids. Runs of other hosts, and runs without an
    owner, are left to their own host and to their DAG's teardown."""
    alive = alive or _process_alive
    host = socket.gethostname()
    with translate_errors("finding abandoned runs"):
        owned = conn.execute(q.SELECT_OWNED_RUNNING, (host, os.getpid())).fetchall()
    dead = [(run_id, pid) for run_id, pid in owned if not alive(pid)]
    with translate_errors("recording abandoned runs"), conn.transaction():
        for run_id, pid in dead:
            reason = f"process {pid} on {host} ended without finishing the run (killed or crashed)"
            conn.execute(q.ABANDON_RUN, {"run_id": run_id, "errors": Jsonb([{"stage": "run", "error": reason}])})
    for run_id, pid in dead:
        log.warning("run %s recorded as failed: its process %s on %s is gone", run_id, pid, host)
    return [run_id for run_id, _ in dead]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def finish_run(conn: psycopg.Connection, run_id: int, status: str, counts: Mapping[str, Any],
               timings: Mapping[str, Any] | None = None, errors: Iterable[Mapping[str, Any]] | None = None) -> None:
    """Record a run's end: `ok` or `failed`, its counters, stage timings and the failures it went past."""
    if status not in RUN_STATUSES:
        raise DatabaseError(f"run {run_id}: status {status!r} is not one of {', '.join(sorted(RUN_STATUSES))}")
    params = {"run_id": run_id, "status": status, "counts": Jsonb(dict(counts)),
              "timings": Jsonb(dict(timings)) if timings is not None else None,
              "errors": Jsonb([dict(e) for e in errors]) if errors is not None else None}
    with translate_errors(f"finishing run {run_id}"), conn.transaction():
        if conn.execute(q.FINISH_RUN, params).fetchone() is None:
            raise DatabaseError(f"run {run_id} does not exist; start it with start_run")


def get_run(conn: psycopg.Connection, run_id: int) -> RunRow | None:
    """One run's row, or None when there is no such run."""
    with translate_errors(f"reading run {run_id}"), conn.cursor(row_factory=class_row(RunRow)) as cur:
        return cur.execute(q.SELECT_RUN, (run_id,)).fetchone()


def log_fetches(conn: psycopg.Connection, rows: Iterable[FetchLogRow]) -> int:
    """Append HTTP fetches to `fetch_log` (one COPY); how many were written."""
    now = datetime.now(timezone.utc)
    # each value taken from the field of its column's name
    values = [[getattr(r, name) if name != "fetched_at" else r.fetched_at or now for name in q.FETCH_LOG_COLUMNS]
              for r in rows]
    if not values:
        return 0
    with translate_errors("logging fetches"), conn.transaction(), conn.cursor() as cur:
        with cur.copy(q.copy_into("fetch_log", q.FETCH_LOG_COLUMNS)) as copy:
            for value in values:
                copy.write_row(value)
    return len(values)
