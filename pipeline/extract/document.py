"""Raw documents to text: reading files (gzip by magic), decoding bytes, parsing HTML.

Pages arrive as bytes from disk, standard input or the fetcher, in whatever encoding the
publisher chose. Decoding happens once, here, so every extractor downstream sees the same
text and the same lxml tree.
"""

from __future__ import annotations

import codecs
import gzip
import logging
import re
import sys
from pathlib import Path

import charset_normalizer
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.charsets import codec_for
from pipeline.errors import InputError

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
# How far into a page a <meta charset> may sit (the HTML spec says 1024 bytes; be generous).
META_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels that browsers read as a superset (WHATWG encoding standard).
_ENCODING_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


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


def decode_html(content: bytes, declared: str | None = None) -> str:
    """Bytes of an HTML page as text: BOM, then the declared charset, then <meta>, then detection.

    A byte-order mark overrides everything (as in browsers); an HTTP-declared or <meta>
    charset is trusted only when the bytes actually decode with it, since publishers often
    declare UTF-8 and serve windows-1252.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content.decode(encoding, errors="replace")
    candidates = [declared, _sniff_declared(content)]
    for candidate in candidates:
        encoding = _normalise_encoding(candidate)
        if encoding is None:
            continue
        try:
            return content.decode(encoding)
        except UnicodeError:
            logger.debug("declared charset %s does not fit the bytes; detecting", encoding)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(content).best()
    encoding = _normalise_encoding(best.encoding if best is not None else None) or "cp1252"
    return content.decode(encoding, errors="replace")


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


def _sniff_declared(content: bytes) -> str | None:
    head = content[:META_SNIFF_BYTES]
    match = _XML_DECLARATION.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", errors="ignore") if match else None


def _normalise_encoding(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ENCODING_ALIASES.get(label, label)
    name = codec_for(label)  # None for labels no browser decodes with (rot13, base64, bogus)
    return _ENCODING_ALIASES.get(name, name) if name else None
