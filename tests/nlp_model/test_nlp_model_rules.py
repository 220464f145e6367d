"""Event rules of issue 6 on our own sentences: clause choice, modality, targets, speakers,
group nouns, and the acceptance check on the shared wire report (skipped without it).

A model test of the event rules: it loads the spaCy model once (session fixture `rule_analyzer`:
the analyzer with the learned event gate left out, so the rules' own reading is checked) and checks the
analyzer end to end, parse included; the rules alone are unit-tested on written-down
parses in `tests/unit/test_nlp_clauses.py`, `test_nlp_fatalities.py` and `test_nlp_actors.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "afp-syria-albu-kamal.txt"


def _first(rule_analyzer, text, published="2017-11-04"):
    events = rule_analyzer.analyze(text, published).events
    assert events, f"no event read from {text!r}"
    return events[0]


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        # the main clause wins over a background one
        ("The governor lifted the curfew after clashes between the two tribes.", "CONCEDE"),
        ("The army captured the airport on Sunday after days of fighting with rebels.", "FIGHT"),
        # a reported obligation is a demand
        ("Germany said on Monday that Iran must release the detained sailors.", "DEMAND"),
        # negation and modality
        ("The militia denied that it had attacked the convoy.", "REJECT"),
        ("The rebels did not attack the convoy.", None),
        ("The rebels threatened to attack the convoy.", "THREATEN"),
        ("Ghana said it will withdraw its troops from Mali unless the junta holds elections.", "THREATEN"),
        ("Ghana said it will withdraw its troops from Mali next year.", "AGREE"),
        # state forces' air attacks are conventional fighting, a group's bombing an assault
        ("French aircraft killed 14 people in strikes on a village.", "FIGHT"),
        ("A suicide bomber killed 14 people at a market in the town.", "ASSAULT"),
        # the act on a protest is the event, not the protest
        ("Riot police prevented a demonstration by students outside parliament.", "COERCE"),
    ],
)
def test_nlp_rules_event_type(rule_analyzer, sentence, etype):
    events = rule_analyzer.analyze(sentence, "2017-11-04").events
    if etype is None:
        assert not [e for e in events if e.type in ("ASSAULT", "FIGHT")]
    else:
        assert events and events[0].type == etype


@pytest.mark.parametrize(
    ("sentence", "protesters"),
    [
        ("Several workers were hurt after riot police stormed a protest at the Tema port.", "workers"),
        ("Soldiers attacked a rally organised by opposition activists in the capital.", "opposition activists"),
    ],
)
def test_nlp_rules_storming_a_protest_is_coercion_of_protesters(rule_analyzer, sentence, protesters):
    event = _first(rule_analyzer, sentence)
    assert event.type == "COERCE"
    assert event.actor2 is not None and event.actor2.text.endswith(protesters)


def test_nlp_rules_demand_source_is_speaker_target_is_obliged(rule_analyzer):
    event = _first(rule_analyzer, "Germany said on Monday that Iran must release the detained sailors.")
    assert (event.actor1.canonical, event.actor2.canonical) == ("Germany", "Iran")


@pytest.mark.parametrize(
    ("sentence", "actor2"),
    [
        ("Spain will support Morocco's efforts to join the union.", "Morocco"),
        ("The minister cancelled a planned visit to Peru after the riots.", "Peru"),
        ("Canada halted economic aid to Haiti on Monday.", "Haiti"),
        ("The court ordered the newspaper Le Monde to suspend publication.", "Le Monde"),
        ("Egypt offered its troops to the Sudanese government.", "Sudanese government"),
    ],
)
def test_nlp_rules_target_is_the_actor_not_the_thing(rule_analyzer, sentence, actor2):
    event = _first(rule_analyzer, sentence)
    assert event.actor2 is not None and actor2 in event.actor2.text


def test_nlp_rules_subject_of_the_clause_when_trigger_is_a_noun(rule_analyzer):
    event = _first(rule_analyzer, "The World Health Organization reiterated its demand that Chad open the border.")
    assert event.type == "DEMAND"
    assert event.actor1.text == "World Health Organization"
    assert event.actor2.text == "Chad"


def test_nlp_rules_origin_is_not_the_place(rule_analyzer):
    event = _first(rule_analyzer, "A teacher from Lyon was arrested in Tunisia on Friday.")
    assert event.type == "COERCE"
    assert event.location.country == "TUN"
    assert event.actor1.country == "TUN" and event.actor1.type == "GOV"


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ('"Troops shelled the village at dawn," said Amira Haddad.', "Amira Haddad"),
        ("Rebels shelled the village at dawn, according to the Red Crescent.", "Red Crescent"),
        ("Rebels shelled the village at dawn, officials said.", "officials"),
    ],
)
def test_nlp_rules_quotes_attributed_to_their_speaker(rule_analyzer, sentence, speaker):
    event = _first(rule_analyzer, sentence)
    assert event.speaker is not None and event.speaker.canonical == speaker


def test_nlp_rules_narrated_event_has_no_speaker(rule_analyzer):
    assert _first(rule_analyzer, "Rebels shelled the village at dawn.").speaker is None


def test_nlp_rules_group_noun_takes_the_one_named_group(rule_analyzer):
    text = "Boko Haram fighters raided the village. The jihadists retreated on Friday."
    analysis = rule_analyzer.analyze(text, "2017-11-04")
    [mention] = [e for e in analysis.entities if e.text.lower() == "the jihadists"]
    assert mention.canonical == "Boko Haram"
    assert text[mention.start:mention.end] == mention.text
    retreat = next(e for e in analysis.events if e.type == "RETREAT")
    assert retreat.actor1.canonical == "Boko Haram"


def test_nlp_rules_group_noun_with_two_candidates_stays_unresolved(rule_analyzer):
    text = "Boko Haram and Al-Shabaab fighters raided the village. The jihadists retreated on Friday."
    analysis = rule_analyzer.analyze(text, "2017-11-04")
    assert not [e for e in analysis.entities if e.text.lower() == "the jihadists"]
    retreat = next(e for e in analysis.events if e.type == "RETREAT")
    assert retreat.actor1.canonical not in ("Boko Haram", "Al-Shabaab")


@pytest.mark.skipif(not EXAMPLE.exists(), reason="../shared/examples is absent")
def test_nlp_rules_afp_acceptance():
    """Issue 6's acceptance check, through the real CLI on the shared wire report."""
    wirewatch = Path(sys.executable).with_name("wirewatch")
    run = subprocess.run([str(wirewatch), "analyze", str(EXAMPLE), "--published-at", "2017-11-04"],
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(run.stdout)
    events = result["events"]

    bombing = [e for e in events if e["type"] == "ASSAULT" and e["mode"] == "bomb"
               and (e["actor1"] or {}).get("canonical") == "Islamic State"]
    assert bombing, "no IS car bombing"
    [bomb] = bombing
    assert (bomb["date"], bomb["fatalities"]) == ("2017-11-04", 12)
    assert bomb["actor2"]["type"] == "CVL" and "displaced" in bomb["sentence"]
    assert bomb["location"]["admin1"] and "Deir" in bomb["location"]["name"]

    assert any(e["type"] == "FIGHT" and "Albu Kamal" in (e["location"] or {}).get("name", "") for e in events)
    assert any(e["type"] == "FIGHT" and (e["actor1"] or {}).get("country") == "IRQ"
               and (e["location"] or {}).get("name") == "Al-Qaim" for e in events)

    # the spokesman's "the coalition must and will deny IS safe haven" is a pledge, no demand
    assert not [e for e in events if e["type"] == "DEMAND"]

    aliases = {e["text"] for e in result["entities"] if e["canonical"] == "Islamic State"}
    assert {"IS", "Daesh"} <= aliases
    assert not [e for e in result["entities"] if e["text"] in ("IS", "Daesh") and e["canonical"] != "Islamic State"]
    assert not [e for e in result["entities"] if e["label"] == "PERSON" and "Albu Kamal" in e["text"]]


@pytest.mark.skipif(not EXAMPLE.exists(), reason="../shared/examples is absent")
def test_nlp_rules_afp_hiri_clash_is_read(rule_analyzer):
    """The quoted Hiri clash: the rules read it with both sides and the place. Whether the gate
    emits it depends on its threshold (it sits near it: emitted at confidence 0.54 by
    events-38714f5e20, threshold 0.60; not by events-d832e32f28, threshold 0.775, which gives it
    P(event) 0.64, nor by some earlier gates), so the analyzer's output is not asserted here:
    the gate is not tuned to this acceptance (docs/benchmarks.md)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    hiri = [e for e in rule_analyzer.analyze(text, "2017-11-04").events
            if e.type == "FIGHT" and (e.location and e.location.name) == "Hiri"]
    assert [{e.actor1.canonical, e.actor2.canonical} for e in hiri] == [{"Hashed al-Shaabi", "Islamic State"}]
