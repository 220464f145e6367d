"""Write the Wirewatch dashboard as a Superset export bundle under `superset/`.

Why a generator: an export bundle repeats every dataset's columns and every chart's
uuid in several files; writing them from one description below keeps them consistent,
and the columns come from the migrated warehouse itself, so the datasets match the
views in `sql/04*_*.sql`. The generated YAML is committed (it is what
`docker/superset/import_dashboards.py` imports, in docker-compose and `make dashboard`);
rerun this after changing a view or a chart:

    .venv/bin/python scripts/superset_bundle.py [--database-url URL]

The warehouse is `--database-url`, else `WIREWATCH_DATABASE_URL`, else the embedded one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import store  # noqa: E402
from pipeline.config import Settings  # noqa: E402

BUNDLE_DIR = ROOT / "superset" / "wirewatch_dashboard"
DATABASE_NAME = "Wirewatch warehouse"
#: replaced by the real address of the read-only role when the bundle is imported
PLACEHOLDER_URI = "postgresql+psycopg2://wirewatch_reader@localhost:5432/wirewatch"
DASHBOARD_TITLE = "Wirewatch: news events"
DASHBOARD_SLUG = "wirewatch"
VERSION = "1.0.0"


def _uuid(kind: str, name: str) -> str:
    """A stable uuid per object, so a re-import updates instead of duplicating."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://wirewatch.invalid/superset/{kind}/{name}"))


# --- datasets: one per dashboard view, with saved metrics --------------------------------

DATASETS: dict[str, dict[str, Any]] = {
    "dash_events_daily": {"time": "day", "metrics": {
        "events": "sum(events)", "articles": "sum(articles)", "fatalities": "sum(fatalities)"}},
    "dash_event_map": {"time": "day", "metrics": {"events": "count(*)", "fatalities": "sum(fatalities)"}},
    "dash_actors_daily": {"time": "day", "metrics": {
        "events": "sum(events)", "as_source": "sum(as_source)", "as_target": "sum(as_target)",
        "fatalities": "sum(fatalities)"}},
    "dash_actor_pairs_daily": {"time": "day", "metrics": {"events": "sum(events)", "fatalities": "sum(fatalities)"}},
    "dash_fatalities_daily": {"time": "day", "metrics": {
        "fatalities": "sum(fatalities)", "fatal_events": "sum(fatal_events)", "deadliest_event": "max(deadliest_event)"}},
    "dash_stories": {"time": "day", "metrics": {"stories": "count(*)"}},
    "dash_feed_health": {"time": "last_polled_at", "metrics": {"feeds": "count(*)"}},
    "dash_pipeline_lag": {"time": "day", "metrics": {
        "articles": "count(*)",
        "median_publish_to_fetch_h": "round((percentile_cont(0.5) within group (order by publish_to_fetch_s) / 3600.0)::numeric, 1)",
        "median_fetch_to_load_s": "round(percentile_cont(0.5) within group (order by fetch_to_load_s)::numeric, 1)",
        "p90_publish_to_load_h": "round((percentile_cont(0.9) within group (order by publish_to_load_s) / 3600.0)::numeric, 1)"}},
    "dash_run_stats": {"time": "started_at", "metrics": {"runs": "count(*)", "articles_new": "sum(articles_new)"}},
}

SELECT_COLUMNS = """
select column_name, data_type
from information_schema.columns
where table_schema = current_schema() and table_name = %s
order by ordinal_position
"""
SELECT_MATVIEW_COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod)
from pg_attribute as a
where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""
TEMPORAL = ("date", "timestamp")


def view_columns(conn, view: str) -> list[tuple[str, str]]:
    """(name, type) of a view's columns; materialized views are not in information_schema."""
    rows = conn.execute(SELECT_COLUMNS, (view,)).fetchall()
    if not rows:
        rows = conn.execute(SELECT_MATVIEW_COLUMNS, (view,)).fetchall()
    if not rows:
        raise SystemExit(f"error: view {view} not found; migrate the warehouse (`wirewatch db migrate`) first")
    return rows


