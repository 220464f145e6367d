"""A mapped task that fails leaves `feed_monitor`'s run row `failed`, never `running`.

The poll of a feed whose server accepts the connection and never answers outlasts the
task's `execution_timeout` (`WIREWATCH_TASK_TIMEOUT`); Airflow fails the mapped task,
and the finishing teardown still runs and records the run as failed.
"""

import json
import socket

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec

pytestmark = pytest.mark.slow


def test_feed_monitor_failed_mapped_task_leaves_run_row_failed(load_dag, migrated_url, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE",
                       json.dumps({"conn_type": "postgres", "extra": {"dsn": migrated_url}}))
    monkeypatch.setenv("WIREWATCH_ALLOW_PRIVATE", "127.0.0.1")
    monkeypatch.setenv("WIREWATCH_TASK_TIMEOUT", "4")
    monkeypatch.setenv("WIREWATCH_READ_TIMEOUT", "120")
    monkeypatch.setenv("WIREWATCH_TOTAL_TIMEOUT", "120")
    dag = load_dag("feed_monitor")  # parsed now, with the short task timeout
    assert all(t.execution_timeout and t.execution_timeout.total_seconds() == 4 for t in dag.tasks)
    for task in dag.tasks:  # fail at once rather than after three retries
        task.retries = 0
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/feed.xml"
        cycle.register_feeds(Settings(database_url=migrated_url), [FeedSpec(url=url)])
        run = dag.test(run_conf={"force": True})
    assert str(run.state) == "failed"
    tries = {ti[0]: ti for ti in _tries(run)}
    assert tries["poll"][2] == "failed" and tries["poll"][5] < 30  # cut by its timeout, not the 120 s read
    assert tries["finish"][3] == 1  # the teardown ran
    with store.connect(migrated_url) as conn:
        rows = conn.execute("select status, finished_at from pipeline_runs").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "failed" and rows[0][1] is not None


def _tries(run):
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return [(ti.task_id, ti.map_index, str(ti.state), ti.try_number, ti.max_tries, ti.duration)
                for ti in session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id,
                                                             TaskInstance.run_id == run.run_id)]
