"""Chaos budgets and the real things faults are injected into.

A short budget by default (`make test`, CI: two kills of each command, one cycle and 40
pushes under pg_terminate_backend), the full one with WIREWATCH_CHAOS=full (`make chaos`:
30 kills of each, three cycles and 200 pushes). Every random moment comes from one seed,
printed at the end; WIREWATCH_CHAOS_SEED replays it.

Each test gets a database of its own on the test server (created and dropped as the
shared fixtures do), sample sites served on loopback, and `wirewatch` processes that
see only that database and those sites.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults import FULL, KILLS, PUSHES, SEED, RedisServer
from psycopg.conninfo import conninfo_to_dict

from pipeline import store
from pipeline.sample_site import SampleSite, serve_sample_site

#: the checkout under test: `wirewatch` processes import `pipeline` from here, not from where the venv points
ROOT = Path(__file__).resolve().parents[2]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if any("chaos" in getattr(report, "keywords", {}) for reports in terminalreporter.stats.values()
           for report in reports):
        terminalreporter.write_line(f"chaos: {'full' if FULL else 'short'} budget ({KILLS} kills of each command, "
                                    f"{PUSHES} pushes), seed {SEED} (WIREWATCH_CHAOS_SEED={SEED} replays it)")


@pytest.fixture
def chaos_url(make_database: Callable[[], str]) -> str:
    """A fresh migrated database of this test's own."""
    url = make_database()
    with store.connect(url) as conn:
        store.migrate(conn)
        conn.commit()
    return url


@pytest.fixture
def chaos_database(chaos_url: str) -> str:
    return str(conninfo_to_dict(chaos_url)["dbname"])


@pytest.fixture
def pipeline_env(chaos_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of every `wirewatch` process: this test's database, loopback sites allowed.

    Leases are short, so what a killed process held is claimable again seconds later;
    attempts are many, so a kill never turns an entry into a dead letter (each kill
    counts an attempt); a retry comes back within a second.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith(("WIREWATCH_", "AIRFLOW_CONN_"))}
    return env | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "WIREWATCH_DATABASE_URL": chaos_url,
        "WIREWATCH_HOME": str(tmp_path / "home"),
        "WIREWATCH_ALLOW_PRIVATE": "127.0.0.1",
        "WIREWATCH_HOST_DELAY": "0.01",
        "WIREWATCH_ENTRY_LEASE": "3",
        "WIREWATCH_MAX_ENTRY_ATTEMPTS": "1000",
        "WIREWATCH_RETRY_DELAY": "0.5",
        "WIREWATCH_REDIS_URL": "redis://127.0.0.1:1/0",  # no Redis unless a test starts its own
    }


@pytest.fixture
def sites() -> Iterator[Callable[[], SampleSite]]:
    """`sites()`: one more sample site on a loopback port of its own; all stopped at the end."""
    running: list[SampleSite] = []

    def new_site() -> SampleSite:
        site = serve_sample_site(port=0)
        running.append(site)
        return site

    yield new_site
    for site in running:
        site.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port (never the machine's), stopped at the end."""
    server = RedisServer(tmp_path / "redis.log").start()
    yield server
    server.stop()
