"""Raw pages kept for re-processing: gzip-compressed, content-addressed, in the warehouse or on disk.

`WIREWATCH_RAW_STORE` chooses where (`Settings.raw_store`):

- `database` (default): the body goes in `raw_pages.body`, stored by the loader itself
  when an `ArticleBundle` carries `raw`;
- `dir:/path`: the body goes to `/path/<hash[0:2]>/<hash>.gz` (written to a temporary
  name, then renamed, so a crash never leaves half a file) and `raw_pages` holds
  only its key and metadata, `stored_in = 'dir'`, so articles still reference it;
- `none`: raw pages are not kept, and articles cannot be re-extracted later.

The key is the sha256 of the uncompressed body, so a page seen twice is kept once.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import ConfigError, DatabaseError

log = logging.getLogger(__name__)

GZIP_LEVEL = 6


@dataclass(frozen=True, slots=True)
class RawPage:
    """A kept page: its body as fetched and the Content-Type it came with (whose charset decodes it)."""

    body: bytes
    content_type: str | None


class RawPageStore:
    """Where raw pages go, per `Settings.raw_store`; reads them back whichever way they were kept."""

    def __init__(self, settings: Settings) -> None:
        self.kind = "dir" if settings.raw_store.startswith("dir:") else settings.raw_store
        if self.kind not in ("database", "dir", "none"):
            raise ConfigError(f"WIREWATCH_RAW_STORE={settings.raw_store!r}: use 'database', 'none' or 'dir:/path'")
        self.root = Path(settings.raw_store[4:]).expanduser() if self.kind == "dir" else None

    def for_bundle(self, raw: bytes) -> bytes | None:
        """What `ArticleBundle.raw` should carry: the body when the loader is to store it."""
        return raw if self.kind == "database" else None

    def keep(self, conn: store.Connection, article_id: int, raw: bytes, content_type: str | None,
             encoding: str | None) -> str | None:
        """After loading: keep `raw` on disk and link the article to it (dir stores only)."""
        if self.kind != "dir":
            return None
        key = hashlib.sha256(raw).hexdigest()
        path = self.path_of(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
                handle.write(gzip.compress(raw, GZIP_LEVEL))
            os.replace(handle.name, path)
        store.record_raw_page_on_disk(conn, key, article_id, content_type=content_type, encoding=encoding,
                                      original_bytes=len(raw))
        return key

    def read(self, conn: store.Connection, key: str) -> RawPage | None:
        """The raw page under `key`, decompressed, with its Content-Type; None when it was not kept."""
        row = store.get_raw_page(conn, key)
        if row is None:
            return None
        if row.body is not None:
            return RawPage(row.body, row.content_type)
        if self.root is None:
            raise DatabaseError(f"raw page {key} is kept on disk; set WIREWATCH_RAW_STORE=dir:/path to read it")
        try:
            return RawPage(gzip.decompress(self.path_of(key).read_bytes()), row.content_type)
        except FileNotFoundError:
            log.warning("raw page %s is listed but %s is missing", key, self.path_of(key))
            return None

    def path_of(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.gz"
