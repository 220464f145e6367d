"""Load analysed articles into the warehouse, a batch per transaction.

A batch is COPYed into temp staging tables, then moved into the real tables with
set-based `insert … select … on conflict` statements, so a batch of 32 articles with
their entities and events costs a handful of round trips. Loading is idempotent:
loading the same batch again changes no row.

Duplicates are recognised, not stored twice: an article whose canonical URL (or
fetched URL) is already known is the same article again; one whose text hashes the
same as a stored article's is a syndicated copy. Either way only its URLs are added to
`article_urls`, pointing at the stored article, and its queue entry is marked
`duplicate`. A load takes a transaction-scoped advisory lock per article key (its
URL hashes and its text hash), so concurrent loaders (Airflow tasks) that meet the same
article decide "new or duplicate" one after the other, while loads of different
articles run side by side.

A constraint violation rolls the whole batch back and raises `LoadError` naming the
article that caused it (found by replaying the batch one article at a time inside a
savepoint that is then rolled back too).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import psycopg

from pipeline.errors import LoadError
from pipeline.models import Analysis, ArticleBundle
from pipeline.store import statements as q
from pipeline.store.database import translate_errors
from pipeline.store.rows import LoadOutcome

log = logging.getLogger(__name__)

GZIP_LEVEL = 6
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class _Staged:
    """One bundle turned into staging rows; `ord` is its position in the batch."""

    ord: int
    first_ord: int
    dup_reason: str | None
    bundle: ArticleBundle
    published_at: datetime | None
    content_hash: str
    run_id: int | None


def content_hash(text: str) -> str:
    """sha256 (hex) of an article's text: equal texts are the same article."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_articles(conn: psycopg.Connection, bundles: Iterable[ArticleBundle], *,
                  run_id: int | None = None) -> list[LoadOutcome]:
    """Store a batch of articles with their raw pages, entities and events; one outcome per bundle.

    New articles record `run_id` as the run that first stored them (per-run reports).

    The batch is one transaction (a savepoint when the caller has one open): all of it
    is stored, or nothing and `LoadError` is raised.
    """
    staged = _stage(list(bundles), run_id)
    if not staged:
        return []
    try:
        with translate_errors("loading articles", keep_integrity=True), conn.transaction():
            outcomes = _load(conn, staged)
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        raise _load_error(conn, staged, exc) from None
    new = sum(not o.duplicate for o in outcomes)
    log.info("loaded %d articles: %d new, %d duplicate", len(outcomes), new, len(outcomes) - new)
    return outcomes


def replace_analysis(conn: psycopg.Connection, article_id: int, analysis: Analysis, analyzer_version: str) -> None:
    """Swap an article's entities, mentions and events for a new analysis, in one transaction.

    Used when reprocessing with a newer analyzer; places that only the old events used
    are deleted with them, so nothing is left orphaned.
    """
    try:
        with translate_errors(f"replacing the analysis of article {article_id}", keep_integrity=True), \
                conn.transaction():
            row = conn.execute(q.LOCK_ARTICLE, (article_id,)).fetchone()  # one reprocess at a time; loads linking URLs to it go on
            if row is None:
                raise LoadError(f"article {article_id} does not exist; nothing to reprocess")
            url, canonical_url, url_hash, text_hash = row
            old_locations = [r[0] for r in conn.execute(q.DELETE_EVENTS, (article_id,)) if r[0] is not None]
            conn.execute(q.DELETE_MENTIONS, (article_id,))
            conn.execute(q.DELETE_ENTITIES, (article_id,))
            conn.execute(q.CREATE_STAGING)
            stage_row = dict.fromkeys(q.STAGE_ARTICLE_COLUMNS)
            stage_row.update(ord=0, first_ord=0, url=url, url_hash=url_hash, canonical_url=canonical_url,
                             canonical_url_hash=url_hash, content_hash=text_hash, article_id=article_id,
                             is_new=True, analyzer_version=analyzer_version,
                             model_version=analysis.model_version)
            _copy(conn, "stage_articles", q.STAGE_ARTICLE_COLUMNS, [tuple(stage_row.values())])
            _insert_analyses(conn, [(0, analysis, f"article {article_id}")])
            if old_locations:  # wait for loads in flight: one may be about to use a place
                conn.execute(q.ADVISORY_XACT_LOCK, (q.LOCATIONS_LOCK_KEY,))
                conn.execute(q.DELETE_UNUSED_LOCATIONS, (old_locations,))
            if analysis.not_analysed:  # e.g. a text the English model read before the language gate
                conn.execute(q.MARK_NOT_ANALYSED, (analysis.not_analysed, [article_id]))
            else:
                conn.execute(q.MARK_ANALYZED, (analyzer_version, article_id))
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        raise LoadError(f"cannot replace the analysis of article {article_id}: {_describe(exc)}; "
                        "nothing was changed") from None
    log.info("article %s reanalysed with %s: %d entities, %d events", article_id, analyzer_version,
             len(analysis.entities), len(analysis.events))


