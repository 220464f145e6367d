"""The codebook's whole-document scorer (`benchmarks/docevents/scoring.py`) on events written here."""

from __future__ import annotations

import pytest

from benchmarks.docevents.scoring import (
    GoldEvent,
    SystemEvent,
    bands,
    fatality_figures,
    match_corpus,
    match_document,
    precision_at,
    sentences_match,
)

BOMBING = "A car bomb killed twelve people in the market on Friday."
ARREST = "Police arrested three men after the attack."


@pytest.mark.parametrize(("a", "b", "same"), [
    (BOMBING, BOMBING, True),
    (BOMBING, "A car bomb killed twelve people in the market on Friday", True),  # contained
    ("Police said: " + ARREST, ARREST, True),
    (BOMBING, "A car bomb killed twelve people in the town square on Friday.", True),  # Jaccard >= 0.6
    (BOMBING, ARREST, False),
])
def test_docevents_sentences_match_by_containment_or_jaccard(a, b, same):
    assert sentences_match(a, b) is same


def test_docevents_match_needs_the_type_among_the_gold_types():
    gold = [GoldEvent("d", BOMBING, ("ASSAULT", "FIGHT"))]
    assert len(match_document([SystemEvent("d", BOMBING, "FIGHT", 0.9)], gold).tp) == 1
    wrong = match_document([SystemEvent("d", BOMBING, "PROTEST", 0.9)], gold)
    assert (len(wrong.tp), len(wrong.fp), len(wrong.fn)) == (0, 1, 1)


def test_docevents_match_is_one_to_one_higher_confidence_first():
    gold = [GoldEvent("d", BOMBING, ("ASSAULT",))]
    system = [SystemEvent("d", BOMBING, "ASSAULT", 0.6), SystemEvent("d", BOMBING, "ASSAULT", 0.9)]
    result = match_document(system, gold)
    assert [e.confidence for e, _ in result.tp] == [0.9]
    assert [e.confidence for e in result.fp] == [0.6]


def test_docevents_optional_gold_counts_neither_way():
    gold = [GoldEvent("d", ARREST, ("COERCE",), optional=True)]
    result = match_document([SystemEvent("d", ARREST, "COERCE", 0.8)], gold)
    assert (len(result.tp), len(result.fp), len(result.fn), len(result.optional)) == (0, 0, 0, 1)
    assert match_document([], gold).recall == 1.0  # an unmatched optional event is no miss


def test_docevents_firm_gold_is_preferred_over_optional_for_the_same_sentence():
    gold = [GoldEvent("d", BOMBING, ("ASSAULT",), optional=True), GoldEvent("d", BOMBING, ("ASSAULT",))]
    result = match_document([SystemEvent("d", BOMBING, "ASSAULT", 0.8)], gold)
    assert len(result.tp) == 1 and not result.fn


def test_docevents_corpus_precision_recall_bands_and_fatalities():
    gold = [GoldEvent("a", BOMBING, ("ASSAULT",), fatalities=12), GoldEvent("a", ARREST, ("COERCE",)),
            GoldEvent("b", "Troops clashed with rebels near the border.", ("FIGHT",))]
    system = [SystemEvent("a", BOMBING, "ASSAULT", 0.95, fatalities=12),
              SystemEvent("a", ARREST, "COERCE", 0.85),
              SystemEvent("b", "Shares fell sharply on Monday.", "PROTEST", 0.55, fatalities=3)]
    result = match_corpus(system, gold, ["a", "b"])
    assert (result.precision, result.recall) == pytest.approx((2 / 3, 2 / 3))
    by_band = {lo: (n, p) for (lo, _hi), n, p in bands(result)}
    assert by_band[0.9] == (1, 1.0) and by_band[0.8] == (1, 1.0) and by_band[0.5] == (1, 0.0)
    assert precision_at(result, 0.8) == (2, 1.0)
    figures = fatality_figures(result)
    assert (figures["stated"], figures["exact_precision"], figures["fp_with_deaths"]) == (1, 1.0, 1)
