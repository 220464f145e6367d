"""Re-processing stored articles after a version bump, on a real PostgreSQL with spaCy."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from pipeline import dashboards, store
from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.extract import EXTRACTOR_VERSION
from pipeline.flows import backfill, reprocess
from pipeline.flows.backfill import parse_source

from fixture_modules import fixture_module

pytestmark = pytest.mark.slow

warcs = fixture_module("archives/warcs.py")

SINCE = date(2024, 1, 1)

# Rows that would be orphans: each query must count zero after any reprocessing.
ORPHANS = {
    "mentions without their entity": """
        select count(*) from entity_mentions m
         where not exists (select 1 from entities e where e.entity_id = m.entity_id and e.article_id = m.article_id)""",
    "entities without mentions": """
        select count(*) from entities e where not exists (select 1 from entity_mentions m where m.entity_id = e.entity_id)""",
    "places no event uses": """
        select count(*) from locations l where not exists (select 1 from events e where e.location_id = l.location_id)""",
    "events of another analyzer than their article's": """
        select count(*) from events e join articles a using (article_id) where e.analyzer_version <> a.analyzer_version""",
    "events whose sentence is not in the text": """
        select count(*) from events e join articles a using (article_id)
         where substr(a.text, e.sent_start + 1, e.sent_end - e.sent_start) <> e.sentence""",
    "mentions whose span is not in the text": """
        select count(*) from entity_mentions m join articles a using (article_id)
         where substr(a.text, m.start_char + 1, m.end_char - m.start_char) <> m.text""",
}


class OlderAnalyzer:
    """The real analyzer as an older release would have been: fewer event rules (the first event only)."""

    version = "wirewatch-nlp-0.1.0+older"

    def __init__(self, analyzer) -> None:
        self._analyzer = analyzer

    def analyze_many(self, items, batch_size=24):
        for analysis in self._analyzer.analyze_many(items, batch_size=batch_size):
            yield dataclasses.replace(analysis, events=analysis.events[:1], model_version=self.version)


@pytest.fixture
def settings(migrated_url, tmp_path):
    return Settings(database_url=migrated_url, batch_size=2, host_delay=0.0, home=tmp_path / "home")


def _load_sample(settings, analyzer, tmp_path) -> None:
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.sample_records())
    summary = backfill.backfill_range(settings, parse_source(str(path)), date(2024, 3, 2), date(2024, 3, 4),
                                      options=backfill.BackfillOptions(languages=("en",)), analyzer=analyzer)
    assert summary["counts"]["articles_new"] == 3


def _scalar(settings, query, *params):
    with store.connect(settings) as conn:
        return conn.execute(query, params).fetchone()[0]


def _events(settings):
    with store.connect(settings) as conn:
        return sorted(conn.execute("select article_id, type, sentence, analyzer_version from events").fetchall())


def _assert_no_orphans(settings):
    found = {name: _scalar(settings, query) for name, query in ORPHANS.items()}
    assert found == dict.fromkeys(ORPHANS, 0)


def test_reprocess_analyze_after_a_version_bump_replaces_events(settings, analyzer, tmp_path):
    _load_sample(settings, OlderAnalyzer(analyzer), tmp_path)
    before = _events(settings)
    assert {version for *_rest, version in before} == {OlderAnalyzer.version}
    assert reprocess.stale_batches(settings, "analyze", SINCE, analyzer_version=analyzer.version) == [[1, 2], [3]]

    summary = reprocess.reprocess(settings, SINCE, ["analyze"], analyzer=analyzer)
    assert summary["counts"]["articles_reanalyzed"] == 3
    after = _events(settings)
    assert after != before and len(after) > len(before)
    assert {version for *_rest, version in after} == {analyzer.version}
    assert _scalar(settings, "select count(*) from articles where analyzer_version <> %s", analyzer.version) == 0
    assert _scalar(settings, "select count(*) from events") == summary["counts"]["events"]
    _assert_no_orphans(settings)
    assert _scalar(settings, "select kind || ':' || status from pipeline_runs where run_id = %s",
                   summary["run_id"]) == "reprocess:ok"

    # Nothing is stale any more: a second reprocessing does nothing.
    again = reprocess.reprocess(settings, SINCE, ["analyze"], analyzer=analyzer)
    assert again["counts"].get("articles_reanalyzed", 0) == 0
    assert _events(settings) == after


class StaleAnalyzer:
    """An old release whose rules read every event as a THREATEN with a trigger of its own."""

    version = "wirewatch-nlp-0.0.9+stale"

    def __init__(self, analyzer) -> None:
        self._analyzer = analyzer

    def analyze_many(self, items, batch_size=24):
        for analysis in self._analyzer.analyze_many(items, batch_size=batch_size):
            stale = tuple(dataclasses.replace(e, type="THREATEN", trigger="stale-rule", confidence=0.99)
                          for e in analysis.events)
            yield dataclasses.replace(analysis, events=stale, entities=analysis.entities[:1],
                                      model_version=self.version)


def test_reprocess_analyze_leaves_only_the_new_analyzers_rows(settings, analyzer, tmp_path):
    _load_sample(settings, StaleAnalyzer(analyzer), tmp_path)
    with store.connect(settings) as conn:
        old_ids = {row[0] for row in conn.execute("select event_id from events")}
        dashboards.refresh_views(conn)
        assert conn.execute("select count(*) from dash_events_daily where type <> 'THREATEN'").fetchone()[0] == 0
    assert old_ids

    reprocess.reprocess(settings, SINCE, ["analyze"], analyzer=analyzer)
    with store.connect(settings) as conn:
        stored = conn.execute("select article_id, text, published_at, dateline from articles order by article_id"
                              ).fetchall()
        fresh = dict(zip([row[0] for row in stored],
                         analyzer.analyze_many([(text, published, dateline) for _id, text, published, dateline
                                                in stored]), strict=True))
        for article_id, analysis in fresh.items():
            events = conn.execute("select type, trigger, sent_start, sent_end, sentence, analyzer_version from events "
                                  "where article_id = %s order by seq", (article_id,)).fetchall()
            assert events == [(e.type, e.trigger, e.start, e.end, e.sentence, analyzer.version)
                              for e in analysis.events], article_id
            mentions = conn.execute("select start_char, end_char, text from entity_mentions where article_id = %s "
                                    "order by start_char", (article_id,)).fetchall()
            assert mentions == sorted({(e.start, e.end, e.text) for e in analysis.entities}), article_id
        new_ids = {row[0] for row in conn.execute("select event_id from events")}
        assert new_ids and not new_ids & old_ids
        assert conn.execute("select count(*) from events where trigger = 'stale-rule'").fetchone()[0] == 0
        # the dashboards, once refreshed, count the new events and none of the old ones
        dashboards.refresh_views(conn)
        assert {row[0] for row in conn.execute("select event_id from dash_event_map")} <= new_ids
        assert conn.execute("select coalesce(sum(events), 0) from dash_events_daily").fetchone()[0] == conn.execute(
            "select count(*) from stg_events where is_counted").fetchone()[0]
    _assert_no_orphans(settings)


def test_reprocess_extract_restores_text_from_the_raw_page(settings, analyzer, tmp_path):
    _load_sample(settings, analyzer, tmp_path)
    with store.connect(settings) as conn:
        good = dict(conn.execute("select article_id, text from articles").fetchall())
        # An older extractor that kept a line of navigation in the body.
        conn.execute("""
            update articles set extractor_version = '0.0.1-older', text = 'Home World Sport' || E'\\n\\n' || text,
                   content_hash = encode(sha256(convert_to('Home World Sport' || E'\\n\\n' || text, 'UTF8')), 'hex')
        """)
        conn.commit()
    events_before = _scalar(settings, "select count(*) from events")

    summary = reprocess.reprocess(settings, SINCE, ["extract"], analyzer=analyzer)
    assert summary["counts"]["extracted_changed"] == 3
    assert summary["counts"]["articles_reanalyzed"] == 3
    with store.connect(settings) as conn:
        assert dict(conn.execute("select article_id, text from articles").fetchall()) == good
    assert _scalar(settings, "select count(*) from articles where extractor_version <> %s", EXTRACTOR_VERSION) == 0
    assert _scalar(settings, "select count(*) from events") == events_before
    _assert_no_orphans(settings)


class FailingOn:
    """The real analyzer, except that it raises on one text: an analyzer bug met on one page."""

    def __init__(self, analyzer, text: str) -> None:
        self._analyzer, self._text, self.version = analyzer, text, analyzer.version

    def analyze_many(self, items, batch_size=24):
        items = list(items)
        if any(text == self._text for text, *_rest in items):
            raise RuntimeError("analyzer bug on one page")
        yield from self._analyzer.analyze_many(items, batch_size=batch_size)


def test_reprocess_extract_keeps_old_text_with_old_analysis_when_the_new_text_fails(settings, analyzer, tmp_path):
    _load_sample(settings, analyzer, tmp_path)
    with store.connect(settings) as conn:
        good = dict(conn.execute("select article_id, text from articles").fetchall())
        conn.execute("""
            update articles set extractor_version = '0.0.1-older', text = 'Home World Sport' || E'\\n\\n' || text,
                   content_hash = encode(sha256(convert_to('Home World Sport' || E'\\n\\n' || text, 'UTF8')), 'hex')
        """)
        # the older extraction's own analysis, offsets into its text
        rows = conn.execute("select article_id, text, published_at, dateline from articles").fetchall()
        for article_id, text, published_at, dateline in rows:
            store.replace_analysis(conn, article_id, next(iter(analyzer.analyze_many([(text, published_at, dateline)]))),
                                   analyzer.version)
        conn.commit()
        old = {article_id: text for article_id, text, *_rest in rows}
    _assert_no_orphans(settings)
    failing = min(good)

    summary = reprocess.reprocess(settings, SINCE, ["extract"], analyzer=FailingOn(analyzer, good[failing]))
    assert summary["counts"]["extracted_changed"] == 2 and summary["counts"]["articles_reanalyzed"] == 2
    assert summary["counts"]["pages_failed"] == 1
    with store.connect(settings) as conn:
        texts = dict(conn.execute("select article_id, text from articles").fetchall())
    assert texts == {article_id: old[article_id] if article_id == failing else good[article_id] for article_id in good}
    assert _scalar(settings, "select extractor_version from articles where article_id = %s", failing) == "0.0.1-older"
    _assert_no_orphans(settings)  # the failed article's events still point into its (old) text

    # still stale, so the next reprocessing, with the analyzer fixed, brings it up to date
    again = reprocess.reprocess(settings, SINCE, ["extract"], analyzer=analyzer)
    assert again["counts"]["extracted_changed"] == 1
    with store.connect(settings) as conn:
        assert dict(conn.execute("select article_id, text from articles").fetchall()) == good
    _assert_no_orphans(settings)


def test_reprocess_extract_reads_raw_pages_kept_on_disk(settings, analyzer, tmp_path):
    settings = settings.with_(raw_store=f"dir:{tmp_path / 'raw'}")
    _load_sample(settings, analyzer, tmp_path)
    with store.connect(settings) as conn:
        conn.execute("update articles set extractor_version = '0.0.1-older'")
        conn.commit()
    summary = reprocess.reprocess(settings, SINCE, ["extract"], analyzer=analyzer)
    assert summary["counts"]["extracted_unchanged"] == 3
    assert _scalar(settings, "select count(*) from articles where extractor_version <> %s", EXTRACTOR_VERSION) == 0


def test_reprocess_extract_without_raw_pages_skips_and_says_so(settings, analyzer, tmp_path):
    settings = settings.with_(raw_store="none")
    _load_sample(settings, analyzer, tmp_path)
    with store.connect(settings) as conn:
        conn.execute("update articles set extractor_version = '0.0.1-older'")
        conn.commit()
    summary = reprocess.reprocess(settings, SINCE, ["extract"], analyzer=analyzer)
    assert summary["counts"]["skipped_no_raw_page"] == 3
    assert _scalar(settings, "select count(*) from articles where extractor_version = '0.0.1-older'") == 3


def test_reprocess_only_touches_articles_since_the_date(settings, analyzer, tmp_path):
    _load_sample(settings, OlderAnalyzer(analyzer), tmp_path)
    summary = reprocess.reprocess(settings, date(2024, 3, 3), ["analyze"], analyzer=analyzer)
    assert summary["counts"]["articles_reanalyzed"] == 2  # 3 and 4 March, not 2 March
    assert _scalar(settings, "select count(*) from articles where analyzer_version = %s", OlderAnalyzer.version) == 1


def test_reprocess_refuses_an_unknown_stage(settings):
    with pytest.raises(ConfigError, match="stage 'load'"):
        reprocess.reprocess(settings, SINCE, ["load"])
