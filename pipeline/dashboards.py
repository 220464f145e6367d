"""Keep the dashboards' materialized views (`sql/041_dashboard_views.sql`) current.

Why concurrently: `refresh materialized view concurrently` rebuilds a view beside the
old contents and swaps in the difference, so Superset keeps reading while it runs;
a plain refresh would lock the view for readers until it ends. It needs a unique index
covering every row (each dashboard view has one on its grain) and a view that was
filled once; a view never filled (created `with no data`) gets a plain first refresh.

Every materialized view of the warehouse's schema is refreshed, not a list kept here,
so a view added by a later migration is refreshed without touching this module.
Each view commits on its own: a failure leaves the views before it refreshed.
"""

from __future__ import annotations

import graphlib
import logging
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from pipeline.errors import DatabaseError
from pipeline.store.database import translate_errors

log = logging.getLogger(__name__)

SELECT_MATERIALIZED_VIEWS = """
select
    c.relname as name,
    c.relispopulated as populated,
    exists (
        select from pg_index as i
        where i.indrelid = c.oid and i.indisunique and i.indpred is null and 0 <> all (i.indkey)
    ) as has_unique_index
from pg_class as c
where c.relkind = 'm' and c.relnamespace = current_schema()::regnamespace
order by c.relname
"""

# Direct dependencies of one materialized view on another (through its rewrite rule).
SELECT_VIEW_DEPENDENCIES = """
select distinct
    v.relname as name,
    t.relname as depends_on
from pg_depend as d
inner join pg_rewrite as r on d.objid = r.oid
inner join pg_class as v on r.ev_class = v.oid
inner join pg_class as t on d.refobjid = t.oid
where v.relkind = 'm' and t.relkind = 'm' and v.oid <> t.oid
    and v.relnamespace = current_schema()::regnamespace
"""

REFRESH = "refresh materialized view {}"
REFRESH_CONCURRENTLY = "refresh materialized view concurrently {}"


@dataclass(frozen=True, slots=True)
class MaterializedView:
    """A materialized view of the warehouse's schema, as the catalog describes it."""

    name: str
    populated: bool
    has_unique_index: bool


def list_materialized_views(conn: psycopg.Connection) -> list[MaterializedView]:
    """The schema's materialized views, each after the materialized views it reads."""
    with translate_errors("listing materialized views"), conn.transaction():
        views = {v.name: v for v in conn.cursor(row_factory=class_row(MaterializedView))
                 .execute(SELECT_MATERIALIZED_VIEWS)}
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter({name: () for name in views})
        for name, depends_on in conn.execute(SELECT_VIEW_DEPENDENCIES):
            sorter.add(name, depends_on)
    return [views[name] for name in sorter.static_order() if name in views]


def refresh_views(conn: psycopg.Connection, *, concurrently: bool = True) -> dict[str, float]:
    """Refresh every materialized view, concurrently where possible; seconds taken per view.

    Call it on a connection with no transaction open: each view commits on its own.
    Raises `DatabaseError` naming the view when one cannot be refreshed concurrently
    because it lacks a unique index (add one on its grain in a new migration).
    """
    timings: dict[str, float] = {}
    for view in list_materialized_views(conn):
        parallel = concurrently and view.populated
        if parallel and not view.has_unique_index:
            raise DatabaseError(
                f"materialized view {view.name} has no unique index on plain columns, so it cannot be "
                "refreshed concurrently; add one on its grain in a new migration"
            )
        started = time.perf_counter()
        statement = sql.SQL(REFRESH_CONCURRENTLY if parallel else REFRESH).format(sql.Identifier(view.name))
        with translate_errors(f"refreshing materialized view {view.name}"), conn.transaction():
            conn.execute(statement)
        timings[view.name] = round(time.perf_counter() - started, 3)
        log.info("refreshed %s%s in %.3f s", view.name, " concurrently" if parallel else "", timings[view.name])
    if not timings:
        log.warning("no materialized view to refresh; is the warehouse migrated? run `wirewatch db migrate`")
    return timings
