"""Reading and decoding raw pages."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.extract.document import decode_html, read_document

PAGE = "<html><head><title>Café</title></head><body><p>Ça coûte 20 € — “vraiment”.</p></body></html>"


def test_decode_html_uses_meta_charset() -> None:
    html = PAGE.replace("<head>", '<head><meta charset="windows-1252">')
    assert decode_html(html.encode("cp1252")) == html


def test_decode_html_prefers_declared_charset_that_fits() -> None:
    assert decode_html(PAGE.encode("cp1252"), "windows-1252") == PAGE


def test_decode_html_ignores_a_declared_charset_the_bytes_contradict() -> None:
    # Declared UTF-8, served windows-1252: detection must rescue the accents.
    html = PAGE.replace("<head>", '<head><meta charset="utf-8">')
    text = decode_html(html.encode("cp1252"), "utf-8")
    assert "Café" in text and "€" in text


def test_decode_html_reads_latin1_label_as_windows_1252() -> None:
    assert "€" in decode_html(PAGE.encode("cp1252"), "ISO-8859-1")


def test_decode_html_honours_bom() -> None:
    assert decode_html(codecs.BOM_UTF8 + PAGE.encode("utf-8"), "iso-8859-1") == PAGE
    assert decode_html(PAGE.encode("utf-16")) == PAGE


def test_read_document_gunzips_by_magic(tmp_path: Path) -> None:
    path = tmp_path / "page.html"  # no .gz suffix: the magic bytes decide
    path.write_bytes(gzip.compress(PAGE.encode("utf-8")))
    assert read_document(path) == PAGE.encode("utf-8")
    plain = tmp_path / "plain.html"
    plain.write_bytes(PAGE.encode("utf-8"))
    assert read_document(plain) == PAGE.encode("utf-8")


def test_read_document_names_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.html"):
        read_document(tmp_path / "missing.html")


def test_read_document_refuses_broken_gzip(tmp_path: Path) -> None:
    path = tmp_path / "broken.html.gz"
    path.write_bytes(gzip.compress(PAGE.encode())[:20])
    with pytest.raises(InputError, match="gzip"):
        read_document(path)
