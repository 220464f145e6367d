"""Where the warehouse is: an unreachable server, and the embedded one started and reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import ConfigError, DatabaseUnavailable


def test_store_unreachable_server_is_one_line_error():
    with pytest.raises(DatabaseUnavailable) as caught:
        store.connect(Settings(database_url="postgresql://postgres:secret@127.0.0.1:1/wirewatch"))
    message = str(caught.value)
    assert "\n" not in message
    assert "127.0.0.1:1" in message and "WIREWATCH_DATABASE_URL" in message
    assert "secret" not in message


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:pw@db.example:6543/wh", "db.example:6543 (database wh)"),
    ("postgresql://postgres:@/wirewatch?host=/tmp/pg", "socket /tmp/pg/.s.PGSQL.5432 (database wirewatch)"),
    ("host=10.0.0.5 dbname=x password=pw", "10.0.0.5:5432 (database x)"),
])
def test_store_describe_server_names_it_without_password(url, expected):
    assert store.describe_server(url) == expected


def test_store_configured_url_is_used_as_is(database_url):
    settings = Settings(database_url=database_url)
    assert store.database_url(settings) == database_url
    with store.connect(settings) as conn:
        assert conn.execute("show timezone").fetchone()[0] == "UTC"
        assert conn.autocommit is False


def test_store_connect_timeouts_replace_the_purposes_for_the_session(database_url):
    with store.connect(database_url, lock_timeout_s=0.5, statement_timeout_s=20.0) as conn:
        assert conn.execute("show lock_timeout").fetchone()[0] == "500ms"
        assert conn.execute("show statement_timeout").fetchone()[0] == "20s"
        store.ping(conn)


def test_store_check_connection_names_the_server_and_the_fix(database_url):
    store.check_connection(database_url)
    with pytest.raises(DatabaseUnavailable) as caught:
        store.check_connection("postgresql://postgres:secret@127.0.0.1:1/nowhere", timeout_s=2,
                               name="the test server", fix="start it")
    message = str(caught.value)
    assert message.startswith("the test server (127.0.0.1:1 (database nowhere)) is unreachable: ")
    assert message.endswith("; start it") and "\n" not in message and "secret" not in message


def test_store_conninfo_from_lays_keywords_over_the_base():
    url = store.conninfo_from("postgresql://u@db.example/wh", {"port": 6543, "sslmode": "disable"})
    assert store.describe_server(url) == "db.example:6543 (database wh)" and "sslmode=disable" in url
    with pytest.raises(ConfigError) as caught:
        store.conninfo_from("", {"no_such_keyword": "1"}, name="the test URL", fix="fix it")
    assert str(caught.value).startswith("the test URL does not make a PostgreSQL URL: ")
    assert str(caught.value).endswith("; fix it")


REUSE_SCRIPT = """
import sys
from pathlib import Path
from pipeline import store
from pipeline.config import Settings
settings = Settings(home=Path(sys.argv[1]))
with store.connect(settings) as conn:
    print(conn.execute("select pg_postmaster_start_time(), current_database()").fetchone())
"""


@pytest.mark.slow
def test_store_embedded_server_starts_and_is_reused(tmp_path: Path):
    home = tmp_path / "home" / ".wirewatch"  # parents created on demand
    pgdata = home / "pgdata"
    try:
        runs = [subprocess.run([sys.executable, "-c", REUSE_SCRIPT, str(home)], capture_output=True, text=True,
                               timeout=120, check=False) for _ in range(2)]
        assert [r.returncode for r in runs] == [0, 0], [r.stderr[-1500:] for r in runs]
        # the second process found the first one's server still running: same start time
        assert runs[0].stdout == runs[1].stdout and "'wirewatch'" in runs[0].stdout
        url = store.database_url(Settings(home=home))
        assert str(pgdata.resolve()) in url or "host=" in url
        with store.connect(url) as conn:
            assert store.migrate(conn) != []
        # what `make clean` runs before it deletes the folder, twice: the second finds nothing
        env = {key: value for key, value in os.environ.items() if key != "WIREWATCH_DATABASE_URL"}
        stops = [subprocess.run([str(Path(sys.executable).with_name("wirewatch")), "db", "stop"], env={
            **env, "WIREWATCH_HOME": str(home)}, capture_output=True, text=True, timeout=60) for _ in range(2)]
        assert [s.returncode for s in stops] == [0, 0], [s.stderr for s in stops]
        assert [s.stdout.rsplit(": ", 1)[-1].strip() for s in stops] == ["stopped", "not running"]
        assert not (pgdata / "postmaster.pid").exists()
    finally:
        store.stop_embedded(pgdata)
    assert not (pgdata / "postmaster.pid").exists()