def mark_not_analysed(conn: psycopg.Connection, article_ids: Sequence[int], reason: str) -> None:
    """Flag stored articles as kept without analysis (`reason`: "language"), in the caller's transaction."""
    if article_ids:
        with translate_errors(f"flagging {len(article_ids)} articles as not analysed"):
            conn.execute(q.MARK_NOT_ANALYSED, (reason, list(article_ids)))


def record_fingerprint(conn: psycopg.Connection, article_id: int, *, simhash: int, signature: bytes,
                       bands: Sequence[int]) -> list[tuple[int, int, bytes]]:
    """Store an article's fingerprints; the earlier articles sharing a MinHash band.

    Returns `(article_id, first_copy_id, signature)` of each candidate, oldest first,
    for the caller to compare signatures. Idempotent: a second call replaces the row.
    """
    params = {"article_id": article_id, "simhash": simhash, "signature": signature, "bands": list(bands)}
    with translate_errors(f"fingerprinting article {article_id}"), conn.transaction():
        if conn.execute(q.SET_SIMHASH, params).fetchone() is None:
            raise LoadError(f"article {article_id} does not exist; cannot fingerprint it")
        conn.execute(q.UPSERT_MINHASH, params)
        return [(int(a), int(f), bytes(sig)) for a, f, sig in conn.execute(q.SELECT_MINHASH_CANDIDATES, params)]


def link_duplicate(conn: psycopg.Connection, article_id: int, first_copy: int) -> None:
    """Record that `article_id` nearly duplicates `first_copy` (kept once set)."""
    with translate_errors(f"linking article {article_id} to {first_copy}"), conn.transaction():
        conn.execute(q.SET_DUPLICATE_OF, {"article_id": article_id, "first_copy": first_copy})


# --- staging ------------------------------------------------------------------------------


def _stage(bundles: Sequence[ArticleBundle], run_id: int | None) -> list[_Staged]:
    """Check each bundle and find the duplicates inside the batch (first occurrence wins)."""
    staged: list[_Staged] = []
    first: dict[tuple[str, str], int] = {}
    for ord_, bundle in enumerate(bundles):
        text_hash = content_hash(bundle.article.text)
        keys = [("url", bundle.canonical_url_hash), ("url", bundle.url_hash), ("content", text_hash)]
        hit = next((key for key in keys if key in first), None)
        first_ord = first[hit] if hit else ord_
        for key in keys:
            first.setdefault(key, first_ord)
        staged.append(_Staged(
            ord=ord_, first_ord=first_ord, dup_reason=hit[0] if hit else None, bundle=bundle,
            published_at=_parse_timestamp(bundle.article.published_at, bundle.url), content_hash=text_hash,
            run_id=run_id,
        ))
    return staged


