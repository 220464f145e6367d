"""Backfilling history, one UTC day at a time: archives in, articles through the live path.

A source is a WARC file or glob (pages already fetched), a sitemap or sitemap index
URL, or an RFC 5005 archived/paged feed URL (article URLs still to fetch):

- WARC pages go straight to the stages the monitor uses after fetching
  (`pipeline.stages`: extract, analyse, bundle, load).
- URLs from sitemaps and feeds are queued in `entries` (source `sitemap` or `feed_archive`)
  and drained by `cycle.process_entry_batch`, the monitor's own fetch-extract-analyse-
  load step, through the monitor's polite fetcher (per-host pacing, Retry-After holds,
  robots.txt).

So there is one extraction and one analysis, and the warehouse's rules for "already
stored" (same canonical URL, same text) apply: a page the monitor already loaded is a
duplicate, never a second row.

Each (source, day) has a row in `backfill_progress`. A day marked done is not redone
(unless forced). For WARC files a cursor (the byte offset after the last record of
each loaded batch) is committed in the same transaction as the batch, so a backfill
killed at any point resumes at the first record it had not stored: every record is
loaded exactly once. URL sources resume through the queue: a rerun walks the
sitemap or feed again (cheap), queues nothing twice, and fetches only what is pending.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pipeline import cycle, stages, store
from pipeline.archives.paged_feeds import walk_feed_pages
from pipeline.archives.raw_pages import RawPageStore
from pipeline.archives.sitemaps import walk_sitemaps
from pipeline.archives.warc import ArchivedPage, RecordFilter, WarcReader, expand_warc_paths
from pipeline.config import Settings
from pipeline.stages import StepResult
from pipeline.errors import ConfigError, DatabaseError
from pipeline.fetch import Fetcher
from pipeline.isolation import describe, isolated
from pipeline.models import ArticleBundle, FeedEntry, Page
from pipeline.store.database import translate_errors
from pipeline.urls import canonicalize_url, is_http_url, url_hash

log = logging.getLogger(__name__)

SOURCE_KINDS = ("warc", "sitemap", "feed")
ENTRY_SOURCES = {"sitemap": "sitemap", "feed": "feed_archive"}
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.wet.gz")
# CC-NEWS-20240302091500-00123.warc.gz: the time the file was started
_FILE_TIMESTAMP = re.compile(r"(?<!\d)(\d{14})(?!\d)")

_BEGIN_DAY = """
insert into backfill_progress as bp (source, day, kind, run_id)
values (%(source)s, %(day)s, %(kind)s, %(run_id)s)
on conflict (source, day) do update
   set attempts = bp.attempts + case when bp.state = 'done' and not %(force)s then 0 else 1 end,
       state = case when bp.state = 'done' and not %(force)s then 'done' else 'running' end,
       finished_at = case when bp.state = 'done' and not %(force)s then bp.finished_at end,
       cursor = case when %(force)s then '{}'::jsonb else bp.cursor end,
       run_id = %(run_id)s, last_error = null, updated_at = now()
returning state, cursor, (xmax = 0) as created
"""
_SAVE_CURSOR = """
update backfill_progress
   set cursor = %(cursor)s, counts = (
         select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from (
           select k, sum(v)::bigint as v from (
             select key as k, value::bigint as v from jsonb_each_text(counts)
             union all
             select key, value::bigint from jsonb_each_text(%(counts)s)
           ) as both_counts group by k
         ) as summed),
       updated_at = now()
 where source = %(source)s and day = %(day)s
"""
_FINISH_DAY = """
update backfill_progress
   set state = %(state)s, last_error = %(error)s, updated_at = now(),
       finished_at = case when %(state)s = 'done' then now() end
 where source = %(source)s and day = %(day)s
