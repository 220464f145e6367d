"""Stored articles read back for reprocessing: which a stage's older version made, what
reprocessing reads of them, and their text and metadata replaced by a new extraction.

Their analysis is replaced by `loader.replace_analysis`, which also deletes what the
old one left unused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import class_row

from pipeline.models import Article
from pipeline.store.database import translate_errors
from pipeline.store.loader import content_hash

# Articles are dated by publication, else by fetch, else by extraction.
_SELECT_STALE_EXTRACTIONS = """
select article_id from articles
 where coalesce(published_at, fetched_at, extracted_at) >= %(since)s
   and extractor_version <> %(version)s
 order by article_id limit %(limit)s
"""
# Articles kept unanalysed (their language had no model) only once their language has one.
_SELECT_STALE_ANALYSES = """
select article_id from articles
 where coalesce(published_at, fetched_at, extracted_at) >= %(since)s
   and analyzer_version is distinct from %(version)s
   and (not_analysed is null or language = any(%(languages)s))
 order by article_id limit %(limit)s
"""
_SELECT_ARTICLES = """
select article_id, url, text, published_at, dateline, raw_page_hash, extractor_version, analyzer_version,
       language
  from articles where article_id = any(%s) order by article_id
"""
# A publication date the new extraction lacks keeps the stored one.
_UPDATE_EXTRACTION = """
update articles
   set text = %(text)s, content_hash = %(content_hash)s, title = %(title)s, author = %(author)s,
       published_at = coalesce(%(published_at)s, published_at), language = %(language)s,
       source_agency = %(source_agency)s, dateline = %(dateline)s, sitename = %(sitename)s,
       extractor = %(extractor)s, extractor_version = %(extractor_version)s, extracted_at = now()
 where article_id = %(article_id)s
"""
_MARK_EXTRACTED = "update articles set extractor_version = %s, extracted_at = now() where article_id = %s"


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """The columns of an `articles` row that reprocessing reads."""

    article_id: int
    url: str
    text: str
    published_at: datetime | None
    dateline: str | None
    raw_page_hash: str | None
    extractor_version: str
    analyzer_version: str | None
    language: str | None = None


def stale_extractions(conn: psycopg.Connection, extractor_version: str, *, since: date,
                      limit: int) -> list[int]:
    """Ids of the articles since `since` extracted by another version than `extractor_version`, by id."""
    params = {"since": since, "version": extractor_version, "limit": limit}
    with translate_errors("selecting articles to re-extract"):
        return [int(row[0]) for row in conn.execute(_SELECT_STALE_EXTRACTIONS, params)]


def stale_analyses(conn: psycopg.Connection, analyzer_version: str, *, since: date, languages: Sequence[str],
                   limit: int) -> list[int]:
    """Ids of the articles since `since` analysed by another version than `analyzer_version` (or
    not analysed, when their language is now among `languages`), by id."""
    params = {"since": since, "version": analyzer_version, "limit": limit, "languages": list(languages)}
    with translate_errors("selecting articles to re-analyze"):
        return [int(row[0]) for row in conn.execute(_SELECT_STALE_ANALYSES, params)]


def get_stored_articles(conn: psycopg.Connection, article_ids: Sequence[int]) -> list[StoredArticle]:
    """The articles with these ids, by id (missing ids are left out)."""
    with translate_errors("reading articles to reprocess"), conn.cursor(row_factory=class_row(StoredArticle)) as cur:
        return cur.execute(_SELECT_ARTICLES, (list(article_ids),)).fetchall()


def replace_extraction(conn: psycopg.Connection, article_id: int, article: Article, *,
                       extractor_version: str) -> bool:
    """Replace a stored article's text and metadata with a new extraction's, in a savepoint of
    the caller's transaction; False (nothing changed) when the new text is another article's."""
    params = {
        "article_id": article_id, "text": article.text, "content_hash": content_hash(article.text),
        "title": article.title, "author": article.author, "published_at": article.published_at,
        "language": article.language, "source_agency": article.source_agency, "dateline": article.dateline,
        "sitename": article.sitename, "extractor": article.extractor, "extractor_version": extractor_version,
    }
    try:
        with translate_errors(f"replacing the extraction of article {article_id}", keep_integrity=True), \
                conn.transaction():
            conn.execute(_UPDATE_EXTRACTION, params)
    except pg_errors.UniqueViolation:
        return False
    return True


def mark_extracted(conn: psycopg.Connection, article_id: int, extractor_version: str) -> None:
    """Stamp an article as extracted by `extractor_version` (its text came out the same)."""
    with translate_errors(f"stamping the extraction of article {article_id}"):
        conn.execute(_MARK_EXTRACTED, (extractor_version, article_id))
