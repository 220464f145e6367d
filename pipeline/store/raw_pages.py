"""Raw pages one at a time, keyed by the sha256 of the body as fetched: kept in the
warehouse (`stored_in = 'database'`, gzip-compressed in `raw_pages.body`) or on disk
(`stored_in = 'dir'`, only the key and metadata here; `pipeline.archives.raw_pages`
writes and reads the file). A load's raw pages go in with its batch (`loader`)."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row

from pipeline.store.database import translate_errors
from pipeline.store import statements as q
from pipeline.store.loader import raw_page_row

_INSERT_RAW_PAGE = q.insert_row("raw_pages", q.RAW_PAGE_COLUMNS, "on conflict (content_hash) do nothing")
_INSERT_DIR_PAGE = """
insert into raw_pages (content_hash, body, content_type, encoding, original_bytes, stored_in)
values (%s, null, %s, %s, %s, 'dir')
on conflict (content_hash) do nothing
"""
_LINK_ARTICLE = "update articles set raw_page_hash = %s where article_id = %s and raw_page_hash is null"
_SELECT_RAW_PAGE = "select stored_in, body, content_type from raw_pages where content_hash = %s"


@dataclass(frozen=True, slots=True)
class StoredRawPage:
    """A `raw_pages` row: `body` decompressed when `stored_in` is `database`, None when `dir`."""

    stored_in: str
    body: bytes | None
    content_type: str | None


def store_raw_page(conn: psycopg.Connection, content: bytes, content_type: str | None = None,
                   encoding: str | None = None) -> str:
    """Keep a raw page gzip-compressed, once per distinct body; its sha256 (hex) key."""
    key = hashlib.sha256(content).hexdigest()
    with translate_errors("storing a raw page"), conn.transaction():
        conn.execute(_INSERT_RAW_PAGE, raw_page_row(key, content, content_type, encoding))
    return key


def record_raw_page_on_disk(conn: psycopg.Connection, key: str, article_id: int, *, content_type: str | None,
                            encoding: str | None, original_bytes: int) -> None:
    """Record that the raw page `key` is kept on disk and link article `article_id` to it
    (unless it has a raw page already), in the caller's transaction."""
    with translate_errors("recording a raw page kept on disk"):
        conn.execute(_INSERT_DIR_PAGE, (key, content_type, encoding, original_bytes))
        conn.execute(_LINK_ARTICLE, (key, article_id))


def get_raw_page(conn: psycopg.Connection, key: str) -> StoredRawPage | None:
    """The raw page stored under `key`, or None when no page has that hash."""
    with translate_errors("reading a raw page"), conn.cursor(row_factory=class_row(StoredRawPage)) as cur:
        row = cur.execute(_SELECT_RAW_PAGE, (key,)).fetchone()
    if row is None or row.body is None:
        return row
    return StoredRawPage(row.stored_in, gzip.decompress(row.body), row.content_type)