"""
_PENDING_OF = """
select entry_id from entries where url_hash = any(%s) and state = 'pending' order by entry_id
"""


@dataclass(frozen=True, slots=True)
class BackfillSource:
    """What to backfill from: `kind` is warc, sitemap or feed; `location` a path, glob or URL."""

    kind: str
    location: str


@dataclass(frozen=True, slots=True)
class BackfillOptions:
    """Choices a backfill run makes: which languages to keep, undated URLs, redoing done days."""

    languages: tuple[str, ...] = ()
    include_undated: bool = False
    force: bool = False


@dataclass(slots=True)
class Progress:
    """Where a backfill is, for a progress bar: `done` of `total` units (bytes or entries)."""

    day: date
    done: int
    total: int | None
    unit: str
    counts: Counter[str] = field(default_factory=Counter)


ProgressCallback = Callable[[Progress], None]


def parse_source(text: str, kind: str | None = None) -> BackfillSource:
    """A source from the command line: `warc:`, `sitemap:` or `feed:` prefix, or guessed.

    An http(s) URL whose path mentions "sitemap" is a sitemap, any other URL a feed;
    anything else is a WARC path or glob.
    """
    text = text.strip()
    for prefix in SOURCE_KINDS:
        if text.startswith(prefix + ":") and not text.startswith(prefix + "://"):
            kind, text = prefix, text[len(prefix) + 1:]
            break
    if kind is None:
        if is_http_url(text):
            kind = "sitemap" if "sitemap" in text.lower().rsplit("?", 1)[0] else "feed"
        else:
            kind = "warc"
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"backfill source kind {kind!r}: use one of {', '.join(SOURCE_KINDS)}")
    if kind in ("sitemap", "feed") and not is_http_url(text):
        raise ConfigError(f"{text}: a {kind} source is an http(s) URL")
    if kind == "warc" and "://" in text:
        raise ConfigError(f"{text}: WARC sources are local files or globs; download the file first")
    if kind == "warc" and not text.lower().endswith(WARC_SUFFIXES) and "*" not in text:
        raise ConfigError(f"{text}: not a WARC file (.warc or .warc.gz), a glob of them, or an http(s) URL")
    return BackfillSource(kind=kind, location=text)


def format_counts(counts: dict[str, int]) -> str:
    """One line with the counts of a backfill a person looks at first."""
    keys = ("days_done", "days_skipped", "days_failed", "records", "pages", "urls_listed", "articles_new",
            "articles_duplicate", "pages_skipped", "pages_failed", "skipped_corrupt", "entities", "events")
    return ", ".join(f"{key}={counts.get(key, 0)}" for key in keys)


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}; swap them")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def backfill_range(settings: Settings, source: BackfillSource, first: date, last: date, *,
                   options: BackfillOptions = BackfillOptions(), analyzer=None,
                   fetcher: Fetcher | None = None, progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Backfill every day of [`first`, `last`] in one recorded run; the run's summary.

    A day that fails with a skip-and-record error is marked failed and the next day
    goes on; a database that is down stops the run.
    """
    if source.kind == "warc":
        expand_warc_paths(source.location)  # no such file: say so before starting a run
    analyzer = analyzer or cycle.get_analyzer(settings)
    run_id = cycle.start_run(settings, "backfill")
    results: list[dict[str, Any]] = []
    try:
        for day in days_between(first, last):
            with isolated("backfill day", f"{source.location} {day}", passthrough=(DatabaseError,)) as unit:
                results.append(backfill_day(settings, source, day, options=options, analyzer=analyzer,
                                            fetcher=fetcher, run_id=run_id, progress=progress))
            if unit.failed:  # that day alone: recorded, and the next day goes on
                failed = StepResult()
                failed.counts["days_failed"] += 1
                failed.errors.append({"url": source.location, "stage": f"backfill {day}", "error": unit.reason})
                results.append(failed.to_dict())
    except BaseException:
        total = StepResult.merged(results)
        with store.connect(settings) as conn:
            store.finish_run(conn, run_id, "failed", dict(total.counts), dict(total.timings), total.errors)
            conn.commit()
        raise
    return cycle.finish_run(settings, run_id, results)


