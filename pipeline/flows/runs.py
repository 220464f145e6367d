"""What every kind of run shares: its row in `pipeline_runs`, recorded whatever becomes of
the work (`recorded_run`), the process's analyzer and polite fetcher, and batching.

`cycle`, `backfill` and `reprocess` (and the DAGs, through `pipeline.airflow_integration`)
open and close their runs here, so a run is finished as `failed` by the same code
whichever kind it is, and a killed process's run is found by the next run on its host.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import WirewatchError
from pipeline.flows.stages import StepResult
from pipeline.http.fetch import Fetcher
from pipeline.http.politeness import process_politeness

log = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def _cached_analyzer(settings: Settings):
    from pipeline.nlp import Analyzer

    return Analyzer(settings)


def get_analyzer(settings: Settings):
    """The process's analyzer: the spaCy model is loaded once per process."""
    return _cached_analyzer(settings)


def chunk(ids: Sequence[int], size: int) -> list[list[int]]:
    size = max(size, 1)
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


def start_run(settings: Settings, kind: str = "cycle", *, owned: bool = False) -> int:
    """Open a run's row. `owned`: the run lives and dies with this process (the command
    line, a push drain), so a later run can record it as failed if the process is killed;
    a DAG's run, spread over task processes, is finished by its teardown instead. Runs of
    this host whose owner died are recorded as failed first."""
    with store.connect(settings) as conn:
        store.abandon_dead_runs(conn)
        run_id = store.start_run(conn, kind, owner_pid=os.getpid() if owned else None)
        conn.commit()
    log.info("run %s started (%s)", run_id, kind)
    return run_id


@dataclass
class RecordedRun:
    """A run in progress: its id and the results of its steps so far (append to `results`);
    `summary` once it finished."""

    run_id: int
    results: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None


@contextmanager
def recorded_run(settings: Settings, kind: str) -> Iterator[RecordedRun]:
    """Run the block as one run of this process: its row is opened, then finished `ok` with
    the merged results, or `failed` with what was done when anything (an error, Ctrl-C)
    leaves the block, which is re-raised."""
    run = RecordedRun(start_run(settings, kind, owned=True))
    try:
        yield run
    except BaseException:
        _record_failure(settings, run.run_id, run.results)
        raise
    run.summary = finish_run(settings, run.run_id, run.results)


def finish_run(settings: Settings, run_id: int, results: Iterable[dict[str, Any]],
               status: str = "ok") -> dict[str, Any]:
    """Add up the steps' results and record them, with the run's status, in its row."""
    total = StepResult.merged(list(results))
    with store.connect(settings) as conn:
        store.finish_run(conn, run_id, status, dict(total.counts), dict(total.timings), total.errors)
        conn.commit()
    summary = total.to_dict()
    summary["run_id"] = run_id
    log.info("run %s %s: %s", run_id, "finished" if status == "ok" else status, format_counts(summary["counts"]))
    return summary


def _record_failure(settings: Settings, run_id: int, results: list[dict[str, Any]]) -> None:
    """Mark a run that raised as failed, with what it had done; never hide the first error."""
    try:
        finish_run(settings, run_id, results, status="failed")
    except WirewatchError as exc:  # e.g. the database that made the run fail is still down
        log.error("run %s could not be recorded as failed: %s", run_id, exc)


def format_counts(counts: dict[str, int]) -> str:
    """One line with the counts a person looks at first."""
    keys = ("feeds_polled", "feeds_unchanged", "feeds_failed", "entries_new", "articles_new",
            "articles_duplicate", "pages_skipped", "pages_failed", "not_analysed_language", "entities", "events")
    return ", ".join(f"{k}={counts.get(k, 0)}" for k in keys)


def polite_fetcher(settings: Settings) -> Fetcher:
    """The cycle's fetcher: per-host pacing, Retry-After holds and robots.txt for pages.

    Its `Politeness` is the process's (`process_politeness`): a host's Retry-After and
    robots.txt are remembered from one batch, cycle or drain to the next.
    """
    return Fetcher(settings, politeness=process_politeness(settings))
