"""Backfilling history, one UTC day at a time: archives in, articles through the live path.

A source is a WARC file or glob (pages already fetched), a sitemap or sitemap index
URL, or an RFC 5005 archived/paged feed URL (article URLs still to fetch):

- WARC pages go straight to the stages the monitor uses after fetching
  (`pipeline.flows.stages`: extract, analyse, bundle, load).
- URLs from sitemaps and feeds are queued in `entries` (source `sitemap` or `feed_archive`)
  and drained by `cycle.process_entry_batch`, the monitor's own fetch-extract-analyse-
  load step, through the monitor's polite fetcher (per-host pacing, Retry-After holds,
  robots.txt).

So there is one extraction and one analysis, and the warehouse's rules for "already
stored" (same canonical URL, same text) apply: a page the monitor already loaded is a
duplicate, never a second row.

Each (source, day) has a row in `backfill_progress`. A day marked done is not redone
(unless forced). A WARC file is read once whatever the window: its pages are routed
to their day as they come, and the pass records where each day's records sit
(`warc_indexes`, `warc_index_days`), so a later window or a per-day DAG task reads
only its days' records, and a day without records costs nothing. For each day and
file a cursor (the byte offset after the last record of each loaded batch) is
committed in the same transaction as the batch, so a backfill killed at any point
resumes at the first record of each day it had not stored: every record is loaded
exactly once. URL sources resume through the queue: a rerun walks the
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

from pipeline import store
from pipeline.archives.paged_feeds import walk_feed_pages
from pipeline.archives.raw_pages import RawPageStore
from pipeline.archives.sitemaps import walk_sitemaps
from pipeline.archives.warc import ArchivedPage, RecordFilter, WarcReader, expand_warc_paths
from pipeline.archives.warc_index import IndexBuilder
from pipeline.models import FileIdentity, WarcDayIndex
from pipeline.config import Settings
from pipeline.errors import ConfigError, DatabaseError, describe
from pipeline.flows import cycle, stages
from pipeline.flows.isolation import isolated
from pipeline.flows.runs import chunk, get_analyzer, polite_fetcher, recorded_run
from pipeline.flows.stages import StepResult
from pipeline.http.fetch import Fetcher
from pipeline.http.urls import canonicalize_url, is_http_url, url_hash
from pipeline.models import ArticleBundle, FeedEntry, Page
from pipeline.store.database import translate_errors
from pipeline.store.warc_index import load_warc_index, save_warc_index

log = logging.getLogger(__name__)

SOURCE_KINDS = ("warc", "sitemap", "feed")
ENTRY_SOURCES = {"sitemap": "sitemap", "feed": "feed_archive"}
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.wet.gz")
# CC-NEWS-20240302091500-00123.warc.gz: the time the file was started
_FILE_TIMESTAMP = re.compile(r"(?<!\d)(\d{14})(?!\d)")


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
    keys = ("days_done", "days_skipped", "days_failed", "days_empty", "records", "pages", "urls_listed", "articles_new",
            "articles_duplicate", "pages_skipped", "pages_failed", "skipped_corrupt", "entities", "events")
    return ", ".join(f"{key}={counts.get(key, 0)}" for key in keys)


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    _check_window(first, last)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _check_window(first: date, last: date) -> None:
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}; swap them")


def backfill_range(settings: Settings, source: BackfillSource, first: date, last: date, *,
                   options: BackfillOptions = BackfillOptions(), analyzer=None,
                   fetcher: Fetcher | None = None, progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Backfill every day of [`first`, `last`] in one recorded run; the run's summary.

    WARC files are read once for the whole window (see `_backfill_warc`). For URL
    sources, a day that fails with a skip-and-record error is marked failed and the
    next day goes on. A database that is down stops the run.
    """
    if source.kind == "warc":
        expand_warc_paths(source.location)  # no such file: say so before starting a run
    _check_window(first, last)
    url_days = days_between(first, last) if source.kind != "warc" else []  # a WARC window is never walked day by day
    analyzer = analyzer or get_analyzer(settings)
    with recorded_run(settings, "backfill") as run:
        run_id, results = run.run_id, run.results
        if source.kind == "warc":
            walked = StepResult()
            with isolated("backfill window", f"{source.location} {first}..{last}",
                          passthrough=(DatabaseError,)) as window:
                _backfill_warc(settings, source, first, last, options, analyzer, run_id, progress, walked)
            if window.failed:
                walked.errors.append({"url": source.location, "stage": f"backfill {first}..{last}",
                                      "error": window.reason})
            results.append(walked.to_dict())
        for day in url_days:
            with isolated("backfill day", f"{source.location} {day}", passthrough=(DatabaseError,)) as unit:
                results.append(backfill_day(settings, source, day, options=options, analyzer=analyzer,
                                            fetcher=fetcher, run_id=run_id, progress=progress))
            if unit.failed:  # that day alone: recorded, and the next day goes on
                failed = StepResult()
                failed.counts["days_failed"] += 1
                failed.errors.append({"url": source.location, "stage": f"backfill {day}", "error": unit.reason})
                results.append(failed.to_dict())
    return run.summary


