"""Charset labels from outside: WHATWG rules, and a bogus label is ignored, never a LookupError."""

from __future__ import annotations

import pytest

from pipeline.charsets import codec_for, decode_text
from pipeline.extract.document import decode_html

BOGUS = ["rot13", "rot_13", "base64", "zlib", "hex", "uu", "bz2", "undefined", "utf-7", "bogus",
         "x-user-defined", "hz", "iso-2022-kr", "unicode_escape", "idna", "punycode", "a\x00b", "", "x" * 500]


@pytest.mark.parametrize("label", BOGUS)
def test_codec_for_refuses_labels_browsers_ignore(label: str) -> None:
    assert codec_for(label) is None


@pytest.mark.parametrize(("label", "codec"), [
    ("UTF-8", "utf-8"), ("latin1", "cp1252"), ("us-ascii", "cp1252"), ("Shift_JIS", "shift_jis"),
    ("windows-1251", "cp1251"), ('"koi8-r"', "koi8-r"), ("gb18030", "gb18030"),
])
def test_codec_for_knows_web_encodings(label: str, codec: str) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize("label", BOGUS)
def test_decode_text_falls_back_past_a_bogus_http_charset(label: str) -> None:
    body = '<?xml version="1.0" encoding="windows-1251"?><rss>Привет</rss>'.encode("cp1251")
    text, codec = decode_text(body, f"application/rss+xml; charset={label}")
    assert codec == "cp1251" and "Привет" in text  # the in-document declaration decides


@pytest.mark.parametrize("label", BOGUS)
def test_decode_html_falls_back_past_a_bogus_charset(label: str) -> None:
    assert decode_html("<p>café</p>".encode(), label) == "<p>café</p>"
