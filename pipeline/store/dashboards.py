"""The dashboards' materialized views (`sql/041_dashboard_views.sql` and later), as the
catalog lists them, and their refresh. When and how to refresh them is
`pipeline.dashboards`' business."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from pipeline.store.database import translate_errors

# one row per materialized view of the current schema
_SELECT_MATERIALIZED_VIEWS = """
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
_SELECT_VIEW_DEPENDENCIES = """
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

_REFRESH = "refresh materialized view {}"
_REFRESH_CONCURRENTLY = "refresh materialized view concurrently {}"


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
                 .execute(_SELECT_MATERIALIZED_VIEWS)}
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter({name: () for name in views})
        for name, depends_on in conn.execute(_SELECT_VIEW_DEPENDENCIES):
            sorter.add(name, depends_on)
    return [views[name] for name in sorter.static_order() if name in views]


def refresh_materialized_view(conn: psycopg.Connection, name: str, *, concurrently: bool) -> None:
    """Refresh one materialized view (`concurrently`: readers keep reading), in its own transaction."""
    statement = sql.SQL(_REFRESH_CONCURRENTLY if concurrently else _REFRESH).format(sql.Identifier(name))
    with translate_errors(f"refreshing materialized view {name}"), conn.transaction():
        conn.execute(statement)
