"""What the Wirewatch DAGs share: Settings for a task, with the warehouse from Airflow.

The warehouse is the Airflow Connection `wirewatch_warehouse`; its extra `dsn`, when
set, is used as it is (an embedded server's unix-socket URL), else a URL is built
from its fields. Without that connection the tasks use the embedded default, as
the CLI does.
"""

from __future__ import annotations

import logging

WAREHOUSE_CONN_ID = "wirewatch_warehouse"
NEW_ARTICLES_URI = "wirewatch://warehouse/articles"

log = logging.getLogger(__name__)


def task_settings():
    """`Settings` from `WIREWATCH_*`, with the database taken from the Airflow Connection."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline.config import Settings

    settings = Settings.from_env()
    try:
        conn = Connection.get(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        log.info("no connection %s: using %s", WAREHOUSE_CONN_ID,
                 "WIREWATCH_DATABASE_URL" if settings.database_url else "the embedded warehouse")
        return settings
    return settings.with_(database_url=connection_url(conn))


def task_timeout():
    """Every task's `execution_timeout` (`WIREWATCH_TASK_TIMEOUT`, seconds): no task runs unbounded."""
    from datetime import timedelta

    from pipeline.config import Settings

    return timedelta(seconds=Settings.from_env().task_timeout or 365 * 86400)


def failed_upstream(ti, task_ids) -> list[str]:
    """Those of `task_ids` (mapped or not) that failed in this DAG run: what a finishing teardown records."""
    failed = []
    for task_id in task_ids:
        if ti.get_ti_count(dag_id=ti.dag_id, run_ids=[ti.run_id], task_ids=[task_id],
                           states=["failed", "upstream_failed"]):
            failed.append(task_id)
    return failed


def finish_run(ti, wirewatch_run: int, results, work_tasks) -> dict:
    """Record the run's end in its `pipeline_runs` row: `failed` when any work task failed, else `ok`.

    Called by each DAG's finishing teardown, which runs whatever became of the work (its
    setup, the run row's start, succeeded): no row is left `running`. A failed run also
    fails the teardown (with `on_failure_fail_dagrun`), so the DAG run says so too.
    """
    from airflow.exceptions import AirflowFailException

    from pipeline import cycle

    failed = failed_upstream(ti, work_tasks)
    summary = cycle.finish_run(task_settings(), wirewatch_run, [r for r in results if r],
                               status="failed" if failed else "ok")
    if failed:
        raise AirflowFailException(f"run {wirewatch_run} recorded failed: task(s) {', '.join(failed)} failed")
    return summary


def connection_url(conn) -> str:
    """A libpq URL for an Airflow Connection: its extra `dsn`, else built from its fields."""
    dsn = (conn.extra_dejson or {}).get("dsn")
    if dsn:
        return dsn
    from urllib.parse import quote

    auth = ""
    if conn.login:
        auth = quote(conn.login, safe="")
        if conn.password:
            auth += ":" + quote(conn.password, safe="")
        auth += "@"
    port = f":{conn.port}" if conn.port else ""
    return f"postgresql://{auth}{conn.host or ''}{port}/{conn.schema or ''}"


def announce_new_articles(summary, source: str) -> None:
    """Inside a DAG: emit the new-articles Asset after `summary`, only when the run loaded some.

    A short-circuit task skips the announcement when nothing landed, so downstream DAGs
    (dashboard refresh) are triggered by data, never by an empty run.
    """
    from airflow.sdk import Asset, task

    new_articles = Asset(NEW_ARTICLES_URI)

    @task.short_circuit
    def any_new(summary: dict) -> bool:
        return summary["counts"].get("articles_new", 0) > 0

    @task(outlets=[new_articles])
    def announce(summary: dict, outlet_events=None) -> None:
        outlet_events[new_articles].extra = {"run_id": summary["run_id"], "source": source,
                                             "articles_new": summary["counts"].get("articles_new", 0)}

    any_new(summary) >> announce(summary)
