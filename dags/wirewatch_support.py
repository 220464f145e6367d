"""Kept for DAG files written against it: what the Wirewatch DAGs share now lives in
`pipeline.airflow_integration`, which the shipped DAGs import from the installed package
(a module beside the DAG files is only importable where Airflow puts that folder on
sys.path). See that module for the warehouse Connection rules.
"""

from __future__ import annotations

from pipeline.airflow_integration import (
    NEW_ARTICLES_URI,
    WAREHOUSE_CONN_ID,
    announce_new_articles,
    finish_run,
    task_settings,
    task_timeout,
)

__all__ = ["NEW_ARTICLES_URI", "WAREHOUSE_CONN_ID", "announce_new_articles", "finish_run", "task_settings",
           "task_timeout"]
