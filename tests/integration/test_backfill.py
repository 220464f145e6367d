"""Backfill through real components: WARC files written by warcio, a loopback news site
with sitemaps and an archived feed, trafilatura, spaCy, and a real PostgreSQL."""

from __future__ import annotations

import gzip
import logging
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.flows import backfill
from pipeline.flows.backfill import BackfillOptions, BackfillSource, parse_source

from fixture_modules import fixture_module

pytestmark = pytest.mark.slow


warcs = fixture_module("archives/warcs.py")
site = fixture_module("archives/site.py")

ENGLISH = ("en",)


@pytest.fixture
def settings(migrated_url, tmp_path):
    return Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), batch_size=3,
                    host_delay=0.0, home=tmp_path / "home")


def _scalar(settings, query, *params):
    with store.connect(settings) as conn:
        return conn.execute(query, params).fetchone()[0]


def _progress(settings, source):
    with store.connect(settings) as conn:
        return {row.day: row for row in store.backfill_progress(conn, source)}


@pytest.mark.parametrize(
    ("text", "kind", "location"),
    [
        ("/data/CC-NEWS-*.warc.gz", "warc", "/data/CC-NEWS-*.warc.gz"),
        ("crawl.warc", "warc", "crawl.warc"),
        ("https://example.org/sitemap_index.xml", "sitemap", "https://example.org/sitemap_index.xml"),
        ("https://example.org/feeds/world.xml", "feed", "https://example.org/feeds/world.xml"),
        ("feed:https://example.org/sitemap-like.xml", "feed", "https://example.org/sitemap-like.xml"),
    ],
)
def test_parse_source_guesses_the_kind(text, kind, location):
    assert parse_source(text) == BackfillSource(kind, location)


@pytest.mark.parametrize("text", ["notes.txt", "sitemap:/local/file.xml", "ftp://example.org/a.warc"])
def test_parse_source_refuses_what_it_cannot_read(text):
    with pytest.raises(ConfigError):
        parse_source(text)


def test_select_warc_files_by_timestamp_in_name():
    names = [Path(f"CC-NEWS-{stamp}-0000{i}.warc.gz") for i, stamp in
             enumerate(["20240301180000", "20240302060000", "20240302200000", "20240303070000"])]
    chosen = backfill.select_warc_files(names + [Path("own.warc.gz")], date(2024, 3, 2))
    assert [p.name for p in chosen] == ["own.warc.gz", names[0].name, names[1].name, names[2].name]


