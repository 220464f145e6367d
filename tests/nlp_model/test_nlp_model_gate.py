"""The learned event gate (`pipeline/data/event_model.json`) between the rules and the output.

A model test: the analyzer as it runs by default (session fixture `analyzer`) against the same
analyzer with the rules alone (`rule_analyzer`). The texts are written for these tests; none
is from the coded corpus the gate was fitted on.
"""

from __future__ import annotations

import pytest

from pipeline.nlp.event_model import default_model

pytestmark = pytest.mark.slow

PUBLISHED = "2024-05-04T00:00:00Z"

RECIPE = (
    "Heat the oven to 200 degrees. Beat the eggs with the sugar until pale, then fold in the flour.\n"
    "Pour the batter into the tin and bake for forty minutes. Let the cake rest before you cut it, "
    "or it will collapse.\nServe it with cream. The kids demanded a second slice."
)

WIRE = (
    "DAMASCUS, May 4 (Reuters) - Government troops clashed with rebels near Aleppo on Saturday, "
    "killing 12 fighters, a monitoring group said.\n"
    "The fighting followed an air strike on a rebel-held village on Friday. "
    "The United Nations called for an immediate ceasefire."
)


def test_nlp_gate_keeps_nothing_from_a_text_where_nothing_happened(analyzer, rule_analyzer):
    assert rule_analyzer.analyze(RECIPE, PUBLISHED).events  # the trigger words alone read an event
    assert not analyzer.analyze(RECIPE, PUBLISHED).events


def test_nlp_gate_keeps_the_events_of_a_wire_report(analyzer):
    events = analyzer.analyze(WIRE, PUBLISHED).events
    fight = next(e for e in events if e.type == "FIGHT")
    assert fight.fatalities == 12
    assert fight.location is not None and "Aleppo" in fight.location.name
    assert fight.date == "2024-05-04"


def test_nlp_gate_confidence_is_the_calibrated_probability_above_the_threshold(analyzer):
    """An event is emitted at a gate probability at or above the threshold; its confidence
    is that probability calibrated, so at least the threshold's own calibrated value."""
    model = default_model()
    events = analyzer.analyze(WIRE, PUBLISHED).events
    assert events
    floor = model.confidence(model.threshold)
    assert all(floor - 1e-3 <= e.confidence < 1.0 for e in events)
    assert model.calibration is not None and abs(floor - model.threshold) > 1e-4  # calibrated, not the raw probability


def test_nlp_gate_version_names_the_model_and_its_data(analyzer):
    model = default_model()
    assert model.version.startswith("events-")
    assert analyzer.version.endswith("+" + model.version)
    assert "CC BY-SA" in model.meta["licence"]
