"""Bytes to text the way browsers do (WHATWG Encoding and HTML standards), for every path.

One decoder, `decode_text`, serves live feeds and pages (`Fetcher`, `parse_feed`), WARC
records, pages read from disk and raw pages re-processed from the warehouse, so the same
bytes always give the same text however they arrived. The order is the HTML standard's
encoding sniffing:

1. a byte-order mark (UTF-8, UTF-16BE, UTF-16LE);
2. the transport charset (the `charset` parameter of Content-Type);
3. a prescan of the first `PRESCAN_BYTES`: a BOM-less UTF-16 XML declaration, then a
   `<meta charset>` or `<meta http-equiv=content-type content="...; charset=...">`
   outside comments, then the XML declaration's `encoding` (a feed's);
4. detection: UTF-8 when the bytes are valid UTF-8, else charset_normalizer's guess
   among the web's encodings;
5. windows-1252.

A label is read through the WHATWG label table (`codec_for`): `iso-8859-1`, `latin1` and
`us-ascii` mean windows-1252, `iso-8859-9` windows-1254, `gb2312` GBK (decoded as
gb18030); a UTF-16 label found by the prescan means UTF-8 (bytes in which an ASCII
declaration can be read are not UTF-16). A label the table does not hold (`rot13`,
`utf-7`, `bogus`) is ignored and the next step decides; so are the labels of WHATWG's
"replacement" encoding and `x-user-defined`, which no Python codec reads as browsers do.
Undecodable bytes become U+FFFD; every step is linear in the input.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["PRESCAN_BYTES", "codec_for", "decode_text", "is_text"]

#: how far the in-document prescan reads (the HTML standard's 1024 bytes)
PRESCAN_BYTES = 1024
SNIFF_BYTES = 4096
BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                "application/gzip", "application/x-gzip", "application/octet-stream")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

# The WHATWG Encoding Standard's label table (https://encoding.spec.whatwg.org/#names-and-labels),
# each encoding with the Python codec that decodes it as browsers do.
_WHATWG_ENCODINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "UTF-8": ("utf-8", ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
                        "x-unicode20utf8")),
    "IBM866": ("cp866", ("866", "cp866", "csibm866", "ibm866")),
    "ISO-8859-2": ("iso8859-2", ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592",
                                 "iso_8859-2", "iso_8859-2:1987", "l2", "latin2")),
    "ISO-8859-3": ("iso8859-3", ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593",
                                 "iso_8859-3", "iso_8859-3:1988", "l3", "latin3")),
    "ISO-8859-4": ("iso8859-4", ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594",
                                 "iso_8859-4", "iso_8859-4:1988", "l4", "latin4")),
    "ISO-8859-5": ("iso8859-5", ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
                                 "iso88595", "iso_8859-5", "iso_8859-5:1988")),
    "ISO-8859-6": ("iso8859-6", ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic",
                                 "ecma-114", "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127",
                                 "iso8859-6", "iso88596", "iso_8859-6", "iso_8859-6:1987")),
    "ISO-8859-7": ("iso8859-7", ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
                                 "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987",
                                 "sun_eu_greek")),
    "ISO-8859-8": ("iso8859-8", ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
                                 "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988",
                                 "visual")),
    "ISO-8859-8-I": ("iso8859-8", ("csiso88598i", "iso-8859-8-i", "logical")),
    "ISO-8859-10": ("iso8859-10", ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910",
                                   "l6", "latin6")),
    "ISO-8859-13": ("iso8859-13", ("iso-8859-13", "iso8859-13", "iso885913")),
    "ISO-8859-14": ("iso8859-14", ("iso-8859-14", "iso8859-14", "iso885914")),
    "ISO-8859-15": ("iso8859-15", ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15",
                                   "l9")),
    "ISO-8859-16": ("iso8859-16", ("iso-8859-16",)),
    "KOI8-R": ("koi8-r", ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r")),
    "KOI8-U": ("koi8-u", ("koi8-ru", "koi8-u")),
    "macintosh": ("mac-roman", ("csmacintosh", "mac", "macintosh", "x-mac-roman")),
    "windows-874": ("cp874", ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874")),
    "windows-1250": ("cp1250", ("cp1250", "windows-1250", "x-cp1250")),
    "windows-1251": ("cp1251", ("cp1251", "windows-1251", "x-cp1251")),
    "windows-1252": ("cp1252", ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819",
                                "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1",
                                "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252")),
    "windows-1253": ("cp1253", ("cp1253", "windows-1253", "x-cp1253")),
    "windows-1254": ("cp1254", ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
                                "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254")),
    "windows-1255": ("cp1255", ("cp1255", "windows-1255", "x-cp1255")),
    "windows-1256": ("cp1256", ("cp1256", "windows-1256", "x-cp1256")),
    "windows-1257": ("cp1257", ("cp1257", "windows-1257", "x-cp1257")),
    "windows-1258": ("cp1258", ("cp1258", "windows-1258", "x-cp1258")),
    "x-mac-cyrillic": ("mac-cyrillic", ("x-mac-cyrillic", "x-mac-ukrainian")),
    "GBK": ("gb18030", ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
                        "iso-ir-58", "x-gbk")),
    "gb18030": ("gb18030", ("gb18030",)),
    "Big5": ("big5hkscs", ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5")),
    "EUC-JP": ("euc-jp", ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp")),
    "ISO-2022-JP": ("iso2022-jp", ("csiso2022jp", "iso-2022-jp")),
    "Shift_JIS": ("cp932", ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
                            "x-sjis")),
    "EUC-KR": ("cp949", ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
                         "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949")),
    "UTF-16BE": ("utf-16-be", ("unicodefffe", "utf-16be")),
    "UTF-16LE": ("utf-16-le", ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
                               "utf-16le")),
    # "replacement" (csiso2022kr, hz-gb-2312, iso-2022-cn, iso-2022-cn-ext, iso-2022-kr) and
    # x-user-defined are left out: their labels are ignored.
}
_CODEC_BY_LABEL = {label: codec for codec, labels in _WHATWG_ENCODINGS.values() for label in labels}
_WEB_CODECS = frozenset(codecs.lookup(codec).name for codec, _labels in _WHATWG_ENCODINGS.values())
_UTF16 = frozenset({"utf-16-be", "utf-16-le"})
# ASCII whitespace as the HTML standard counts it in the prescan
_SPACE = b"\t\n\x0c\r "
_CHARSET_WORD = re.compile(rb"charset", re.I)
_XML_ENCODING = re.compile(rb"encoding", re.I)
_META_START = re.compile(rb"<meta[\t\n\x0c\r /]", re.I)


def codec_for(label: str | bytes | None) -> str | None:
    """The Python codec for a WHATWG encoding label, or None for a label browsers ignore.

    None means: ignore the label and let the next source decide, as browsers do with
    `charset=rot13` or `charset=bogus`. The label is trimmed of whitespace and quotes and
    matched case-insensitively.
    """
    if label is None:
        return None
    if isinstance(label, bytes):
        label = label.decode("latin-1")
    return _CODEC_BY_LABEL.get(label.strip().strip("\"'").strip().lower())


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
    """The body as text and the Python codec used; undecodable bytes become U+FFFD.

    `content_type` is the transport's Content-Type (the HTTP header, the WARC record's
    HTTP header, the one kept with a raw page), whose charset comes right after a BOM.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(codec, "replace"), codec
    codec = codec_for(_transport_charset(content_type)) or _prescan(content[:PRESCAN_BYTES]) or _detect(content)
    return content.decode(codec, "replace"), codec


