"""Airflow on Celery on this machine: the scale-out deployment, started for real.

    python scripts/celery_stack.py --workers 2      (runs until Ctrl-C)

`CeleryStack` starts what `docker compose up --scale airflow-worker=N` starts, as plain
processes: a fresh Airflow metadata database on the local PostgreSQL server (migrated
with `airflow db migrate`), the api-server (Celery workers run their tasks through its
execution API), the scheduler, the dag-processor and N Celery workers, with Redis as
the broker and PostgreSQL as the result backend. The DAGs are the repository's own,
unchanged; the executor is configuration only.

Each process runs in its own session and process group, so stopping sends SIGTERM to
the whole group (Celery's warm shutdown, then its task processes) and waits a bounded
time before SIGKILL. Every process logs to a file under the stack's home, which the
error message names when something does not come up.

Isolation from other users of the same servers: the metadata database is created with
a unique name and dropped at stop; the broker is a Redis database of its own
(`WIREWATCH_CELERY_BROKER_URL`, default DB 5) and the stack's tasks go to a queue of
its own, so two stacks on one Redis never take each other's tasks. DAGs start paused
and timetables are off (`[scheduler] use_job_schedule = False`): the only runs are the
ones triggered through `trigger()` (the REST API), after `unpause()`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
VENV_BIN = Path(sys.executable).parent

#: the PostgreSQL server the metadata database is created on
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Redis database 5 is the Celery broker's; websub's wake-ups use database 0
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/5"
#: a Celery worker's log line for each task instance it executes
_EXECUTED = re.compile(r"Executing workload in Celery: .*?task_id='([^']+)', dag_id='[^']+', run_id='([^']+)'.*?map_index=(-?\d+)")
#: the pool feed_monitor's fetching tasks use; `make run` gives it 4 slots
FETCH_POOL = "wirewatch_fetch"

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0

log = logging.getLogger("celery_stack")


class StackError(RuntimeError):
    """The stack could not start, or a run did not finish; the message names the log to read."""


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen
    log_path: Path


@dataclass
class CeleryStack:
    """Airflow api-server, scheduler, dag-processor and Celery workers on this machine.

    `warehouse_url` becomes the `wirewatch_warehouse` connection the DAGs use;
    `env` adds variables every Airflow process and task sees (`WIREWATCH_*`).
    """

    warehouse_url: str
    workers: int = 1
    worker_concurrency: int = 1
    parallelism: int = 8
    fetch_pool_slots: int = 8
    server_url: str = DEFAULT_SERVER_URL
    broker_url: str = DEFAULT_BROKER_URL
    env: Mapping[str, str] = field(default_factory=dict)
    home: Path | None = None
    keep_home: bool = False

    def __post_init__(self) -> None:
        self.token = secrets.token_hex(4)
        self.metadata_db = f"wirewatch_airflow_{os.getpid()}_{self.token}"
        self.queue = f"wirewatch_{self.token}"
        self._own_home = self.home is None  # a temporary folder, made by start()
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self._processes: list[_Process] = []
        self._http: httpx.Client | None = None
        self._db_created = False

    # --- life cycle ------------------------------------------------------------------

    def __enter__(self) -> CeleryStack:
        try:
            self.start()
        except BaseException:
            self.keep_home = True  # the error names the logs: keep them
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is not None:
            self.keep_home = True
            log.warning("keeping the stack's logs for the error: %s", self.home / "logs")
        self.stop()

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Create and migrate the metadata database, then start every process and wait for it."""
        started = time.monotonic()
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="wirewatch-celery-"))
        self._create_metadata_db()
        self._airflow("db", "migrate")
        log.info("metadata database %s migrated (%.1f s)", self.metadata_db, time.monotonic() - started)
        self._spawn("api-server", {}, "api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1")
        self._http = httpx.Client(base_url=self.api_url, timeout=30.0)
        self._wait_for("the api-server to answer", lambda: self._health() is not None, timeout_s)
        self._spawn("scheduler", {}, "scheduler")
        self._spawn("dag-processor", {}, "dag-processor")
        for number in range(1, self.workers + 1):
            self.add_worker(number)
        self._wait_for("the scheduler's heartbeat",
                       lambda: (self._health() or {}).get("scheduler", {}).get("status") == "healthy", timeout_s)
        self._wait_for("every Celery worker to be ready", self._workers_ready, timeout_s)
        self._set_pool(FETCH_POOL, self.fetch_pool_slots)
        log.info("stack up in %.1f s: api-server %s, %d worker(s) x %d, queue %s, home %s",
                 time.monotonic() - started, self.api_url, self.workers, self.worker_concurrency,
                 self.queue, self.home)

    def add_worker(self, number: int) -> None:
        """Start Celery worker `number` on the stack's queue (without a log server: ports would clash)."""
        # INFO: the worker's "ready." and per-task lines are what start() and tasks_by_worker() read
        self._spawn(f"worker-{number}", {"AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}, "celery", "worker", "--queues", self.queue,
                    "--concurrency", str(self.worker_concurrency), "--skip-serve-logs",
                    "--celery-hostname", f"{self.queue}-{number}@%h", "--without-mingle", "--without-gossip")

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM each process group (workers first), SIGKILL what outlives `timeout_s`; drop the database."""
        if self._http is not None:
            self._http.close()
            self._http = None
        for process in reversed(self._processes):
            _signal_group(process.popen, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in reversed(self._processes):
            try:
                process.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: killing its process group", process.name, timeout_s)
            _signal_group(process.popen, signal.SIGKILL)  # stragglers of a stopped leader, too
            try:
                process.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %s) survived SIGKILL", process.name, process.popen.pid)
        self._processes.clear()
        self._clear_broker_queue()
        if self._db_created:
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.metadata_db)))
            self._db_created = False
        if self._own_home and not self.keep_home and self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    # --- runs ------------------------------------------------------------------------

    def wait_for_dag(self, dag_id: str, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until the dag-processor has parsed `dag_id` and the API knows it."""
        self._wait_for(f"the dag-processor to parse {dag_id}",
                       lambda: self._api("GET", f"/api/v2/dags/{dag_id}", ok=(200, 404)).status_code == 200,
                       timeout_s)

    def unpause(self, dag_id: str) -> None:
        self._api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, object] | None = None) -> str:
        """Trigger a run through the REST API; returns its run id."""
        response = self._api("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                             json={"logical_date": None, "conf": dict(conf or {})})
        return response.json()["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float = 600.0) -> str:
        """Wait until the run is finished; returns its final state (`success` or `failed`)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                state = self._api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
            except httpx.TimeoutException:  # a busy machine: the api-server shares 2 cores with the tasks
                log.info("the api-server is slow to answer; asking again")
                continue
            if state in ("success", "failed"):
                return state
            time.sleep(1.0)
        raise StackError(f"run {run_id} of {dag_id} did not finish within {timeout_s:.0f} s: "
                         f"see the logs under {self.home}")

    def run_times(self, dag_id: str, run_id: str) -> tuple[float, float]:
        """(queued → end, start → end) of a finished run, in seconds, as Airflow recorded them."""
        run = self._api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()
        queued, began, ended = (_timestamp(run[k]) for k in ("queued_at", "start_date", "end_date"))
        return ended - queued, ended - began

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's task instances as the REST API describes them (state, queue, hostname, ...)."""
        return self._api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                         params={"limit": 1000}).json()["task_instances"]

    def task_states(self, dag_id: str, run_id: str) -> dict[str, list[str]]:
        """Task id → the states of its (mapped) instances, in map index order."""
        states: dict[str, list[str]] = {}
        for ti in sorted(self.task_instances(dag_id, run_id), key=lambda ti: (ti["task_id"], ti["map_index"])):
            states.setdefault(ti["task_id"], []).append(ti["state"])
        return states

    def tasks_by_worker(self, run_id: str) -> dict[str, list[str]]:
        """Worker name → the task instances of `run_id` it executed (`task_id[map_index]`), from its log."""
        found: dict[str, list[str]] = {}
        for process in self._processes:
            if process.name.startswith("worker-"):
                found[process.name] = [f"{task}[{index}]" for task, run, index in
                                       _EXECUTED.findall(process.log_path.read_text(errors="replace"))
                                       if run == run_id]
        return found

    def logs(self, name: str, tail: int = 4000) -> str:
        """The end of one process's log (`api-server`, `scheduler`, `worker-1`, ...)."""
        path = self.home / "logs" / f"{name}.log" if self.home else None
        return path.read_text(errors="replace")[-tail:] if path and path.exists() else ""

    # --- internals -------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """What every Airflow process of the stack runs with: the caller's environment minus its
        Airflow settings, the stack's settings, then `env`."""
        metadata = make_conninfo(self.server_url, dbname=self.metadata_db)
        inherited = {name: value for name, value in os.environ.items()
                     if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
        return {
            **inherited,  # hermetic: a caller's Airflow settings (unit-test mode, SQLite) must not leak in
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # loopback-only api-server
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _sqlalchemy_url(metadata, "postgresql+psycopg"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _sqlalchemy_url(metadata, "postgresql+psycopg"),
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": _sqlalchemy_url(metadata, "db+postgresql"),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.token * 8,
            "AIRFLOW__API__SECRET_KEY": self.token * 8,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW_CONN_WIREWATCH_WAREHOUSE": json.dumps({"conn_type": "postgres",
                                                            "extra": {"dsn": self.warehouse_url}}),
            "WIREWATCH_HOME": str(self.home / "wirewatch"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **self.env,
        }

    def _create_metadata_db(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.metadata_db)))
        self._db_created = True

    def _airflow(self, *args: str) -> None:
        done = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.environment(), cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise StackError(f"`airflow {' '.join(args)}` exited {done.returncode}: "
                             f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")

    def _spawn(self, name: str, env: Mapping[str, str], *args: str) -> None:
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{name}.log"
        with log_path.open("ab") as out:
            popen = subprocess.Popen([str(VENV_BIN / "airflow"), *args], env={**self.environment(), **env}, cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._processes.append(_Process(name, popen, log_path))
        log.info("started %s (pid %s), log %s", name, popen.pid, log_path)

    def _wait_for(self, what: str, ready, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if ready():
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise StackError(f"timed out after {timeout_s:.0f} s waiting for {what}: see the logs under {self.home / 'logs'}")

    def _check_alive(self) -> None:
        for process in self._processes:
            code = process.popen.poll()
            if code is not None:
                tail = process.log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise StackError(f"{process.name} exited with code {code}: {' | '.join(tail)} "
                                 f"(full log: {process.log_path})")

    def _health(self) -> dict | None:
        try:
            response = self._http.get("/api/v2/monitor/health")
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    def _workers_ready(self) -> bool:
        workers = [p for p in self._processes if p.name.startswith("worker-")]
        return all(b" ready." in p.log_path.read_bytes() for p in workers)

    def _set_pool(self, name: str, slots: int) -> None:
        body = {"name": name, "slots": slots, "description": "Concurrent Wirewatch fetch batches",
                "include_deferred": False}
        if self._api("GET", f"/api/v2/pools/{name}", ok=(200, 404)).status_code == 200:
            self._api("PATCH", f"/api/v2/pools/{name}", json=body)
        else:
            self._api("POST", "/api/v2/pools", json=body)

    def _api(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs) -> httpx.Response:
        if self._http is None:
            raise StackError("the stack is not started: call start() or use it as a context manager")
        response = self._http.request(method, path, **kwargs)
        if response.status_code not in ok:
            raise StackError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response

    def _clear_broker_queue(self) -> None:
        """Delete the stack's own queue and its exchange binding from the broker database."""
        try:
            import redis

            client = redis.Redis.from_url(self.broker_url, socket_connect_timeout=2, socket_timeout=2)
            client.delete(self.queue, f"_kombu.binding.{self.queue}")
        except Exception as exc:  # redis.RedisError, or gone: an empty left-over key harms nobody
            log.warning("could not clear the broker queue %s: %s", self.queue, exc)


# --- helpers ---------------------------------------------------------------------------


def _sqlalchemy_url(conninfo: str, driver: str) -> str:
    """A libpq conninfo as a SQLAlchemy URL for `driver` (Airflow and Celery want those)."""
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or "127.0.0.1"
    if host.startswith("/"):
        raise StackError(f"the metadata server must be reached over TCP, not the socket {host}: "
                         "set WIREWATCH_CELERY_SERVER_URL to a postgresql://user@host:port URL")
    auth = quote(params.get("user") or "postgres", safe="")
    if params.get("password"):
        auth += ":" + quote(params["password"], safe="")
    return f"{driver}://{auth}@{host}:{params.get('port') or 5432}/{params['dbname']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _signal_group(popen: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(popen.pid, signum)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


def _timestamp(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def redis_reachable(url: str = DEFAULT_BROKER_URL) -> str | None:
    """None when Redis at `url` answers PING, else why not (a one-line reason)."""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {url} is not reachable ({type(exc).__name__}: {exc})"
    return None


def postgres_reachable(url: str = DEFAULT_SERVER_URL) -> str | None:
    """None when the PostgreSQL server at `url` accepts a connection, else why not."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is not reachable ({str(exc).strip().splitlines()[0]})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=1, help="task slots per worker")
    parser.add_argument("--warehouse", default=os.environ.get("WIREWATCH_DATABASE_URL", ""),
                        help="warehouse URL (default: WIREWATCH_DATABASE_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not args.warehouse:
        parser.error("give --warehouse or set WIREWATCH_DATABASE_URL")
    stack = CeleryStack(warehouse_url=args.warehouse, workers=args.workers, worker_concurrency=args.concurrency,
                        server_url=os.environ.get("WIREWATCH_CELERY_SERVER_URL", DEFAULT_SERVER_URL),
                        broker_url=os.environ.get("WIREWATCH_CELERY_BROKER_URL", DEFAULT_BROKER_URL))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    with stack:
        print(f"Airflow on Celery: {stack.api_url} (Ctrl-C stops it)", flush=True)
        try:
            while not stopping:
                stack._check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