def test_backfill_warc_loads_each_day_once(settings, analyzer, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.sample_records())
    source = parse_source(str(path))
    summary = backfill.backfill_range(settings, source, date(2024, 3, 2), date(2024, 3, 4),
                                      options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    counts = summary["counts"]
    assert counts["articles_new"] == 3 and counts["days_done"] == 3
    assert counts["skipped_language"] == 1 and counts["skipped_status"] == 1
    assert _scalar(settings, "select count(*) from articles") == 3
    assert _scalar(settings, "select count(*) from events") == counts["events"] > 0
    assert _scalar(settings, "select count(*) from raw_pages where stored_in = 'database'") == 3
    assert _scalar(settings, "select count(*) from articles where raw_page_hash is null") == 0
    rows = _progress(settings, str(path))
    assert [rows[d].state for d in sorted(rows)] == ["done", "done", "done"]
    run = _scalar(settings, "select kind || ':' || status from pipeline_runs where run_id = %s", summary["run_id"])
    assert run == "backfill:ok"

    again = backfill.backfill_range(settings, source, date(2024, 3, 2), date(2024, 3, 4),
                                    options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    assert again["counts"].get("days_skipped") == 3 and again["counts"].get("articles_new", 0) == 0

    forced = backfill.backfill_range(settings, source, date(2024, 3, 3), date(2024, 3, 3),
                                     options=BackfillOptions(languages=ENGLISH, force=True), analyzer=analyzer)
    assert forced["counts"]["articles_duplicate"] == 1 and forced["counts"].get("articles_new", 0) == 0
    assert _scalar(settings, "select count(*) from articles") == 3


def test_backfill_killed_midway_resumes_and_loads_every_record_once(settings, analyzer, tmp_path):
    path = tmp_path / "day.warc.gz"
    records = warcs.variant_records(10)
    warcs.write_warc(path, records)
    source = parse_source(str(path))
    day = date(2024, 3, 2)
    calls = []

    def killed_after_two_batches(progress):
        calls.append(progress.done)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C or a dying worker does mid-way

    with pytest.raises(KeyboardInterrupt):
        backfill.backfill_range(settings, source, day, day, analyzer=analyzer, progress=killed_after_two_batches)
    assert _scalar(settings, "select count(*) from articles") == 6  # two batches of three committed
    interrupted = _progress(settings, str(path))[day]
    assert interrupted.state == "running"
    assert interrupted.cursor["files"][str(path)] > 0
    assert _scalar(settings, "select status from pipeline_runs order by run_id desc limit 1") == "failed"

    resumed = backfill.backfill_range(settings, source, day, day, analyzer=analyzer)
    assert resumed["counts"]["articles_new"] == 4
    assert resumed["counts"].get("articles_duplicate", 0) == 0  # resumed past the stored records
    assert _scalar(settings, "select count(*) from articles") == 10
    assert _scalar(settings, "select count(distinct url) from articles") == 10
    assert sorted(r[0] for r in _rows(settings, "select url from articles")) == sorted(r.url for r in records)
    row = _progress(settings, str(path))[day]
    assert row.state == "done" and row.attempts == 2


def _rows(settings, query):
    with store.connect(settings) as conn:
        return conn.execute(query).fetchall()


def test_backfill_skips_a_corrupt_record_and_loads_the_rest(settings, analyzer, tmp_path, caplog):
    path = tmp_path / "damaged.warc.gz"
    offsets = warcs.write_warc(path, warcs.sample_records())
    data = bytearray(path.read_bytes())
    middle = (offsets[1] + offsets[2]) // 2  # inside the bombing record's gzip member
    data[middle:middle + 8] = b"\x00" * 8
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="pipeline.archives.warc"):
        summary = backfill.backfill_range(settings, parse_source(str(path)), date(2024, 3, 2), date(2024, 3, 4),
                                          options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    assert summary["counts"]["skipped_corrupt"] == 1  # met once: the file is read once for the window
    assert summary["counts"]["articles_new"] == 2
    titles = {r[0] for r in _rows(settings, "select title from articles")}
    assert not any("Car bomb" in (t or "") for t in titles)
    assert any(f"byte {offsets[1]}" in r.getMessage() for r in caplog.records)


def test_backfill_sitemap_index_day_by_day(settings, analyzer, httpserver):
    base = site.serve_archive_site(httpserver)
    source = parse_source(f"{base}/sitemap_index.xml")
    first = backfill.backfill_day(settings, source, date(2024, 3, 2), analyzer=analyzer)
    assert first["counts"]["articles_new"] == 1
    assert first["counts"]["documents_skipped"] == 1  # /sitemaps/missing.xml
    assert any("missing.xml" in e["url"] for e in first["errors"])
    assert _scalar(settings, "select count(*) from entries where source = 'sitemap'") == 1
    second = backfill.backfill_day(settings, source, date(2024, 3, 3), analyzer=analyzer)
    assert second["counts"]["articles_new"] == 1
    assert _scalar(settings, "select count(*) from articles") == 2
    again = backfill.backfill_day(settings, source, date(2024, 3, 3), analyzer=analyzer,
                                  options=BackfillOptions(force=True))
    assert again["counts"].get("articles_new", 0) == 0 and again["counts"].get("entries_new", 0) == 0


def test_backfill_archived_feed_then_warc_makes_no_duplicates(settings, analyzer, httpserver, tmp_path):
    base = site.serve_archive_site(httpserver)
    summary = backfill.backfill_range(settings, parse_source(f"{base}/feeds/world.xml"),
                                      date(2024, 3, 2), date(2024, 3, 4), analyzer=analyzer)
    assert summary["counts"]["articles_new"] == 3
    assert _scalar(settings, "select count(*) from entries where source = 'feed_archive'") == 3

    # The same articles again from a crawl (under their canonical URLs): nothing new.
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.sample_records())
    again = backfill.backfill_range(settings, parse_source(str(path)), date(2024, 3, 2), date(2024, 3, 4),
                                    options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    assert again["counts"].get("articles_new", 0) == 0
    assert again["counts"]["articles_duplicate"] == 3
    assert _scalar(settings, "select count(*) from articles") == 3


def test_backfill_keeps_raw_pages_on_disk_when_configured(settings, analyzer, tmp_path):
    raw_dir = tmp_path / "raw"
    settings = settings.with_(raw_store=f"dir:{raw_dir}")
    path = tmp_path / "crawl.warc"
    warcs.write_warc(path, warcs.sample_records(), gzip=False)
    backfill.backfill_day(settings, parse_source(str(path)), date(2024, 3, 2), analyzer=analyzer)
    key = _scalar(settings, "select raw_page_hash from articles")
    assert _scalar(settings, "select stored_in from raw_pages where content_hash = %s", key) == "dir"
    kept = raw_dir / key[:2] / f"{key}.gz"
    assert gzip.decompress(kept.read_bytes()) == warcs.page("bombing")


class _BuggyOn:
    """The real analyzer with a bug met on one text (as dateparser's OverflowError on odd dates)."""

    def __init__(self, analyzer, marker: str) -> None:
        self._analyzer = analyzer
        self._marker = marker
        self.version = analyzer.version

    def analyze_many(self, items, batch_size=24):
        items = list(items)
        if any(self._marker in text for text, _published, _dateline in items):
            raise OverflowError("date value out of range")
        yield from self._analyzer.analyze_many(items, batch_size=batch_size)


def test_backfill_records_a_page_the_analyzer_fails_on_and_loads_the_rest(settings, analyzer, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.variant_records(2) + [warcs.article_record("protest", date="2024-03-02T12:00:00Z")])
    summary = backfill.backfill_range(settings, parse_source(str(path)), date(2024, 3, 2), date(2024, 3, 2),
                                      analyzer=_BuggyOn(analyzer, "Santiago"))
    assert summary["counts"]["articles_new"] == 2 and summary["counts"]["pages_failed"] == 1
    assert [e["stage"] for e in summary["errors"]] == ["analyze"]
    assert "santiago" in summary["errors"][0]["url"] and "OverflowError" in summary["errors"][0]["error"]
    assert _scalar(settings, "select count(*) from articles where title like '%%Santiago%%'") == 0


def test_backfill_process_killed_with_sigkill_resumes_exactly_once(settings, analyzer, tmp_path):
    """`wirewatch backfill` killed -9 between batches; the rerun loads the rest, each record once."""
    import os
    import signal
    import subprocess
    import time

    path = tmp_path / "day.warc.gz"
    records = warcs.variant_records(24)
    warcs.write_warc(path, records)
    env = {**os.environ, "WIREWATCH_DATABASE_URL": settings.database_url, "WIREWATCH_BATCH_SIZE": "2"}
    script = Path(sys.executable).with_name("wirewatch")
    child = subprocess.Popen([str(script), "backfill", str(path), "--from", "2024-03-02", "--to", "2024-03-02"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if _scalar(settings, "select count(*) from articles") >= 4:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(30)
    stored = _scalar(settings, "select count(*) from articles")
    assert 4 <= stored < 24, "the backfill was not stopped mid-way"
    assert _progress(settings, str(path))[date(2024, 3, 2)].state == "running"

    resumed = backfill.backfill_range(settings, parse_source(str(path)), date(2024, 3, 2), date(2024, 3, 2),
                                      analyzer=analyzer)
    assert resumed["counts"]["articles_new"] == 24 - stored
    assert resumed["counts"].get("articles_duplicate", 0) == 0
    assert _scalar(settings, "select count(*) from articles") == 24
    assert _scalar(settings, "select count(distinct url) from articles") == 24


# --- one read of a file, whatever the window --------------------------------------------------


def test_backfill_thirty_year_window_reads_the_file_once(settings, analyzer, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    warcs.write_warc(path, warcs.sample_records())  # a warcinfo record, then 7 records over 3 days
    source = parse_source(str(path))
    first, last = date(2000, 1, 1), date(2030, 1, 1)
    summary = backfill.backfill_range(settings, source, first, last,
                                      options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    counts = summary["counts"]
    assert counts["records"] == 8 and counts["files_indexed"] == 1  # every record read once, by one pass
    assert counts["articles_new"] == 3 and counts["days_done"] == 3
    assert counts["days_empty"] == (last - first).days + 1 - 3
    assert sorted(_progress(settings, str(path))) == [date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)]
    assert _rows(settings, "select records, days from warc_indexes") == [(8, 3)]
    assert dict(_rows(settings, "select day::text, cardinality(offsets) from warc_index_days")) == {
        "2024-03-02": 2, "2024-03-03": 3, "2024-03-04": 1}  # the 404 and the image are listed; the request is not

    again = backfill.backfill_range(settings, source, first, last,
                                    options=BackfillOptions(languages=ENGLISH), analyzer=analyzer)
    assert again["counts"].get("records", 0) == 0  # every day done: the index says so without reading
    assert again["counts"]["days_skipped"] == 3 and again["counts"]["files_from_index"] == 1


def test_backfill_day_by_day_reads_the_file_once_then_seeks(settings, analyzer, tmp_path):
    """What the per-day DAG does: the first day's task reads the file (and indexes it); the
    others read only their own records; a day without records reads nothing and leaves no row."""
    path = tmp_path / "crawl.warc"
    warcs.write_warc(path, warcs.sample_records(), gzip=False)
    source = parse_source(str(path))
    options = BackfillOptions(languages=ENGLISH)
    first = backfill.backfill_day(settings, source, date(2024, 3, 3), options=options, analyzer=analyzer)
    assert first["counts"]["records"] == 8 and first["counts"]["files_indexed"] == 1
    assert first["counts"]["articles_new"] == 1 and first["counts"]["skipped_language"] == 1

    second = backfill.backfill_day(settings, source, date(2024, 3, 2), options=options, analyzer=analyzer)
    assert second["counts"]["files_from_index"] == 1 and second["counts"].get("files_indexed", 0) == 0
    assert second["counts"]["records"] == 2  # the bombing and the image, nothing else
    assert second["counts"]["articles_new"] == 1 and second["counts"]["days_done"] == 1

    empty = backfill.backfill_day(settings, source, date(2024, 3, 9), options=options, analyzer=analyzer)
    assert empty["counts"] == {"days_empty": 1, "files_from_index": 1}  # no record read
    assert date(2024, 3, 9) not in _progress(settings, str(path))
    assert _scalar(settings, "select count(*) from articles") == 2

    path.write_bytes(path.read_bytes() + b"\r\n")  # the file changed: its index is stale, read it again
    redo = backfill.backfill_day(settings, source, date(2024, 3, 4), options=options, analyzer=analyzer)
    assert redo["counts"]["files_indexed"] == 1 and redo["counts"]["records"] == 8
    assert redo["counts"]["articles_new"] == 1


def test_backfill_wide_window_interrupted_resumes_and_loads_nothing_twice(settings, analyzer, tmp_path):
    """Two days interleaved in one file: both days' cursors move as their batches commit; an
    interrupted pass, rerun over the same wide window, loads only what each day lacked."""
    import dataclasses

    path = tmp_path / "two-days.warc.gz"
    records = [dataclasses.replace(record, date=record.date.replace("2024-03-02", "2024-03-05"))
               if n % 2 else record for n, record in enumerate(warcs.variant_records(10))]
    warcs.write_warc(path, records)
    source = parse_source(str(path))
    calls = []

    def killed_after_two_batches(progress):
        calls.append(progress.day)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill.backfill_range(settings, source, date(2000, 1, 1), date(2030, 1, 1), analyzer=analyzer,
                                progress=killed_after_two_batches)
    assert calls == [date(2024, 3, 2), date(2024, 3, 5)]  # one batch of three for each day
    assert _scalar(settings, "select count(*) from articles") == 6
    assert _scalar(settings, "select count(*) from warc_indexes") == 0  # a pass cut short indexes nothing
    rows = _progress(settings, str(path))
    assert {day: row.state for day, row in rows.items()} == {date(2024, 3, 2): "running",
                                                                date(2024, 3, 5): "running"}

    resumed = backfill.backfill_range(settings, source, date(2000, 1, 1), date(2030, 1, 1), analyzer=analyzer)
    assert resumed["counts"]["records"] == 11  # the warcinfo record and the ten pages, once each
    assert resumed["counts"]["articles_new"] == 4
    assert resumed["counts"].get("articles_duplicate", 0) == 0  # nothing loaded before was read into a batch
    assert resumed["counts"]["days_done"] == 2
    assert sorted(r[0] for r in _rows(settings, "select url from articles")) == sorted(r.url for r in records)
    assert all(row.state == "done" and row.attempts == 2 for row in _progress(settings, str(path)).values())
