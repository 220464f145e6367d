"""The backfill_archive and reprocess DAGs run through Airflow (`dag.test()`) on a real warehouse."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from pipeline import store

from fixture_modules import fixture_module

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
warcs = fixture_module("archives/warcs.py")


@pytest.fixture(scope="module")
def dags(load_dag):
    """The two DAGs, parsed with the session's Airflow home (tests/conftest.py)."""
    return {name: load_dag(name) for name in ("backfill_archive", "reprocess")}


def _states(run) -> dict[str, str]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in
                session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)}


def _scalar(url, query):
    with store.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def test_backfill_archive_dag_loads_its_day_and_reprocess_dag_reanalyses(dags, warehouse_connection, tmp_path):
    migrated_url = warehouse_connection
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.sample_records())

    run = dags["backfill_archive"].test(logical_date=pendulum.datetime(2024, 3, 3, tz="UTC"),
                                        run_conf={"source": str(path), "languages": ["en"]})
    assert str(run.state) == "success"
    assert _states(run) == {"start": "success", "backfill_day": "success", "finish": "success"}
    assert _scalar(migrated_url, "select title from articles").startswith("Thousands of students")
    assert _scalar(migrated_url, "select state from backfill_progress where day = '2024-03-03'") == "done"
    assert _scalar(migrated_url, "select count(*) from pipeline_runs where kind = 'backfill' and status = 'ok'") == 1

    with store.connect(migrated_url) as conn:
        conn.execute("update articles set analyzer_version = 'wirewatch-nlp-0.0.1-older'")
        conn.execute("update events set analyzer_version = 'wirewatch-nlp-0.0.1-older'")
        conn.commit()
    run = dags["reprocess"].test(run_conf={"since": "2024-01-01", "stage": "analyze"})
    assert str(run.state) == "success"
    assert _scalar(migrated_url, "select count(*) from articles where analyzer_version like '%older'") == 0
    assert _scalar(migrated_url, "select count(*) from events where analyzer_version like '%older'") == 0
    assert _scalar(migrated_url, "select count(*) from pipeline_runs where kind = 'reprocess' and status = 'ok'") == 1


def test_backfill_archive_dag_without_a_source_is_skipped(dags, warehouse_connection):
    migrated_url = warehouse_connection
    run = dags["backfill_archive"].test(logical_date=pendulum.datetime(2024, 3, 4, tz="UTC"), run_conf={"source": ""})
    assert _states(run) == {"start": "skipped", "backfill_day": "skipped", "finish": "skipped"}
    assert _scalar(migrated_url, "select count(*) from pipeline_runs") == 0
