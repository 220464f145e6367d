"""Pipeline runs and the fetch log: what ran, what it counted, every HTTP request it made,
and the events of the articles a run loaded (its report)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
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


# --- what a run loaded (the report `make run` prints) ---------------------------------------

_SELECT_LATEST_RUN = """
select run_id from pipeline_runs where kind = %(kind)s and status <> 'running'
order by run_id desc limit 1
"""

# one row per event type among the articles the run loaded first
_SELECT_EVENTS_BY_TYPE = """
select ev.type, count(*) as n
from events as ev
join articles as a on a.article_id = ev.article_id
where a.first_run_id = %(run_id)s
group by ev.type
order by n desc, ev.type
"""

# one row per event type: its most complete, most confident event among the run's articles
_SELECT_EVENT_EXAMPLES = """
select distinct on (ev.type)
    ev.type, ev.mode, ev.actor1_canonical, ev.actor2_canonical, loc.name as place,
    loc.country, ev.event_date, ev.fatalities, ev.sentence, ev.confidence, a.title
from events as ev
join articles as a on a.article_id = ev.article_id
left join locations as loc on loc.location_id = ev.location_id
where a.first_run_id = %(run_id)s
order by ev.type, (ev.actor1_canonical is not null and ev.actor2_canonical is not null
                   and ev.location_id is not null) desc, ev.confidence desc
"""


@dataclass(frozen=True, slots=True)
class EventTypeCount:
    """How many events of one type the articles a run loaded hold."""

    type: str
    n: int


@dataclass(frozen=True, slots=True)
class EventExample:
    """One event of a run's articles, with its place and its article's title, to show."""

    type: str
    mode: str | None
    actor1_canonical: str | None
    actor2_canonical: str | None
    place: str | None
    country: str | None
    event_date: date | None
    fatalities: int | None
    sentence: str
    confidence: float
    title: str | None


def latest_run_id(conn: psycopg.Connection, kind: str = "cycle") -> int | None:
    """The id of the last finished run of `kind`, or None when none has finished."""
    with translate_errors(f"finding the latest {kind} run"):
        row = conn.execute(_SELECT_LATEST_RUN, {"kind": kind}).fetchone()
    return row[0] if row else None


def run_event_counts(conn: psycopg.Connection, run_id: int) -> list[EventTypeCount]:
    """Events per type among the articles run `run_id` loaded first, most frequent first."""
    with translate_errors(f"counting the events of run {run_id}"), \
            conn.cursor(row_factory=class_row(EventTypeCount)) as cur:
        return cur.execute(_SELECT_EVENTS_BY_TYPE, {"run_id": run_id}).fetchall()


def run_event_examples(conn: psycopg.Connection, run_id: int) -> list[EventExample]:
    """One example event per type among the articles run `run_id` loaded first, by type."""
    with translate_errors(f"reading example events of run {run_id}"), \
            conn.cursor(row_factory=class_row(EventExample)) as cur:
        return cur.execute(_SELECT_EVENT_EXAMPLES, {"run_id": run_id}).fetchall()
