"""`feed_monitor` runs end to end through Airflow (`dag.test()`): the sample site over
loopback HTTP, the real stages, a real PostgreSQL warehouse."""

import json

import pytest

from pipeline import store
from pipeline.sample_site import serve_sample_site

pytestmark = pytest.mark.slow


def _task_states(run) -> dict[str, set[str]]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    states: dict[str, set[str]] = {}
    with create_session() as session:
        for ti in session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id,
                                                     TaskInstance.run_id == run.run_id):
            states.setdefault(ti.task_id, set()).add(str(ti.state))
    return states


def test_feed_monitor_dag_loads_sample_site(dagbag, migrated_url, monkeypatch):
    from pipeline.config import Settings
    from pipeline.flows import cycle
    from pipeline.models import FeedSpec

    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE",
                       json.dumps({"conn_type": "postgres", "extra": {"dsn": migrated_url}}))
    monkeypatch.setenv("WIREWATCH_ALLOW_PRIVATE", "127.0.0.1")
    monkeypatch.setenv("WIREWATCH_BATCH_SIZE", "4")  # several mapped batches
    monkeypatch.setenv("WIREWATCH_POLL_BATCH_SIZE", "2")
    monkeypatch.setenv("WIREWATCH_HOST_DELAY", "0")  # our own loopback site needs no politeness
    dag = dagbag.dags["feed_monitor"]
    with serve_sample_site(port=0) as site:
        cycle.register_feeds(Settings(database_url=migrated_url), [FeedSpec(url=u) for u in site.feed_urls])
        run = dag.test(run_conf={"force": True})
        assert str(run.state) == "success"
        states = _task_states(run)
        assert states["poll"] == {"success"} and states["process"] == {"success"}
        assert states["announce"] == {"success"}

        with store.connect(migrated_url) as conn:
            articles = conn.execute("select count(*) from articles").fetchone()[0]
            events = conn.execute("select count(*) from events").fetchone()[0]
            run_row = conn.execute("select status, counts from pipeline_runs order by run_id desc limit 1").fetchone()
            mapped = conn.execute("select count(distinct run_id) from fetch_log").fetchone()[0]
        assert articles >= 8 and events > 0
        assert run_row[0] == "ok" and run_row[1]["articles_new"] == articles
        assert run_row[1]["feeds_failed"] == 1  # the broken feed: recorded, not fatal
        assert mapped == 1

        second = dag.test(run_conf={"force": True})
        assert str(second.state) == "success"
        assert _task_states(second)["announce"] == {"skipped"}  # nothing new: no Asset event
        with store.connect(migrated_url) as conn:
            assert conn.execute("select count(*) from articles").fetchone()[0] == articles
