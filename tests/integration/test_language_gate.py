"""The language gate through the real cycle: a loopback site with a French, a Spanish and an
English article, the real extractor and spaCy model, and a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle, report, runs
from pipeline.models import FeedSpec

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
HTML = "text/html; charset=utf-8"


def _feed(httpserver) -> str:
    items = "".join(
        f"<item><title>{name}</title><link>{httpserver.url_for(f'/{name}.html')}</link>"
        f"<pubDate>Sat, 02 Mar 2024 12:00:00 GMT</pubDate></item>"
        for name in ("fr", "es", "en"))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title>{items}</channel></rss>'


@pytest.fixture
def site(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/feed.xml").respond_with_data(_feed(httpserver), content_type="application/rss+xml")
    for name in ("fr", "es", "en"):
        httpserver.expect_request(f"/{name}.html").respond_with_data(
            (FIXTURES / f"{name}.html").read_bytes(), content_type=HTML)
    return httpserver


def test_language_gate_stores_french_and_spanish_without_analysis(migrated_url, site, analyzer):
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0)
    summary = cycle.run_cycle(settings, [FeedSpec(url=site.url_for("/feed.xml"))], force=True, analyzer=analyzer)
    counts = summary["counts"]
    assert counts["articles_new"] == 3 and counts["not_analysed_language"] == 2
    assert counts["events"] > 0
    assert "not_analysed_language=2" in runs.format_counts(counts)  # the `wirewatch run` summary line

    with store.connect(settings) as conn:
        rows = {language: (flag, analyzed, version, title, text) for language, flag, analyzed, version, title, text
                in conn.execute("select language, not_analysed, analyzed_at, analyzer_version, title, text "
                                "from articles")}
        assert set(rows) == {"fr", "es", "en"}
        for language in ("fr", "es"):
            flag, analyzed, version, title, text = rows[language]
            assert (flag, analyzed, version) == ("language", None, None)
            assert title and len(text) > 200  # stored with its text and metadata
        assert rows["en"][0] is None and rows["en"][1] is not None and rows["en"][2] == analyzer.version
        per_language = dict(conn.execute("""
            select a.language, (select count(*) from events e where e.article_id = a.article_id)
                             + (select count(*) from entities n where n.article_id = a.article_id)
                             + (select count(*) from entity_mentions m where m.article_id = a.article_id)
            from articles a"""))
        assert per_language["fr"] == 0 and per_language["es"] == 0 and per_language["en"] > 0
        run_counts = conn.execute("select counts from pipeline_runs where run_id = %s",
                                  (summary["run_id"],)).fetchone()[0]
        assert run_counts["not_analysed_language"] == 2
        # the dashboards' staging view shows the flag
        shown = dict(conn.execute("select language, not_analysed from stg_articles"))
        assert shown == {"fr": "language", "es": "language", "en": None}
        assert "3 new, 0 duplicate, 0 skipped, 0 failed; 2 not analysed (language)" in report.run_report(
            conn, summary["run_id"])
        states = {state for (state,) in conn.execute("select state from entries")}
        assert states == {"done"}  # stored, not skipped: nothing left to retry


def test_language_gate_reprocessing_leaves_gated_articles_unanalysed(migrated_url, site, analyzer):
    from pipeline.flows import reprocess

    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), host_delay=0.0)
    cycle.run_cycle(settings, [FeedSpec(url=site.url_for("/feed.xml"))], force=True, analyzer=analyzer)
    with store.connect(settings) as conn:
        # as an English analysis made before the gate would have left it: stamped as analysed
        conn.execute("update articles set not_analysed = null, analyzed_at = now(), analyzer_version = 'old' "
                     "where language = 'fr'")
        conn.commit()
    from datetime import date

    summary = reprocess.reprocess(settings, date(2024, 1, 1), ["analyze"], analyzer=analyzer)
    assert summary["counts"]["not_analysed_language"] == 1
    with store.connect(settings) as conn:
        flags = dict(conn.execute("select language, not_analysed from articles"))
        assert flags == {"fr": "language", "es": "language", "en": None}
        assert conn.execute("select count(*) from events join articles using (article_id) "
                            "where language <> 'en'").fetchone()[0] == 0
