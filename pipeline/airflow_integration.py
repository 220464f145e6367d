"""Wirewatch inside an Airflow 3 deployment: the one module that knows about Airflow.

The pipeline's stages never import Airflow; the DAGs (shipped in the wheel as
`pipeline.airflow_dags`) and `wirewatch airflow ...` come through here (the DAG files
import it from the installed package, so they parse from any dags folder or bundle), and Airflow is
imported lazily so that the library installs and runs without the `airflow` extra.

Inside a task the warehouse is the Connection `wirewatch_warehouse`, and only that: a
missing or unreachable Connection fails the task with one line naming it. There is no
fallback to `WIREWATCH_DATABASE_URL` or to an embedded server, which on a Celery worker
would quietly load into a private database of that worker's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, MigrationError, one_line

WAREHOUSE_CONN_ID = "wirewatch_warehouse"
NEW_ARTICLES_URI = "wirewatch://warehouse/articles"
FETCH_POOL = "wirewatch_fetch"
FETCH_POOL_SLOTS = 4
FETCH_POOL_DESCRIPTION = "Feed polling and article processing: caps concurrent fetches across all workers"
#: seconds an unreachable warehouse may take to say so when a task starts
CONNECT_TIMEOUT_S = 10
#: extras our own Connections use that are not libpq keywords: `dsn` is a whole conninfo
DSN_EXTRA = "dsn"
AIRFLOW_COMMAND_TIMEOUT_S = 300


def dags_path() -> Path:
    """The folder of the Wirewatch DAG files: in the wheel (`pipeline.airflow_dags`), or the checkout's `dags/`."""
    try:
        shipped = resources.files("pipeline.airflow_dags").joinpath("feed_monitor.py")
    except ModuleNotFoundError:
        shipped = None
    if isinstance(shipped, Path) and shipped.is_file():  # Airflow needs a folder on disk
        return shipped.parent
    return Path(__file__).resolve().parents[1] / "dags"


def _postgres_hook_class():
    try:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
    except ImportError:
        raise ConfigError("Airflow support needs the `airflow` extra: pip install 'wirewatch[airflow]'") from None
    return PostgresHook


def conninfo(*, host: str | None, login: str | None, password: str | None, schema: str | None,
             port: int | str | None, extra: dict[str, Any] | None) -> str:
    """A libpq conninfo for a postgres Connection's fields, the way the provider's hook connects.

    `PostgresHook.get_conn` passes every extra except its own `ignored_extra_options` to
    the driver as a libpq keyword (sslmode, sslrootcert, options, ...); so do we. The
    hook's `get_uri` is not used: it keeps only `sqlalchemy_query` of the extras (sslmode
    would be lost) and names a SQLAlchemy driver libpq does not understand. An extra
    `dsn` (how `make run` passes the embedded server's unix-socket URL) is the base the
    fields are laid over.
    """
    from pipeline.store.database import conninfo_from

    ignored = _postgres_hook_class().ignored_extra_options
    extra = dict(extra or {})
    base = str(extra.pop(DSN_EXTRA, "") or "")
    keywords: dict[str, Any] = {key: value for key, value in extra.items() if key not in ignored}
    for key, value in (("host", host), ("user", login), ("password", password), ("dbname", schema), ("port", port)):
        if value not in (None, ""):
            keywords[key] = value
    return conninfo_from(base, {k: _libpq_value(v) for k, v in keywords.items()},
                         name=f"Airflow Connection '{WAREHOUSE_CONN_ID}'", fix="fix its fields or extras")


def _libpq_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "1" if value else "0"
    return value if isinstance(value, (str, int, float)) else json.dumps(value)


def warehouse_url_in_task(conn_id: str = WAREHOUSE_CONN_ID) -> str:
    """The warehouse's conninfo from the Airflow Connection, inside a running task."""
    hook_class = _postgres_hook_class()
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = hook_class(postgres_conn_id=conn_id).connection
    except AirflowNotFoundException:
        raise ConfigError(f"Airflow Connection '{conn_id}' is not defined; create it (type postgres) for the "
                          f"warehouse, e.g. AIRFLOW_CONN_{conn_id.upper()}") from None
    return conninfo(host=conn.host, login=conn.login, password=conn.password, schema=conn.schema,
                    port=conn.port, extra=conn.extra_dejson)


def check_reachable(url: str, conn_id: str = WAREHOUSE_CONN_ID) -> None:
    """Connect once; `DatabaseUnavailable` naming the Connection when the server does not answer."""
    from pipeline.store.database import check_connection

    check_connection(url, timeout_s=CONNECT_TIMEOUT_S, name=f"Airflow Connection '{conn_id}'",
                     fix="fix the Connection or start the server")


def task_settings(conn_id: str = WAREHOUSE_CONN_ID):
    """`Settings` for a task: `WIREWATCH_*`, with the warehouse from the Connection, checked to answer."""
    from pipeline.config import Settings

    url = warehouse_url_in_task(conn_id)
    check_reachable(url, conn_id)
    return Settings.from_env().with_(database_url=url)


def dag_settings():
    """`Settings` as a DAG file reads them when parsed: `WIREWATCH_*` only, no Connection, no network.

    What the scheduler must know before any task runs (the schedule, the channel a trigger
    watches) comes from here, so a DAG and the processes it pairs with read the same values.
    """
    from pipeline.config import Settings

    return Settings.from_env()


def task_timeout():
    """Every task's `execution_timeout` (`WIREWATCH_TASK_TIMEOUT`, seconds): no task runs unbounded."""
    from datetime import timedelta

    return timedelta(seconds=dag_settings().task_timeout or 365 * 86400)


