"""`feed_monitor` through Airflow on Celery: the scale-out deployment, started on this machine.

The stack (`scripts/celery_stack.py`) runs the api-server, scheduler, dag-processor and
two Celery workers against the local Redis and PostgreSQL; the DAG is the repository's,
triggered through the REST API exactly as in production. The warehouse is a fresh
database on the same PostgreSQL server, migrated by `pipeline.store.migrate`; the
feeds are the bundled sample site on loopback. Selected with `-m scaleout`; skipped,
with the reason, where Redis or the PostgreSQL server is not reachable.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec
from pipeline.sample_site import serve_sample_site

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("celery_stack", ROOT / "scripts" / "celery_stack.py")
celery_stack = sys.modules.setdefault("celery_stack", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(celery_stack)

#: read at import, before the autouse fixture clears WIREWATCH_* variables
SERVER_URL = os.environ.get("WIREWATCH_CELERY_SERVER_URL", celery_stack.DEFAULT_SERVER_URL)
BROKER_URL = os.environ.get("WIREWATCH_CELERY_BROKER_URL", celery_stack.DEFAULT_BROKER_URL)


@pytest.fixture(scope="module")
def warehouse_url():
    """A fresh, migrated warehouse database on the stack's PostgreSQL server, dropped afterwards."""
    reason = celery_stack.redis_reachable(BROKER_URL) or celery_stack.postgres_reachable(SERVER_URL)
    if reason:
        pytest.skip(reason)
    name = f"wirewatch_celery_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(SERVER_URL, dbname=name)
    try:
        with store.connect(url) as conn:
            store.migrate(conn)
        yield url
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


def _count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def test_celery_run_feed_monitor_loads_the_sample_site(warehouse_url, site):
    settings = Settings(database_url=warehouse_url)
    cycle.register_feeds(settings, [FeedSpec(url=url) for url in site.feed_urls])
    env = {"WIREWATCH_ALLOW_PRIVATE": "127.0.0.1,localhost", "WIREWATCH_BATCH_SIZE": "4"}

    with celery_stack.CeleryStack(warehouse_url, workers=2, worker_concurrency=1, server_url=SERVER_URL,
                                  broker_url=BROKER_URL, env=env) as stack:
        stack.wait_for_dag("feed_monitor")
        stack.unpause("feed_monitor")
        run_id = stack.trigger("feed_monitor", {"force": True})
        state = stack.wait_for_run("feed_monitor", run_id, timeout_s=300)
        states = stack.task_states("feed_monitor", run_id)
        instances = stack.task_instances("feed_monitor", run_id)
        by_worker = stack.tasks_by_worker(run_id)
        assert state == "success", (states, stack.logs("scheduler"), stack.logs("worker-1"), stack.logs("worker-2"))

    # every task instance went through the stack's own Celery queue and was executed by
    # one of its workers, each of which took a share of the run
    assert {ti["queue"] for ti in instances} == {stack.queue}
    executed = sorted(name for names in by_worker.values() for name in names)
    assert executed == sorted(f"{ti['task_id']}[{ti['map_index']}]" for ti in instances)
    assert all(by_worker.values()), by_worker
    assert all(s == "success" for task_states in states.values() for s in task_states), states
    assert len(states["process"]) >= 3  # >= 11 entries in batches of 4, mapped over

    with store.connect(warehouse_url) as conn:
        articles = _count(conn, "articles")
        assert articles == len(site.article_urls)
        assert _count(conn, "events") > 0 and _count(conn, "entity_mentions") > 0
        assert _count(conn, "entries where state = 'pending'") == 0
        runs = conn.execute("select status, counts from pipeline_runs where kind = 'cycle'").fetchall()
        assert len(runs) == 1
        status, counts = runs[0]
        assert status == "ok"
        assert counts["articles_new"] == articles
        assert counts["feeds_polled"] == len(site.feed_urls) and counts["feeds_failed"] == 1  # the broken feed
