"""The learned event gate (`pipeline/nlp/event_model.py`): its arithmetic, its features on a
written-down parse, and the shipped model's shape. No spaCy model is loaded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp_docs import NOT_ATTACK, parsed
from pipeline.nlp.event_model import (
    MODEL_PATH,
    NONE,
    EventModel,
    TriggerCandidate,
    default_model,
    document_features,
    model_digest,
    sentence_features,
)



def _model(**kwargs) -> EventModel:
    return EventModel((NONE, "ASSAULT", "PROTEST"), {"top:ASSAULT": [-2.0, 3.0, 0.0], "negated|ASSAULT": [4.0, 0.0, 0.0]},
                      [1.0, 0.0, 0.0], **kwargs)


def test_nlp_event_model_probabilities_are_a_softmax():
    probs = _model().probabilities(["top:ASSAULT", "unknown feature"])
    assert sum(probs.values()) == pytest.approx(1.0)
    scores = np.array([1.0 - 2.0, 3.0, 0.0])
    expected = np.exp(scores) / np.exp(scores).sum()
    assert [probs[c] for c in (NONE, "ASSAULT", "PROTEST")] == pytest.approx(expected.tolist())


def test_nlp_event_model_judge_reports_event_probability_and_ranked_types():
    reported, ranked = _model().judge(["top:ASSAULT"])
    assert ranked[0][0] == "ASSAULT" and NONE not in dict(ranked)
    assert reported == pytest.approx(1 - _model().probabilities(["top:ASSAULT"])[NONE])
    negated, _ = _model().judge(["top:ASSAULT", "negated|ASSAULT"])
    assert negated < reported


def test_nlp_event_model_temperature_flattens():
    sharp, _ = _model().judge(["top:ASSAULT"])
    flat, _ = _model(temperature=3.0).judge(["top:ASSAULT"])
    assert 1 / 3 < flat < sharp


def test_nlp_event_model_dense_part_is_standardised_and_used():
    model = _model(dense=[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dense_mean=[1.0, 0.0], dense_scale=[2.0, 1.0])
    low, _ = model.judge([], np.array([1.0, 5.0], dtype="float32"))
    high, _ = model.judge([], np.array([5.0, 5.0], dtype="float32"))  # (5 - 1) / 2 = 2 on the ASSAULT score
    assert high > low
    assert model.judge([], None)[0] == pytest.approx(low)  # no vector: the dense part is left out


def test_nlp_event_model_json_round_trip():
    model = _model(temperature=1.5, threshold=0.7, version="events-test", meta={"licence": "CC BY-SA 4.0"},
                   dense=[[0.1, 0.2, 0.3]], dense_mean=[0.0], dense_scale=[1.0])
    again = EventModel.from_json(json.loads(json.dumps(model.to_json())))
    assert (again.classes, again.threshold, again.temperature, again.version) == (
        model.classes, 0.7, 1.5, "events-test")
    vector = np.array([2.0], dtype="float32")
    assert again.probabilities(["top:ASSAULT"], vector) == pytest.approx(model.probabilities(["top:ASSAULT"], vector))


def test_nlp_event_model_confidence_is_the_calibrated_probability():
    """Platt scaling: monotone in the gate's probability, the identity with no calibration,
    kept in the JSON and in what the digest names."""
    plain = _model()
    assert plain.confidence(0.73) == 0.73
    calibrated = _model(calibration=[-0.75, 0.9])
    values = [calibrated.confidence(p) for p in (0.05, 0.3, 0.6, 0.9, 0.99)]
    assert values == sorted(values) and all(0 < v < 1 for v in values)
    assert calibrated.confidence(0.6) == pytest.approx(1 / (1 + np.exp(0.75 - 0.9 * np.log(0.6 / 0.4))))
    assert calibrated.confidence(0.0) > 0 and calibrated.confidence(1.0) < 1  # no infinite logit
    again = EventModel.from_json(json.loads(json.dumps(calibrated.to_json())))
    assert again.confidence(0.6) == pytest.approx(calibrated.confidence(0.6))
    assert model_digest(calibrated) != model_digest(plain)


def test_nlp_event_model_features_read_trigger_negation_and_rules():
    doc = parsed(*NOT_ATTACK)
    sent = doc[:]
    attack = doc[4]
    feats = sentence_features(sent, [TriggerCandidate(attack, "ASSAULT", 4, 0, False)], [], 0)
    assert {"top:ASSAULT", "top_lemma:attack", "negated|ASSAULT", "rule:none", "pos_in_doc:0"} <= set(feats)
    assert "lemma:convoy" in feats and "no_trigger" not in feats
    quiet = sentence_features(sent, [], [], 5)
    assert "no_trigger" in quiet and "pos_in_doc:3" in quiet


def test_nlp_event_model_document_features_describe_the_text():
    doc = parsed(*NOT_ATTACK)
    assert document_features(doc, [[], [], []], dateline=False) == ["doc_rule_share:0", "doc_places:0"]
    assert "doc_dateline" in document_features(doc, [[]], dateline=True)


def test_nlp_event_model_shipped_model_is_complete():
    """The artefact `make train-events` writes: 19 classes, a threshold, its data and licence."""
    assert MODEL_PATH.exists(), "pipeline/data/event_model.json is missing: run `make train-events`"
    model = default_model()
    assert model.classes[0] == NONE and len(model.classes) == 19
    assert 0 < model.threshold < 1 and model.temperature > 0
    a, b = model.calibration
    assert b > 0, "a calibration must keep the gate's order"
    assert "CC BY-SA" in model.meta["licence"] and "annotations.jsonl" in model.meta["data"]
    assert model.version.startswith("events-")


def test_nlp_event_model_version_names_what_it_computes():
    shipped = default_model()
    assert shipped.version == f"events-{model_digest(shipped)}"  # the artefact is the one trained
    changed = _model(threshold=0.6)
    assert model_digest(changed) != model_digest(_model(threshold=0.5))
    changed.meta, changed.version = {"note": "meta and version are not what it computes"}, "other"
    assert model_digest(changed) == model_digest(_model(threshold=0.6))
