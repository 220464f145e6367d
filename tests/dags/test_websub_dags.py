"""push_ingest listens where the receiver publishes; websub_renew runs the maintenance pass."""

import importlib

from pipeline.config import Settings
from pipeline.websub.leases import RENEWAL_RUN_S


def test_websub_push_ingest_watches_the_receivers_channel(dagbag):
    module = importlib.import_module("push_ingest")
    (watcher,) = module.PUSHED.watchers
    assert watcher.trigger.scheme == "redis+pubsub"
    assert watcher.trigger.kwargs["channels"] == [Settings().push_channel]  # the receiver's (Settings.push_channel)
    assert watcher.trigger.kwargs["redis_conn_id"] == Settings().redis_conn_id
    assert watcher.trigger.kwargs["poll_interval"] <= 1
    dag = dagbag.dags["push_ingest"]
    assert module.PUSH_URI in repr(dag.timetable.asset_condition)
    assert dag.max_active_runs == 1
    assert {"drain", "any_new", "announce"} <= set(dag.task_ids)


def test_websub_renew_runs_more_often_than_the_shortest_margin(dagbag):
    dag = dagbag.dags["websub_renew"]
    assert dag.task_ids == ["maintain"]
    assert dag.schedule == "*/15 * * * *" and RENEWAL_RUN_S == 15 * 60
