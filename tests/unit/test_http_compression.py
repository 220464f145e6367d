"""Bounded decompression (`pipeline.http.compression`): the cap holds whatever the body claims."""

from __future__ import annotations

import gzip
import zlib

import pytest

from pipeline.http.compression import InflatedTooLarge, inflate


def test_http_compression_inflates_up_to_the_cap():
    body = b"x" * 1000
    assert inflate(gzip.compress(body), cap=1000) == body
    assert inflate(zlib.compress(body), cap=1000, wbits=15) == body


def test_http_compression_refuses_a_bomb_without_inflating_it():
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB
    with pytest.raises(InflatedTooLarge):
        inflate(bomb, cap=1_000_000)


def test_http_compression_corrupt_stream_is_a_zlib_error():
    damaged = gzip.compress(b"hello world" * 10)[:10] + b"\xff" * 30  # a gzip header, then no valid block
    with pytest.raises(zlib.error):
        inflate(damaged, cap=1000)
