"""Backfill progress (`sql/020`): a row per (source, day) saying how far its backfill got,
with the cursor a killed backfill resumes from, committed with each batch it covers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from pipeline.store.database import translate_errors

# A day done stays done (its counts and cursor kept) unless forced; any other day is
# (re)started: running, one more attempt, its cursor kept to resume from (cleared when forced).
_BEGIN_DAY = """
insert into backfill_progress as bp (source, day, kind, run_id)
values (%(source)s, %(day)s, %(kind)s, %(run_id)s)
on conflict (source, day) do update
   set attempts = bp.attempts + case when bp.state = 'done' and not %(force)s then 0 else 1 end,
       state = case when bp.state = 'done' and not %(force)s then 'done' else 'running' end,
       finished_at = case when bp.state = 'done' and not %(force)s then bp.finished_at end,
       cursor = case when %(force)s then '{}'::jsonb else bp.cursor end,
       run_id = %(run_id)s, last_error = null, updated_at = now()
returning state, cursor, (xmax = 0) as created
"""
# The new cursor, and the batch's counts added to the day's.
_SAVE_CURSOR = """
update backfill_progress
   set cursor = %(cursor)s, counts = (
         select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from (
           select k, sum(v)::bigint as v from (
             select key as k, value::bigint as v from jsonb_each_text(counts)
             union all
             select key, value::bigint from jsonb_each_text(%(counts)s)
           ) as both_counts group by k
         ) as summed),
       updated_at = now()
 where source = %(source)s and day = %(day)s
"""
_FINISH_DAY = """
update backfill_progress
   set state = %(state)s, last_error = %(error)s, updated_at = now(),
       finished_at = case when %(state)s = 'done' then now() end
 where source = %(source)s and day = %(day)s
"""
# one row per source and day
_SELECT_PROGRESS = """
select source, day, kind, state, cursor, counts, attempts, last_error
from backfill_progress
where %(source)s::text is null or source = %(source)s
order by source, day
"""


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """One `backfill_progress` row: how far the backfill of one source's day got."""

    source: str
    day: date
    kind: str
    state: str
    cursor: dict[str, Any]
    counts: dict[str, Any]
    attempts: int
    last_error: str | None


def begin_backfill_day(conn: psycopg.Connection, source: str, day: date, kind: str, run_id: int | None,
                       force: bool) -> tuple[str, dict[str, Any]]:
    """Start (or restart) the backfill of `source` for `day`; its state and cursor.

    A day already `done` stays done (unless `force`, which also clears its cursor);
    any other day becomes `running`, resuming from its cursor. In the caller's transaction.
    """
    params = {"source": source, "day": day, "kind": kind, "run_id": run_id, "force": force}
    with translate_errors(f"starting the backfill of {source} for {day}"):
        row = conn.execute(_BEGIN_DAY, params).fetchone()
    assert row is not None
    state, cursor, _created = row
    return state, cursor or {}


def save_backfill_cursor(conn: psycopg.Connection, source: str, day: date, cursor: Mapping[str, Any],
                         counts: Mapping[str, int]) -> None:
    """Move the day's cursor to `cursor` and add `counts` to its counts, in the caller's transaction."""
    params = {"cursor": Jsonb(dict(cursor)), "counts": Jsonb(dict(counts)), "source": source, "day": day}
    with translate_errors(f"saving the backfill cursor of {source} for {day}"):
        conn.execute(_SAVE_CURSOR, params)


def finish_backfill_day(conn: psycopg.Connection, source: str, day: date, state: str, error: str | None) -> None:
    """Record the day's backfill as `done` or `failed` (with `error`), in the caller's transaction."""
    with translate_errors(f"recording the backfill of {source} for {day}"):
        conn.execute(_FINISH_DAY, {"state": state, "error": error, "source": source, "day": day})


def backfill_progress(conn: psycopg.Connection, source: str | None = None) -> list[BackfillProgress]:
    """The `backfill_progress` rows (of one source), by source and day: for reports and tests."""
    with translate_errors("reading backfill progress"), conn.cursor(row_factory=class_row(BackfillProgress)) as cur:
        return cur.execute(_SELECT_PROGRESS, {"source": source}).fetchall()
