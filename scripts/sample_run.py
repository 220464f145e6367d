"""`make run`: one real run of the `feed_monitor` DAG through Airflow, offline.

1. the warehouse: `WIREWATCH_DATABASE_URL`, else the embedded PostgreSQL under
   `.wirewatch/`, migrated;
2. the bundled sample news site, served on 127.0.0.1 (`WIREWATCH_SAMPLE_PORT`, 8765);
3. its feeds registered in the warehouse;
4. `airflow dags test feed_monitor` with a metadata database under
   `.wirewatch/airflow`, the warehouse passed as the `wirewatch_warehouse` connection;
5. the run's summary read back from the warehouse.

A second run finds every feed unchanged and says that nothing new was loaded.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import store  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.errors import WirewatchError  # noqa: E402
from pipeline.flows import cycle, report  # noqa: E402
from pipeline.models import FeedSpec  # noqa: E402
from pipeline.sample_site import serve_sample_site  # noqa: E402

log = logging.getLogger("sample_run")


def airflow_env(settings: Settings, database_url: str) -> dict[str, str]:
    home = (ROOT / settings.home / "airflow").resolve()
    home.mkdir(parents=True, exist_ok=True)
    allow = ",".join(dict.fromkeys([*settings.allow_private, "127.0.0.1", "localhost"]))
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW_CONN_WIREWATCH_WAREHOUSE": json.dumps({"conn_type": "postgres", "extra": {"dsn": database_url}}),
        "WIREWATCH_ALLOW_PRIVATE": allow,
        # the sample site is ours and on loopback: no need to wait a second between pages
        "WIREWATCH_HOST_DELAY": os.environ.get("WIREWATCH_HOST_DELAY", "0.05"),
        "WIREWATCH_HOME": str((ROOT / settings.home).resolve()),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def airflow(env: dict[str, str], *args: str) -> None:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"error: `airflow {' '.join(args)}` failed with exit code {done.returncode}")


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    settings = Settings.from_env()
    try:
        database_url = store.database_url(settings)
        settings = settings.with_(database_url=database_url)
        with store.connect(settings) as conn:
            store.migrate(conn)
    except WirewatchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    port = int(os.environ.get("WIREWATCH_SAMPLE_PORT", "8765"))
    env = airflow_env(settings, database_url)
    print(f"warehouse: {'embedded PostgreSQL under ' + str(settings.home) if not os.environ.get('WIREWATCH_DATABASE_URL') else 'WIREWATCH_DATABASE_URL'}")
    airflow(env, "db", "migrate")
    airflow(env, "pools", "set", "wirewatch_fetch", "4", "Concurrent Wirewatch fetch batches")
    with serve_sample_site(port=port) as site:
        print(f"sample site: {site.base_url} ({len(site.feed_urls)} feeds)")
        cycle.register_feeds(settings, [FeedSpec(url=url) for url in site.feed_urls])
        print("running the feed_monitor DAG through Airflow (dags test)…", flush=True)
        airflow(env, "dags", "test", "feed_monitor", "-c", json.dumps({"force": True}))
    with store.connect(settings) as conn:
        run_id = store.latest_run_id(conn)
        print(report.run_report(conn, run_id) if run_id else "no run was recorded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
