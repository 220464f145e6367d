"""Near-duplicate articles: the same story run by several outlets with small edits.

Exact copies (same canonical URL, or byte-identical text) are caught by the loader
and stored once. What remains are copies that differ by a dateline, a trailing
credit, a number written out or a sentence added; counted separately they would make
one story look like five. Every copy is kept (each outlet that ran it is worth
showing) and each later copy is linked to the first one through
`articles.duplicate_of`, so dashboards count `duplicate_of is null` stories and still
list every outlet.

Texts are compared as sets of word 3-shingles. Their Jaccard similarity is
estimated with a 128-permutation MinHash (datasketch); two texts at `THRESHOLD` or
above are near-duplicates. Candidates come from locality-sensitive hashing: the
signature is cut into `BANDS` bands of `ROWS` values, each band hashed to a key, and
the keys GIN-indexed (`sql/010_near_duplicates.sql`); texts at Jaccard 0.7 share a
band with probability 0.9998, unrelated texts practically never.

A 64-bit SimHash is also stored in `articles.simhash` as a compact fingerprint. It
is not what decides: on 100-200 word wire reports an added sentence moved it up to
12 bits while unrelated reports sat 23 bits away, too close a margin for a rule.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from pipeline import store

__all__ = ["BANDS", "ROWS", "THRESHOLD", "Fingerprint", "fingerprint", "hamming", "link_near_duplicates",
           "shingles", "similarity", "simhash"]

logger = logging.getLogger(__name__)

#: estimated Jaccard similarity of 3-shingle sets at which two texts are the same story
THRESHOLD = 0.7
#: words per shingle
SHINGLE_WORDS = 3
#: MinHash permutations, cut into BANDS bands of ROWS values each
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SEED = 1

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is stored of a text to find its near-duplicates."""

    simhash: int
    signature: bytes
    bands: tuple[int, ...]


def shingles(text: str) -> list[str]:
    """The text's word 3-shingles, lower-cased, punctuation and spacing ignored."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)]
    return [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def fingerprint(text: str) -> Fingerprint:
    """MinHash signature, its LSH band keys and the SimHash of `text`."""
    grams = shingles(text)
    minhash = _template().copy()
    minhash.update_batch([gram.encode("utf-8") for gram in set(grams)])
    values = np.asarray(minhash.hashvalues, dtype="<u4")
    band_keys = tuple(
        int.from_bytes(hashlib.blake2b(bytes([band]) + values[band * ROWS:(band + 1) * ROWS].tobytes(),
                                       digest_size=8).digest(), "little", signed=True)
        for band in range(BANDS)
    )
    return Fingerprint(simhash=_simhash(grams), signature=values.tobytes(), bands=band_keys)


def similarity(signature_a: bytes, signature_b: bytes) -> float:
    """Estimated Jaccard similarity of two texts from their stored signatures."""
    a = np.frombuffer(signature_a, dtype="<u4")
    b = np.frombuffer(signature_b, dtype="<u4")
    if a.shape != b.shape:
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def simhash(text: str) -> int:
    """The 64-bit SimHash of `text`'s word 3-shingles, as a signed int (a PostgreSQL bigint)."""
    return _simhash(shingles(text))


def hamming(a: int, b: int) -> int:
    """Bits in which two SimHashes differ."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def link_near_duplicates(conn: store.Connection, articles: Iterable[tuple[int, str]], *,
                         threshold: float = THRESHOLD) -> dict[int, int]:
    """Fingerprint new articles and link each near-duplicate to the first copy stored.

    `articles` are `(article_id, text)` pairs; they are taken in id order, so a batch's
    later copy links to an earlier one of the same batch. Returns `{article_id:
    first_copy_id}` for the articles found to be copies.
    """
    linked: dict[int, int] = {}
    for article_id, text in sorted(articles):
        mark = fingerprint(text)
        candidates = store.record_fingerprint(conn, article_id, simhash=mark.simhash,
                                              signature=mark.signature, bands=mark.bands)
        for other_id, first_copy, signature in candidates:
            score = similarity(mark.signature, signature)
            if score >= threshold:
                store.link_duplicate(conn, article_id, first_copy)
                linked[article_id] = first_copy
                logger.info("article %s nearly duplicates article %s (similarity %.2f with %s)",
                            article_id, first_copy, score, other_id)
                break
    return linked


@lru_cache(maxsize=1)
def _template() -> MinHash:
    """An empty MinHash whose permutations are drawn once per process (they cost more than hashing)."""
    return MinHash(num_perm=NUM_PERM, seed=SEED)


def _simhash(grams: list[str]) -> int:
    digests = b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest() for g in grams)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(grams), 8), axis=1)
    ones = bits.sum(axis=0, dtype=np.int64)
    value = 0
    for bit in ones * 2 > len(grams):
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value
