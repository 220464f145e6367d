"""Fingerprints: copies with small edits come out similar, other stories do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.dedup import BANDS, THRESHOLD, fingerprint, hamming, shingles, similarity, simhash

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monitor"


def _story(name: str) -> str:
    return (FIXTURES / f"story_{name}.txt").read_text()


def test_fingerprint_is_stable_and_sized_for_the_table() -> None:
    first, again = fingerprint(_story("original")), fingerprint(_story("original"))
    assert first == again
    assert len(first.signature) == 4 * 128 and len(first.bands) == BANDS
    assert all(-(2 ** 63) <= key < 2 ** 63 for key in first.bands)
    assert -(2 ** 63) <= first.simhash < 2 ** 63


def test_fingerprint_ignores_case_punctuation_and_spacing() -> None:
    text = _story("original")
    assert fingerprint(text) == fingerprint(text.upper().replace(",", " ").replace("\n\n", "\n"))


@pytest.mark.parametrize("copy", ["syndicated", "edited"])
def test_near_duplicates_score_above_threshold_and_share_a_band(copy: str) -> None:
    original, other = fingerprint(_story("original")), fingerprint(_story(copy))
    assert similarity(original.signature, other.signature) >= THRESHOLD
    assert set(original.bands) & set(other.bands)


def test_different_stories_score_low_and_share_no_band() -> None:
    original, other = fingerprint(_story("original")), fingerprint(_story("unrelated"))
    assert similarity(original.signature, other.signature) < 0.1
    assert not set(original.bands) & set(other.bands)


def test_similarity_of_mismatched_signatures_is_zero() -> None:
    assert similarity(b"\x00" * 8, b"\x00" * 16) == 0.0


def test_shingles_of_short_texts() -> None:
    assert shingles("Two words") == ["two words"]
    assert shingles("one two three four") == ["one two three", "two three four"]
    assert fingerprint("Two words") != fingerprint("Other words")


def test_simhash_close_for_copies_far_for_other_stories() -> None:
    original = simhash(_story("original"))
    assert hamming(original, simhash(_story("syndicated"))) < hamming(original, simhash(_story("unrelated")))
    assert hamming(-1, 0) == 64 and hamming(0b1011, 0b0001) == 2
