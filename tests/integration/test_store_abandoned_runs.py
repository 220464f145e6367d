"""A run whose process died is recorded as failed by the next run on its host.

Real processes and the real warehouse: a child process owns a run, is killed with SIGKILL,
and the next `start_run` finds it gone. (`tests/chaos` does the same to `wirewatch run` and
`backfill` at random moments.)
"""

from __future__ import annotations

import subprocess
import sys

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import runs


def _child() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_store_run_of_a_killed_process_is_recorded_failed_by_the_next_run(migrated_url):
    settings = Settings(database_url=migrated_url)
    killed, living = _child(), _child()
    try:
        with store.connect(settings) as conn:
            dead_run = store.start_run(conn, "cycle", owner_pid=killed.pid)
            live_run = store.start_run(conn, "backfill", owner_pid=living.pid)
            dag_run = store.start_run(conn, "cycle")  # no owner: a DAG's teardown finishes it
            conn.commit()
        killed.kill()
        killed.wait()

        new_run = runs.start_run(settings, "cycle", owned=True)

        with store.connect(settings) as conn:
            dead, live, dag, new = (store.get_run(conn, r) for r in (dead_run, live_run, dag_run, new_run))
        assert dead.status == "failed" and dead.finished_at is not None
        assert f"process {killed.pid} on " in dead.errors[-1]["error"]
        assert (live.status, dag.status) == ("running", "running")
        assert new.status == "running" and new.owner_pid is not None and new.host == dead.host
    finally:
        living.kill()
        living.wait()
