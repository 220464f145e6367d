"""The one decoder: the WHATWG order (BOM, transport charset, prescan, detection, windows-1252) and labels."""

from __future__ import annotations

import codecs

import pytest

from pipeline.http.charsets import PRESCAN_BYTES, codec_for, decode_text

BOGUS = ["rot13", "rot_13", "base64", "zlib", "hex", "uu", "bz2", "undefined", "utf-7", "bogus",
         "x-user-defined", "hz", "iso-2022-kr", "hz-gb-2312", "replacement", "unicode_escape", "idna",
         "punycode", "utf_8", "a\x00b", "", "x" * 500]
PAGE = "<html><head><title>Café</title></head><body><p>Ça coûte 20 € — “vraiment”.</p></body></html>"
RUSSIAN = "<p>Привет, мир. Сегодня в Москве прошли переговоры о прекращении огня.</p>"
TURKISH = "<p>Şırnak’ta görüşmeler başladı; İstanbul’da ağır yağış.</p>"


def _head(tag: str, body: str = PAGE) -> str:
    return body.replace("<head>", "<head>" + tag) if "<head>" in body else tag + body


@pytest.mark.parametrize("label", BOGUS)
def test_codec_for_refuses_labels_browsers_ignore(label: str) -> None:
    assert codec_for(label) is None


@pytest.mark.parametrize(("label", "codec"), [
    ("UTF-8", "utf-8"), ("unicode-1-1-utf-8", "utf-8"), (" utf8 ", "utf-8"),
    ("latin1", "cp1252"), ("ISO-8859-1", "cp1252"), ("iso_8859-1:1987", "cp1252"), ("us-ascii", "cp1252"),
    ("ascii", "cp1252"), ("iso-8859-9", "cp1254"), ("latin5", "cp1254"), ("windows-1251", "cp1251"),
    ('"koi8-r"', "koi8-r"), ("koi8-ru", "koi8-u"), ("tis-620", "cp874"), ("iso-8859-11", "cp874"),
    ("Shift_JIS", "cp932"), ("sjis", "cp932"), ("euc-kr", "cp949"), ("ks_c_5601-1987", "cp949"),
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("gb18030", "gb18030"), ("big5", "big5hkscs"),
    ("iso-8859-8-i", "iso8859-8"), ("x-mac-roman", "mac-roman"), ("utf-16", "utf-16-le"),
    ("utf-16be", "utf-16-be"), (b"windows-1250", "cp1250"),
])
def test_codec_for_maps_labels_per_whatwg(label: str | bytes, codec: str) -> None:
    assert codec_for(label) == codec


