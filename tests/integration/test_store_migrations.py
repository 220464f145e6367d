"""Migrations: from zero, idempotent, checksummed, and safe to run twice at once."""

from __future__ import annotations

import shutil
import threading

import pytest

from pipeline import store
from pipeline.errors import MigrationError

EXPECTED_TABLES = {
    "schema_migrations", "feeds", "pipeline_runs", "fetch_log", "raw_pages", "articles", "article_urls",
    "entries", "entities", "entity_mentions", "locations", "events",
}


def _tables(conn) -> set[str]:
    return {name for (name,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'public'")}


def test_store_migrate_from_zero_then_nothing(make_database):
    with store.connect(make_database()) as conn:
        applied = store.migrate(conn)
        assert applied == [m.name for m in store.find_migrations()]
        assert applied[0].startswith("001_")
        assert _tables(conn) >= EXPECTED_TABLES
        rows = conn.execute("select version, name, checksum from schema_migrations order by version").fetchall()
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (m.version, m.name, m.checksum) for m in store.find_migrations()]

        assert store.migrate(conn) == []
        assert conn.execute("select count(*) from schema_migrations").fetchone()[0] == len(applied)


def test_store_every_table_and_column_is_commented(database_url):
    """The warehouse documents itself: a comment on each of the store's tables and columns."""
    with store.connect(database_url) as conn:
        missing = conn.execute("""
            select c.relname || coalesce('.' || a.attname, '')
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.relkind = 'r' and c.relname = any(%s)
              and ((a.attname is null and obj_description(c.oid, 'pg_class') is null)
                   or (a.attname is not null and col_description(c.oid, a.attnum) is null
                       and a.attname not in ('feed_id', 'article_id', 'entity_id', 'location_id', 'event_id',
                                             'entry_id', 'run_id', 'fetch_id', 'text', 'label', 'canonical',
                                             'title', 'author', 'created_at')))
        """, (sorted(EXPECTED_TABLES - {"schema_migrations"}),)).fetchall()
    assert missing == []


def test_store_changed_applied_file_is_refused(make_database, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(store.SQL_DIR, sql_dir)
    with store.connect(make_database()) as conn:
        store.migrate(conn, sql_dir)
        first = sorted(sql_dir.glob("001_*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited after release\n")

        with pytest.raises(MigrationError) as caught:
            store.migrate(conn, sql_dir)

    message = str(caught.value)
    assert "\n" not in message and first.name in message and "changed after it was applied" in message


def test_store_new_migration_applied_alone_and_failed_one_rolled_back(make_database, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(store.SQL_DIR, sql_dir)
    with store.connect(make_database()) as conn:
        store.migrate(conn, sql_dir)
        (sql_dir / "900_add_note.sql").write_text("alter table feeds add column note text;\n")
        (sql_dir / "901_broken.sql").write_text("create table half_done (x int);\nselect no_such_function();\n")

        with pytest.raises(MigrationError, match=r"901_broken\.sql: .*no_such_function.*nothing of it was applied"):
            store.migrate(conn, sql_dir)

        versions = [v for (v,) in conn.execute("select version from schema_migrations order by version")]
        assert versions[-1] == 900
        assert "half_done" not in _tables(conn)
        conn.execute("select note from feeds")  # 900 was applied and kept


def test_store_concurrent_migrators_take_turns(make_database):
    url = make_database()
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with store.connect(url) as conn:
                results.append(store.migrate(conn))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    names = [m.name for m in store.find_migrations()]
    assert sorted(n for applied in results for n in applied) == sorted(names)


def test_store_badly_named_migration_is_refused(tmp_path):
    (tmp_path / "1_init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="NNN_lowercase_name.sql"):
        store.find_migrations(tmp_path)
