"""The warehouse inside Airflow is the `wirewatch_warehouse` Connection and nothing else.

A missing or unreachable Connection fails the task with one line naming it, even where
WIREWATCH_DATABASE_URL points at a working database (a Celery worker must never load into
a database of its own); the Connection's extras reach libpq, as the postgres provider's
hook passes them; `wirewatch airflow setup` creates the pool and checks Connection and schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import store
from pipeline.errors import ConfigError, DatabaseUnavailable

ROOT = Path(__file__).resolve().parents[2]
CONN_ENV = "AIRFLOW_CONN_WIREWATCH_WAREHOUSE"


def _run_once(dag, monkeypatch):
    """`dag.test()` with retries off: the failure is the first attempt's, not one minutes later."""
    for task in dag.tasks:
        monkeypatch.setattr(task, "retries", 0)
    return dag.test()


def _task_states(run) -> dict[str, str]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in session.query(TaskInstance).filter(
            TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)}


def test_missing_connection_fails_the_task_without_falling_back(dagbag, migrated_url, monkeypatch):
    from pipeline.airflow_integration import task_settings

    monkeypatch.setenv("WIREWATCH_DATABASE_URL", migrated_url)  # a working database, not to be used
    with pytest.raises(ConfigError) as caught:
        task_settings()
    assert str(caught.value) == ("Airflow Connection 'wirewatch_warehouse' is not defined; create it (type postgres) "
                                 "for the warehouse, e.g. AIRFLOW_CONN_WIREWATCH_WAREHOUSE")
    run = _run_once(dagbag.dags["websub_renew"], monkeypatch)
    assert str(run.state) == "failed"
    assert _task_states(run) == {"maintain": "failed"}


def test_unreachable_connection_fails_naming_it(dagbag, migrated_url, monkeypatch):
    from pipeline.airflow_integration import task_settings

    monkeypatch.setenv("WIREWATCH_DATABASE_URL", migrated_url)
    monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 1,
                                             "login": "postgres", "schema": "nowhere"}))
    with pytest.raises(DatabaseUnavailable) as caught:
        task_settings()
    message = str(caught.value)
    assert message.startswith("Airflow Connection 'wirewatch_warehouse' (127.0.0.1:1") and "\n" not in message
    assert "is unreachable" in message
    run = _run_once(dagbag.dags["websub_renew"], monkeypatch)
    assert _task_states(run) == {"maintain": "failed"}


def test_connection_fields_and_extras_reach_libpq(migrated_url, monkeypatch):
    """Host, login, schema from the Connection's fields; `sslmode` and `keepalives_idle` from its
    extras (the provider's hook passes extras to the driver; its own keys such as `cursor` are dropped)."""
    from psycopg.conninfo import conninfo_to_dict

    from pipeline.airflow_integration import task_settings

    parts = conninfo_to_dict(migrated_url)
    monkeypatch.setenv(CONN_ENV, json.dumps({
        "conn_type": "postgres", "host": parts.get("host", "127.0.0.1"), "port": int(parts.get("port", 5432)),
        "login": parts.get("user"), "schema": parts["dbname"],
        "extra": {"sslmode": "disable", "keepalives_idle": 17, "cursor": "dictcursor"}}))
    settings = task_settings()
    assert conninfo_to_dict(settings.database_url)["sslmode"] == "disable"
    assert "cursor" not in conninfo_to_dict(settings.database_url)
    with store.connect(settings.database_url) as conn:
        effective = conninfo_to_dict(conn.info.dsn)  # what libpq connected with
        assert effective["sslmode"] == "disable" and effective["keepalives_idle"] == "17"
        assert conn.info.dbname == parts["dbname"]


def _setup(airflow_home: Path, conn: dict | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "WIREWATCH_"))}
    env.update({"AIRFLOW_HOME": str(airflow_home), "PYTHONPATH": str(ROOT)})
    if conn is not None:
        env[CONN_ENV] = json.dumps(conn)
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "airflow", "setup", *args],
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_airflow_setup_creates_the_pool_and_checks_connection_and_schema(airflow_home, make_database):
    missing = _setup(airflow_home, None)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: Airflow Connection 'wirewatch_warehouse' is not defined")
    assert missing.stderr.count("\n") == 1

    fresh = make_database()
    conn = {"conn_type": "postgres", "extra": {"dsn": fresh}}
    behind = _setup(airflow_home, conn, "--pool-slots", "3")
    assert behind.returncode == 1 and behind.stderr.count("\n") == 1
    assert "lacks" in behind.stderr and "wirewatch airflow setup --migrate" in behind.stderr

    done = _setup(airflow_home, conn, "--pool-slots", "3", "--migrate")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "pool wirewatch_fetch: 3 slot(s)"
    assert lines[1].startswith("connection wirewatch_warehouse: reaches ")
    assert lines[2].startswith("schema: applied ")
    with store.connect(fresh) as db:
        assert store.pending_migrations(db) == []

    pools = subprocess.run([sys.executable, "-m", "airflow", "pools", "get", "wirewatch_fetch", "-o", "json"],
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, "AIRFLOW_HOME": str(airflow_home)})
    assert json.loads(pools.stdout[pools.stdout.index("["):])[0]["slots"] in (3, "3")
    again = _setup(airflow_home, conn)
    assert again.returncode == 0 and again.stdout.splitlines()[2] == "schema: up to date"