# (body, Content-Type, expected text, expected codec): each row exercises one step of the order.
DECODE_CASES = {
    # 1. a byte-order mark overrides everything after it
    "bom_utf8_beats_transport": (codecs.BOM_UTF8 + PAGE.encode(), "text/html; charset=iso-8859-1", PAGE, "utf-8"),
    "bom_utf16le": (codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le"), None, PAGE, "utf-16-le"),
    "bom_utf16be_beats_meta": (codecs.BOM_UTF16_BE + _head('<meta charset="koi8-r">').encode("utf-16-be"),
                               "text/html", _head('<meta charset="koi8-r">'), "utf-16-be"),
    # 2. the transport charset, authoritative: it beats the meta and the bytes
    "transport_beats_meta": (_head('<meta charset="koi8-r">', RUSSIAN).encode("cp1251"),
                             "text/html; charset=windows-1251", _head('<meta charset="koi8-r">', RUSSIAN), "cp1251"),
    "transport_latin1_is_windows_1252": (PAGE.encode("cp1252"), "text/html; charset=ISO-8859-1", PAGE, "cp1252"),
    "transport_quoted_iso_8859_9_is_windows_1254": (TURKISH.encode("cp1254"), 'text/html; charset="iso-8859-9"',
                                                    TURKISH, "cp1254"),
    "transport_utf8_on_windows_1252_bytes": ("café".encode("cp1252"), "text/html; charset=utf-8", "caf\ufffd", "utf-8"),
    "transport_utf16_label": ("hé".encode("utf-16-le"), "text/plain; charset=utf-16", "hé", "utf-16-le"),
    "transport_bogus_ignored": (_head('<meta charset="windows-1252">').encode("cp1252"),
                                "text/html; charset=rot13", _head('<meta charset="windows-1252">'), "cp1252"),
    # 3. the prescan: meta charset, http-equiv pragma, XML declaration, within the first bytes
    "meta_charset": (_head('<meta charset="windows-1252">').encode("cp1252"), "text/html",
                     _head('<meta charset="windows-1252">'), "cp1252"),
    "meta_unquoted_iso_8859_9": (_head("<meta charset=iso-8859-9>", TURKISH).encode("cp1254"), None,
                                 _head("<meta charset=iso-8859-9>", TURKISH), "cp1254"),
    "meta_http_equiv": (_head('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', RUSSIAN)
                        .encode("cp1251"), None,
                        _head('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', RUSSIAN),
                        "cp1251"),
    "meta_content_without_pragma_ignored": (_head('<meta content="text/html; charset=koi8-r">').encode(), None,
                                            _head('<meta content="text/html; charset=koi8-r">'), "utf-8"),
    "meta_in_comment_ignored": (_head('<!-- <meta charset="koi8-r"> -->').encode(), None,
                                _head('<!-- <meta charset="koi8-r"> -->'), "utf-8"),
    "meta_in_attribute_value_ignored": (_head('<link title="<meta charset=koi8-r>">').encode(), None,
                                        _head('<link title="<meta charset=koi8-r>">'), "utf-8"),
    "meta_bogus_then_real": (_head('<meta charset="bogus"><meta charset="windows-1251">', RUSSIAN).encode("cp1251"),
                             None, _head('<meta charset="bogus"><meta charset="windows-1251">', RUSSIAN), "cp1251"),
    "meta_utf16_label_means_utf8": (_head('<meta charset="utf-16">').encode(), None, _head('<meta charset="utf-16">'),
                                    "utf-8"),
    "meta_past_the_prescan_ignored": (("<!--" + "x" * PRESCAN_BYTES + '--><meta charset="koi8-r">' + PAGE).encode(),
                                      None, "<!--" + "x" * PRESCAN_BYTES + '--><meta charset="koi8-r">' + PAGE,
                                      "utf-8"),
    "xml_declaration": ('<?xml version="1.0" encoding="ISO-8859-7"?><rss>Αθήνα</rss>'.encode("iso-8859-7"),
                        "application/rss+xml", '<?xml version="1.0" encoding="ISO-8859-7"?><rss>Αθήνα</rss>',
                        "iso8859-7"),
    "xml_declaration_latin1_is_windows_1252": ("<?xml version='1.0' encoding='latin1'?><a>€</a>".encode("cp1252"),
                                               None, "<?xml version='1.0' encoding='latin1'?><a>€</a>", "cp1252"),
    "xml_declaration_utf16_label_means_utf8": ('<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode(), None,
                                               '<?xml version="1.0" encoding="UTF-16"?><a>é</a>', "utf-8"),
    "xml_declaration_utf16le_without_bom": ('<?xml version="1.0"?><a>é</a>'.encode("utf-16-le"), None,
                                            '<?xml version="1.0"?><a>é</a>', "utf-16-le"),
    "xml_declaration_bogus_ignored": ('<?xml version="1.0" encoding="undefined"?><a>é</a>'.encode(), None,
                                      '<?xml version="1.0" encoding="undefined"?><a>é</a>', "utf-8"),
    # 4. detection: UTF-8 when valid, else charset_normalizer among web encodings
    "detect_utf8": (PAGE.encode(), "text/html", PAGE, "utf-8"),
    "detect_empty": (b"", None, "", "utf-8"),
    "detect_windows_1251": (RUSSIAN.encode("cp1251"), "text/html", RUSSIAN, "cp1251"),
    # 5. windows-1252 when detection finds nothing, or only a non-web codec (EBCDIC, UTF-16)
    "default_when_undetected": (bytes(range(0x80, 0x100)) * 3, None, (bytes(range(0x80, 0x100)) * 3).decode(
        "cp1252", "replace"), "cp1252"),
    "default_over_ebcdic_guess": (b"\x81", None, "\ufffd", "cp1252"),
    "default_over_utf16_guess": (b"caf\xe9", None, "café", "cp1252"),
}


@pytest.mark.parametrize(("body", "content_type", "text", "codec"), DECODE_CASES.values(), ids=DECODE_CASES.keys())
def test_decode_text_follows_the_whatwg_order(body: bytes, content_type: str | None, text: str, codec: str) -> None:
    assert decode_text(body, content_type) == (text, codec)


@pytest.mark.parametrize("label", BOGUS)
def test_decode_text_falls_back_past_a_bogus_http_charset(label: str) -> None:
    body = '<?xml version="1.0" encoding="windows-1251"?><rss>Привет</rss>'.encode("cp1251")
    text, codec = decode_text(body, f"application/rss+xml; charset={label}")
    assert codec == "cp1251" and "Привет" in text  # the in-document declaration decides


@pytest.mark.parametrize("label", BOGUS)
def test_decode_text_falls_back_past_a_bogus_meta_charset(label: str) -> None:
    body = f'<meta charset="{label}"><p>café</p>'.encode()
    assert decode_text(body, "text/html") == (body.decode(), "utf-8")
