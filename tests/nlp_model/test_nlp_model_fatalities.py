"""Fatalities end to end: the loaded model parses each sentence and the rule counts it.

A model test, not a unit test: it loads the spaCy model (session fixture `analyzer`) to
check that the parses the rule relies on still come out of the model. The rule itself is
tested on the same sentences' written-down parses in `tests/unit/test_nlp_fatalities.py`.
"""

from __future__ import annotations

import pytest

from pipeline.nlp.fatalities import count_fatalities

pytestmark = pytest.mark.slow


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


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # Cumulative tolls are a history, not this event's dead.
        ("The ten-year civil war has killed 13,000 people.", None),
        ("The conflict has claimed more than 300,000 lives since 2011.", None),
        ("More than 1,000 people have died in the violence since March.", None),
        ("The war's death toll has passed 400,000.", None),
        ("Some 2,000 soldiers have been killed in the war.", None),
        # The event's own count survives next to a cumulative one.
        ("A car bomb killed 12 people on Sunday, bringing the death toll this year to 200.", 12),
        # Event-level counts still count.
        ("The fighting killed 40 people on Tuesday.", 40),
        ("Twenty people were killed in the war on Monday.", 20),
        ("The blast claimed 12 lives.", 12),
        ("Gunmen killed five villagers on Monday, bringing the death toll to 30.", 30),
    ],
)
def test_nlp_fatalities_event_not_cumulative(analyzer, sentence, expected):
    doc = analyzer.nlp(sentence)
    assert count_fatalities(next(doc.sents)) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Militants killed three soldiers and wounded 12 others.", 3),
        ("The attack left four dead and 20 wounded.", 4),
        ("Rebels fired rockets at the camp, killing or wounding 50.", None),
    ],
)
def test_nlp_fatalities_wounded_not_counted(analyzer, sentence, expected):
    doc = analyzer.nlp(sentence)
    assert count_fatalities(next(doc.sents)) == expected