def dataset_yaml(conn, view: str, spec: dict[str, Any], database_uuid: str) -> dict[str, Any]:
    columns = [{
        "column_name": name, "verbose_name": None, "is_dttm": data_type.startswith(TEMPORAL),
        "is_active": True, "type": data_type.upper(), "advanced_data_type": None, "groupby": True,
        "filterable": True, "expression": None, "description": None, "python_date_format": None, "extra": {},
    } for name, data_type in view_columns(conn, view)]
    metrics = [{
        "metric_name": name, "verbose_name": name.replace("_", " "), "metric_type": None, "expression": expression,
        "description": None, "d3format": None, "currency": None, "extra": {}, "warning_text": None,
    } for name, expression in spec["metrics"].items()]
    return {
        "table_name": view, "main_dttm_col": spec["time"], "description": None, "default_endpoint": None,
        "offset": 0, "cache_timeout": None, "catalog": None, "schema": "public", "sql": None, "params": None,
        "template_params": None, "filter_select_enabled": True, "fetch_values_predicate": None, "extra": {},
        "normalize_columns": False, "always_filter_main_dttm": False, "uuid": _uuid("dataset", view),
        "metrics": metrics, "columns": columns, "version": VERSION, "database_uuid": database_uuid,
    }


# --- charts --------------------------------------------------------------------------------

def _time_filter(column: str) -> list[dict[str, Any]]:
    """The TEMPORAL_RANGE filter the dashboard's date-range filter sets on each chart."""
    return [{"clause": "WHERE", "comparator": "No filter", "expressionType": "SIMPLE",
             "operator": "TEMPORAL_RANGE", "subject": column}]


def _timeseries_bar(metrics: list[str], groupby: list[str], y_title: str) -> dict[str, Any]:
    return {"viz_type": "echarts_timeseries_bar", "x_axis": "day", "time_grain_sqla": "P1M",
            "metrics": metrics, "groupby": groupby, "stack": "Stack" if groupby else None,
            "adhoc_filters": _time_filter("day"), "row_limit": 10000, "order_desc": True,
            "show_legend": True, "legendType": "scroll", "legendOrientation": "top", "rich_tooltip": True,
            "x_axis_time_format": "smart_date", "y_axis_format": "SMART_NUMBER", "y_axis_title": y_title,
            "y_axis_title_margin": 30, "y_axis_title_position": "Left", "truncateXAxis": True,
            "color_scheme": "supersetColors", "annotation_layers": [], "extra_form_data": {}}


def _top_table(groupby: str, metrics: list[str], limit: int) -> dict[str, Any]:
    return {"viz_type": "table", "query_mode": "aggregate", "groupby": [groupby], "metrics": metrics,
            "timeseries_limit_metric": metrics[0], "order_desc": True, "row_limit": limit,
            "adhoc_filters": _time_filter("day"), "show_cell_bars": True, "table_timestamp_format": "smart_date",
            "server_page_length": 0, "percent_metrics": [], "extra_form_data": {}}


def _raw_table(columns: list[str], order_by: str, time_column: str, limit: int) -> dict[str, Any]:
    return {"viz_type": "table", "query_mode": "raw", "all_columns": columns,
            "order_by_cols": [f'["{order_by}", false]'], "row_limit": limit,
            "adhoc_filters": _time_filter(time_column), "table_timestamp_format": "%Y-%m-%d %H:%M",
            "server_page_length": 0, "show_cell_bars": False, "allow_render_html": False,
            "temporal_columns_lookup": {time_column: True}, "extra_form_data": {}}


