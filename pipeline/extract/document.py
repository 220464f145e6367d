"""Raw documents: reading files (gzip by magic) and parsing HTML.

Pages arrive as bytes from disk, standard input or the fetcher, in whatever encoding the
publisher chose; `pipeline.http.charsets.decode_text` turns them into text, the same way on
every path, and `parse_html` gives every extractor downstream the same lxml tree.
"""

from __future__ import annotations

import gzip
import logging
import sys
from pathlib import Path

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"


def read_document(path: str | Path) -> bytes:
    """The bytes of a file, or of standard input for `-`, gunzipped when gzip's magic says so.

    Pages saved by crawlers are often gzip without a `.gz` name, so the magic bytes decide.
    """
    try:
        if str(path) == "-":
            content = sys.stdin.buffer.read()
        else:
            content = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    if content[:2] == GZIP_MAGIC:
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path} starts like gzip but does not decompress: {exc}") from None
    return content


def parse_html(text: str) -> HtmlElement | None:
    """An lxml tree of the page, or None when there is no markup to parse.

    trafilatura's loader is used so that every extractor sees the tree trafilatura is tuned
    for (comments and processing instructions dropped, faulty markup repaired); a plain
    lxml parse keeps comments, and trafilatura then loses the text that follows them.
    """
    if not text.strip():
        return None
    try:
        return load_html(text)
    except (TypeError, ValueError) as exc:
        logger.debug("unparseable HTML: %s", exc)
        return None
