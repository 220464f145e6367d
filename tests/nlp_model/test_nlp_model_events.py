"""Events: type and mode, actors from the parse, date, place, fatalities, merging.

A model test of the event rules: it loads the spaCy model once (session fixture `rule_analyzer`:
the analyzer with the learned event gate left out, so the rules' own reading is checked) and checks the
analyzer end to end, parse included; the rules alone are unit-tested on written-down
parses in `tests/unit/test_nlp_clauses.py`, `test_nlp_fatalities.py` and `test_nlp_actors.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.events import is_subheading

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"


def _events(rule_analyzer, text, published="2017-11-03", dateline=None):
    return rule_analyzer.analyze(text, published, dateline=dateline).events


def test_nlp_events_passive_car_bombing(rule_analyzer):
    text = "On Friday, a car bombing carried out by IS killed dozens of people near the market, a monitor said."
    [event] = [e for e in _events(rule_analyzer, text) if e.type == "ASSAULT"]
    assert event.mode == "bomb"
    assert event.actor1.canonical == "Islamic State" and event.actor1.type == "REB"
    assert event.actor2.type == "CVL"
    assert event.fatalities == 12
    assert (event.date, event.date_text, event.date_precision) == ("2017-11-03", "Friday", "day")
    assert text[event.start:event.end].strip() == event.sentence.strip()


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("Rebels attacked a village on Monday.", "ASSAULT"),
        ("The rebels did not attack the village.", None),
        ("The rebels threatened to attack the village.", "THREATEN"),
        ("The government denied that it had bombed the village.", "REJECT"),
        ("Police arrested 20 protesters in the capital.", "COERCE"),
        ("Thousands of students staged a rally against the new law.", "PROTEST"),
        ("Japan agreed to provide aid to the flood victims.", "AGREE"),
        ("The minister rejected the proposal for a ceasefire.", "REJECT"),
        ("Norway accused Russia of violating the treaty.", "DISAPPROVE"),
        ("Army units clashed with rebels near the border.", "FIGHT"),
        ("The ministry demanded that the embassy close.", "DEMAND"),
    ],
)
def test_nlp_events_type_from_trigger_negation_and_modality(rule_analyzer, sentence, etype):
    events = _events(rule_analyzer, sentence)
    if etype is None:
        assert not [e for e in events if e.type == "ASSAULT"]
    else:
        assert events and events[0].type == etype


def test_nlp_events_active_actors_and_countries(rule_analyzer):
    [event] = _events(rule_analyzer, "Iraqi forces retook the town of Al-Qaim from IS on Friday.")
    assert event.type == "FIGHT"
    assert event.actor1.text == "Iraqi forces"
    assert (event.actor1.type, event.actor1.country) == ("MIL", "IRQ")
    assert event.location.name == "Al-Qaim" and event.location.precision == "city"
    assert event.location_source == "sentence"


def test_nlp_events_fighting_pitted_x_against_y(rule_analyzer):
    text = '"Fighting pitted Hashed al-Shaabi units against the Islamic State in the Hiri area," he said.'
    [event] = _events(rule_analyzer, text)
    assert event.type == "FIGHT"
    assert event.actor1.canonical == "Hashed al-Shaabi"
    assert event.actor2.canonical == "Islamic State"
    assert event.location.name == "Hiri"


def test_nlp_events_location_falls_back_to_dateline_not_other_sentences(rule_analyzer):
    text = "Kabul - Test Wire\nTalks were held in Paris last week.\nGunmen killed three guards on Sunday."
    events = _events(rule_analyzer, text, "2017-11-06")
    assault = next(e for e in events if e.type == "ASSAULT")
    assert assault.location.name == "Kabul" and assault.location_source == "dateline"
    assert assault.fatalities == 3
    assert assault.date == "2017-11-05"


def test_nlp_events_subheading_is_not_a_sentence(rule_analyzer):
    assert is_subheading("- Fleeing civilians -")
    assert not is_subheading("Civilians fled the town - officials said - on Friday.")
    text = "- Clashes erupt -\nThe rebels attacked the base."
    events = _events(rule_analyzer, text)
    assert all("Clashes erupt" not in e.sentence for e in events)


def test_nlp_events_same_event_mentions_merge(rule_analyzer):
    text = (FIXTURES / "wire_report.txt").read_text(encoding="utf-8")
    events = _events(rule_analyzer, text, "2017-11-04")
    bombings = [e for e in events if e.type == "ASSAULT" and e.mode == "bomb"]
    assert len(bombings) == 1
    [bombing] = bombings
    assert len(bombing.supporting) == 2
    assert bombing.fatalities == 12
    assert bombing.date == "2017-11-03"
    assert bombing.actor1.canonical == "Islamic State"
    assert bombing.location.precision == "admin1" and bombing.location.country == "SYR"


def test_nlp_events_without_publication_date_have_no_guessed_date(rule_analyzer):
    [event] = _events(rule_analyzer, "Rebels attacked a village.", None)
    assert event.date is None and event.date_precision is None


def test_nlp_events_analyze_many_keeps_order(rule_analyzer):
    items = [("Rebels attacked a village.", "2020-01-01", None), ("Nothing to see.", None, None),
             ("Police arrested five men.", "2020-01-02", None)]
    results = list(rule_analyzer.analyze_many(items, batch_size=2))
    assert [len(r.events) > 0 for r in results] == [True, False, True]
    assert results[2].events[0].type == "COERCE"


def test_nlp_events_confidence_in_range(rule_analyzer):
    for event in _events(rule_analyzer, (FIXTURES / "wire_report.txt").read_text(encoding="utf-8")):
        assert 0.0 <= event.confidence <= 1.0
