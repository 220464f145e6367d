"""Load analysed articles into the warehouse, a batch per transaction.

A batch is COPYed into temp staging tables, then moved into the real tables with
set-based `insert … select … on conflict` statements, so a batch of 32 articles with
their entities and events costs a handful of round trips. Loading is idempotent:
loading the same batch again changes no row. Every staging row is a mapping from column
name to value, put in COPY order by name (`in_column_order`), and the inserts pair each
target column with its source by name (`statements.ARTICLE_VALUES`, `EVENT_VALUES`), so
no value can slip into the column beside its own.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from pipeline.errors import LoadError
from pipeline.models import Actor, Analysis, ArticleBundle, Event
from pipeline.store import statements as q
from pipeline.store.database import translate_errors
from pipeline.store.rows import LoadOutcome

log = logging.getLogger(__name__)

GZIP_LEVEL = 6
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

#: a staging row: column name -> value (see `statements.STAGE_TABLES`)
Row = Mapping[str, Any]
#: fields stored under their own name in `stage_articles` and `stage_events`
_BUNDLE_COLUMNS = ("entry_id", "url", "url_hash", "canonical_url", "canonical_url_hash", "extractor_version",
                   "fetched_at", "analyzer_version")
_ARTICLE_COLUMNS = ("title", "author", "published_at", "language", "source_agency", "dateline", "sitename", "text", "extractor")
_EVENT_COLUMNS = ("type", "mode", "trigger", "location_source", "date_text", "date_precision", "date_source",
                  "fatalities", "sentence", "confidence")
_ACTOR_COLUMNS = tuple(f.name for f in dataclasses.fields(Actor))
_LOCATION_COLUMNS = ("geonameid", "name", "admin1", "country", "lat", "lon", "precision")


@dataclass(frozen=True, slots=True)
class _Staged:
    """One bundle turned into staging rows; `ord` is its position in the batch."""

    ord: int
    first_ord: int
    dup_reason: str | None
    bundle: ArticleBundle
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
            with conn.cursor(row_factory=dict_row) as cur:  # one reprocess at a time; loads linking URLs to it go on
                stored = cur.execute(q.LOCK_ARTICLE, (article_id,)).fetchone()
            if stored is None:
                raise LoadError(f"article {article_id} does not exist; nothing to reprocess")
            old_locations = [r[0] for r in conn.execute(q.DELETE_EVENTS, (article_id,)) if r[0] is not None]
            conn.execute(q.DELETE_MENTIONS, (article_id,))
            conn.execute(q.DELETE_ENTITIES, (article_id,))
            conn.execute(q.CREATE_STAGING)
            stage_row = dict.fromkeys(q.STAGE_ARTICLE_COLUMNS)
            stage_row.update(ord=0, first_ord=0, url=stored["url"], url_hash=stored["url_hash"],
                             canonical_url=stored["canonical_url"], canonical_url_hash=stored["url_hash"],
                             content_hash=stored["content_hash"], article_id=article_id, is_new=True,
                             analyzer_version=analyzer_version, model_version=analysis.model_version)
            _copy(conn, "stage_articles", [stage_row])
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
        published = bundle.article.published_at
        if published is not None and published.tzinfo is None:  # would be read in the session's time zone
            raise LoadError(f"cannot load article {bundle.url}: published_at {published.isoformat()} has no time "
                            "zone; read dates with pipeline.dates.parse_timestamp")
        staged.append(_Staged(
            ord=ord_, first_ord=first_ord, dup_reason=hit[0] if hit else None, bundle=bundle,
            content_hash=text_hash, run_id=run_id,
        ))
    return staged


def _load(conn: psycopg.Connection, staged: Sequence[_Staged]) -> list[LoadOutcome]:
    """The statements of one load, inside the caller's transaction."""
    keys = [key for s in staged for key in (s.bundle.canonical_url_hash, s.bundle.url_hash, s.content_hash)]
    conn.execute(q.LOCK_ARTICLE_KEYS, {"seed": q.LOAD_LOCK_KEY, "keys": keys})
    conn.execute(q.ADVISORY_XACT_LOCK_SHARED, (q.LOCATIONS_LOCK_KEY,))
    conn.execute(q.CREATE_STAGING)
    _copy(conn, "stage_articles", [_article_row(s) for s in staged])
    conn.execute(q.RESOLVE_BY_URL)
    conn.execute(q.RESOLVE_BY_CONTENT)

    unresolved = {row[0] for row in conn.execute(q.SELECT_UNRESOLVED)}
    raw_rows = {}
    for s in staged:
        if s.ord in unresolved and s.bundle.raw is not None:
            key = hashlib.sha256(s.bundle.raw).hexdigest()
            raw_rows[key] = raw_page_row(key, s.bundle.raw, s.bundle.content_type, s.bundle.encoding)
    if raw_rows:
        _copy(conn, "stage_raw_pages", raw_rows.values())
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

    with conn.cursor(row_factory=class_row(LoadOutcome)) as cur:
        return cur.execute(q.SELECT_OUTCOMES).fetchall()