def backfill_day(settings: Settings, source: BackfillSource, day: date, *,
                 options: BackfillOptions = BackfillOptions(), analyzer=None, fetcher: Fetcher | None = None,
                 run_id: int | None = None, progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Backfill one UTC day of `source`; a `StepResult` dict (what a DAG task returns)."""
    result = StepResult()
    if source.kind == "warc":
        _backfill_warc(settings, source, day, day, options, analyzer, run_id, progress, result)
        return result.to_dict()
    with store.connect(settings) as conn:
        state, _cursor = store.begin_backfill_day(conn, source.location, day, source.kind, run_id, options.force)
        conn.commit()
    if state == "done":
        log.info("backfill %s %s: already done", source.location, day)
        result.counts["days_skipped"] += 1
        return result.to_dict()
    log.info("backfill %s %s: started", source.location, day)
    try:
        _backfill_urls(settings, source, day, options, analyzer, fetcher, run_id, progress, result)
    except Exception as exc:  # recorded on the day's row (any error: a bug too), then raised to the caller
        if not isinstance(exc, DatabaseError):
            with store.connect(settings) as conn:
                store.finish_backfill_day(conn, source.location, day, "failed", describe(exc))
                conn.commit()
        log.warning("backfill %s %s failed: %s", source.location, day, describe(exc))
        raise
    with store.connect(settings) as conn:
        store.finish_backfill_day(conn, source.location, day, "done", None)
        conn.commit()
    result.counts["days_done"] += 1
    log.info("backfill %s %s: done (%s)", source.location, day, format_counts(result.counts))
    return result.to_dict()


# --- WARC files ---------------------------------------------------------------------------


def select_warc_files(paths: Sequence[Path], day: date, last: date | None = None) -> list[Path]:
    """The files that can hold captures of the days [`day`, `last`] (`last` defaults to `day`),
    judged by the timestamps in their names.

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
    start, end = _day_bounds(day)[0], _day_bounds(last or day)[1]
    chosen = [path for i, (when, path) in enumerate(stamped)
              if when < end and (i + 1 == len(stamped) or stamped[i + 1][0] > start)]
    return sorted(unstamped) + chosen


def _backfill_warc(settings: Settings, source: BackfillSource, first: date, last: date,
                   options: BackfillOptions, analyzer, run_id: int | None, progress: ProgressCallback | None,
                   result: StepResult) -> None:
    """Backfill the days [`first`, `last`] of WARC files, reading each file once.

    A file read before (and unchanged since) is read through its day index, only at
    the offsets of the window's days; any other file is read once from its start, each
    page routed to its day's progress as it comes, and indexed on the way. A day is
    done when every file is; a day without records gets no row and costs nothing. On
    a skip-and-record error the days begun are marked failed and the error is raised.
    """
    with store.connect(settings) as conn:
        walk = _WarcWindow(conn, settings, source, first, last, options,
                           analyzer or get_analyzer(settings), run_id, progress, result)
        try:
            walk.run()
        except Exception as exc:  # any error, a bug too: the days begun are marked failed, then it is raised
            if not isinstance(exc, DatabaseError):
                walk.fail_open_days(describe(exc))
            log.warning("backfill %s %s..%s failed: %s", source.location, first, last, exc)
            raise
        finally:
            result.counts["days_empty"] += (last - first).days + 1 - len(walk.days)


@dataclass(slots=True)
class _Day:
    """A day of the window being backfilled from WARC files: its progress and its pending batch."""

    day: date
    done_before: bool  # done by an earlier run: its records are passed over
    files: dict[str, int]  # file -> offset before which this day's records are loaded
    finished: list[str]  # files whose records of this day are all loaded
    batch: list[ArchivedPage] = field(default_factory=list)

    def cursor(self) -> dict[str, Any]:
        return {"files": dict(self.files), "finished": list(self.finished)}

    def wants(self, name: str, item: ArchivedPage) -> bool:
        return not self.done_before and name not in self.finished and item.offset >= self.files.get(name, 0)


class _WarcWindow:
    """One walk over the WARC files of a window; `days` holds every day met, begun once."""

    def __init__(self, conn: store.Connection, settings: Settings, source: BackfillSource, first: date,
                 last: date, options: BackfillOptions, analyzer, run_id: int | None,
                 progress: ProgressCallback | None, result: StepResult) -> None:
        self.conn, self.settings, self.source, self.options = conn, settings, source, options
        self.first, self.last = first, last
        self.analyzer, self.run_id, self.progress, self.result = analyzer, run_id, progress, result
        self.raw_store = RawPageStore(settings)
        self.days: dict[date, _Day] = {}
        self.bytes_before = 0
        self.bytes_total = 0

    def run(self) -> None:
        paths = select_warc_files(expand_warc_paths(self.source.location), self.first, self.last)
        sizes = [path.stat().st_size for path in paths]
        self.bytes_total = sum(sizes)
        for path, size in zip(paths, sizes, strict=True):
            file = FileIdentity.of(path)
            index = load_warc_index(self.conn, file, self.first, self.last)
            self.conn.commit()
            if index is None:
                self._stream(path, file, size)
            else:
                self._seek(path, index, size)
            self.bytes_before += size
        for day in sorted(self.days):
            state = self.days[day]
            if not state.done_before:
                store.finish_backfill_day(self.conn, self.source.location, day, "done", None)
                self.conn.commit()
                self.result.counts["days_done"] += 1
                log.info("backfill %s %s: done", self.source.location, day)

    def fail_open_days(self, error: str) -> None:
        """Mark the days this walk began and did not finish failed, with `error`."""
        self.conn.rollback()
        for day, state in sorted(self.days.items()):
            if not state.done_before:
                store.finish_backfill_day(self.conn, self.source.location, day, "failed", error)
                self.result.counts["days_failed"] += 1
        self.conn.commit()

    def _stream(self, path: Path, file: FileIdentity, size: int) -> None:
        """Read the whole file once: the window's pages to their days, every dated record to the index."""
        builder = IndexBuilder(file)
        start, end = _day_bounds(self.first)[0], _day_bounds(self.last)[1]
        reader = WarcReader(path, self._filter(start, end), on_dated=builder)
        self.result.counts["files_indexed"] += 1
        met = self._read(reader, str(path), lambda item: self._day(item.page.fetched_at.astimezone(timezone.utc).date()))
        save_warc_index(self.conn, builder.build(reader.counts["records"]), self.run_id)
        self.conn.commit()
        for day in sorted(met):
            if not self.days[day].done_before:
                self._flush(self.days[day], str(path), size, finished=True)

    def _seek(self, path: Path, index: WarcDayIndex, size: int) -> None:
        """Read, day by day, only the units the index lists for the window's days."""
        name = str(path)
        self.result.counts["files_from_index"] += 1
        for day, offsets in index.offsets_between(self.first, self.last).items():
            state = self._day(day)
            if state.done_before or name in state.finished:
                continue
            resume = state.files.get(name, 0)
            reader = WarcReader(path, self._filter(*_day_bounds(day)), units=[o for o in offsets if o >= resume])
            self._read(reader, name, lambda _item, state=state: state)
            self._flush(state, name, size, finished=True)

    def _read(self, reader: WarcReader, name: str, route: Callable[[ArchivedPage], _Day]) -> set[date]:
        """Pages of `reader` to their day's batch, a batch committed when full; the days met."""
        met: set[date] = set()
        started = time.perf_counter()
        for item in reader:
            state = route(item)
            met.add(state.day)
            if not state.wants(name, item):
                continue
            state.batch.append(item)
            if len(state.batch) >= self.settings.batch_size:
                self.result.timings["read_s"] += time.perf_counter() - started
                self._flush(state, name, item.end_offset or item.offset)
                started = time.perf_counter()
        self.result.timings["read_s"] += time.perf_counter() - started
        self.result.counts.update({key: value for key, value in reader.counts.items() if key != "pages" and value})
        log.info("backfill %s: %s read: %s", self.source.location, name, dict(reader.counts))
        return met

    def _flush(self, state: _Day, name: str, position: int, *, finished: bool = False) -> None:
        """Load a day's batch and move its cursor past it, in one transaction."""
        batch, state.batch = state.batch, []
        if batch:
            state.files[name] = batch[-1].end_offset or batch[-1].offset
        if finished:
            state.files.pop(name, None)
            if name not in state.finished:
                state.finished.append(name)
        _commit_pages(self.conn, self.settings, self.source, state.day, batch, self.analyzer, self.raw_store,
                      self.run_id, self.result, state.cursor(), self.options, Counter(pages=len(batch)))
        if self.progress is not None:
            self.progress(Progress(day=state.day, done=self.bytes_before + position, total=self.bytes_total,
                                   unit="bytes", counts=self.result.counts))

    def _day(self, day: date) -> _Day:
        state = self.days.get(day)
        if state is None:
            status, cursor = store.begin_backfill_day(self.conn, self.source.location, day, self.source.kind,
                                                      self.run_id, self.options.force)
            self.conn.commit()
            state = _Day(day, status == "done", dict(cursor.get("files", {})), list(cursor.get("finished", [])))
            if state.done_before:
                self.result.counts["days_skipped"] += 1
                log.info("backfill %s %s: already done", self.source.location, day)
            else:
                log.info("backfill %s %s: started", self.source.location, day)
            self.days[day] = state
        return state

    def _filter(self, start: datetime, end: datetime) -> RecordFilter:
        return RecordFilter(start=start, end=end, languages=self.options.languages,
                            max_bytes=self.settings.max_body_bytes)


def _commit_pages(conn: store.Connection, settings: Settings, source: BackfillSource, day: date,
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
            store.save_backfill_cursor(conn, source.location, day, cursor, step.counts)
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
            store.save_backfill_cursor(conn, source.location, day, cursor, step.counts)
        conn.commit()
    result.counts.update(step.counts)
    result.timings.update(step.timings)
    result.errors.extend(step.errors)


def build_bundles(conn: store.Connection, pages: Sequence[Page], analyzer, raw_store: RawPageStore,
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
    analyses = stages.analyze_gated(
        analyzer, settings or Settings(), [article.language for _i, article in extracted],
        [(article.text, article.published_at or fresh[i].fetched_at, article.dateline)
         for i, article in extracted],
        [fresh[i].url for i, _article in extracted], result)
    return [(stages.make_bundle(fresh[i], article, analysis, analyzer.version, raw_store), fresh[i])
            for (i, article), analysis in zip(extracted, analyses, strict=True) if analysis is not None]


# --- sitemaps and archived feeds ----------------------------------------------------------


def _backfill_urls(settings: Settings, source: BackfillSource, day: date, options: BackfillOptions,
                   analyzer, fetcher: Fetcher | None, run_id: int | None,
                   progress: ProgressCallback | None, result: StepResult) -> None:
    start, end = _day_bounds(day)
    own = polite_fetcher(settings) if fetcher is None else None
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
            pending = store.pending_entry_ids(conn, [key for _e, key in pairs])
            conn.commit()
        result.counts["urls_listed"] += len(pairs)
        report = Progress(day=day, done=0, total=len(pending), unit="entries", counts=result.counts)
        for batch in chunk(pending, settings.batch_size):
            step = cycle.process_entry_batch(settings, batch, run_id, fetcher=polite,
                                             analyzer=analyzer or get_analyzer(settings))
            merged = StepResult.merged([step])
            result.counts.update(merged.counts)
            result.timings.update(merged.timings)
            result.errors.extend(merged.errors)
            with store.connect(settings) as conn:
                store.save_backfill_cursor(conn, source.location, day,
                                           {"entries_left": len(pending) - report.done - len(batch)}, merged.counts)
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
