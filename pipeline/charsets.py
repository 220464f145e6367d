"""Bytes to text the way browsers do: byte-order mark, HTTP charset, in-document declaration, guess.

`decode_text` is what `Fetcher` applies to bodies of text types (`is_text`), and what
stages reading files from disk apply to bytes of unknown encoding.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import charset_normalizer

__all__ = ["codec_for", "decode_text", "is_text"]

SNIFF_BYTES = 4096
BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                "application/gzip", "application/x-gzip", "application/octet-stream")

_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG Encoding: these labels mean windows-1252, whose 0x80-0x9F are “smart” punctuation.
_AS_WINDOWS_1252 = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
     "cp819", "ibm819", "iso-ir-100", "windows-1252", "cp1252", "x-cp1252"}
)

# Python codecs that a charset label must never select (WHATWG Encoding: an unknown label is
# ignored and the next source decides): bytes-to-bytes and str-to-str transforms (rot13,
# base64, zlib, which `bytes.decode` refuses with LookupError), codecs that raise on any
# input ("undefined"), escapes and transfer syntaxes that are no web encoding (UTF-7 is
# an XSS vector), and the labels WHATWG maps to its "replacement" encoding.
_NOT_WEB_CODECS = frozenset(
    {"undefined", "utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape",
     "mbcs", "oem", "iso2022-kr", "hz", "iso2022-jp-2", "iso2022-jp-3", "iso2022-jp-ext",
     "iso2022-jp-1", "iso2022-jp-2004"}
)


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None for a label no browser would decode with.

    None means: ignore the label and let the next source (in-document declaration,
    UTF-8, detection) decide, as browsers do with `charset=rot13` or `charset=bogus`.
    Latin-1 and ASCII labels are read as windows-1252 (WHATWG).
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if not label or len(label) > 64:
        return None
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a label with a NUL
        return None
    name = info.name.replace("_", "-")
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_WEB_CODECS:
        return None
    return info.name


def is_text(content_type: str | None, body: bytes) -> bool:
    """Whether the body is worth decoding: text types, or untyped bodies without NULs."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and not mime.startswith(BINARY_TYPES):
        return True
    head = body[:SNIFF_BYTES]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return True
    return not head.startswith(b"\x1f\x8b") and b"\x00" not in head


def decode_text(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The body as text and the codec used, decoding undecodable bytes as U+FFFD.

    Order (as in the HTML standard's sniffing): a byte-order mark, the HTTP charset,
    a `<meta charset>` or XML declaration near the top, then charset_normalizer.
    Latin-1 and ASCII labels are read as windows-1252, as browsers do.
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(name, "replace"), name
    for label in _declared_charsets(content, content_type):
        codec = codec_for(label)
        if codec:
            try:
                return content.decode(codec, "replace"), codec
            except (LookupError, UnicodeError):  # a codec that fails even with "replace"
                continue
    if not content:
        return "", "utf-8"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(content).best()
    codec = codec_for(best.encoding) if best is not None else None
    codec = codec or "cp1252"
    return content.decode(codec, "replace"), codec


def _declared_charsets(content: bytes, content_type: str | None) -> Iterator[str]:
    if content_type:
        for param in content_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                yield value.strip().strip("\"'")
    head = content[:SNIFF_BYTES]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            label = match.group(1).decode("ascii").lower()
            # A document readable as ASCII cannot really be UTF-16/32 (HTML standard).
            yield "utf-8" if label.startswith(("utf-16", "utf-32", "ucs-2")) else label

