"""`wirewatch entries list` and `wirewatch entries retry` against a real warehouse."""

import os
import subprocess
import sys
from pathlib import Path

from pipeline import store
from pipeline.models import FeedEntry

WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))


def _run(url, *args):
    env = {**os.environ, "WIREWATCH_DATABASE_URL": url}
    return subprocess.run([WIREWATCH, *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_entries_retry_requeues_dead_letters(migrated_url):
    with store.connect(migrated_url) as conn:
        store.add_entries(conn, None, [(FeedEntry("", f"https://d.example/{n}"), f"dead-hash-{n:04d}")
                                       for n in range(3)])
        ids = [e.entry_id for e in store.claim_entries(conn, "w", limit=3, lease_s=60)]
        for entry_id in ids[:2]:
            store.settle_entry(conn, entry_id, "w", "dead", error="ValueError: Port out of range 0-65535")
        store.settle_entry(conn, ids[2], "w", "failed", error="HTTP 404")
        conn.commit()

    listed = _run(migrated_url, "entries", "list", "--state", "dead")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all("\tdead\t" in line and "Port out of range" in line for line in lines)

    one = _run(migrated_url, "entries", "retry", str(ids[2]))  # a failed entry, named: requeued too
    assert (one.returncode, one.stdout.strip()) == (0, f"1 entry requeued: {ids[2]}")
    every = _run(migrated_url, "entries", "retry", "--all")
    assert (every.returncode, every.stdout.strip()) == (0, f"2 entries requeued: {ids[0]}, {ids[1]}")
    with store.connect(migrated_url) as conn:
        assert {(e.state, e.attempts) for e in store.get_entries(conn, ids)} == {("pending", 0)}

    neither = _run(migrated_url, "entries", "retry")
    assert neither.returncode != 0 and neither.stderr.strip() == "error: give entry ids or --all (not both)"