def _transport_charset(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type value, unquoted; None when it has none."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _prescan(head: bytes) -> str | None:
    """The codec the document declares in `head`, per the HTML standard's prescan; None when none.

    A BOM-less UTF-16 XML declaration, then `<meta>` tags (comments and other tags
    skipped, attribute values read as the tokenizer would), then an XML declaration.
    """
    if head.startswith(b"<\x00?\x00x\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<\x00?\x00x"):
        return "utf-16-be"
    codec = _meta_charset(head) or _xml_encoding(head)
    if codec in _UTF16:
        return "utf-8"
    return codec


def _detect(content: bytes) -> str:
    """UTF-8 when the bytes are UTF-8, else charset_normalizer's web encoding, else windows-1252."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = charset_normalizer.from_bytes(content).best()
    if best is not None:
        codec = codec_for(best.encoding.replace("_", "-")) or _python_web_codec(best.encoding)
        if codec is not None and codec not in _UTF16:
            return codec
    return "cp1252"


def _python_web_codec(name: str) -> str | None:
    """`name` when it is a Python name of a web encoding's codec (`euc_jp`, `mac_roman`)."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in _WEB_CODECS else None


def _meta_charset(head: bytes) -> str | None:
    position, end = 0, len(head)
    while position < end:
        if head.startswith(b"<!--", position):
            close = head.find(b"-->", position + 2)
            if close < 0:
                return None
            position = close + 3
        elif _META_START.match(head, position):
            position, codec = _meta_tag(head, position + 6)
            if codec is not None:
                return codec
        elif head.startswith(b"<", position) and position + 1 < end and (
                head[position + 1:position + 2].isalpha()
                or head[position + 1:position + 2] == b"/" and head[position + 2:position + 3].isalpha()):
            position = _skip_tag(head, position + 1)
        elif head.startswith((b"<!", b"</", b"<?"), position):
            close = head.find(b">", position + 2)
            if close < 0:
                return None
            position = close + 1
        else:
            position += 1
    return None


def _meta_tag(head: bytes, position: int) -> tuple[int, str | None]:
    """After `<meta `: the position past the tag, and the codec it declares (None when none)."""
    seen: set[bytes] = set()
    got_pragma, need_pragma, codec = False, None, None
    while True:
        position, attribute = _attribute(head, position)
        if attribute is None:
            break
        name, value = attribute
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content" and codec is None:
            label = _charset_in_content(value)
            if label is not None:
                codec, need_pragma = codec_for(label), True
        elif name == b"charset":
            codec, need_pragma = codec_for(value), False
    if need_pragma is None or (need_pragma and not got_pragma):
        return position + 1, None
    return position + 1, codec


def _skip_tag(head: bytes, position: int) -> int:
    while position < len(head) and head[position] not in b"\t\n\x0c\r >":
        position += 1
    while True:
        position, attribute = _attribute(head, position)
        if attribute is None:
            return position + 1


def _attribute(head: bytes, position: int) -> tuple[int, tuple[bytes, bytes] | None]:
    """The HTML standard's "get an attribute": (position after it, (name, value)), or None at `>` or the end."""
    end = len(head)
    while position < end and head[position] in b"\t\n\x0c\r /":
        position += 1
    if position >= end or head[position] == 0x3E:  # '>'
        return end if position >= end else position, None
    name = bytearray()
    while True:
        if position >= end:
            return end, None
        byte = head[position]
        if byte == 0x3D and name:  # '='
            position += 1
            break
        if byte in _SPACE:
            while position < end and head[position] in _SPACE:
                position += 1
            if position >= end:
                return end, None
            if head[position] != 0x3D:
                return position, (bytes(name), b"")
            position += 1
            break
        if byte in b"/>":
            return position, (bytes(name), b"")
        name.append(byte | 0x20 if 0x41 <= byte <= 0x5A else byte)
        position += 1
    while position < end and head[position] in _SPACE:
        position += 1
    if position >= end:
        return end, None
    quote = head[position]
    if quote in b"\"'":
        close = head.find(bytes([quote]), position + 1)
        if close < 0:
            return end, None
        return close + 1, (bytes(name), head[position + 1:close].lower())
    if quote == 0x3E:
        return position, (bytes(name), b"")
    start = position
    while position < end and head[position] not in b"\t\n\x0c\r >":
        position += 1
    if position >= end:
        return end, None
    return position, (bytes(name), head[start:position].lower())


def _charset_in_content(value: bytes) -> bytes | None:
    """The HTML standard's "extract a character encoding from a meta element" on a content value."""
    position = 0
    while (match := _CHARSET_WORD.search(value, position)) is not None:
        position = match.end()
        while position < len(value) and value[position] in _SPACE:
            position += 1
        if position >= len(value) or value[position] != 0x3D:
            continue
        position += 1
        while position < len(value) and value[position] in _SPACE:
            position += 1
        if position >= len(value):
            return None
        quote = value[position]
        if quote in b"\"'":
            close = value.find(bytes([quote]), position + 1)
            return value[position + 1:close] if close >= 0 else None
        stop = position
        while stop < len(value) and value[stop] not in b"\t\n\x0c\r ;":
            stop += 1
        return value[position:stop]
    return None


def _xml_encoding(head: bytes) -> str | None:
    """The HTML standard's "get an XML encoding": the `encoding` of a leading `<?xml ...?>`."""
    if not head.startswith(b"<?xml"):
        return None
    declaration_end = head.find(b">")
    match = _XML_ENCODING.search(head, 5, declaration_end) if declaration_end > 0 else None
    if match is None:
        return None
    position = match.end()
    while position < declaration_end and head[position] <= 0x20:
        position += 1
    if position >= declaration_end or head[position] != 0x3D:
        return None
    position += 1
    while position < declaration_end and head[position] <= 0x20:
        position += 1
    quote = head[position:position + 1]
    if quote not in (b'"', b"'"):
        return None
    close = head.find(quote, position + 1, declaration_end)
    label = head[position + 1:close] if close > 0 else b""
    if not label or any(byte <= 0x20 for byte in label):
        return None
    return codec_for(label)
