"""What the dashboards count (sql/070): a syndicated story once, however many outlets ran
it, and only events at or above the documented confidence threshold.

Articles go in the way the pipeline stores them (`stages.make_bundle`, then
`stages.load_bundles`: the loader, then near-duplicate linking), with analyses written by
hand so that the events, their confidence and their dead are known; the materialized
views are refreshed as the refresh_dashboards DAG does (`dashboards.refresh_views`)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline import dashboards
from pipeline.archives.raw_pages import RawPageStore
from pipeline.config import Settings
from pipeline.flows import stages
from pipeline.models import Actor, Analysis, Article, Event, Location, Page

STORY = (
    "DEIR EZZOR, Syria (Reuters) - A car bomb exploded at a checkpoint in Deir Ezzor on Saturday, "
    "killing 12 people.\n\n"
    "Kurdish-led forces blamed Islamic State for the attack, the second in the city this month. "
    "Witnesses said the blast destroyed several shops and damaged a mosque near the market. "
    "Hospitals in the province asked residents to donate blood as the wounded were brought in "
    "from nearby villages. The checkpoint had been reopened only last week after months of "
    "fighting between the militants and government troops around the eastern districts.\n\n"
    "The United Nations condemned the bombing and called for an investigation."
)
#: two other outlets' copies: another agency credit and a trailing line; a number written out
#: and a sentence added. Near-duplicates (MinHash), not identical texts: each is stored.
COPIES = {
    "https://wire-two.example/syria/car-bomb": STORY.replace("(Reuters)", "(AFP)")
    + "\n\nReporting by the Beirut bureau; editing by the world desk.",
    "https://daily-three.example/news/deir-ezzor-blast": STORY.replace("killing 12 people", "killing twelve people")
    .replace("this month. ", "this month. Security was tightened at other checkpoints. "),
}
ORIGINAL_URL = "https://wire-one.example/world/deir-ezzor-car-bomb"
DEIR_EZZOR = Location(text="Deir Ezzor", name="Deir ez-Zor", admin1="Deir ez-Zor Governorate", country="SYR",
                      lat=35.336, lon=40.141, geonameid=170794, precision="city")
ISLAMIC_STATE = Actor("Islamic State", "Islamic State", "REB", None)


def _sentence(text: str, first: str, last: str) -> tuple[int, int]:
    start = text.index(first)
    return start, text.index(last, start) + len(last)


def _event(text: str, first: str, last: str, **fields) -> Event:
    start, end = _sentence(text, first, last)
    defaults = {"mode": None, "actor1": None, "actor2": None, "location": None, "date": "2017-11-04",
                "date_text": "Saturday", "date_precision": "day", "fatalities": None}
    return Event(sentence=text[start:end], start=start, end=end, **(defaults | fields))


def _story_analysis(text: str) -> Analysis:
    """What the analyzer reads from every copy: the bombing (12 dead) and the UN's condemnation."""
    bombing = _event(text, "DEIR EZZOR", " people.", type="ASSAULT", mode="bomb", trigger="exploded",
                     actor1=ISLAMIC_STATE, actor2=Actor("people", "civilians", "CVL", "SYR"),
                     location=DEIR_EZZOR, fatalities=12, confidence=0.92)
    condemnation = _event(text, "The United Nations", "investigation.", type="DISAPPROVE", trigger="condemned",
                          actor1=Actor("The United Nations", "United Nations", "IGO", None),
                          actor2=ISLAMIC_STATE, confidence=0.86)
    return Analysis(entities=(), events=(bombing, condemnation), model_version="hand-written")


def _load(conn, settings: Settings, articles: dict[str, tuple[str, Analysis]]) -> None:
    """Store articles through the pipeline's own bundling, loading and near-duplicate linking."""
    raw_store = RawPageStore(settings)
    fetched = datetime(2017, 11, 4, 15, 0, tzinfo=timezone.utc)
    pages, bundles = [], []
    for url, (text, analysis) in articles.items():
        html = f"<html><body><p>{text}</p></body></html>".encode()
        page = Page(url=url, final_url=url, status=200, content=html, text=html.decode(), encoding="utf-8",
                    content_type="text/html", fetched_at=fetched)
        article = Article(url=url, canonical_url=url, title="Car bomb kills 12 in Deir Ezzor", author=None,
                          published_at=datetime(2017, 11, 4, 14, 0, tzinfo=timezone.utc), language="en", text=text,
                          extractor="trafilatura 2.3.1", sitename=url.split("/")[2])
        pages.append(page)
        bundles.append(stages.make_bundle(page, article, analysis, "hand-written-analyzer", raw_store))
    result = stages.StepResult()
    outcomes = stages.load_bundles(conn, bundles, pages, raw_store, result)
    conn.commit()
    assert not any(outcome.duplicate for outcome in outcomes)  # each copy is its own article
    dashboards.refresh_views(conn)


def _row(conn, query: str, *params):
    return conn.execute(query, params).fetchone()


