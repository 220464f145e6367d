"""Where the warehouse is and how to open a connection to it.

With `WIREWATCH_DATABASE_URL` set, that PostgreSQL server is used. Without it, a real
PostgreSQL 16 shipped in the `pgserver` wheel is started under
`<WIREWATCH_HOME>/pgdata` (default `.wirewatch/pgdata`) and left running when the
process exits, so the next command reuses it in a fraction of a second; it listens on
a unix socket only, never on a TCP port. Stop it with `stop_embedded(settings)`.

Side effects of running as root: PostgreSQL refuses to run as root, so pgserver
creates a system user `pgserver` (with `useradd`), chowns the data folder to it, and
adds group/other read+execute permission to every parent folder of the data folder
(and of the wheel's binaries) so that user can reach them. Run as an ordinary user
to avoid both.

Connection failures are translated once, here: psycopg's `OperationalError` becomes
`DatabaseUnavailable` with a one-line message naming the server and what to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pipeline.config import Settings
from pipeline.errors import ConfigError, DatabaseError, DatabaseTimeout, DatabaseUnavailable, LoadError, one_line

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
EMBEDDED_DATABASE = "wirewatch"
PGDATA_DIR = "pgdata"
APPLICATION_NAME = "wirewatch"
EMBEDDED_START_ATTEMPTS = 4

_PING = "select 1"


class WarehouseConnection(psycopg.Connection):
    """A psycopg connection whose `with` block lets no driver error out untranslated.

    Statements are run inside `translate_errors` already; this catches what is not (a
    `BEGIN`, `COMMIT` or savepoint on a connection the server terminated, the commit on
    leaving the block), so callers see `DatabaseUnavailable` and the like, never psycopg's
    own `AdminShutdown` as a traceback.
    """

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        with translate_errors("closing the warehouse connection"):
            super().__exit__(exc_type, exc_val, exc_tb)
        if isinstance(exc_val, psycopg.Error):
            with translate_errors("working on the warehouse"):
                raise exc_val


def database_url(settings: Settings) -> str:
    """The warehouse's connection URL; starts the embedded server when none is configured."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(Path(settings.home) / PGDATA_DIR)


def connect(target: Settings | str, *, autocommit: bool = False, purpose: str = "ingest",
            lock_timeout_s: float | None = None, statement_timeout_s: float | None = None) -> psycopg.Connection:
    """An open connection (a context manager) to the warehouse, in UTC, autocommit off.

    `target` is a `Settings` (embedded server started if needed) or a connection URL
    (then the default Settings' limits apply). `purpose` sets the server-side limits no
    pipeline connection goes without (`Settings.db_timeouts`): a statement running too
    long, a lock waited for too long and a transaction left idle too long are cut by
    PostgreSQL, so a stuck statement or a peer holding a lock cannot hang a task.
    `ingest` (the default) is short; `export` (view refreshes, reports, migrations) is long.
    `lock_timeout_s` and `statement_timeout_s` replace the purpose's lock and statement
    limits for this connection's session (the WebSub receiver answers a hub within them).
    """
    settings = target if isinstance(target, Settings) else Settings()
    url = database_url(target) if isinstance(target, Settings) else target
    timeouts = settings.db_timeouts(purpose)
    if statement_timeout_s is not None:
        timeouts["statement_timeout"] = int(statement_timeout_s * 1000)
    if lock_timeout_s is not None:
        timeouts["lock_timeout"] = int(lock_timeout_s * 1000)
    limits = " ".join(f"-c {name}={ms}" for name, ms in timeouts.items())
    try:
        return WarehouseConnection.connect(
            url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=APPLICATION_NAME,
            options=f"-c timezone=UTC {limits}",
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {describe_server(url)}: {_first_line(exc)}; "
            "is PostgreSQL running? set WIREWATCH_DATABASE_URL"
        ) from None
    except psycopg.ProgrammingError as exc:
        raise DatabaseUnavailable(
            f"invalid database URL for {describe_server(url)}: {_first_line(exc)}; "
            "fix WIREWATCH_DATABASE_URL"
        ) from None


def check_connection(url: str, *, timeout_s: int = CONNECT_TIMEOUT_S, name: str = "PostgreSQL",
                     fix: str = "is PostgreSQL running? set WIREWATCH_DATABASE_URL") -> None:
    """Connect once and run a trivial query; `DatabaseUnavailable` when the server does not answer.

    The message reads "<name> (<server>) is unreachable: <reason>; <fix>", so a caller that
    knows the URL by another name (an Airflow Connection) says so, with its own fix.
    """
    try:
        with psycopg.connect(url, connect_timeout=timeout_s) as conn:
            conn.execute(_PING)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"{name} ({describe_server(url)}) is unreachable: {one_line(exc)}; {fix}") from None


def ping(conn: psycopg.Connection) -> None:
    """Run a trivial query on `conn`: the server still answers, or one of our database errors says why."""
    with translate_errors("checking that the warehouse answers"):
        conn.execute(_PING)


