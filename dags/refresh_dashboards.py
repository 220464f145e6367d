"""
### refresh_dashboards

Refreshes the dashboards' materialized views (events per day, the event map, actors
and actor pairs, fatalities, stories) whenever `feed_monitor` announces new articles
through the `wirewatch://warehouse/articles` Asset: data-triggered, not on a timer, so
the dashboards are current minutes after a load and nothing runs while no news arrives.

Views are refreshed concurrently (`pipeline.dashboards.refresh_views`), so Superset
keeps reading the previous contents while they are rebuilt. One run at a time: Asset
events that arrive meanwhile queue up a single next run, which sees them all.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

from pipeline.airflow_integration import NEW_ARTICLES_URI, task_settings, task_timeout


@dag(
    schedule=[Asset(NEW_ARTICLES_URI)],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "dashboards"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "execution_timeout": task_timeout(),
    },
)
def refresh_dashboards():
    @task
    def refresh() -> dict[str, float]:
        from pipeline import dashboards, store

        with store.connect(task_settings(), purpose="export") as conn:
            return dashboards.refresh_views(conn)

    refresh()


refresh_dashboards()

if __name__ == "__main__":
    refresh_dashboards().test()
