"""The stages after a page is in hand: extract, analyse, bundle, load.

One implementation serves every way a page arrives: the live cycle and push (pages
fetched for queue entries) and backfill (pages read from WARC files). Callers decide
what a skipped or failed page means for them (an entry's state, a counter) through
the `on_skip` callback; everything else — the extractor, the analyzer, how raw pages
are kept, near-duplicate linking and the counts — is the same for all of them.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


from pipeline import dedup, store
from pipeline.archives.raw_pages import RawPageStore
from pipeline.config import Settings
from pipeline.errors import NotAnArticle
from pipeline.extract import EXTRACTOR_VERSION, extract_article
from pipeline.flows.isolation import isolated
from pipeline.http.urls import canonicalize_url, url_hash
from pipeline.models import Analysis, Article, ArticleBundle, Page

log = logging.getLogger(__name__)

#: on_skip(index, state, reason, exc): state is "skipped" (not an article, wrong
#: language) or "failed" (the stage raised); reason is the skip reason or the stage
SkipCallback = Callable[[int, str, str, BaseException | None], None]


@dataclass(slots=True)
class StepResult:
    """Counts, timings and errors of one step; steps' results add up into a run's."""

    counts: Counter[str] = field(default_factory=Counter)
    timings: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)

    def error(self, url: str, stage: str, exc: BaseException) -> None:
        self.errors.append({"url": url, "stage": stage, "error": str(exc)})

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "errors": self.errors}

    @classmethod
    def merged(cls, results: Sequence[dict[str, Any] | StepResult]) -> StepResult:
        total = cls()
        for result in results:
            if isinstance(result, StepResult):
                result = result.to_dict()
            total.counts.update(result.get("counts", {}))
            total.timings.update(result.get("timings", {}))
            total.errors.extend(result.get("errors", []))
        return total


def extract_pages(pages: Sequence[Page], result: StepResult, *, settings: Settings | None = None,
                  languages: tuple[str, ...] = (), on_skip: SkipCallback | None = None
                  ) -> list[tuple[int, Article]]:
    """(index, article) for each page that holds an article in one of `languages` (any when empty)."""
    extracted: list[tuple[int, Article]] = []
    started = time.perf_counter()
    for index, page in enumerate(pages):
        skipped: NotAnArticle | None = None
        with isolated("page", page.url) as unit:  # whatever one page raises fails that page only
            try:
                article = extract_article(page.text if page.text is not None else page.content,
                                          page.final_url, content_type=page.content_type, settings=settings)
            except NotAnArticle as exc:
                skipped = exc
        if skipped is not None:
            result.counts["pages_skipped"] += 1
            result.counts[f"skipped_{skipped.reason}"] += 1
            log.warning("page %s skipped: %s", page.url, skipped)
            if on_skip:
                on_skip(index, "skipped", skipped.reason, skipped)
            continue
        if unit.failed:
            result.counts["pages_failed"] += 1
            result.errors.append({"url": page.url, "stage": "extract", "error": unit.reason or ""})
            if on_skip:
                on_skip(index, "failed", "extract", unit.error)
            continue
        if languages and article.language and article.language not in languages:
            result.counts["pages_skipped"] += 1
            result.counts["skipped_language"] += 1
            if on_skip:
                on_skip(index, "skipped", "language", None)
            continue
        extracted.append((index, article))
    result.timings["extract_s"] += time.perf_counter() - started
    return extracted


def analyze_articles(analyzer, items: Sequence[tuple[str, Any, str | None]], names: Sequence[str],
                     result: StepResult) -> list[Analysis | None]:
    """`analyzer.analyze_many` over `items`, in order; None for a text the analyzer fails on.

    An analyzer bug met on one page must not sink its batch: the batch is retried one
    text at a time, and the page that fails is logged with its traceback and recorded
    in the run (`pages_failed`, an error naming the page).
    """
    started = time.perf_counter()
    try:
        return list(analyzer.analyze_many(items))
    except Exception as exc:  # noqa: BLE001 - any analyzer bug; recorded below per text
        log.error("analysing a batch of %d texts failed (%s: %s); analysing them one by one",
                  len(items), type(exc).__name__, exc)
    finally:
        result.timings["analyze_s"] += time.perf_counter() - started
    analyses: list[Analysis | None] = []
    for item, name in zip(items, names, strict=True):
        try:
            analyses.append(next(iter(analyzer.analyze_many([item]))))
        except Exception as exc:  # noqa: BLE001
            log.error("analysing %s failed: %s: %s; skipped", name, type(exc).__name__, exc, exc_info=True)
            result.counts["pages_failed"] += 1
            result.errors.append({"url": name, "stage": "analyze", "error": f"{type(exc).__name__}: {exc}"})
            analyses.append(None)
    return analyses


def analyze_gated(analyzer, settings: Settings, languages: Sequence[str | None],
                  items: Sequence[tuple[str, Any, str | None]], names: Sequence[str],
                  result: StepResult) -> list[Analysis | None]:
    """`analyze_articles` for the texts in an analysed language (`Settings.languages`), in order.

    A text in any other language gets no model run on it: an empty `Analysis` flagged
    `not_analysed="language"`, so it is stored with its text and metadata only, rather
    than read by a model and trigger words of another language.
    """
    analysed = [i for i, language in enumerate(languages) if settings.model_for(language) is not None]
    analyses: list[Analysis | None] = [not_analysed("language")] * len(items)
    if analysed:
        done = analyze_articles(analyzer, [items[i] for i in analysed], [names[i] for i in analysed], result)
        for i, analysis in zip(analysed, done, strict=True):
            analyses[i] = analysis
    for i in sorted(set(range(len(items))) - set(analysed)):
        log.info("%s is in %s, which is not analysed (WIREWATCH_LANGUAGES); stored without events",
                 names[i], languages[i])
    return analyses


def not_analysed(reason: str) -> Analysis:
    """The analysis of a text kept without one: no entities, no events, and why."""
    return Analysis(entities=(), events=(), model_version="", not_analysed=reason)


def make_bundle(page: Page, article: Article, analysis: Analysis, analyzer_version: str,
                raw_store: RawPageStore, *, entry_id: int | None = None) -> ArticleBundle:
    """What the warehouse stores for one article; the raw page goes where `raw_store` says."""
    canonical = canonicalize_url(article.canonical_url or page.final_url)
    return ArticleBundle(
        entry_id=entry_id,
        url=page.final_url,
        url_hash=url_hash(canonicalize_url(page.final_url)),
        canonical_url=canonical,
        canonical_url_hash=url_hash(canonical),
        article=article,
        analysis=analysis,
        extractor_version=EXTRACTOR_VERSION,
        analyzer_version=analyzer_version,
        raw=raw_store.for_bundle(page.content),
        content_type=page.content_type,
        encoding=page.encoding,
        fetched_at=page.fetched_at,
    )


def load_bundles(conn: store.Connection, bundles: Sequence[ArticleBundle], pages: Sequence[Page],
                 raw_store: RawPageStore, result: StepResult, *, run_id: int | None = None) -> list:
    """Load a batch, keep raw pages kept outside the database, link near-duplicates, count.

    Runs inside the caller's transaction (the caller commits), so a caller can commit
    more with it, as backfill does with its cursor.
    """
    if not bundles:
        return []
    started = time.perf_counter()
    outcomes = store.load_articles(conn, bundles, run_id=run_id)
    new = [(outcome, bundle, page) for outcome, bundle, page in zip(outcomes, bundles, pages, strict=True)
           if not outcome.duplicate]
    unanalysed = [(outcome.article_id, bundle.analysis.not_analysed) for outcome, bundle, _page in new
                  if bundle.analysis.not_analysed]
    for reason in {reason for _id, reason in unanalysed}:
        store.mark_not_analysed(conn, [article_id for article_id, why in unanalysed if why == reason], reason)
        result.counts[f"not_analysed_{reason}"] += sum(why == reason for _id, why in unanalysed)
    for outcome, _bundle, page in new:
        raw_store.keep(conn, outcome.article_id, page.content, page.content_type, page.encoding)
    result.timings["load_s"] += time.perf_counter() - started

    started = time.perf_counter()
    copies = dedup.link_near_duplicates(conn, [(outcome.article_id, bundle.article.text)
                                               for outcome, bundle, _page in new])
    result.counts["articles_near_duplicate"] += len(copies)
    result.timings["dedup_s"] += time.perf_counter() - started

    result.counts["articles_duplicate"] += len(outcomes) - len(new)
    result.counts["articles_new"] += len(new)
    for _outcome, bundle, _page in new:
        result.counts["entities"] += len(bundle.analysis.entities)
        result.counts["events"] += len(bundle.analysis.events)
        for event in bundle.analysis.events:
            result.counts[f"events_{event.type}"] += 1
    return outcomes
