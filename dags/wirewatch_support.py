"""What the Wirewatch DAGs share: Settings for a task, with the warehouse from Airflow.

The warehouse is the Airflow Connection `wirewatch_warehouse` (type postgres), read
through the postgres provider's hook so that its extras (sslmode, ...) are kept; an
extra `dsn`, when set, is the base conninfo (an embedded server's unix-socket URL).
A missing or unreachable Connection fails the task with one line naming it: there is
no fallback to WIREWATCH_DATABASE_URL or to an embedded server inside a worker.
"""

from __future__ import annotations

from pipeline.airflow_integration import WAREHOUSE_CONN_ID

NEW_ARTICLES_URI = "wirewatch://warehouse/articles"

__all__ = ["NEW_ARTICLES_URI", "WAREHOUSE_CONN_ID", "announce_new_articles", "task_settings"]


def task_settings():
    """`Settings` from `WIREWATCH_*`, with the database taken from the Airflow Connection."""
    from pipeline.airflow_integration import task_settings as settings_from_connection

    return settings_from_connection(WAREHOUSE_CONN_ID)


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
