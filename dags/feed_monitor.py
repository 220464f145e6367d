"""
### feed_monitor

Polls every feed that is due, then fetches, cleans, analyses and loads each new article
into the warehouse. Runs every 15 minutes by default (`WIREWATCH_MONITOR_SCHEDULE`, a cron
expression), one run at a time.

Feeds are polled in batches mapped over with `.expand()`; the new entries they yield are
queued durably in the warehouse and drained in batches by `process`, which also drains
whatever push or backfill left pending. When articles land, `announce` emits the
`wirewatch://warehouse/articles` Asset, so downstream DAGs are data-triggered.

Param `force`: poll every enabled feed, due or not (the sample run uses it).
Every task has an `execution_timeout` (`WIREWATCH_TASK_TIMEOUT`); `start` is a setup and
`finish` its teardown, so the run's row is closed `ok` or `failed` however the work ended.
All logic is in `pipeline.flows.cycle`; tasks pass ids and counts, never article bodies.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, setup, task, teardown

from pipeline.airflow_integration import announce_new_articles, dag_settings, finish_run, task_settings, task_timeout

#: the tasks whose failure makes the run `failed`
WORK_TASKS = ("due_feeds", "poll", "pending_entries", "process")


@dag(
    schedule=dag_settings().monitor_schedule,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "ingest"],
    params={"force": Param(False, type="boolean", description="Poll every feed, due or not.")},
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": task_timeout(),
    },
)
def feed_monitor():
    @setup
    def start() -> int:
        from pipeline.flows import runs

        return runs.start_run(task_settings(), "cycle")

    @task
    def due_feeds(params=None) -> list[list[int]]:
        from pipeline.flows import cycle

        return cycle.select_feed_batches(task_settings(), force=bool((params or {}).get("force")))

    @task(pool="wirewatch_fetch", pool_slots=1)
    def poll(feed_ids: list[int], wirewatch_run: int) -> dict:
        from pipeline.flows import cycle

        return cycle.poll_feed_batch(task_settings(), feed_ids, wirewatch_run)

    @task(trigger_rule="none_failed")
    def pending_entries() -> list[list[int]]:
        from pipeline.flows import cycle

        return cycle.select_entry_batches(task_settings())

    @task(pool="wirewatch_fetch", pool_slots=1)
    def process(entry_ids: list[int], wirewatch_run: int) -> dict:
        from pipeline.flows import cycle

        return cycle.process_entry_batch(task_settings(), entry_ids, wirewatch_run)

    @teardown(on_failure_fail_dagrun=True)
    def finish(wirewatch_run: int, polled, processed, ti=None) -> dict:
        """Runs whatever became of the work: the run row never stays `running`."""
        return finish_run(ti, wirewatch_run, [*(polled or []), *(processed or [])], WORK_TASKS)

    wirewatch_run = start()
    polled = poll.partial(wirewatch_run=wirewatch_run).expand(feed_ids=due_feeds())
    batches = pending_entries()
    polled >> batches
    processed = process.partial(wirewatch_run=wirewatch_run).expand(entry_ids=batches)
    summary = finish(wirewatch_run, polled, processed)
    announce_new_articles(summary, source="feeds")


feed_monitor()

if __name__ == "__main__":
    feed_monitor().test()
