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

import logging
import time

from pipeline import store
from pipeline.errors import DatabaseError

log = logging.getLogger(__name__)


def refresh_views(conn: store.Connection, *, concurrently: bool = True) -> dict[str, float]:
    """Refresh every materialized view, concurrently where possible; seconds taken per view.

    Call it on a connection with no transaction open: each view commits on its own.
    Raises `DatabaseError` naming the view when one cannot be refreshed concurrently
    because it lacks a unique index (add one on its grain in a new migration).
    """
    timings: dict[str, float] = {}
    for view in store.list_materialized_views(conn):
        parallel = concurrently and view.populated
        if parallel and not view.has_unique_index:
            raise DatabaseError(
                f"materialized view {view.name} has no unique index on plain columns, so it cannot be "
                "refreshed concurrently; add one on its grain in a new migration"
            )
        started = time.perf_counter()
        store.refresh_materialized_view(conn, view.name, concurrently=parallel)
        timings[view.name] = round(time.perf_counter() - started, 3)
        log.info("refreshed %s%s in %.3f s", view.name, " concurrently" if parallel else "", timings[view.name])
    if not timings:
        log.warning("no materialized view to refresh; is the warehouse migrated? run `wirewatch db migrate`")
    return timings
