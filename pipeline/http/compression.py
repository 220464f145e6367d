"""Bounded decompression of a whole body held in memory (a saved feed, a sitemap, a WARC
payload): never more than the caller's cap is inflated, whatever the body claims."""

from __future__ import annotations

import zlib

GZIP = 31  # zlib's wbits for a gzip member


class InflatedTooLarge(ValueError):
    """The body inflates past the cap (a decompression bomb, or a file to split)."""


def inflate(data: bytes, cap: int, wbits: int = GZIP) -> bytes:
    """`data` decompressed, at most `cap` bytes; past the cap `InflatedTooLarge`, a corrupt
    stream `zlib.error`."""
    out = zlib.decompressobj(wbits=wbits).decompress(data, cap + 1)
    if len(out) > cap:
        raise InflatedTooLarge(f"inflates past {cap} bytes")
    return out