def conninfo_from(base: str, keywords: Mapping[str, Any], *, name: str = "the database URL",
                  fix: str = "fix WIREWATCH_DATABASE_URL") -> str:
    """A libpq conninfo: `base` (a URL or conninfo, or empty) with libpq `keywords` laid over it.

    A keyword libpq does not know, or a `base` it cannot parse, is a `ConfigError` reading
    "<name> does not make a PostgreSQL URL: <reason>; <fix>".
    """
    try:
        return make_conninfo(base, **keywords)
    except psycopg.Error as exc:
        raise ConfigError(f"{name} does not make a PostgreSQL URL: {one_line(exc)}; {fix}") from None


def describe_server(url: str) -> str:
    """`host:port/dbname` or `socket /dir/.s.PGSQL.port/dbname`, never the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an unparsable URL"
    host = str(params.get("host") or "the default socket")
    port = str(params.get("port") or "5432")
    dbname = params.get("dbname") or params.get("user") or "postgres"
    if host.startswith("/"):
        return f"socket {host}/.s.PGSQL.{port} (database {dbname})"
    return f"{host}:{port} (database {dbname})"


@contextlib.contextmanager
def translate_errors(what: str, *, keep_integrity: bool = False) -> Iterator[None]:
    """Turn a lost connection into `DatabaseUnavailable`, a statement or lock wait cut by its
    timeout into `DatabaseTimeout`, and other driver errors into ours.

    A constraint violation or bad value becomes `LoadError`, unless `keep_integrity`:
    then it is re-raised for the loader, which names the article that caused it.
    """
    try:
        yield
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        if keep_integrity:
            raise
        raise LoadError(f"rejected while {what}: {_first_line(exc)}; nothing of it was stored") from None
    except (pg_errors.QueryCanceled, pg_errors.LockNotAvailable) as exc:
        raise DatabaseTimeout(f"cut by the database while {what}: {_first_line(exc)}; retry later, or raise "
                              "WIREWATCH_DB_STATEMENT_TIMEOUT / WIREWATCH_DB_LOCK_TIMEOUT") from None
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"lost the connection to PostgreSQL while {what}: {_first_line(exc)}; "
            "is PostgreSQL running? retry later"
        ) from None
    except psycopg.InterfaceError as exc:
        raise DatabaseUnavailable(f"no usable connection while {what}: {_first_line(exc)}; reconnect and retry") from None
    except psycopg.Error as exc:
        raise DatabaseError(f"database error while {what}: {_first_line(exc)}") from None


def start_embedded(pgdata: Path, *, keep_running: bool = True, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded PostgreSQL in `pgdata`; its URL for `database`.

    `keep_running=False` stops the server when this process exits (for tests).
    """
    pgdata = Path(pgdata).expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset; pgserver copes.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise ConfigError("the embedded PostgreSQL needs the `embedded` extra: pip install 'wirewatch[embedded]' "
                          "(Python 3.11-3.12), or set WIREWATCH_DATABASE_URL") from None
    try:
        url = _start_pgserver(pgserver, pgdata, cleanup_mode=None if keep_running else "stop")
    except Exception as exc:  # pgserver raises subprocess, assertion and OS errors alike
        raise DatabaseUnavailable(
            f"embedded PostgreSQL under {pgdata} did not start: {_first_line(exc)}; "
            f"see {pgdata / 'log'} or set WIREWATCH_DATABASE_URL"
        ) from None
    log.info("embedded PostgreSQL under %s ready in %.1fs", pgdata, time.perf_counter() - started)
    if database != "postgres":
        _ensure_database(url, database)
        url = make_conninfo(url, dbname=database)
    return url


def _start_pgserver(pgserver: Any, pgdata: Path, cleanup_mode: str | None) -> str:
    """`pgserver.get_server`, retried: its `pg_ctl start` gives up after 10 s, which a busy
    machine can exceed while the server is still coming up; a later attempt finds it ready."""
    for attempt in range(1, EMBEDDED_START_ATTEMPTS + 1):
        try:
            return pgserver.get_server(pgdata, cleanup_mode=cleanup_mode).get_uri(database="postgres")
        except Exception as exc:
            if attempt == EMBEDDED_START_ATTEMPTS:
                raise
            # a failed start leaves its half-made handle cached; drop it so the next attempt starts afresh
            pgserver.PostgresServer._instances.pop(pgdata, None)
            log.warning("embedded PostgreSQL under %s not ready (attempt %d): %s", pgdata, attempt, _first_line(exc))
            time.sleep(attempt)
    raise AssertionError("unreachable")


def stop_embedded(pgdata: Path, *, timeout_s: float = 10.0) -> bool:
    """Stop the embedded server of `pgdata` (fast shutdown); False when it was not running."""
    pid_file = Path(pgdata).expanduser().resolve() / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise DatabaseError(f"embedded PostgreSQL (pid {pid}) under {pgdata} did not stop in {timeout_s:.0f}s")
    log.info("embedded PostgreSQL under %s stopped", pgdata)
    return True


def _ensure_database(server_url: str, database: str) -> None:
    """Create `database` on the server unless it exists (CREATE DATABASE needs autocommit)."""
    with connect(server_url, autocommit=True) as conn, translate_errors(f"creating database {database}"):
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if exists is None:
            try:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
                log.info("created database %s", database)
            except pg_errors.DuplicateDatabase:
                pass  # another process created it first


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())
