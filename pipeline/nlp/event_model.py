"""The learned event gate: does a sentence report a realis event of one of the 18 types, and which?

The trigger lexicon and the parse rules of `events.py` propose; this model decides. It is
a multinomial logistic regression over NONE and the 18 PLOVER types, on features of the
sentence that say *whether something happened* as much as *what*: the trigger candidates
and their lemmas, their parse context (dependency, tag, negation, modal and future
auxiliaries, a threatening or refusing governor, quotation, a condition), what the rule
reader would code (type, whether it found actors and of which sector), the sentence's
entity labels, its root verb and tense, its content lemmas, and its place in the document.

It is trained by `scripts/train_event_model.py` (`make train-events`) from the hand-coded
documents in `benchmarks/docevents/` (train split only) and the PLOVER gold sentences,
calibrated by a temperature fitted on the dev split, and shipped as
`pipeline/data/event_model.json`. Because part of its training data is the PLOVER gold
standard (CC BY-SA 4.0, Open Event Data Alliance), that file is CC BY-SA 4.0 too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from spacy.tokens import Span, Token

from pipeline.models import Event
from pipeline.nlp.clauses import _condition, _future, _governor, _negated, _quoted

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "event_model.json"
NONE = "NONE"
_CONTENT_POS = {"NOUN", "VERB", "PROPN", "ADJ"}
_MODAL_LEMMAS = {"will", "would", "could", "can", "may", "might", "should", "must", "shall", "'ll"}
_PLAN_WORDS = {"plan", "expect", "hope", "intend", "propose", "consider", "seek", "aim", "want", "prepare", "likely"}


@dataclass(frozen=True, slots=True)
class TriggerCandidate:
    """A trigger word the lexicon proposes in a sentence, with its rule-assigned strength."""

    token: Token
    type: str
    priority: int
    background: int
    phrasal: bool


def sentence_features(sent: Span, candidates: Sequence[TriggerCandidate], rule_events: Sequence[Event],
                      index: int) -> list[str]:
    """The features of one sentence; `candidates` best first, `index` the sentence's position."""
    feats: list[str] = [f"pos_in_doc:{min(index, 3)}", f"len:{_bucket(len(sent))}"]
    text = sent.text
    if text.rstrip().endswith("?"):
        feats.append("question")
    if any(c in text for c in "\"“”"):
        feats.append("has_quote")
    root = sent.root
    feats += [f"root_lemma:{root.lemma_.lower()}", f"root_tag:{root.tag_}"]
    feats += [f"root_aux:{c.lemma_.lower()}" for c in root.children if c.dep_ in ("aux", "auxpass")]
    feats += sorted({f"ent:{e.label_}" for e in sent.ents})
    lemmas = {t.lemma_.lower() for t in sent if t.pos_ in _CONTENT_POS and t.is_alpha and not t.ent_type_}
    feats += [f"lemma:{lemma}" for lemma in sorted(lemmas)]
    if lemmas & _PLAN_WORDS:
        feats.append("plan_word")
    if any(t.like_num for t in sent):
        feats.append("has_number")
    if not candidates:
        feats.append("no_trigger")
    for rank, cand in enumerate(candidates[:4]):
        tok = cand.token
        lemma = tok.lemma_.lower()
        tag = "top" if rank == 0 else "cand"
        feats += [f"{tag}:{cand.type}", f"{tag}_lemma:{lemma}", f"{tag}_lemma_type:{lemma}|{cand.type}",
                  f"{tag}_pos:{cand.type}|{tok.pos_}", f"{tag}_dep:{tok.dep_}", f"{tag}_tag:{tok.tag_}",
                  f"{tag}_prio:{cand.priority}", f"{tag}_bg:{min(cand.background, 2)}"]
        if cand.phrasal:
            feats.append(f"{tag}_phrasal")
        if rank == 0:
            feats += _modality(tok, cand.type)
    feats.append(f"n_cand:{min(len(candidates), 3)}")
    feats += [f"rule:{e.type}" for e in rule_events[:2]]
    if rule_events:
        first = rule_events[0]
        feats += [f"rule_a1:{first.actor1.type if first.actor1 else 'none'}",
                  f"rule_a2:{first.actor2.type if first.actor2 else 'none'}",
                  f"rule_type_a1:{first.type}|{first.actor1 is not None}",
                  f"rule_loc:{first.location_source or 'none'}", f"rule_date:{first.date_source or 'none'}"]
        if first.fatalities:
            feats.append("rule_fatalities")
    else:
        feats.append("rule:none")
    return feats


def _modality(token: Token, etype: str) -> list[str]:
    out = []
    if _negated(token):
        out.append(f"negated|{etype}")
    if _future(token):
        out.append(f"future|{etype}")
    if _quoted(token):
        out.append("quoted")
    if _condition(token) is not None:
        out.append("conditional")
    governor = _governor(token)
    if governor is not None:
        out.append(f"governor:{governor.lemma_.lower()}")
    for child in token.children:
        if child.dep_ in ("aux", "auxpass") and child.lemma_.lower() in _MODAL_LEMMAS | {"have", "be"}:
            out.append(f"aux:{child.lemma_.lower()}")
    head = token.head
    if head.i != token.i and head.pos_ == "VERB":
        out.append(f"head_lemma:{head.lemma_.lower()}")
        out += [f"head_aux:{c.lemma_.lower()}" for c in head.children
                if c.dep_ == "aux" and c.lemma_.lower() in _MODAL_LEMMAS]
    return out


def _bucket(n: int) -> str:
    return "short" if n < 8 else "mid" if n < 25 else "long" if n < 50 else "huge"


class EventModel:
    """Softmax weights per feature; `probabilities` of NONE and each type for a sentence."""

    def __init__(self, classes: Sequence[str], weights: dict[str, Sequence[float]], bias: Sequence[float],
                 *, temperature: float = 1.0, threshold: float = 0.5, version: str = "untrained",
                 meta: dict | None = None) -> None:
        self.classes = tuple(classes)
        self.weights = {f: tuple(w) for f, w in weights.items()}
        self.bias = tuple(bias)
        self.temperature = temperature
        self.threshold = threshold
        self.version = version
        self.meta = dict(meta or {})

    def probabilities(self, features: Iterable[str]) -> dict[str, float]:
        scores = list(self.bias)
        for feature in set(features):
            row = self.weights.get(feature)
            if row is not None:
                for k, w in enumerate(row):
                    scores[k] += w
        top = max(scores)
        exps = [math.exp((s - top) / self.temperature) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}

    def ranked(self, features: Iterable[str]) -> list[tuple[str, float]]:
        """The event types by probability, NONE left out."""
        probs = self.probabilities(features)
        return sorted(((c, p) for c, p in probs.items() if c != NONE), key=lambda cp: -cp[1])

    def to_json(self) -> dict:
        return {"version": self.version, "classes": list(self.classes), "temperature": self.temperature,
                "threshold": self.threshold, "bias": [round(b, 5) for b in self.bias],
                "weights": {f: [round(w, 5) for w in row] for f, row in sorted(self.weights.items())},
                "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict) -> "EventModel":
        return cls(data["classes"], data["weights"], data["bias"], temperature=data.get("temperature", 1.0),
                   threshold=data.get("threshold", 0.5), version=data.get("version", "unknown"),
                   meta=data.get("meta"))


@cache
def default_model(path: Path = MODEL_PATH) -> EventModel:
    """The shipped model (package data: a missing file is a broken install, not a fallback)."""
    return EventModel.from_json(json.loads(path.read_text(encoding="utf-8")))
