"""The warehouse keeps who an event is attributed to (sql/050), on load and on reprocessing."""

from __future__ import annotations

import dataclasses

from pipeline import store
from pipeline.models import Actor

MONITOR = Actor(text="the Syrian Observatory for Human Rights", canonical="Syrian Observatory for Human Rights",
                type="NGO", country="GBR")


def _with_speaker(analysis, speaker):
    """The analysis with `speaker` on its first event only."""
    first, *rest = analysis.events
    return dataclasses.replace(analysis, events=(dataclasses.replace(first, speaker=speaker), *rest))


def test_store_event_speaker_loaded(db, make_bundle, analysis_for, sample_text):
    bundle = make_bundle("https://news.example/s", analysis=_with_speaker(analysis_for(sample_text), MONITOR))

    store.load_articles(db, [bundle], run_id=store.start_run(db, "cycle"))

    rows = db.execute("select seq, speaker_text, speaker_canonical, speaker_type, speaker_country "
                      "from events order by seq").fetchall()
    assert rows[0] == (0, MONITOR.text, MONITOR.canonical, "NGO", "GBR")
    assert rows[1] == (1, None, None, None, None)  # stated in the article's own voice


def test_store_event_speaker_replaced_on_reprocessing(db, make_bundle, analysis_for, sample_text):
    [outcome] = store.load_articles(db, [make_bundle("https://news.example/s")], run_id=store.start_run(db, "cycle"))
    official = Actor(text="officials", canonical="officials", type="GOV", country=None)

    store.replace_analysis(db, outcome.article_id, _with_speaker(analysis_for(sample_text), official), "analyzer-2")

    assert db.execute("select speaker_text, speaker_type, speaker_country from events where seq = 0").fetchone() == (
        "officials", "GOV", None)


def test_store_event_speaker_columns_documented(db):
    comments = db.execute(
        "select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute a "
        "where a.attrelid = 'events'::regclass and a.attname like 'speaker_%'").fetchall()
    assert sorted(name for name, _ in comments) == [
        "speaker_canonical", "speaker_country", "speaker_text", "speaker_type"]
    assert all(text for _, text in comments)
