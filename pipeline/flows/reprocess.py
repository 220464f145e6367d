"""Re-processing stored articles when a stage's version changes, without fetching them again.

Every article row records the versions that produced it: `extractor_version` for its
text and metadata, `analyzer_version` for its entities and events (each event row
records it too). When `EXTRACTOR_VERSION` or the analyzer's version moves on, the
articles made by an older one are stale:

- stage `extract`: the kept raw page (`pipeline.archives.raw_pages`) is extracted again
  with `extract_article`; when the text changed, the new text is analysed and the
  article's text, metadata and analysis are replaced together (entity and sentence
  offsets point into the text, so one is never stored without the other: when the
  analyzer fails on the new text the article keeps its old text and analysis, stays
  stale and is tried again by the next reprocessing);
- stage `analyze`: the stored text is analysed again with `Analyzer.analyze_many`.

New results replace old ones with `store.replace_analysis`, one batch of articles per
transaction: a batch is all replaced or not at all, and the places only the old
events used are deleted with them, so nothing is left orphaned. The stages are the
live path's own: there is one extraction and one analysis in the codebase.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pipeline import store
from pipeline.archives.raw_pages import RawPageStore
from pipeline.config import Settings
from pipeline.errors import ConfigError, NotAnArticle
from pipeline.extract import EXTRACTOR_VERSION, extract_article
from pipeline.flows.isolation import isolated
from pipeline.flows.runs import chunk, get_analyzer, recorded_run
from pipeline.flows.stages import StepResult, analyze_gated
from pipeline.models import Article
from pipeline.store import StoredArticle

log = logging.getLogger(__name__)

STAGES = ("extract", "analyze")


def stale_batches(settings: Settings, stage: str, since: date, *, analyzer_version: str | None = None,
                  limit: int = 1_000_000, size: int | None = None) -> list[list[int]]:
    """Ids of the articles since `since` made by another version of `stage`, in batches.

    Batches hold `size` ids (default `settings.batch_size`, one transaction each).
    """
    _check_stage(stage)
    version = EXTRACTOR_VERSION if stage == "extract" else analyzer_version
    if version is None:
        raise ConfigError("reprocessing the analyze stage needs the current analyzer version")
    with store.connect(settings) as conn:
        if stage == "extract":
            ids = store.stale_extractions(conn, version, since=since, limit=limit)
        else:
            ids = store.stale_analyses(conn, version, since=since, languages=list(settings.language_models),
                                       limit=limit)
    return chunk(ids, size or settings.batch_size)


def reprocess(settings: Settings, since: date, stages: Sequence[str] = STAGES, *, analyzer=None,
              progress: Callable[[int, int, dict[str, int]], None] | None = None) -> dict[str, Any]:
    """Re-run `stages` on every stale article since `since`, in one recorded run; its summary.

    `progress(done, total, counts)` is called after each batch (the CLI's progress bar).
    """
    for stage in stages:
        _check_stage(stage)
    analyzer = analyzer or get_analyzer(settings)
    with recorded_run(settings, "reprocess") as run:
        run_id, results = run.run_id, run.results
        plan = [(stage, batch) for stage in STAGES if stage in stages
                for batch in stale_batches(settings, stage, since, analyzer_version=analyzer.version)]
        total = sum(len(batch) for _stage, batch in plan)
        done = 0
        for stage, batch in plan:
            results.append(reprocess_batch(settings, stage, batch, run_id, analyzer=analyzer))
            done += len(batch)
            if progress is not None:
                progress(done, total, dict(StepResult.merged(results).counts))
    return run.summary


def reprocess_ids(settings: Settings, stage: str, article_ids: Sequence[int], run_id: int | None = None,
                  *, analyzer=None) -> dict[str, Any]:
    """Re-run `stage` on many articles, a `settings.batch_size` batch per transaction.

    What a mapped Airflow task calls with a large chunk, so the model loads once per chunk.
    """
    analyzer = analyzer or get_analyzer(settings)
    results = [reprocess_batch(settings, stage, batch, run_id, analyzer=analyzer)
               for batch in chunk(list(article_ids), settings.batch_size)]
    return StepResult.merged(results).to_dict()


def reprocess_batch(settings: Settings, stage: str, article_ids: Sequence[int], run_id: int | None = None,
                    *, analyzer=None) -> dict[str, Any]:
    """Re-run `stage` (and analysis after a changed extraction) on one batch, in one transaction."""
    _check_stage(stage)
    analyzer = analyzer or get_analyzer(settings)
    result = StepResult()
    with store.connect(settings) as conn:
        articles = store.get_stored_articles(conn, article_ids)
        with conn.transaction():
            extracted: dict[int, Article] = {}
            if stage == "extract":
                extracted = _reextract(conn, RawPageStore(settings), articles, result)
                to_analyze = [(a.article_id, extracted[a.article_id].text,
                               extracted[a.article_id].published_at or a.published_at,
                               extracted[a.article_id].dateline, extracted[a.article_id].language)
                              for a in articles if a.article_id in extracted]
            else:
                to_analyze = [(a.article_id, a.text, a.published_at, a.dateline, a.language) for a in articles
                              if a.analyzer_version != analyzer.version]
            _reanalyze(conn, settings, analyzer, to_analyze, result, extracted)
        conn.commit()
    log.info("reprocessed %d articles (%s): %s", len(articles), stage, dict(result.counts))
    return result.to_dict()


def _reextract(conn: store.Connection, raw_store: RawPageStore, articles: Sequence[StoredArticle],
               result: StepResult) -> dict[int, Article]:
    """Extract stale articles again from their raw pages; the new extraction of those whose text changed.

    Those are stored by `_reanalyze`, with their new analysis, not here.
    """
    changed: dict[int, Article] = {}
    started = time.perf_counter()
    for stored in articles:
        if stored.extractor_version == EXTRACTOR_VERSION:
            continue
        raw = raw_store.read(conn, stored.raw_page_hash) if stored.raw_page_hash else None
        if raw is None:
            result.counts["skipped_no_raw_page"] += 1
            log.info("article %s: no raw page kept; cannot extract it again", stored.article_id)
            continue
        skipped: NotAnArticle | None = None
        with isolated("article", f"{stored.article_id} ({stored.url})") as unit:  # one article fails alone
            try:
                article = extract_article(raw.body, stored.url, content_type=raw.content_type)
            except NotAnArticle as exc:
                skipped = exc
        if skipped is not None:
            result.counts[f"skipped_{skipped.reason}"] += 1
            log.warning("article %s (%s) is no longer extracted as an article: %s; kept as it was",
                        stored.article_id, stored.url, skipped)
            continue
        if unit.failed:
            result.counts["pages_failed"] += 1
            result.errors.append({"url": stored.url, "stage": "extract", "error": unit.reason})
            continue
        if article.text == stored.text:
            store.mark_extracted(conn, stored.article_id, EXTRACTOR_VERSION)
            result.counts["extracted_unchanged"] += 1
            continue
        changed[stored.article_id] = article
    result.timings["extract_s"] += time.perf_counter() - started
    return changed


def _reanalyze(conn: store.Connection, settings: Settings, analyzer,
               items: Sequence[tuple[int, str, Any, str | None, str | None]], result: StepResult,
               extracted: dict[int, Article]) -> None:
    """Analyse `items` and replace each article's analysis (and its text, when `extracted` has a
    new one); a text whose language is not analysed loses any analysis it had and is flagged."""
    if not items:
        return
    started = time.perf_counter()
    analyses = analyze_gated(analyzer, settings, [language for *_rest, language in items],
                             [(text, published, dateline) for _id, text, published, dateline, _lang in items],
                             [f"article {article_id}" for article_id, *_rest in items], result)
    result.timings["analyze_s"] += time.perf_counter() - started
    started = time.perf_counter()
    for (article_id, *_rest), analysis in zip(items, analyses, strict=True):
        if analysis is None:
            # Old text and analysis stay together (the failure is recorded in the run); the
            # article is still stale, so the next reprocessing tries it again.
            continue
        if article_id in extracted:
            article = extracted[article_id]
            if not store.replace_extraction(conn, article_id, article,
                                            extractor_version=EXTRACTOR_VERSION):
                result.counts["skipped_same_text_as_another"] += 1
                log.warning("article %s: its new text equals another stored article's; left as it was", article_id)
                continue
            result.counts["extracted_changed"] += 1
        store.replace_analysis(conn, article_id, analysis, analyzer.version)
        if analysis.not_analysed:
            result.counts[f"not_analysed_{analysis.not_analysed}"] += 1
            continue
        result.counts["articles_reanalyzed"] += 1
        result.counts["entities"] += len(analysis.entities)
        result.counts["events"] += len(analysis.events)
    result.timings["load_s"] += time.perf_counter() - started




def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ConfigError(f"stage {stage!r}: use {' or '.join(STAGES)}")
