"""Fixtures every test layer shares: a clean environment and a real PostgreSQL.

The database comes from `WIREWATCH_TEST_DATABASE_URL` when set (a fresh, uniquely
named database is created on that server and dropped at the end), otherwise from an
embedded pgserver under a temporary folder, stopped when the session ends.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pipeline import store

# pgserver logs from an atexit hook, after pytest has closed its capture streams
logging.getLogger("pgserver").setLevel(logging.WARNING)

#: read once at import, before the per-test fixture below clears WIREWATCH_* variables
TEST_DATABASE_URL = os.environ.get("WIREWATCH_TEST_DATABASE_URL", "").strip()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's WIREWATCH_* or AIRFLOW_CONN_* settings."""
    for name in list(os.environ):
        if name.startswith(("WIREWATCH_", "AIRFLOW_CONN_")):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _fresh_politeness() -> Iterator[None]:
    """No test inherits another's Retry-After holds or robots.txt (the process keeps them)."""
    from pipeline.http.politeness import forget_politeness

    forget_politeness()
    yield
    forget_politeness()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    if TEST_DATABASE_URL:
        yield TEST_DATABASE_URL
        return
    pgdata: Path = tmp_path_factory.mktemp("embedded") / "pgdata"
    yield store.start_embedded(pgdata, keep_running=False, database="postgres")
    store.stop_embedded(pgdata)


@pytest.fixture(scope="session")
def make_database(server_url: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh empty databases on the test server, all dropped at the end."""
    created: list[str] = []

    def make() -> str:
        name = f"wirewatch_test_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        created.append(name)
        return make_conninfo(server_url, dbname=name)

    yield make
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str]) -> str:
    """A database for this test session, migrated once."""
    url = make_database()
    with store.connect(url) as conn:
        store.migrate(conn)
    return url


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """The migrated session database with every data table emptied for this test."""
    with store.connect(database_url) as conn, conn.transaction():
        conn.execute(store.statements.truncate_all())
    return database_url


@pytest.fixture
def db(migrated_url: str) -> Iterator[psycopg.Connection]:
    """A connection (autocommit off) to the emptied, migrated session database."""
    with store.connect(migrated_url) as conn:
        yield conn
        conn.rollback()


@pytest.fixture(scope="session")
def analyzer():
    """The NLP analyzer with the spaCy model loaded once for the whole test session."""
    from pipeline.config import Settings
    from pipeline.nlp import Analyzer

    return Analyzer(Settings())


@pytest.fixture(scope="session")
def rule_analyzer(analyzer):
    """The same analyzer with the event rules alone: no learned gate between them and the output.

    Tests of the rules' reading (types under negation and modality, actors, places, dates)
    use it; what the analyzer emits by default is tested with `analyzer`.
    """
    import copy

    from pipeline.nlp.events import EventReader

    rules = copy.copy(analyzer)
    rules.reader = EventReader(analyzer.gazetteer)
    return rules


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One throwaway Airflow home per session, with a migrated SQLite metadata database.

    Airflow reads its configuration once, at its first import, so every test that
    imports Airflow goes through this fixture and they all agree on the home.
    """
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    home = Path(os.environ.get("AIRFLOW_HOME") or tmp_path_factory.mktemp("airflow"))
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(root / "dags")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"], check=True,
                   capture_output=True, env=os.environ.copy())
    if str(root / "dags") not in sys.path:
        sys.path.insert(0, str(root / "dags"))
    return home


@pytest.fixture(scope="session")
def load_dag(airflow_home: Path) -> Callable[[str], object]:
    """Parse one DAG file of dags/ (the session's Airflow home) and return its DAG."""
    from airflow.dag_processing.dagbag import DagBag

    def load(dag_id: str):
        bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags" / f"{dag_id}.py"))
        assert not bag.import_errors, bag.import_errors
        return bag.dags[dag_id]

    return load


@pytest.fixture
def warehouse_connection(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The emptied session database as the Airflow Connection `wirewatch_warehouse` DAG tasks read.

    Tasks never fall back to WIREWATCH_DATABASE_URL, so DAG tests name the Connection
    explicitly, as `make run` does.
    """
    import json

    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE",
                       json.dumps({"conn_type": "postgres", "extra": {"dsn": migrated_url}}))
    return migrated_url
