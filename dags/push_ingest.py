"""
### push_ingest

Processes what WebSub hubs push, seconds after it arrives. The receiver
(`wirewatch websub serve`) stores each push's entries in the warehouse queue and then
publishes a wake-up on the Redis channel `Settings.push_channel` (`WIREWATCH_PUSH_CHANNEL`,
default `wirewatch.push`); this DAG is scheduled on the `wirewatch://websub/push` Asset,
whose `AssetWatcher` listens on that same channel through the common-messaging
`MessageQueueTrigger` (`redis+pubsub`, connection `Settings.redis_conn_id`,
`WIREWATCH_REDIS_CONN_ID`, default `redis_default`; polled every second by the triggerer).

The message only wakes the DAG: each run drains every pending entry, whoever queued it,
through the same steps as `feed_monitor`, in one task that keeps draining what arrives
meanwhile (up to `DRAIN_BUDGET_S`) so the model stays loaded between pushes, so a message lost while the triggerer was down
delays nothing beyond the next push or the next `feed_monitor` run. When articles land,
`announce` emits the `wirewatch://warehouse/articles` Asset.
All logic is in `pipeline.flows.cycle`; tasks pass ids and counts, never article bodies.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import Asset, AssetWatcher, dag, task

from pipeline.airflow_integration import announce_new_articles, dag_settings, task_settings, task_timeout

#: read when the file is parsed (WIREWATCH_* only): the channel the receiver publishes on
SETTINGS = dag_settings()
PUSH_URI = "wirewatch://websub/push"

PUSH_TRIGGER = MessageQueueTrigger(
    scheme="redis+pubsub",
    channels=[SETTINGS.push_channel],
    redis_conn_id=SETTINGS.redis_conn_id,
    poll_interval=1,
)
PUSHED = Asset(PUSH_URI, watchers=[AssetWatcher(name="wirewatch_push", trigger=PUSH_TRIGGER)])
#: a run keeps draining entries that arrive while it works, for at most this long
DRAIN_BUDGET_S = 300


@dag(
    schedule=[PUSHED],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "ingest", "push"],
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=10),
        "retry_exponential_backoff": True,
        "execution_timeout": task_timeout(),
        "max_retry_delay": timedelta(minutes=5),
    },
)
def push_ingest():
    @task
    def drain(triggering_asset_events=None) -> dict:
        """One task, one process: the spaCy model loads once and stays warm while pushes keep coming."""
        import logging

        from pipeline.flows import cycle

        messages = [event.extra.get("payload", {}).get("data")
                    for events in (triggering_asset_events or {}).values() for event in events]
        logging.getLogger(__name__).info("woken by %d push message(s): %s", len(messages), messages[:5])
        return cycle.drain_queue(task_settings(), "push", budget_s=DRAIN_BUDGET_S)

    summary = drain()
    announce_new_articles(summary, source="push")


push_ingest()
