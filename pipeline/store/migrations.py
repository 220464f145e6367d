"""Apply the numbered SQL files in `sql/` that a database has not seen yet.

Each file `NNN_name.sql` runs in its own transaction together with its row in
`schema_migrations` (version, name, sha256 checksum), under an advisory lock so that
two processes migrating at once (two Airflow tasks, a CLI and a DAG) take turns.
A file already applied is never run again, and one edited after it was applied is
refused: a released migration is fixed by a new one, not by editing it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import psycopg

from pipeline.errors import MigrationError
from pipeline.store import statements as q
from pipeline.store.database import translate_errors

log = logging.getLogger(__name__)

MIGRATION_FILE = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    path: Traversable
    checksum: str

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _shipped_sql_dir() -> Path | Traversable:
    """Where the migrations are: `pipeline.sql` in a wheel, the checkout's `sql/` otherwise.

    The repository keeps `sql/` at its top; setup.py maps it to the package `pipeline.sql`
    (a folder of data, no `__init__`) so that an installed Wirewatch migrates without a
    checkout. Code run from a checkout (PYTHONPATH, or an editable install whose finder
    does not map it) reads `sql/` itself.
    """
    try:
        shipped = resources.files("pipeline.sql")
    except ModuleNotFoundError:
        shipped = None
    files = [entry for entry in shipped.iterdir() if entry.name.endswith(".sql")] if shipped is not None else []
    if files:
        # a namespace package answers with a MultiplexedPath: its files are plain paths on disk
        return files[0].parent if isinstance(files[0], Path) else shipped
    return Path(__file__).resolve().parents[2] / "sql"


#: the migrations shipped with this Wirewatch (the wheel's `pipeline.sql`, or a checkout's `sql/`)
SQL_DIR: Path | Traversable = _shipped_sql_dir()


def find_migrations(sql_dir: Path | Traversable | None = None) -> list[Migration]:
    """The migration files of `sql_dir` (default: the shipped ones), in version order."""
    folder = Path(sql_dir) if isinstance(sql_dir, str) else (sql_dir if sql_dir is not None else SQL_DIR)
    if not folder.is_dir():
        raise MigrationError(f"migration folder {folder} does not exist; pass sql_dir or reinstall Wirewatch")
    found: dict[int, Migration] = {}
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNN_lowercase_name.sql; rename it")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} is also used by {found[version].path.name}; renumber one")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found[version] = Migration(version, path.name, path, checksum)
    return [found[v] for v in sorted(found)]


def migrate(conn: psycopg.Connection, sql_dir: Path | Traversable | None = None) -> list[str]:
    """Apply pending migrations in order; the names of those applied now (empty when up to date).

    Call it on a connection with no transaction open: every file commits on its own.
    """
    migrations = find_migrations(sql_dir)
    with translate_errors("checking applied migrations"), conn.transaction():
        conn.execute(q.ADVISORY_XACT_LOCK, (q.MIGRATION_LOCK_KEY,))
        conn.execute(q.CREATE_SCHEMA_MIGRATIONS)
        applied = {row[0]: (row[1], row[2]) for row in conn.execute(q.SELECT_MIGRATIONS)}
    _check_applied(migrations, applied)

    done: list[str] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        if _apply(conn, migration):
            done.append(migration.name)
    if done:
        log.info("applied %d migration(s): %s", len(done), ", ".join(done))
    else:
        log.debug("database schema is up to date (%d migrations)", len(migrations))
    return done


def pending_migrations(conn: psycopg.Connection, sql_dir: Path | Traversable | None = None) -> list[str]:
    """The shipped migrations a database has not applied (all of them on an empty one); reads only.

    A file changed since it was applied raises `MigrationError`, as `migrate` would.
    """
    migrations = find_migrations(sql_dir)
    with translate_errors("reading the schema version"), conn.transaction():
        if not conn.execute(q.SCHEMA_MIGRATIONS_EXISTS).fetchone()[0]:
            return [m.name for m in migrations]
        applied = {row[0]: (row[1], row[2]) for row in conn.execute(q.SELECT_MIGRATIONS)}
    _check_applied(migrations, applied)
    return [m.name for m in migrations if m.version not in applied]


def _apply(conn: psycopg.Connection, migration: Migration) -> bool:
    """Run one file with its bookkeeping row; False when another process applied it first."""
    with translate_errors(f"applying {migration.name}"), conn.transaction():
        conn.execute(q.ADVISORY_XACT_LOCK, (q.MIGRATION_LOCK_KEY,))
        row = conn.execute(q.SELECT_MIGRATION, (migration.version,)).fetchone()
        if row is not None:
            _check_applied([migration], {migration.version: (row[0], row[1])})
            return False
        try:
            conn.execute(migration.read().encode("utf-8"))
        except psycopg.OperationalError:
            raise  # the server went away: DatabaseUnavailable, not a bad file
        except psycopg.DatabaseError as exc:
            message = " ".join(str(exc).split())
            raise MigrationError(f"{migration.path}: {message}; nothing of it was applied, fix the file") from None
        conn.execute(q.INSERT_MIGRATION, (migration.version, migration.name, migration.checksum))
    log.info("applied migration %s", migration.name)
    return True


def _check_applied(migrations: list[Migration], applied: dict[int, tuple[str, str]]) -> None:
    """Refuse files that changed since they were applied; note applied ones with no file."""
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            log.warning("migration %s is applied but its file is missing (a newer Wirewatch ran here?)", name)
            continue
        if migration.checksum != checksum or migration.name != name:
            raise MigrationError(
                f"{migration.path} changed after it was applied as {name}; "
                "restore it and put the change in a new numbered file"
            )