def backfill_day(settings: Settings, source: BackfillSource, day: date, *,
                 options: BackfillOptions = BackfillOptions(), analyzer=None, fetcher: Fetcher | None = None,
                 run_id: int | None = None, progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Backfill one UTC day of `source`; a `StepResult` dict (what a DAG task returns)."""
    result = StepResult()
    with store.connect(settings) as conn:
        state, cursor = _begin_day(conn, source, day, run_id, options.force)
        conn.commit()
    if state == "done":
        log.info("backfill %s %s: already done", source.location, day)
        result.counts["days_skipped"] += 1
        return result.to_dict()
    log.info("backfill %s %s: started", source.location, day)
    try:
        if source.kind == "warc":
            _backfill_warc(settings, source, day, cursor, options, analyzer, run_id, progress, result)
        else:
            _backfill_urls(settings, source, day, options, analyzer, fetcher, run_id, progress, result)
    except Exception as exc:  # recorded on the day's row (any error: a bug too), then raised to the caller
        if not isinstance(exc, DatabaseError):
            with store.connect(settings) as conn:
                _finish_day(conn, source, day, "failed", describe(exc))
                conn.commit()
        log.warning("backfill %s %s failed: %s", source.location, day, describe(exc))
        raise
    with store.connect(settings) as conn:
        _finish_day(conn, source, day, "done", None)
        conn.commit()
    result.counts["days_done"] += 1
    log.info("backfill %s %s: done (%s)", source.location, day, format_counts(result.counts))
    return result.to_dict()


# --- WARC files ---------------------------------------------------------------------------


def select_warc_files(paths: Sequence[Path], day: date) -> list[Path]:
    """The files that can hold captures of `day`, judged by the timestamps in their names.

    CC-NEWS-style names carry the time the file was started, so a file holds captures
    from its own timestamp to the next file's. Files without one are all kept.
    """
    stamped: list[tuple[datetime, Path]] = []
    unstamped: list[Path] = []
    for path in paths:
        match = _FILE_TIMESTAMP.search(path.name)
        try:
            when = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) if match else None
        except ValueError:
            when = None
        if when is None:
            unstamped.append(path)
        else:
            stamped.append((when, path))
    stamped.sort()
    start, end = _day_bounds(day)
    chosen = [path for i, (when, path) in enumerate(stamped)
              if when < end and (i + 1 == len(stamped) or stamped[i + 1][0] > start)]
    return sorted(unstamped) + chosen


def _backfill_warc(settings: Settings, source: BackfillSource, day: date, cursor: dict[str, Any],
                   options: BackfillOptions, analyzer, run_id: int | None, progress: ProgressCallback | None,
                   result: StepResult) -> None:
    analyzer = analyzer or cycle.get_analyzer(settings)
    raw_store = RawPageStore(settings)
    start, end = _day_bounds(day)
    record_filter = RecordFilter(start=start, end=end, languages=options.languages,
                                 max_bytes=settings.max_body_bytes)
    paths = select_warc_files(expand_warc_paths(source.location), day)
    offsets: dict[str, int] = dict(cursor.get("files", {}))
    finished: list[str] = list(cursor.get("finished", []))
    sizes = {str(p): p.stat().st_size for p in paths}
    total = sum(sizes.values())
    report = Progress(day=day, done=0, total=total, unit="bytes", counts=result.counts)

    with store.connect(settings) as conn:
        for path in paths:
            name = str(path)
            if name in finished:
                continue
            reader = WarcReader(path, record_filter, start_offset=offsets.get(name, 0))
            batch: list[ArchivedPage] = []
            seen = Counter()
            started = time.perf_counter()
            for item in reader:
                batch.append(item)
                if len(batch) >= settings.batch_size:
                    result.timings["read_s"] += time.perf_counter() - started
                    offsets[name] = batch[-1].end_offset or batch[-1].offset
                    _commit_pages(conn, settings, source, day, batch, analyzer, raw_store, run_id, result,
                                  {"files": offsets, "finished": finished}, options, reader.counts - seen)
                    seen = Counter(reader.counts)
                    batch = []
                    _report(progress, report, sizes, finished, name, offsets[name])
                    started = time.perf_counter()
            result.timings["read_s"] += time.perf_counter() - started
            finished.append(name)
            offsets.pop(name, None)
            _commit_pages(conn, settings, source, day, batch, analyzer, raw_store, run_id, result,
                          {"files": offsets, "finished": finished}, options, reader.counts - seen)
            _report(progress, report, sizes, finished, name, 0)
            log.info("backfill %s %s: %s read: %s", source.location, day, name, dict(reader.counts))


def _report(progress: ProgressCallback | None, report: Progress, sizes: dict[str, int],
            finished: list[str], current: str, offset: int) -> None:
    if progress is None:
        return
    report.done = sum(sizes.get(name, 0) for name in finished) + (offset if current not in finished else 0)
    progress(report)


def _commit_pages(conn: psycopg.Connection, settings: Settings, source: BackfillSource, day: date,
                  batch: Sequence[ArchivedPage], analyzer, raw_store: RawPageStore, run_id: int | None,
                  result: StepResult, cursor: dict[str, Any], options: BackfillOptions,
                  read_counts: Counter[str]) -> None:
    """Extract, analyse and load one batch of archived pages, and move the cursor past it, atomically."""
    step = StepResult()
    step.counts.update({k: v for k, v in read_counts.items() if v > 0})
    pages = [item.page for item in batch]
    bundles = build_bundles(conn, pages, analyzer, raw_store, step, settings=settings,
                            languages=options.languages)
    with isolated("backfill batch", f"{len(bundles)} records of {source.location}") as whole:
        with translate_errors(f"loading a backfill batch of {source.location}"), conn.transaction():
            stages.load_bundles(conn, [bundle for bundle, _page in bundles], [page for _b, page in bundles],
                                raw_store, step, run_id=run_id)
            _save_cursor(conn, source, day, cursor, step)
        conn.commit()
    if whole.failed:  # the batch was refused: each record alone, so one bad record fails alone
        conn.rollback()
        for bundle, page in bundles:
            with isolated("record", page.url) as unit, conn.transaction():
                stages.load_bundles(conn, [bundle], [page], raw_store, step, run_id=run_id)
            if unit.failed:
                step.counts["pages_failed"] += 1
                step.errors.append({"url": page.url, "stage": "load", "error": unit.reason})
        with translate_errors(f"saving the backfill cursor of {source.location}"), conn.transaction():
            _save_cursor(conn, source, day, cursor, step)
        conn.commit()
    result.counts.update(step.counts)
    result.timings.update(step.timings)
    result.errors.extend(step.errors)


def _save_cursor(conn: psycopg.Connection, source: BackfillSource, day: date, cursor: dict[str, Any],
                 step: StepResult) -> None:
    conn.execute(_SAVE_CURSOR, {"cursor": Jsonb(cursor), "counts": Jsonb(dict(step.counts)),
                                "source": source.location, "day": day})


def build_bundles(conn: psycopg.Connection, pages: Sequence[Page], analyzer, raw_store: RawPageStore,
                  result: StepResult, *, settings: Settings | None = None,
                  languages: tuple[str, ...] = ()) -> list[tuple[ArticleBundle, Page]]:
    """Pages already in hand to bundles ready to load, through the live path's stages.

    Pages whose URL the warehouse already has are left out before any work (counted
    `articles_duplicate`), as are pages that are not articles or not in `languages`.
    """
    keys = [url_hash(canonicalize_url(page.url)) for page in pages]
    known = store.known_article_hashes(conn, keys)
    fresh = [page for page, key in zip(pages, keys, strict=True) if key not in known]
    result.counts["articles_duplicate"] += len(pages) - len(fresh)
    extracted = stages.extract_pages(fresh, result, settings=settings, languages=languages)
    analyses = stages.analyze_articles(
        analyzer,
        [(article.text, article.published_at or fresh[i].fetched_at.isoformat(), article.dateline)
         for i, article in extracted],
        [fresh[i].url for i, _article in extracted], result)
    return [(stages.make_bundle(fresh[i], article, analysis, analyzer.version, raw_store), fresh[i])
            for (i, article), analysis in zip(extracted, analyses, strict=True) if analysis is not None]


# --- sitemaps and archived feeds ----------------------------------------------------------


def _backfill_urls(settings: Settings, source: BackfillSource, day: date, options: BackfillOptions,
                   analyzer, fetcher: Fetcher | None, run_id: int | None,
                   progress: ProgressCallback | None, result: StepResult) -> None:
    start, end = _day_bounds(day)
    own = cycle.polite_fetcher(settings) if fetcher is None else None
    polite = fetcher or own
    try:
        skipped: list[tuple[str, str]] = []
        started = time.perf_counter()
        entries = list(_walk(polite, source, start, end, options, skipped))
        result.timings["walk_s"] += time.perf_counter() - started
        for url, reason in skipped:
            result.counts["documents_skipped"] += 1
            result.errors.append({"url": url, "stage": source.kind, "error": reason})
        pairs = [(entry, url_hash(canonicalize_url(entry.link))) for entry in entries]
        with store.connect(settings) as conn:
            result.counts["entries_new"] += store.add_entries(conn, None, pairs, source=ENTRY_SOURCES[source.kind])
            with translate_errors("selecting backfill entries"):
                pending = [row[0] for row in conn.execute(_PENDING_OF, ([key for _e, key in pairs],))]
            conn.commit()
        result.counts["urls_listed"] += len(pairs)
        report = Progress(day=day, done=0, total=len(pending), unit="entries", counts=result.counts)
        for batch in cycle.chunk(pending, settings.batch_size):
            step = cycle.process_entry_batch(settings, batch, run_id, fetcher=polite,
                                             analyzer=analyzer or cycle.get_analyzer(settings))
            merged = StepResult.merged([step])
            result.counts.update(merged.counts)
            result.timings.update(merged.timings)
            result.errors.extend(merged.errors)
            with store.connect(settings) as conn:
                conn.execute(_SAVE_CURSOR, {"cursor": Jsonb({"entries_left": len(pending) - report.done - len(batch)}),
                                            "counts": Jsonb(dict(merged.counts)), "source": source.location,
                                            "day": day})
                conn.commit()
            if progress is not None:
                report.done += len(batch)
                progress(report)
    finally:
        if own is not None:
            own.close()


def _walk(fetcher: Fetcher, source: BackfillSource, start: datetime, end: datetime,
          options: BackfillOptions, skipped: list[tuple[str, str]]) -> Iterable[FeedEntry]:
    fetch = lambda url: fetcher.fetch(url, kind="feed")  # noqa: E731
    if source.kind == "sitemap":
        for item in walk_sitemaps(fetch, source.location, start=start, end=end,
                                  include_undated=options.include_undated, skipped=skipped):
            if options.languages and item.language and item.language[:2].lower() not in options.languages:
                continue
            yield FeedEntry(feed_url=source.location, link=item.loc, title=item.title,
                            published_at=item.when)
    else:
        yield from walk_feed_pages(fetch, source.location, start=start, end=end,
                                   include_undated=options.include_undated, skipped=skipped)


# --- bookkeeping --------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def _begin_day(conn: psycopg.Connection, source: BackfillSource, day: date, run_id: int | None,
               force: bool) -> tuple[str, dict[str, Any]]:
    with translate_errors(f"starting the backfill of {source.location} for {day}"):
        state, cursor, _created = conn.execute(_BEGIN_DAY, {"source": source.location, "day": day,
                                                            "kind": source.kind, "run_id": run_id,
                                                            "force": force}).fetchone()
    return state, cursor or {}


def _finish_day(conn: psycopg.Connection, source: BackfillSource, day: date, state: str,
                error: str | None) -> None:
    with translate_errors(f"recording the backfill of {source.location} for {day}"):
        conn.execute(_FINISH_DAY, {"state": state, "error": error, "source": source.location, "day": day})


def progress_rows(conn: psycopg.Connection, source: str | None = None) -> list[dict[str, Any]]:
    """The `backfill_progress` rows (of one source), by source and day: for reports and tests."""
    query = "select source, day, kind, state, cursor, counts, attempts, last_error from backfill_progress"
    params: tuple[Any, ...] = ()
    if source is not None:
        query += " where source = %s"
        params = (source,)
    with translate_errors("reading backfill progress"), conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(query + " order by source, day", params).fetchall()
