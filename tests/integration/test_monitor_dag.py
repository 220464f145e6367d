"""feed_monitor through Airflow (`dag.test()`): only the due, enabled feeds are selected, and
they are polled by one mapped task per batch, never one task per feed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec

pytestmark = pytest.mark.slow

DAGS = Path(__file__).resolve().parents[2] / "dags"
QUIET_FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>"
              "<link>http://quiet.example/</link><description>nothing new today</description></channel></rss>")


@pytest.fixture(scope="module")
def feed_monitor(load_dag):
    return load_dag("feed_monitor")


def _task_instances(run) -> list[tuple[str, int, str]]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id,
                                                   TaskInstance.run_id == run.run_id)
        return sorted((ti.task_id, ti.map_index, str(ti.state)) for ti in rows)


def test_feed_monitor_maps_due_feeds_in_batches(feed_monitor, warehouse_connection, httpserver, monkeypatch):
    migrated_url = warehouse_connection
    for name in ("a", "b", "c", "later", "off"):
        httpserver.expect_request(f"/{name}.xml").respond_with_data(QUIET_FEED.format(name=name),
                                                                    content_type="application/rss+xml")
    for name, value in {"WIREWATCH_ALLOW_PRIVATE": "localhost,127.0.0.1",
                        "WIREWATCH_POLL_BATCH_SIZE": "2", "WIREWATCH_HOST_DELAY": "0"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(database_url=migrated_url)
    ids = cycle.register_feeds(settings, [FeedSpec(url=httpserver.url_for(f"/{n}.xml"))
                                          for n in ("a", "b", "c", "later", "off")])
    with store.connect(settings) as conn:
        conn.execute("update feeds set next_poll_at = %s where feed_id = %s",
                     (datetime.now(timezone.utc) + timedelta(hours=2), ids[3]))
        store.disable_feed(conn, ids[4], "switched off by hand")
        conn.commit()

    run = feed_monitor.test()
    assert str(run.state) == "success"
    instances = _task_instances(run)
    polls = [(map_index, state) for task, map_index, state in instances if task == "poll"]
    assert polls == [(0, "success"), (1, "success")]  # three due feeds, batches of two
    assert ("announce", -1, "skipped") in instances  # no articles landed: no Asset event

    with store.connect(settings) as conn:
        polled = {feed.feed_id: feed.last_status for feed in store.list_feeds(conn)}
        run_row = conn.execute("select status, counts from pipeline_runs").fetchone()
    assert polled == {ids[0]: 200, ids[1]: 200, ids[2]: 200, ids[3]: None, ids[4]: None}
    assert run_row[0] == "ok" and run_row[1]["feeds_polled"] == 3
    assert sorted(request.path for request, _ in httpserver.log) == ["/a.xml", "/b.xml", "/c.xml"]
