"""
### backfill_archive

Loads the history of one archive into the warehouse, one UTC day per DAG run, so that

    airflow backfill create --dag-id backfill_archive --from-date 2024-03-01 --to-date 2024-03-31 \
        --dag-run-conf '{"source": "/data/CC-NEWS-2024-03-*.warc.gz", "languages": ["en"]}'

fills March day by day. The day is the run's data interval.

Param `source`: a WARC file or glob (pages already fetched), a sitemap or sitemap index
URL, or an RFC 5005 archived/paged feed URL (pages fetched with the live politeness
rules); prefix `warc:`, `sitemap:` or `feed:` to say which. `languages`: ISO 639-1
codes to keep (empty keeps all). `include_undated`: also take URLs with no date.
`force`: redo a day already done.

A WARC file is read once: the first day's task reads it from its start (loading its
own day) and stores where every day's records sit (`warc_index_days`), so each later
day's task seeks straight to its records, and a day without records reads nothing.
Resumable: each day's progress is committed with each batch (`backfill_progress`), so
a retried or re-run day does only what is missing, and articles the monitor already
loaded are duplicates, never new rows. A run without a source is skipped.
All logic is in `pipeline.flows.backfill`; the paused-on-creation DAG runs only when asked.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, setup, task, teardown

from pipeline.airflow_integration import finish_run, task_settings, task_timeout


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "backfill"],
    params={
        "source": Param("", type="string", description="WARC path or glob, sitemap URL or feed URL."),
        "languages": Param([], type="array", description="ISO 639-1 codes to keep; empty keeps all."),
        "include_undated": Param(False, type="boolean", description="Also take URLs that carry no date."),
        "force": Param(False, type="boolean", description="Redo a day already backfilled."),
    },
    default_args={
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "execution_timeout": task_timeout(),
        "max_retry_delay": timedelta(minutes=15),
    },
)
def backfill_archive():
    @setup
    def start(params=None) -> int:
        from airflow.exceptions import AirflowSkipException

        from pipeline.flows import runs

        if not (params or {}).get("source"):
            raise AirflowSkipException("no source given: pass --dag-run-conf '{\"source\": ...}'")
        return runs.start_run(task_settings(), "backfill")

    @task
    def backfill_day(wirewatch_run: int, params=None, data_interval_start=None) -> dict:
        from pipeline.flows import backfill

        options = backfill.BackfillOptions(languages=tuple(params.get("languages") or ()),
                                           include_undated=bool(params.get("include_undated")),
                                           force=bool(params.get("force")))
        return backfill.backfill_day(task_settings(), backfill.parse_source(params["source"]),
                                     data_interval_start.date(), options=options, run_id=wirewatch_run)

    @teardown(on_failure_fail_dagrun=True)
    def finish(wirewatch_run: int, result: dict | None, ti=None) -> dict:
        """Runs whatever became of the day (when `start` opened a run): the row never stays `running`."""
        return finish_run(ti, wirewatch_run, [result], ("backfill_day",))

    wirewatch_run = start()
    finish(wirewatch_run, backfill_day(wirewatch_run))


backfill_archive()