def _load(conn: psycopg.Connection, staged: Sequence[_Staged]) -> list[LoadOutcome]:
    """The statements of one load, inside the caller's transaction."""
    keys = [key for s in staged for key in (s.bundle.canonical_url_hash, s.bundle.url_hash, s.content_hash)]
    conn.execute(q.LOCK_ARTICLE_KEYS, {"seed": q.LOAD_LOCK_KEY, "keys": keys})
    conn.execute(q.ADVISORY_XACT_LOCK_SHARED, (q.LOCATIONS_LOCK_KEY,))
    conn.execute(q.CREATE_STAGING)
    _copy(conn, "stage_articles", q.STAGE_ARTICLE_COLUMNS, [_article_row(s) for s in staged])
    conn.execute(q.RESOLVE_BY_URL)
    conn.execute(q.RESOLVE_BY_CONTENT)

    unresolved = {row[0] for row in conn.execute(q.SELECT_UNRESOLVED)}
    raw_rows = {}
    for s in staged:
        if s.ord in unresolved and s.bundle.raw is not None:
            key = hashlib.sha256(s.bundle.raw).hexdigest()
            raw_rows[key] = (key, gzip.compress(s.bundle.raw, GZIP_LEVEL), s.bundle.content_type,
                             s.bundle.encoding, len(s.bundle.raw))
    if raw_rows:
        _copy(conn, "stage_raw_pages", q.STAGE_RAW_COLUMNS, raw_rows.values())
        conn.execute(q.INSERT_RAW_PAGES)

    conn.execute(q.INSERT_ARTICLES)
    conn.execute(q.RESOLVE_BY_URL)
    conn.execute(q.RESOLVE_BY_CONTENT)
    left = [row[0] for row in conn.execute(q.SELECT_UNRESOLVED)]
    if left:  # cannot happen under the article locks; a clear error beats a wrong outcome
        raise LoadError(f"article {staged[left[0]].bundle.url} was neither stored nor found; retry the batch")
    conn.execute(q.RESOLVE_IN_BATCH)
    conn.execute(q.INSERT_ARTICLE_URLS)

    new = [row[0] for row in conn.execute(q.SELECT_NEW_ARTICLES)]
    _insert_analyses(conn, [(ord_, staged[ord_].bundle.analysis, f"article {staged[ord_].bundle.url}")
                            for ord_ in new])
    conn.execute(q.UPDATE_LOADED_ENTRIES)

    return [
        LoadOutcome(entry_id=entry_id, url=url, article_id=article_id, duplicate=duplicate,
                    reason=reason if duplicate else None)
        for _ord, entry_id, url, article_id, duplicate, reason in conn.execute(q.SELECT_OUTCOMES)
    ]


