"""Fatalities: numbers attached to death words, read conservatively; wounded not counted."""

from __future__ import annotations

import pytest

from pipeline.nlp.fatalities import count_fatalities


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("A car bomb killed dozens of people in the town.", 12),
        ("Dozens of civilians were killed and dozens wounded on Friday.", 12),
        ("Gunmen killed 23 people at the market.", 23),
        ("At least 1,500 people died in the floods.", 1500),
        ("Scores of villagers were killed in the raid.", 20),
        ("Hundreds of people were killed in the fighting.", 100),
        ("The death toll rose to 31 on Monday.", 31),
        ("Police opened fire, killing one person and arresting 12.", 1),
        ("Twelve soldiers died when the convoy was ambushed.", 12),
        ("A dozen people were killed.", 12),
    ],
)
def test_nlp_fatalities_counts(analyzer, sentence, expected):
    doc = analyzer.nlp(sentence)
    assert count_fatalities(next(doc.sents)) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Forty people were wounded in the blast.",
        "The rebels attacked the base on Friday.",
        "Nobody was killed, but 30 were injured.",
    ],
)
def test_nlp_fatalities_none_without_deaths(analyzer, sentence):
    doc = analyzer.nlp(sentence)
    assert count_fatalities(next(doc.sents)) is None