CHARTS: dict[str, dict[str, Any]] = {
    "events_over_time": {
        "title": "Events per month by PLOVER type", "dataset": "dash_events_daily",
        "params": _timeseries_bar(["events"], ["type"], "events"),
        "description": "Events read from the news, by the month they happened (else the publication month)."},
    "events_by_country": {
        "title": "Events by country", "dataset": "dash_events_daily",
        "params": {"viz_type": "world_map", "entity": "country", "country_fieldtype": "cca3",
                   "metric": "events", "secondary_metric": "events", "show_bubbles": False,
                   "max_bubble_size": "25", "color_picker": {"r": 192, "g": 57, "b": 43, "a": 1},
                   "adhoc_filters": _time_filter("day"), "row_limit": 10000, "extra_form_data": {}},
        "description": "Country of the event's place, else of its actors; events with no country are left out."},
    "event_map": {
        "title": "Event map (city-level places)", "dataset": "dash_event_map",
        "params": {"viz_type": "deck_scatter", "spatial": {"latCol": "lat", "lonCol": "lon", "type": "latlong"},
                   "adhoc_filters": [*_time_filter("day"), {
                       "clause": "WHERE", "expressionType": "SQL", "sqlExpression": "is_point",
                       "filterOptionName": "only_city_level_points"}],
                   "mapbox_style": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "viewport": {"latitude": 28.0, "longitude": 45.0, "zoom": 1.6, "bearing": 0, "pitch": 0},
                   "point_radius_fixed": {"type": "fix", "value": "60000"}, "point_unit": "square_m",
                   "min_radius": 3, "max_radius": 40, "multiplier": 1,
                   "color_picker": {"r": 192, "g": 57, "b": 43, "a": 0.8}, "row_limit": 5000,
                   "js_tooltip": None, "extra_form_data": {}},
        "description": "Only places resolved to a city are dots; country- and region-level guesses are "
                       "counted in 'Events by country' instead (dash_event_map.is_country_guess)."},
    "fatalities_over_time": {
        "title": "Fatalities per month", "dataset": "dash_fatalities_daily",
        "params": _timeseries_bar(["fatalities"], ["type"], "people killed"),
        "description": "People killed, as the reports count them (vague counts read conservatively)."},
    "top_actors": {
        "title": "Top actors", "dataset": "dash_actors_daily",
        "params": _top_table("actor", ["events", "as_source", "as_target"], 15),
        "description": "Actors by the events they took part in, as source or target."},
    "top_actor_pairs": {
        "title": "Top actor pairs", "dataset": "dash_actor_pairs_daily",
        "params": _top_table("pair", ["events", "fatalities"], 15),
        "description": "Who did what to whom most often (source → target)."},
    "stories": {
        "title": "Stories and the outlets that ran them", "dataset": "dash_stories",
        "params": _raw_table(["day", "headline", "copies", "outlets", "outlet_names", "events",
                              "main_event_type", "fatalities"], "day", "day", 100),
        "description": "Near-duplicate clusters of articles (articles.duplicate_of)."},
    "feed_health": {
        "title": "Feed health", "dataset": "dash_feed_health",
        "params": _raw_table(["feed", "health", "last_status", "consecutive_errors", "last_polled_at",
                              "last_new_item_at", "articles", "entries_failed", "fetch_errors_7d", "last_error"],
                             "consecutive_errors", "last_polled_at", 200),
        "description": "Every monitored feed: ok, quiet, failing, disabled or never polled."},
    "pipeline_lag": {
        "title": "Pipeline lag (published → fetched → loaded)", "dataset": "dash_pipeline_lag",
        "params": _top_table("day", ["articles", "median_publish_to_fetch_h", "median_fetch_to_load_s",
                                     "p90_publish_to_load_h"], 60) | {"timeseries_limit_metric": None,
                                                                      "order_by_cols": ['["day", false]']},
        "description": "Per load day: median hours from publication to fetch, seconds from fetch to load."},
    "pipeline_runs": {
        "title": "Pipeline runs", "dataset": "dash_run_stats",
        "params": _raw_table(["run_id", "kind", "status", "started_at", "duration_s", "feeds_polled",
                              "feeds_failed", "articles_new", "events", "errors"], "run_id", "started_at", 50),
        "description": "Every run (cycle, backfill, reprocess, push) with its counts."},
}

#: rows of the dashboard grid: (chart key, width out of 12), height in grid units
LAYOUT: list[tuple[list[tuple[str, int]], int]] = [
    ([("events_over_time", 7), ("events_by_country", 5)], 60),
    ([("event_map", 7), ("fatalities_over_time", 5)], 60),
    ([("top_actors", 6), ("top_actor_pairs", 6)], 60),
    ([("stories", 12)], 55),
    ([("feed_health", 12)], 45),
    ([("pipeline_lag", 6), ("pipeline_runs", 6)], 50),
]

FILTERS = [
    {"key": "date_range", "name": "Date range", "filterType": "filter_time", "column": None},
    {"key": "country", "name": "Country", "filterType": "filter_select", "column": "country"},
    {"key": "event_type", "name": "Event type", "filterType": "filter_select", "column": "type"},
]


