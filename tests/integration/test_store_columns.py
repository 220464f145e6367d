"""The loader writes rows by column name: the columns it claims are the tables' own, and
every field of an article and its events comes back from the warehouse where it went in."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from psycopg.rows import dict_row

from pipeline import store
from pipeline.models import Actor, Analysis, Event, Location
from pipeline.store import loader
from pipeline.store import statements as q

#: columns a load leaves to defaults or to later stages (near-duplicates, the language gate)
ARTICLES_NOT_LOADED = {"article_id", "simhash", "duplicate_of", "extracted_at", "not_analysed"}
EVENTS_NOT_LOADED = {"event_id", "created_at"}
RAW_PAGES_NOT_LOADED = {"stored_in", "stored_at"}
#: the queue's own bookkeeping, set by its defaults and by claims
ENTRIES_NOT_QUEUED = {"entry_id", "discovered_at", "state", "attempts", "last_error", "skip_reason", "article_id",
                      "updated_at", "claimed_by", "lease_until", "next_attempt_at"}


def _columns(conn, table: str, temp: bool = False) -> list[str]:
    schema = "table_schema like 'pg_temp%%'" if temp else "table_schema = current_schema()"
    rows = conn.execute(f"select column_name from information_schema.columns where table_name = %s and {schema} "
                        "order by ordinal_position", (table,)).fetchall()
    return [name for (name,) in rows]


@pytest.mark.parametrize("table", list(q.STAGE_TABLES))
def test_store_staging_columns_are_the_ones_copied(db, table):
    with db.transaction():
        db.execute(q.CREATE_STAGING)
        assert _columns(db, table, temp=True) == list(q.STAGE_TABLES[table])


@pytest.mark.parametrize(("table", "written", "left"), [
    ("articles", q.ARTICLE_VALUES, ARTICLES_NOT_LOADED),
    ("events", q.EVENT_VALUES, EVENTS_NOT_LOADED),
    ("raw_pages", q.RAW_PAGE_COLUMNS, RAW_PAGES_NOT_LOADED),
    ("entries", q.ENTRY_COLUMNS, ENTRIES_NOT_QUEUED),
    ("fetch_log", q.FETCH_LOG_COLUMNS, {"fetch_id"}),
])
def test_store_loader_writes_the_tables_columns(db, table, written, left):
    columns = set(_columns(db, table))
    assert set(written) <= columns, f"the loader writes columns {table} does not have"
    assert columns - set(written) <= left, f"columns of {table} the loader leaves out unawares"


def test_store_loader_staged_sources_exist():
    staged = {"s": q.STAGE_TABLES["stage_articles"], "e": q.STAGE_TABLES["stage_events"]}
    for source in [*q.ARTICLE_VALUES.values(), *q.EVENT_VALUES.values()]:
        alias, _, name = source.partition(".")
        if alias in staged:
            assert name in staged[alias], source


def test_store_loader_row_must_name_every_column():
    columns = ("ord", "seq", "label")
    assert loader.in_column_order({"seq": 2, "label": "GPE", "ord": 1}, columns, "t") == [1, 2, "GPE"]
    with pytest.raises(TypeError, match=r"missing \['seq'\], unknown \['sequence'\]"):
        loader.in_column_order({"ord": 1, "sequence": 2, "label": "GPE"}, columns, "t")


def _full_event(text: str) -> Event:
    """An event with every field set, each to a value no other field has."""
    end = text.index("fighters.") + len("fighters.")
    return Event(
        type="ASSAULT", mode="bomb",
        actor1=Actor("Syrian troops", "Syria", "MIL", "IRQ"),
        actor2=Actor("rebel positions", "rebels", "REB", "TUR"),
        location=Location(text="near Aleppo", name="Aleppo", admin1="Aleppo Governorate", country="SYR",
                          lat=36.2, lon=37.16, geonameid=170063, precision="city"),
        date="2024-03-02", date_text="Saturday", date_precision="day", fatalities=12,
        sentence=text[:end], start=0, end=end, confidence=0.75, trigger="shelled",
        location_source="sentence", date_source="dateline", supporting=((22, 29), (30, 36)),
        speaker=Actor("a monitor", "Syrian Observatory", "NGO", "GBR"),
    )


def test_store_load_round_trip_keeps_every_field(db, make_bundle, sample_text):
    event = _full_event(sample_text)
    bundle = make_bundle("https://news.example/full?x=1", canonical_url="https://news.example/full",
                         analysis=Analysis((), (event,), "model-7"))
    [outcome] = store.load_articles(db, [bundle], run_id=store.start_run(db, "cycle"))

    with db.cursor(row_factory=dict_row) as cur:
        article = cur.execute("select * from articles where article_id = %s", (outcome.article_id,)).fetchone()
        stored = cur.execute("select e.*, l.name as loc_name, l.admin1 as loc_admin1, l.country as loc_country, "
                             "l.lat as loc_lat, l.lon as loc_lon, l.geonameid as loc_geonameid, "
                             "l.precision as loc_precision from events e join locations l using (location_id) "
                             "where article_id = %s", (outcome.article_id,)).fetchone()

    a = bundle.article
    for name in ("title", "author", "language", "source_agency", "dateline", "sitename", "text", "extractor"):
        assert article[name] == getattr(a, name), name
    assert article["published_at"] == a.published_at
    assert (article["url"], article["canonical_url"], article["url_hash"]) == (
        bundle.url, bundle.canonical_url, bundle.canonical_url_hash)
    assert (article["extractor_version"], article["fetched_at"], article["analyzer_version"]) == (
        bundle.extractor_version, bundle.fetched_at, bundle.analyzer_version)
    assert article["content_hash"] == store.content_hash(a.text) and article["raw_page_hash"] is not None

    for name in ("type", "mode", "trigger", "date_text", "date_precision", "date_source", "location_source",
                 "fatalities", "sentence"):
        assert stored[name] == getattr(event, name), name
    assert stored["confidence"] == pytest.approx(event.confidence)
    assert (stored["sent_start"], stored["sent_end"]) == (event.start, event.end)
    assert stored["event_date"] == date(2024, 3, 2)
    assert stored["supporting"] == [list(span) for span in event.supporting]
    for prefix, actor in (("actor1", event.actor1), ("actor2", event.actor2), ("speaker", event.speaker)):
        assert Actor(**{f.name: stored[f"{prefix}_{f.name}"] for f in dataclasses.fields(Actor)}) == actor, prefix
    place = {f.name: stored[f"loc_{f.name}"] for f in dataclasses.fields(Location) if f.name != "text"}
    assert Location(text=stored["location_text"], **place) == event.location
    assert (stored["analyzer_version"], stored["model_version"]) == (bundle.analyzer_version, "model-7")

