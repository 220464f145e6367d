"""The WARC day index (`sql/090`): saved when a backfill has read a file to its end, read
back by later backfills of the same file as it still is."""

from __future__ import annotations

from datetime import date

import psycopg

from pipeline.models import FileIdentity, WarcDayIndex
from pipeline.store.database import translate_errors

_SELECT_INDEX = """
select records from warc_indexes where path = %(path)s and size = %(size)s and mtime_ns = %(mtime_ns)s
"""
_SELECT_DAYS = """
select day, offsets from warc_index_days where path = %(path)s and day between %(first)s and %(last)s order by day
"""
_DELETE_INDEX = "delete from warc_indexes where path = %(path)s"
_INSERT_INDEX = """
insert into warc_indexes (path, size, mtime_ns, records, days, run_id)
values (%(path)s, %(size)s, %(mtime_ns)s, %(records)s, %(days)s, %(run_id)s)
"""
_INSERT_DAY = "insert into warc_index_days (path, day, offsets) values (%s, %s, %s)"


def load_warc_index(conn: psycopg.Connection, file: FileIdentity, first: date, last: date) -> WarcDayIndex | None:
    """The index of `file` restricted to the days [`first`, `last`]; None when the file was
    never read to its end, or has changed since (another size or modification time)."""
    params = {"path": file.path, "size": file.size, "mtime_ns": file.mtime_ns, "first": first, "last": last}
    with translate_errors(f"reading the day index of {file.path}"):
        row = conn.execute(_SELECT_INDEX, params).fetchone()
        if row is None:
            return None
        days = {day: tuple(offsets) for day, offsets in conn.execute(_SELECT_DAYS, params)}
    return WarcDayIndex(file=file, records=int(row[0]), days=days)


def save_warc_index(conn: psycopg.Connection, index: WarcDayIndex, run_id: int | None = None) -> None:
    """Replace the file's index (an older one, of the file as it was, goes) in one transaction."""
    file = index.file
    with translate_errors(f"saving the day index of {file.path}"), conn.transaction():
        conn.execute(_DELETE_INDEX, {"path": file.path})
        conn.execute(_INSERT_INDEX, {"path": file.path, "size": file.size, "mtime_ns": file.mtime_ns,
                                     "records": index.records, "days": len(index.days), "run_id": run_id})
        with conn.cursor() as cur:
            cur.executemany(_INSERT_DAY, [(file.path, day, list(offsets))
                                          for day, offsets in sorted(index.days.items())])
