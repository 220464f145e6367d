"""`refresh_dashboards` runs through Airflow (`dag.test()`) against a real PostgreSQL: rows
loaded after the last refresh appear in the materialized dashboard views, as the views
count them (sql/070: events at or above wirewatch_dashboard_min_confidence() only)."""

import pytest

import warehouse_rows
from pipeline import store

pytestmark = pytest.mark.slow


def test_refresh_dashboards_dag_refreshes_the_materialized_views(dagbag, warehouse, task_states):
    with store.connect(warehouse) as conn:
        store.load_articles(conn, [warehouse_rows.make_bundle("https://news.example/world/syria-shelling")])
        conn.commit()
        event_ids = {row[0] for row in conn.execute("select event_id from events")}
        counted = {row[0] for row in conn.execute(
            "select event_id from events where confidence >= wirewatch_dashboard_min_confidence()")}
        stale = {row[0] for row in conn.execute("select event_id from dash_event_map")}
    # the bundle's two events: the shelling (0.8, 12 dead) counts, the UN's condemnation (0.55) does not
    assert len(event_ids) == 2 and len(counted) == 1 and not event_ids & stale  # loaded, not yet in the views

    run = dagbag.dags["refresh_dashboards"].test()

    assert str(run.state) == "success"
    assert task_states(run) == {"refresh": {"success"}}
    with store.connect(warehouse) as conn:
        mapped = {row[0] for row in conn.execute("select event_id from dash_event_map")}
        daily = conn.execute("select coalesce(sum(events), 0) from dash_events_daily").fetchone()[0]
        fatalities = conn.execute("select coalesce(sum(fatalities), 0) from dash_fatalities_daily").fetchone()[0]
    assert mapped == counted
    assert daily == 1 and fatalities == 12