def chart_yaml(key: str, spec: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in spec["params"].items() if v is not None or k == "js_tooltip"}
    return {"slice_name": spec["title"], "description": spec["description"], "certified_by": None,
            "certification_details": None, "viz_type": params["viz_type"], "params": params,
            "query_context": None, "cache_timeout": None, "uuid": _uuid("chart", key), "version": VERSION,
            "dataset_uuid": _uuid("dataset", spec["dataset"])}


def dashboard_yaml() -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
        "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": DASHBOARD_TITLE}, "type": "HEADER"},
        "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
    }
    chart_number = 0
    for row_number, (charts, height) in enumerate(LAYOUT):
        row_id = f"ROW-wirewatch-{row_number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"children": [], "id": row_id, "meta": {"background": "BACKGROUND_TRANSPARENT"},
                            "parents": ["ROOT_ID", "GRID_ID"], "type": "ROW"}
        for key, width in charts:
            chart_number += 1
            chart_id = f"CHART-wirewatch-{key}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "children": [], "id": chart_id, "parents": ["ROOT_ID", "GRID_ID", row_id], "type": "CHART",
                "meta": {"chartId": chart_number, "height": height, "width": width,
                         "sliceName": CHARTS[key]["title"], "uuid": _uuid("chart", key)}}
    native_filters = []
    for spec in FILTERS:
        targets = ([{"column": {"name": spec["column"]}, "datasetUuid": _uuid("dataset", "dash_events_daily")}]
                   if spec["column"] else [{}])
        control = ({"multiSelect": True, "enableEmptyFilter": False, "defaultToFirstItem": False,
                    "inverseSelection": False, "searchAllOptions": False} if spec["column"] else {})
        native_filters.append({
            "id": f"NATIVE_FILTER-wirewatch-{spec['key']}", "name": spec["name"], "filterType": spec["filterType"],
            "type": "NATIVE_FILTER", "targets": targets, "controlValues": control, "cascadeParentIds": [],
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "description": ""})
    return {
        "dashboard_title": DASHBOARD_TITLE, "description": None, "css": "", "slug": DASHBOARD_SLUG,
        "certified_by": "", "certification_details": "", "published": True, "uuid": _uuid("dashboard", "main"),
        "position": position, "version": VERSION,
        "metadata": {"native_filter_configuration": native_filters, "color_scheme": "supersetColors",
                     "refresh_frequency": 0, "expanded_slices": {}, "label_colors": {},
                     "shared_label_colors": [], "timed_refresh_immune_slices": [], "cross_filters_enabled": True,
                     "default_filters": "{}", "chart_configuration": {},
                     "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                                                    "chartsInScope": []}},
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


def write_bundle(conn, target: Path = BUNDLE_DIR) -> Path:
    """Write the whole bundle to `target` (replaced), reading columns through `conn`."""
    if target.exists():
        shutil.rmtree(target)
    database_uuid = _uuid("database", DATABASE_NAME)
    _write(target / "metadata.yaml", {"version": VERSION, "type": "Dashboard",
                                      "timestamp": "2026-01-01T00:00:00+00:00"})
    _write(target / "databases" / "Wirewatch_warehouse.yaml", {
        "database_name": DATABASE_NAME, "sqlalchemy_uri": PLACEHOLDER_URI, "cache_timeout": None,
        "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
        "allow_dml": False, "allow_file_upload": False, "extra": {"allows_virtual_table_explore": True},
        "uuid": database_uuid, "version": VERSION})
    for view, spec in DATASETS.items():
        _write(target / "datasets" / "Wirewatch_warehouse" / f"{view}.yaml",
               dataset_yaml(conn, view, spec, database_uuid))
    for key, spec in CHARTS.items():
        _write(target / "charts" / f"{key}.yaml", chart_yaml(key, spec))
    _write(target / "dashboards" / "wirewatch.yaml", dashboard_yaml())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="A migrated warehouse to read the views' columns from.")
    parser.add_argument("--out", type=Path, default=BUNDLE_DIR, help="Bundle folder to (re)write.")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.database_url:
        settings = settings.with_(database_url=args.database_url)
    with store.connect(settings) as conn:
        store.migrate(conn)
        path = write_bundle(conn, args.out)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