@pytest.fixture
def settings(migrated_url) -> Settings:
    return Settings(database_url=migrated_url)


def test_views_count_a_story_run_by_three_outlets_once(db, settings):
    articles = {ORIGINAL_URL: (STORY, _story_analysis(STORY))}
    articles |= {url: (text, _story_analysis(text)) for url, text in COPIES.items()}
    _load(db, settings, articles)

    ids = dict(db.execute("select url, article_id from articles").fetchall())
    links = dict(db.execute("select url, duplicate_of from articles").fetchall())
    assert links == {ORIGINAL_URL: None} | dict.fromkeys(COPIES, ids[ORIGINAL_URL])
    # staging keeps every copy's events: what the dashboards counted three times before 070
    assert _row(db, "select count(*), sum(fatalities) from stg_events") == (6, 36)
    assert _row(db, "select count(*) from stg_events where is_duplicate") == (4,)

    day = datetime(2017, 11, 4).date()
    assert db.execute("select day, type, events, articles, fatalities from dash_events_daily order by type"
                      ).fetchall() == [(day, "ASSAULT", 1, 1, 12), (day, "DISAPPROVE", 1, 1, 0)]
    assert _row(db, "select sum(fatal_events), sum(fatalities), max(deadliest_event) from dash_fatalities_daily") == (
        1, 12, 12)
    assert db.execute("select article_id, place, fatalities from dash_event_map").fetchall() == [
        (ids[ORIGINAL_URL], "Deir ez-Zor", 12)]
    assert _row(db, "select events, as_source, as_target, fatalities from dash_actors_daily "
                    "where actor = 'Islamic State' and type = 'ASSAULT'") == (1, 1, 0, 12)
    assert _row(db, "select sum(events), sum(fatalities) from dash_actors_daily where actor = 'Islamic State'") == (
        2, 12)
    assert _row(db, "select sum(events), sum(fatalities) from dash_actor_pairs_daily") == (2, 12)
    assert db.execute("select story_id, articles, copies, outlets, events, main_event_type, fatalities "
                      "from dash_stories").fetchall() == [(ids[ORIGINAL_URL], 3, 2, 3, 2, "ASSAULT", 12)]


def _threshold_analysis(text: str) -> Analysis:
    """Three events a sentence each, at confidence 0.79 (under 0.8), 0.8 (the threshold) and 0.95."""
    return Analysis(entities=(), events=(
        _event(text, "Rebels shelled", "five people.", type="ASSAULT", trigger="shelled", fatalities=5,
               location=DEIR_EZZOR, confidence=0.79),
        _event(text, "Troops fought", "seven of them.", type="FIGHT", trigger="fought", fatalities=7,
               location=DEIR_EZZOR, confidence=0.8),
        _event(text, "An air strike", "eleven people.", type="ASSAULT", mode="aerial", trigger="air strike",
               fatalities=11, location=DEIR_EZZOR, confidence=0.95),
    ), model_version="hand-written")


THRESHOLD_TEXT = ("Rebels shelled a market in Deir Ezzor, killing five people. Troops fought the rebels at "
                  "the bridge and killed seven of them. An air strike on a convoy killed eleven people.")


def test_views_leave_out_events_under_the_confidence_threshold(db, settings):
    _load(db, settings, {"https://wire-one.example/world/deir-ezzor-day": (
        THRESHOLD_TEXT, _threshold_analysis(THRESHOLD_TEXT))})

    assert _row(db, "select wirewatch_dashboard_min_confidence()")[0] == pytest.approx(0.8)
    counted = dict(db.execute("select fatalities, is_counted from stg_events").fetchall())
    assert counted == {5: False, 7: True, 11: True}
    assert _row(db, "select sum(events), sum(fatalities) from dash_events_daily") == (2, 18)
    assert _row(db, "select sum(fatal_events), sum(fatalities) from dash_fatalities_daily") == (2, 18)
    assert sorted(r[0] for r in db.execute("select fatalities from dash_event_map")) == [7, 11]
    assert _row(db, "select events, fatalities from dash_stories") == (2, 18)

    # The threshold lives in one function: replacing it and refreshing moves every count.
    db.execute("create or replace function wirewatch_dashboard_min_confidence() returns real "
               "language sql immutable parallel safe return 0.5")
    db.execute("refresh materialized view dash_events_daily")
    assert _row(db, "select sum(events), sum(fatalities) from dash_events_daily") == (3, 23)
    db.rollback()
    assert _row(db, "select wirewatch_dashboard_min_confidence()")[0] == pytest.approx(0.8)


def test_views_say_what_they_count(db):
    for (name,) in db.execute("select matviewname from pg_matviews where schemaname = current_schema()"):
        comment = _row(db, "select obj_description(%s::regclass, 'pg_class')", name)[0]
        assert "wirewatch_dashboard_min_confidence()" in comment and "once" in comment, name
    assert "refresh" in _row(db, "select obj_description('wirewatch_dashboard_min_confidence()'::regprocedure, "
                                 "'pg_proc')")[0]
