"""
### reprocess

Runs a later stage again on stored articles when its version changed, without fetching
anything: `extract` re-extracts kept raw pages (and re-analyses what changed), `analyze`
re-analyses stored text. Triggered by hand, for example

    airflow dags trigger reprocess --conf '{"since": "2024-01-01", "stage": "analyze"}'

Param `since`: articles published (or fetched) since this day. `stage`: `extract`,
`analyze`, or `both` (extract first). The stale articles are planned in chunks mapped
over with `.expand()`; each chunk replaces old results one batch per transaction, so
a retried chunk redoes only batches still stale, and nothing is left orphaned.
All logic is in `pipeline.flows.reprocess`; tasks pass article ids, never texts.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, setup, task, teardown

from pipeline.airflow_integration import finish_run, task_settings, task_timeout

CHUNK = 500


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "reprocess"],
    params={
        "since": Param("2000-01-01", type="string", format="date", description="Reprocess articles since this day."),
        "stage": Param("both", enum=["both", "extract", "analyze"], description="Which stage to run again."),
    },
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "execution_timeout": task_timeout(),
    },
)
def reprocess():
    @setup
    def start() -> int:
        from pipeline.flows import runs

        return runs.start_run(task_settings(), "reprocess")

    @task
    def plan(params=None) -> list[dict]:
        from datetime import date

        from pipeline.flows import reprocess
        from pipeline.nlp import analyzer_version

        settings = task_settings()
        stages = reprocess.STAGES if params["stage"] == "both" else (params["stage"],)
        version = analyzer_version(settings) if "analyze" in stages else None
        since = date.fromisoformat(params["since"])
        return [{"stage": stage, "ids": ids} for stage in stages
                for ids in reprocess.stale_batches(settings, stage, since, analyzer_version=version, size=CHUNK)]

    @task(max_active_tis_per_dag=1)
    def run_chunk(chunk: dict, wirewatch_run: int) -> dict:
        from pipeline.flows import reprocess

        return reprocess.reprocess_ids(task_settings(), chunk["stage"], chunk["ids"], wirewatch_run)

    @teardown(on_failure_fail_dagrun=True)
    def finish(wirewatch_run: int, results, ti=None) -> dict:
        """Runs whatever became of the chunks: the run row never stays `running`."""
        return finish_run(ti, wirewatch_run, list(results or []), ("plan", "run_chunk"))

    wirewatch_run = start()
    done = run_chunk.partial(wirewatch_run=wirewatch_run).expand(chunk=plan())
    finish(wirewatch_run, done)


reprocess()