def _insert_analyses(conn: psycopg.Connection, analyses: Sequence[tuple[int, Analysis, str]]) -> None:
    """Entities, mentions, places and events of staged articles: (ord in stage_articles, analysis, name)."""
    entity_rows: list[tuple[Any, ...]] = []
    mention_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    for ord_, analysis, name in analyses:
        counts: dict[tuple[str, str], int] = {}
        for entity in analysis.entities:
            key = (entity.label, entity.canonical)
            counts[key] = counts.get(key, 0) + 1
            mention_rows.append((ord_, entity.start, entity.end, entity.text, entity.label, entity.canonical))
        entity_rows.extend((ord_, seq, label, canonical, n) for seq, ((label, canonical), n) in enumerate(counts.items()))
        event_rows.extend(_event_row(ord_, seq, event, name) for seq, event in enumerate(analysis.events))
    if entity_rows:
        _copy(conn, "stage_entities", q.STAGE_ENTITY_COLUMNS, entity_rows)
        _copy(conn, "stage_mentions", q.STAGE_MENTION_COLUMNS, mention_rows)
        conn.execute(q.INSERT_ENTITIES)
        conn.execute(q.INSERT_MENTIONS)
    if event_rows:
        _copy(conn, "stage_events", q.STAGE_EVENT_COLUMNS, event_rows)
        conn.execute(q.INSERT_LOCATIONS)
        conn.execute(q.INSERT_EVENTS)


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    with conn.cursor() as cur, cur.copy(q.copy_into(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)


def _article_row(s: _Staged) -> tuple[Any, ...]:
    b, a = s.bundle, s.bundle.article
    raw_hash = hashlib.sha256(b.raw).hexdigest() if b.raw is not None else None
    return (
        s.ord, s.first_ord, s.dup_reason, b.entry_id, b.url, b.url_hash, b.canonical_url,
        b.canonical_url_hash, a.title, a.author, s.published_at, a.language, a.source_agency,
        a.dateline, a.sitename, a.text, s.content_hash, a.extractor, b.extractor_version,
        raw_hash, b.fetched_at, b.analyzer_version, b.analysis.model_version, s.run_id, None, False,
    )


def _event_row(ord_: int, seq: int, e: Any, name: str) -> tuple[Any, ...]:
    loc = e.location
    a1, a2, sp = e.actor1, e.actor2, e.speaker
    return (
        ord_, seq, e.type, e.mode, e.trigger,
        a1.text if a1 else None, a1.canonical if a1 else None, a1.type if a1 else None, a1.country if a1 else None,
        a2.text if a2 else None, a2.canonical if a2 else None, a2.type if a2 else None, a2.country if a2 else None,
        loc.geonameid if loc else None, loc.name if loc else None, loc.admin1 if loc else None,
        loc.country if loc else None, loc.lat if loc else None, loc.lon if loc else None,
        loc.precision if loc else None, loc.text if loc else None, e.location_source,
        _parse_event_date(e.date, name), e.date_text, e.date_precision, e.date_source,
        e.fatalities, e.sentence, e.start, e.end, json.dumps([list(span) for span in e.supporting]),
        e.confidence,
        sp.text if sp else None, sp.canonical if sp else None, sp.type if sp else None, sp.country if sp else None,
    )


def _parse_timestamp(value: str | None, url: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset is given)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise LoadError(f"cannot load article {url}: published_at {value!r} is not ISO 8601; "
                        "fix the extractor's date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_event_date(value: str | None, name: str) -> date | None:
    """An event's ISO date; `YYYY-MM` and `YYYY` (coarser precision) give the first day."""
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) >= 10:
            return date.fromisoformat(value[:10])
        match = _PARTIAL_DATE.match(value)
        if match:
            return date(int(match.group(1)), int(match.group(2) or 1), 1)
    except ValueError:
        pass
    raise LoadError(f"cannot load {name}: event date {value!r} is not an ISO date; fix the analyzer's date")


# --- errors -------------------------------------------------------------------------------


def _load_error(conn: psycopg.Connection, staged: Sequence[_Staged], exc: psycopg.Error) -> LoadError:
    """A one-line `LoadError` naming the article that broke the (rolled back) batch."""
    culprit, cause = _find_culprit(conn, staged) if len(staged) > 1 else (staged[0], exc)
    size = f"the batch of {len(staged)} articles" if len(staged) > 1 else "it"
    if culprit is None:
        return LoadError(f"cannot load a batch of {len(staged)} articles starting with {staged[0].bundle.url}: "
                         f"{_describe(exc)}; nothing of {size} was stored")
    return LoadError(f"cannot load article {culprit.bundle.url}: {_describe(cause)}; nothing of {size} was stored")


def _find_culprit(conn: psycopg.Connection, staged: Sequence[_Staged]) -> tuple[_Staged | None, psycopg.Error]:
    """Replay the batch one article at a time in savepoints to find the first that fails; keep nothing."""
    found: tuple[_Staged | None, psycopg.Error | None] = (None, None)
    with translate_errors("looking for the article that broke a load", keep_integrity=True), \
            conn.transaction() as probe:
        for s in staged:
            single = dataclasses.replace(s, ord=0, first_ord=0, dup_reason=None)
            try:
                with conn.transaction():
                    _load(conn, [single])
            except (psycopg.IntegrityError, psycopg.DataError) as exc:
                found = (s, exc)
                break
        raise psycopg.Rollback(probe)
    return found  # type: ignore[return-value]


def _describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    message = " ".join((diag.message_primary or str(exc)).split())
    if diag.constraint_name and diag.constraint_name not in message:
        message += f" (constraint {diag.constraint_name})"
    elif diag.column_name and diag.table_name and diag.column_name not in message:
        message += f" (column {diag.table_name}.{diag.column_name})"
    return message