def _insert_analyses(conn: psycopg.Connection, analyses: Sequence[tuple[int, Analysis, str]]) -> None:
    """Entities, mentions, places and events of staged articles: (ord in stage_articles, analysis, name)."""
    entity_rows: list[Row] = []
    mention_rows: list[Row] = []
    event_rows: list[Row] = []
    for ord_, analysis, name in analyses:
        counts: dict[tuple[str, str], int] = {}
        for entity in analysis.entities:
            key = (entity.label, entity.canonical)
            counts[key] = counts.get(key, 0) + 1
            mention_rows.append({"ord": ord_, "start_char": entity.start, "end_char": entity.end,
                                 "text": entity.text, "label": entity.label, "canonical": entity.canonical})
        entity_rows.extend({"ord": ord_, "seq": seq, "label": label, "canonical": canonical, "mentions": n}
                           for seq, ((label, canonical), n) in enumerate(counts.items()))
        event_rows.extend(_event_row(ord_, seq, event, name) for seq, event in enumerate(analysis.events))
    if entity_rows:
        _copy(conn, "stage_entities", entity_rows)
        _copy(conn, "stage_mentions", mention_rows)
        conn.execute(q.INSERT_ENTITIES)
        conn.execute(q.INSERT_MENTIONS)
    if event_rows:
        _copy(conn, "stage_events", event_rows)
        conn.execute(q.INSERT_LOCATIONS)
        conn.execute(q.INSERT_EVENTS)


def _copy(conn: psycopg.Connection, table: str, rows: Iterable[Row]) -> None:
    """COPY `rows` into a staging table, each value sent to the column its key names."""
    columns = tuple(q.STAGE_TABLES[table])
    with conn.cursor() as cur, cur.copy(q.copy_into(table, columns)) as copy:
        for row in rows:
            copy.write_row(in_column_order(row, columns, table))


def in_column_order(row: Row, columns: Sequence[str], table: str) -> list[Any]:
    """`row`'s values in the order of `columns`; a name in one and not the other is a bug, raised here."""
    if len(row) != len(columns) or not all(name in row for name in columns):  # no set built per row
        raise TypeError(f"a row for {table} does not name its columns: missing {sorted(set(columns) - row.keys())}, "
                        f"unknown {sorted(row.keys() - set(columns))}")
    return [row[name] for name in columns]


def _article_row(s: _Staged) -> Row:
    """One `stage_articles` row: the bundle's and the article's fields under their own names."""
    b, a = s.bundle, s.bundle.article
    return {
        **{name: getattr(b, name) for name in _BUNDLE_COLUMNS},
        **{name: getattr(a, name) for name in _ARTICLE_COLUMNS},
        "ord": s.ord, "first_ord": s.first_ord, "dup_reason": s.dup_reason,
        "content_hash": s.content_hash, "raw_page_hash": hashlib.sha256(b.raw).hexdigest() if b.raw is not None else None,
        "model_version": b.analysis.model_version, "run_id": s.run_id, "article_id": None, "is_new": False,
    }


def raw_page_row(key: str, content: bytes, content_type: str | None, encoding: str | None) -> Row:
    """One `raw_pages` row by column name: the body gzip-compressed, its size as fetched."""
    return {"content_hash": key, "body": gzip.compress(content, GZIP_LEVEL), "content_type": content_type,
            "encoding": encoding, "original_bytes": len(content)}


def _event_row(ord_: int, seq: int, e: Event, name: str) -> Row:
    """One `stage_events` row: the event's fields by name, its actors and place under their prefixes."""
    loc = e.location
    return {
        **{column: getattr(e, column) for column in _EVENT_COLUMNS},
        **_prefixed("actor1", e.actor1, _ACTOR_COLUMNS),
        **_prefixed("actor2", e.actor2, _ACTOR_COLUMNS),
        **_prefixed("speaker", e.speaker, _ACTOR_COLUMNS),
        **_prefixed("loc", loc, _LOCATION_COLUMNS),
        "ord": ord_, "seq": seq, "location_text": loc.text if loc else None,
        "event_date": _parse_event_date(e.date, name), "sent_start": e.start, "sent_end": e.end,
        "supporting": json.dumps([list(span) for span in e.supporting]),
    }


def _prefixed(prefix: str, record: Any, names: Sequence[str]) -> Row:
    """`{prefix}_{name}` for each field name of `record` (None throughout when there is no record)."""
    return {f"{prefix}_{name}": getattr(record, name) if record is not None else None for name in names}


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
