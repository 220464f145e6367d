"""Reading raw pages (decoding them is `pipeline.http.charsets`, tested in test_charsets)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.extract.document import read_document

PAGE = "<html><head><title>Café</title></head><body><p>Ça coûte 20 € — “vraiment”.</p></body></html>"


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
