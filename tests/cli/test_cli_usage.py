"""Small expectations of a command line: usage errors in one line, --version, feeds disable and
remove, --json on every list command.

These run the checkout's code as the console script does (`python -m pipeline.cli` calls the
same `main`), with PYTHONPATH set to the checkout: the `wirewatch` script of the test venv
belongs to whichever checkout was installed editable, not necessarily this one. The script
installed from the wheel is exercised in tests/deploy/test_wheel.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer.main

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[2]


def wirewatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


@pytest.mark.parametrize(("args", "command", "complaint"), [
    (["nosuch"], "wirewatch", "No such command 'nosuch'."),
    (["feeds", "nosuch"], "wirewatch feeds", "No such command 'nosuch'."),
    (["extract", "--nosuch", "page.html"], "wirewatch extract", "No such option: --nosuch"),
    (["feeds", "add"], "wirewatch feeds add", "Missing argument 'urls'."),
    (["analyze", "x.txt", "--published-at", "soon"], "wirewatch analyze",
     "Invalid value for --published-at: 'soon' is not an ISO 8601 date"),
])
def test_usage_error_is_one_line_with_exit_2(args, command, complaint):
    done = wirewatch(*args)
    assert done.returncode == 2
    assert done.stderr == f"usage error: {command}: {complaint} (see `{command} --help`)\n"
    assert done.stdout == ""


def test_version_is_the_package_version():
    from importlib.metadata import version

    done = wirewatch("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wirewatch {version('wirewatch')}\n"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == version("wirewatch")


def _list_commands(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _list_commands(command, (*prefix, name))
        elif name == "list":
            yield " ".join((*prefix, name)), command


def test_every_list_command_takes_json():
    found = dict(_list_commands())
    assert set(found) == {"entries list", "feeds list", "websub list"}
    for name, command in found.items():
        assert "--json" in {opt for param in command.params for opt in param.opts}, f"`wirewatch {name}` lacks --json"


def _feeds(url: str) -> list[dict]:
    done = wirewatch("feeds", "list", "--json", env={"WIREWATCH_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_feeds_disable_and_remove(migrated_url):
    env = {"WIREWATCH_DATABASE_URL": migrated_url}
    added = wirewatch("feeds", "add", "https://a.example.org/rss", "https://b.example.org/rss", env=env)
    assert added.returncode == 0, added.stderr
    feeds = {f["url"]: f for f in _feeds(migrated_url)}
    assert set(feeds) == {"https://a.example.org/rss", "https://b.example.org/rss"}
    assert all(f["enabled"] and isinstance(f["items_per_day"], float) for f in feeds.values())
    a_id = feeds["https://a.example.org/rss"]["feed_id"]

    done = wirewatch("feeds", "disable", str(a_id), "--reason", "moved to a paywall", env=env)
    assert done.returncode == 0 and done.stdout == f"1 feed(s) disabled: {a_id}\n", done.stderr
    after = {f["url"]: f for f in _feeds(migrated_url)}
    assert after["https://a.example.org/rss"]["enabled"] is False
    assert after["https://a.example.org/rss"]["disabled_reason"] == "moved to a paywall"
    assert after["https://b.example.org/rss"]["enabled"] is True

    done = wirewatch("feeds", "remove", "https://b.example.org/rss", env=env)
    assert done.returncode == 0, done.stderr
    assert [f["url"] for f in _feeds(migrated_url)] == ["https://a.example.org/rss"]

    missing = wirewatch("feeds", "remove", "https://b.example.org/rss", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ") and missing.stderr.count("\n") == 1


def test_feeds_remove_keeps_the_articles(migrated_url):
    from pipeline import store

    env = {"WIREWATCH_DATABASE_URL": migrated_url}
    assert wirewatch("feeds", "add", "https://c.example.org/rss", env=env).returncode == 0
    with store.connect(migrated_url) as conn:
        feed_id = conn.execute("select feed_id from feeds").fetchone()[0]
        conn.execute("insert into entries (feed_id, url, url_hash) values (%s, 'https://c.example.org/1', 'hash-of-c1')",
                     (feed_id,))
        conn.commit()
    assert wirewatch("feeds", "remove", str(feed_id), env=env).returncode == 0
    with store.connect(migrated_url) as conn:
        assert conn.execute("select feed_id from entries").fetchall() == [(None,)]


def test_entries_list_json(migrated_url):
    from pipeline import store
    from pipeline.models import FeedEntry

    with store.connect(migrated_url) as conn:
        store.add_entries(conn, None, [(FeedEntry("", f"https://e.example.org/{n}"), f"entry-hash-{n:04d}")
                                       for n in range(2)])
        [claimed] = store.claim_entries(conn, "w", limit=1, lease_s=60)
        store.settle_entry(conn, claimed.entry_id, "w", "dead", error="HTTP 500 from e.example.org")
        conn.commit()
    env = {"WIREWATCH_DATABASE_URL": migrated_url}
    done = wirewatch("entries", "list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = {row["url"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == {"https://e.example.org/0", "https://e.example.org/1"}
    dead = rows[claimed.url]
    assert (dead["entry_id"], dead["state"], dead["attempts"]) == (claimed.entry_id, "dead", 1)
    assert dead["last_error"] == "HTTP 500 from e.example.org" and isinstance(dead["updated_at"], str)

    only_dead = wirewatch("entries", "list", "--state", "dead", "--json", env=env)
    assert only_dead.returncode == 0, only_dead.stderr
    assert [json.loads(line)["url"] for line in only_dead.stdout.splitlines()] == [claimed.url]
    empty = wirewatch("entries", "list", "--state", "failed", "--json", env=env)
    assert (empty.returncode, empty.stdout) == (0, "")  # no table line in JSON output, even when empty


def test_websub_list_json(migrated_url):
    from pipeline import store

    with store.connect(migrated_url) as conn:
        conn.execute("insert into websub_subscriptions (topic_url, hub_url, callback_id, secret) "
                     "values ('https://d.example.org/rss', 'https://hub.example.org/', 'callback-0123456789', "
                     "'a-secret-of-sixteen-chars')")
        conn.commit()
    done = wirewatch("websub", "list", "--json", env={"WIREWATCH_DATABASE_URL": migrated_url})
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert row["topic_url"] == "https://d.example.org/rss" and row["state"] == "subscribing"
