"""The dashboard views (sql/040-042) over a warehouse loaded by a real cycle over the
sample site: each view's grain holds, the figures agree with the tables, the
materialized views refresh concurrently, and the read-only role reads views only."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.conninfo import make_conninfo

from pipeline import dashboards, store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec
from pipeline.sample_site import serve_sample_site

pytestmark = pytest.mark.slow

READER = "wirewatch_reader"
#: every view the dashboards read, with the columns of its grain (one row per ...)
GRAINS = {
    "stg_articles": ("article_id",),
    "stg_events": ("event_id",),
    "stg_event_actors": ("event_id", "role"),
    "dash_events_daily": ("day", "type", "country"),
    "dash_event_map": ("event_id",),
    "dash_actors_daily": ("actor", "day", "type", "country"),
    "dash_actor_pairs_daily": ("source_actor", "target_actor", "day", "type", "country"),
    "dash_fatalities_daily": ("day", "type", "country"),
    "dash_stories": ("story_id",),
    "dash_feed_health": ("feed_id",),
    "dash_pipeline_lag": ("article_id",),
    "dash_run_stats": ("run_id",),
}
MATERIALIZED = {"dash_events_daily", "dash_event_map", "dash_actors_daily", "dash_actor_pairs_daily",
                "dash_fatalities_daily", "dash_stories"}
TABLES = ("articles", "events", "entities", "feeds", "entries", "pipeline_runs", "raw_pages", "schema_migrations")
#: the events the dashboards count (sql/070), written from the tables: no near-duplicate copy, confident enough
COUNTED_EVENTS = """
    events as e inner join articles as a on e.article_id = a.article_id
    where a.duplicate_of is null and e.confidence >= wirewatch_dashboard_min_confidence()"""


@pytest.fixture(scope="module")
def loaded_url(make_database, analyzer) -> str:
    """A fresh warehouse loaded by one real cycle over the sample site, views refreshed."""
    url = make_database()
    with store.connect(url) as conn:
        store.migrate(conn)
    settings = Settings(database_url=url, allow_private=("127.0.0.1", "localhost"), batch_size=8)
    with serve_sample_site(port=0) as site:
        summary = cycle.run_cycle(settings, [FeedSpec(url=u) for u in site.feed_urls], force=True,
                                  analyzer=analyzer)
    assert summary["counts"]["articles_new"] >= 8 and summary["counts"]["events"] > 0
    with store.connect(url) as conn:
        dashboards.refresh_views(conn)
    return url


@pytest.fixture
def conn(loaded_url):
    with store.connect(loaded_url) as connection:
        yield connection
        connection.rollback()


def _one(conn, query, *params):
    return conn.execute(query, params).fetchone()[0]


@pytest.mark.parametrize("view", sorted(GRAINS))
def test_views_grain_is_unique_and_filled(conn, view):
    key = ", ".join(GRAINS[view])
    rows = _one(conn, f"select count(*) from {view}")  # noqa: S608 - fixed names
    distinct = _one(conn, f"select count(*) from (select distinct {key} from {view}) as k")  # noqa: S608
    assert rows > 0, f"{view} is empty over the sample run"
    assert rows == distinct, f"{view}: {rows} rows but {distinct} distinct ({key})"


def test_views_every_view_documents_its_grain(conn):
    for view in GRAINS:
        comment = _one(conn, "select obj_description(%s::regclass, 'pg_class')", view)
        assert comment and comment.startswith("One row per"), view


def test_views_events_daily_adds_up_to_counted_events(conn):
    counted = _one(conn, f"select count(*) from {COUNTED_EVENTS}")  # noqa: S608 - fixed text
    assert 0 < counted < _one(conn, "select count(*) from events")  # the sample has events under the threshold
    assert _one(conn, "select sum(events) from dash_events_daily") == counted
    assert _one(conn, "select sum(fatalities) from dash_events_daily") == _one(
        conn, f"select coalesce(sum(e.fatalities), 0) from {COUNTED_EVENTS}")  # noqa: S608
    assert _one(conn, "select sum(fatalities) from dash_fatalities_daily") == _one(
        conn, f"select coalesce(sum(e.fatalities), 0) from {COUNTED_EVENTS}")  # noqa: S608
    assert _one(conn, "select count(*) from stg_events where is_counted") == counted
    assert _one(conn, "select count(*) from stg_events") == _one(conn, "select count(*) from events")


def test_views_event_map_draws_only_city_level_places_as_points(conn):
    rows = conn.execute("select geo_precision, is_point, is_country_guess, lat from dash_event_map").fetchall()
    assert {precision for precision, *_ in rows} >= {"city", "country"}
    for precision, is_point, is_country_guess, lat in rows:
        assert is_point == (precision == "city" and lat is not None)
        assert is_country_guess == (precision == "country")
    assert _one(conn, "select count(*) from dash_event_map") == _one(
        conn, f"select count(*) from {COUNTED_EVENTS} and e.location_id is not null")  # noqa: S608


def test_views_actors_count_each_role(conn):
    assert _one(conn, "select sum(as_source) from dash_actors_daily") == _one(
        conn, "select count(*) from stg_events where is_counted and actor1 is not null")
    assert _one(conn, "select sum(as_target) from dash_actors_daily") == _one(
        conn, "select count(*) from stg_events where is_counted and actor2 is not null")
    assert _one(conn, "select count(*) from dash_actor_pairs_daily where lower(source_actor) = lower(target_actor)") == 0


def test_views_stories_group_near_duplicates_and_outlets(conn):
    articles = _one(conn, "select count(*) from articles")
    assert _one(conn, "select count(*) from dash_stories") == articles - _one(
        conn, "select count(*) from articles where duplicate_of is not null")
    first, second, third = [r[0] for r in conn.execute("select article_id from articles order by article_id limit 3")]
    # a chain: third copies second, which copies first; all three are one story
    conn.execute("update articles set duplicate_of = %s where article_id = %s", (first, second))
    conn.execute("update articles set duplicate_of = %s where article_id = %s", (second, third))
    conn.execute("update articles set sitename = 'Other Wire' where article_id = %s", (third,))
    conn.execute("refresh materialized view concurrently dash_stories")
    story = conn.execute("select articles, copies, outlets, outlet_names from dash_stories where story_id = %s",
                         (first,)).fetchone()
    assert story[:3] == (3, 2, 2) and "Other Wire" in story[3]
    assert _one(conn, "select count(*) from dash_stories") == articles - 2


def test_views_feed_health_flags_the_broken_feed(conn):
    health = dict(conn.execute("select url, health from dash_feed_health").fetchall())
    assert any(h == "failing" for u, h in health.items() if "broken" in u)
    assert any(h == "ok" for h in health.values())


def test_views_lag_and_runs_agree_with_tables(conn):
    assert _one(conn, "select count(*) from dash_pipeline_lag where fetch_to_load_s < 0") == 0
    assert _one(conn, "select count(*) from dash_pipeline_lag where publish_to_fetch_s is null") == _one(
        conn, "select count(*) from articles where published_at is null or fetched_at is null")
    run = conn.execute("select status, articles_new, events, errors from dash_run_stats").fetchone()
    assert run[0] == "ok" and run[1] == _one(conn, "select count(*) from articles")
    assert run[2] == _one(conn, "select count(*) from events") and run[3] >= 1


def test_dashboards_refresh_views_concurrently_picks_up_new_rows(loaded_url):
    with store.connect(loaded_url) as conn:
        views = store.list_materialized_views(conn)
        assert {v.name for v in views} == MATERIALIZED
        assert all(v.populated and v.has_unique_index for v in views)
        before = _one(conn, "select sum(events) from dash_events_daily")
        with conn.transaction():
            conn.execute("delete from events where event_id = (select min(event_id) from stg_events where is_counted)")
        assert _one(conn, "select sum(events) from dash_events_daily") == before  # stale until refreshed
        conn.commit()
        timings = dashboards.refresh_views(conn)
        assert set(timings) == MATERIALIZED
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # committed
        assert _one(conn, "select sum(events) from dash_events_daily") == before - 1


def test_dashboards_refresh_refuses_a_view_without_unique_index(make_database):
    url = make_database()
    with store.connect(url) as conn:
        store.migrate(conn)
        with conn.transaction():
            conn.execute("create materialized view zz_no_key as select 1 as x")
        from pipeline.errors import DatabaseError

        with pytest.raises(DatabaseError, match="zz_no_key has no unique index"):
            dashboards.refresh_views(conn)


@pytest.fixture
def reader(loaded_url):
    try:
        connection = psycopg.connect(make_conninfo(loaded_url, user=READER, password=""), autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"cannot log in as {READER} on this server (it has no password here): {exc}")
    with connection:
        yield connection


@pytest.mark.parametrize("view", sorted(GRAINS))
def test_views_reader_can_select_each_view(reader, view):
    assert reader.execute(f"select count(*) from {view}").fetchone()[0] > 0  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_views_reader_cannot_read_tables(reader, table):
    with pytest.raises(pg_errors.InsufficientPrivilege):
        reader.execute(f"select * from {table} limit 1")  # noqa: S608


def test_views_reader_cannot_write_or_refresh(reader):
    with pytest.raises(pg_errors.ReadOnlySqlTransaction):
        reader.execute("create temporary table mine (x int)")
    with pytest.raises((pg_errors.ReadOnlySqlTransaction, pg_errors.InsufficientPrivilege)):
        reader.execute("refresh materialized view dash_events_daily")
    reader.execute("set session characteristics as transaction read write")
    for view in GRAINS:
        writable = reader.execute("select has_table_privilege(current_user, %s, 'insert, update, delete, truncate')",
                                  (view,)).fetchone()[0]
        assert not writable, view
    with pytest.raises(pg_errors.InsufficientPrivilege):
        reader.execute("refresh materialized view dash_events_daily")
