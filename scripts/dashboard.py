"""`make dashboard`: Superset over the warehouse's dashboard views, on localhost.

1. the warehouse (`WIREWATCH_DATABASE_URL`, else the embedded one under `.wirewatch/`)
   is migrated and its materialized views refreshed;
2. Superset, installed in its own virtual environment `.venv-superset` (its
   dependencies must not meet Airflow's), gets a SQLite metadata database under
   `.wirewatch/superset`: `superset db upgrade`, `fab create-admin`, `superset init`;
3. the dashboard kept as code in `superset/` is imported by the same script the
   docker-compose stack uses (docker/superset/import_dashboards.py), pointed at the
   warehouse through the read-only role `wirewatch_reader`;
4. `serve` then runs Superset on http://127.0.0.1:8088 (`--port`) until interrupted.

The admin account is SUPERSET_ADMIN_USERNAME / SUPERSET_ADMIN_PASSWORD (admin/admin by
default: the server listens on 127.0.0.1 only). Every step is idempotent.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from psycopg.conninfo import conninfo_to_dict  # noqa: E402

from pipeline import dashboards, store  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.errors import WirewatchError  # noqa: E402

log = logging.getLogger("dashboard")

SUPERSET_VENV = ROOT / ".venv-superset"
BUNDLES = ROOT / "superset"
IMPORTER = ROOT / "docker" / "superset" / "import_dashboards.py"
CONFIG = ROOT / "docker" / "superset" / "superset_config.py"
READER_ROLE = "wirewatch_reader"
DATABASE_NAME = "Wirewatch warehouse"
DEFAULT_PORT = 8088


def reader_uri(warehouse_url: str, role: str = READER_ROLE, password: str | None = None) -> str:
    """SQLAlchemy URI (psycopg2) for the warehouse as the read-only role; unix sockets kept."""
    params = conninfo_to_dict(warehouse_url)
    auth = quote(role, safe="") + (":" + quote(password, safe="") if password else "")
    host = params.get("host") or "localhost"
    query: dict[str, str] = {}
    if host.startswith("/"):
        query["host"] = host
        netloc = f"{auth}@"
        if params.get("port"):
            query["port"] = str(params["port"])
    else:
        netloc = f"{auth}@{host}" + (f":{params['port']}" if params.get("port") else "")
    suffix = f"?{urlencode(query)}" if query else ""
    return f"postgresql+psycopg2://{netloc}/{quote(params.get('dbname') or 'wirewatch', safe='')}{suffix}"


def prepare_warehouse(settings: Settings) -> str:
    """Migrate, refresh the views, check the reader role can read them; the warehouse URL."""
    url = store.database_url(settings)
    with store.connect(url) as conn:
        store.migrate(conn)
        dashboards.refresh_views(conn)
        articles = conn.execute("select count(*) from articles").fetchone()[0]
    if not articles:
        log.warning("the warehouse holds no article yet: the dashboard will be empty; run `make run` first")
    reader = dict(conninfo_to_dict(url), user=READER_ROLE)
    reader.pop("password", None)
    with store.connect(" ".join(f"{k}='{v}'" for k, v in reader.items())) as conn:
        conn.execute("select count(*) from dash_events_daily").fetchone()
    return url


def superset_env(home: Path) -> dict[str, str]:
    """Environment of the `superset` commands: metadata in `home`, the stack's config file."""
    home.mkdir(parents=True, exist_ok=True)
    key_file = home / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        key_file.chmod(0o600)
    bin_dir = SUPERSET_VENV / "bin"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON"))},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(CONFIG),
        "SUPERSET_SECRET_KEY": key_file.read_text(encoding="utf-8").strip(),
        "SUPERSET_DATABASE_URI": f"sqlite:///{home / 'superset.db'}",
        "FLASK_APP": "superset.app:create_app()",
    }


def run_superset(env: dict[str, str], *args: str) -> None:
    log.info("superset %s", " ".join(args[:2]))
    done = subprocess.run([str(SUPERSET_VENV / "bin" / "superset"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"error: `superset {' '.join(args[:2])}` failed with exit code {done.returncode}")


def setup(settings: Settings, home: Path) -> dict[str, str]:
    """Everything but serving; the environment to serve with."""
    if not (SUPERSET_VENV / "bin" / "superset").exists():
        raise SystemExit(f"error: Superset is not installed in {SUPERSET_VENV}; run `make dashboard`")
    url = prepare_warehouse(settings)
    env = superset_env(home)
    username = os.environ.get("SUPERSET_ADMIN_USERNAME", "admin")
    run_superset(env, "db", "upgrade")
    run_superset(env, "fab", "create-admin", "--username", username,
                 "--password", os.environ.get("SUPERSET_ADMIN_PASSWORD", "admin"),
                 "--firstname", "Wirewatch", "--lastname", "Admin", "--email", "admin@wirewatch.invalid")
    run_superset(env, "init")
    log.info("importing the dashboards in %s", BUNDLES)
    done = subprocess.run([str(SUPERSET_VENV / "bin" / "python"), str(IMPORTER), "--dir", str(BUNDLES),
                           "--uri", reader_uri(url), "--username", username, "--database-name", DATABASE_NAME],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"error: importing the dashboards failed with exit code {done.returncode}")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("setup", "serve"), help="setup only, or setup then serve")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1 (default 8088)")
    parser.add_argument("--home", type=Path, help="Superset's metadata folder (default <WIREWATCH_HOME>/superset)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    home = (args.home or ROOT / settings.home / "superset").resolve()
    try:
        env = setup(settings, home)
    except WirewatchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if args.command == "setup":
        return 0
    sys.stderr.write(f"Superset: http://127.0.0.1:{args.port}/superset/dashboard/wirewatch/ "
                     f"(user {env.get('SUPERSET_ADMIN_USERNAME', 'admin')})\n")
    superset = str(SUPERSET_VENV / "bin" / "superset")
    os.execve(superset, [superset, "run", "--host", "127.0.0.1", "--port", str(args.port), "--with-threads"], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
