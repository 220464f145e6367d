"""Types and targets the codebook prescribes, on our own sentences through the rules
(`rule_analyzer`): where one PLOVER gold sentence and the codebook disagree, the codebook;
victims named by common nouns; two sources acting together; what an accusation is about."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

TYPED = [
    ("The two governments signed a trade agreement in Lisbon on Monday.", "AGREE"),
    ("The European Union imposed sanctions on three generals on Friday.", "SANCTION"),
    ("Riot police used tear gas to disperse students outside the university.", "COERCE"),
    ("Bandits kidnapped nine farmers near the town of Gusau on Tuesday.", "ASSAULT"),
    ("The two navies agreed to share intelligence on piracy in the gulf.", "AGREE"),
    ("The neighbours resumed sharing intelligence on smuggling networks on Monday.", "COOPERATE"),
    ("Three diplomats were declared persona non grata by the host government.", "SANCTION"),
    ("Rebels seized the town of Kalehe after heavy fighting with the army.", "FIGHT"),
    ("Fighter jets struck what officials called militant hideouts in the valley.", "ASSAULT"),
    ("The watchdog accused the guards of beating detainees in the prison.", "DISAPPROVE"),
    ("Thousands marched through the capital on Sunday, demanding new elections.", "PROTEST"),
]


@pytest.mark.parametrize(("sentence", "etype"), TYPED)
def test_nlp_model_codebook_type(rule_analyzer, sentence, etype):
    events = rule_analyzer.analyze(sentence, "2024-05-04").events
    assert events and events[0].type in (etype, "FIGHT" if etype == "ASSAULT" else etype), \
        (sentence, [e.type for e in events])


def test_nlp_model_a_street_sign_signs_nothing(rule_analyzer):
    assert rule_analyzer.analyze("Every street sign in the old town was repainted last year.", "2024-05-04").events == ()


@pytest.mark.parametrize(("sentence", "victim"), [
    ("Militants killed 12 fishermen near the port of Kismayo on Monday.", "fishermen"),
    ("Gunmen opened fire on worshippers outside a mosque in Kano on Friday.", "worshippers"),
])
def test_nlp_model_victims_named_by_common_nouns(rule_analyzer, sentence, victim):
    event = rule_analyzer.analyze(sentence, "2024-05-04").events[0]
    assert event.actor2 is not None and victim in event.actor2.text


def test_nlp_model_joint_sources_take_no_place_as_target(rule_analyzer):
    event = rule_analyzer.analyze("Mali and Niger signed a security pact in Niamey on Monday.", "2024-05-04").events[0]
    assert event.type == "AGREE" and event.actor2 is None