def failed_upstream(ti, task_ids) -> list[str]:
    """Those of `task_ids` (mapped or not) that failed in this DAG run: what a finishing teardown records."""
    failed = []
    for task_id in task_ids:
        if ti.get_ti_count(dag_id=ti.dag_id, run_ids=[ti.run_id], task_ids=[task_id],
                           states=["failed", "upstream_failed"]):
            failed.append(task_id)
    return failed


def finish_run(ti, wirewatch_run: int, results, work_tasks) -> dict:
    """Record the run's end in its `pipeline_runs` row: `failed` when any work task failed, else `ok`.

    Called by each DAG's finishing teardown, which runs whatever became of the work (its
    setup, the run row's start, succeeded): no row is left `running`. A failed run also
    fails the teardown (with `on_failure_fail_dagrun`), so the DAG run says so too.
    """
    from airflow.exceptions import AirflowFailException

    from pipeline.flows import runs

    failed = failed_upstream(ti, work_tasks)
    summary = runs.finish_run(task_settings(), wirewatch_run, [r for r in results if r],
                               status="failed" if failed else "ok")
    if failed:
        raise AirflowFailException(f"run {wirewatch_run} recorded failed: task(s) {', '.join(failed)} failed")
    return summary

def announce_new_articles(summary, source: str) -> None:
    """Inside a DAG: emit the new-articles Asset after `summary`, only when the run loaded some.

    A short-circuit task skips the announcement when nothing landed, so downstream DAGs
    (dashboard refresh) are triggered by data, never by an empty run.
    """
    from airflow.sdk import Asset, task

    new_articles = Asset(NEW_ARTICLES_URI)

    @task.short_circuit
    def any_new(summary: dict) -> bool:
        return summary["counts"].get("articles_new", 0) > 0

    @task(outlets=[new_articles])
    def announce(summary: dict, outlet_events=None) -> None:
        outlet_events[new_articles].extra = {"run_id": summary["run_id"], "source": source,
                                             "articles_new": summary["counts"].get("articles_new", 0)}

    any_new(summary) >> announce(summary)


# --- `wirewatch airflow setup`: through the `airflow` command, against the deployment's config ---


def airflow_command(*args: str) -> str:
    """Run `python -m airflow ARGS` in this environment; its standard output, or `ConfigError`."""
    _postgres_hook_class()  # the one-line "install the extra" error before a long traceback
    try:
        done = subprocess.run([sys.executable, "-m", "airflow", *args], capture_output=True, text=True,
                              timeout=AIRFLOW_COMMAND_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"`airflow {' '.join(args[:2])}` did not finish in {AIRFLOW_COMMAND_TIMEOUT_S}s; "
                          "is Airflow's metadata database reachable?") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise ConfigError(f"`airflow {' '.join(args[:2])}` failed: {one_line(lines[-1] if lines else done.returncode)}")
    return done.stdout


def warehouse_url_from_airflow(conn_id: str = WAREHOUSE_CONN_ID) -> str:
    """The warehouse's conninfo as Airflow's configured secrets and metadata database define it."""
    try:
        out = airflow_command("connections", "get", conn_id, "-o", "json")
    except ConfigError:
        raise ConfigError(f"Airflow Connection '{conn_id}' is not defined; create it (type postgres) for the "
                          "warehouse, then run `wirewatch airflow setup` again") from None
    try:
        fields = json.loads(out[out.index("["):])[0]
    except (ValueError, IndexError, KeyError):
        raise ConfigError(f"`airflow connections get {conn_id}` printed no connection") from None
    if fields.get("conn_type") not in ("postgres", "postgresql"):
        raise ConfigError(f"Airflow Connection '{conn_id}' has type {fields.get('conn_type')!r}; "
                          "the warehouse needs type postgres")
    return conninfo(host=fields.get("host"), login=fields.get("login"), password=fields.get("password"),
                    schema=fields.get("schema"), port=fields.get("port"), extra=fields.get("extra_dejson"))


def setup(*, pool_slots: int = FETCH_POOL_SLOTS, migrate: bool = False,
          conn_id: str = WAREHOUSE_CONN_ID) -> list[str]:
    """Make an Airflow deployment ready for the DAGs; one line per step done.

    Creates (or resizes) the `wirewatch_fetch` pool, checks that the warehouse
    Connection exists and answers, and that its schema is this Wirewatch's: pending
    migrations are an error unless `migrate` applies them.
    """
    from pipeline import store

    if pool_slots < 1:
        raise ConfigError(f"--pool-slots must be at least 1, not {pool_slots}")
    airflow_command("pools", "set", FETCH_POOL, str(pool_slots), FETCH_POOL_DESCRIPTION)
    done = [f"pool {FETCH_POOL}: {pool_slots} slot(s)"]
    url = warehouse_url_from_airflow(conn_id)
    check_reachable(url, conn_id)
    done.append(f"connection {conn_id}: reaches {store.describe_server(url)}")
    with store.connect(url) as conn:
        pending = store.pending_migrations(conn)
        if pending and migrate:
            store.migrate(conn)
            done.append(f"schema: applied {len(pending)} migration(s): {', '.join(pending)}")
        elif pending:
            raise MigrationError(f"the warehouse behind '{conn_id}' lacks {len(pending)} migration(s) "
                                 f"({pending[0]} first); run `wirewatch airflow setup --migrate`")
        else:
            done.append("schema: up to date")
    return done
