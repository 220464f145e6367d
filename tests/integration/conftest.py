"""Builders of small, valid warehouse inputs for the store's integration tests, as fixtures
over `tests/warehouse_rows.py` (which the DAG runs share), and table snapshots."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

import warehouse_rows
from pipeline.models import Analysis, ArticleBundle


@pytest.fixture
def make_bundle() -> Callable[..., ArticleBundle]:
    """`make_bundle(url, text=..., canonical_url=..., entry_id=..., analysis=...)`: a valid bundle."""
    return warehouse_rows.make_bundle


@pytest.fixture
def sample_text() -> str:
    """The wire report `make_bundle` and `analysis_for` use by default."""
    return warehouse_rows.TEXT


@pytest.fixture
def analysis_for() -> Callable[..., Analysis]:
    """`analysis_for(text, model_version=..., fatalities=...)`: entities and two events of `TEXT`."""
    return warehouse_rows.make_analysis


@pytest.fixture
def hash_url() -> Callable[[str], str]:
    """The URL hash `make_bundle` uses (the tests stand in for pipeline.http.urls)."""
    return warehouse_rows.hash_url


DATA_TABLES = ("feeds", "entries", "raw_pages", "articles", "article_urls", "entities",
               "entity_mentions", "locations", "events", "pipeline_runs", "fetch_log")


def _snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Every row of every data table, sorted, to compare the warehouse before and after."""
    result = {}
    for table in DATA_TABLES:
        rows = conn.execute(f"select * from {table}").fetchall()  # noqa: S608 - fixed table names
        result[table] = sorted(rows, key=repr)
    return result


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows per data table."""
    return {table: conn.execute(f"select count(*) from {table}").fetchone()[0] for table in DATA_TABLES}  # noqa: S608


@pytest.fixture
def snapshot() -> Callable[[psycopg.Connection], dict[str, list[tuple]]]:
    """`snapshot(conn)`: every row of every data table, sorted, to compare before and after."""
    return _snapshot


@pytest.fixture
def table_counts() -> Callable[[psycopg.Connection], dict[str, int]]:
    """`table_counts(conn)`: rows per data table."""
    return _counts
