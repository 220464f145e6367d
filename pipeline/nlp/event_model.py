"""The learned event gate: does a sentence report a realis event of one of the 18 types, and which?

The trigger lexicon and the parse rules of `events.py` propose; this model decides. It is
a multinomial logistic regression over NONE and the 18 PLOVER types, on features of the
sentence that say *whether something happened* as much as *what*: the trigger candidates
and their lemmas, their parse context (dependency, tag, negation, modal and future
auxiliaries, a threatening or refusing governor, quotation, a condition), what the rule
reader would code (type, whether it found actors and of which sector), the sentence's
entity labels, its root verb and tense, its content lemmas, and its place in the document.

It is trained by `scripts/train_event_model.py` (`make train-events`) from the hand-coded
documents in `benchmarks/docevents/` (train and dev splits) and the PLOVER gold sentences,
its `confidence` calibrated on the events it emits out of fold (`EventModel.confidence`),
and shipped as
`pipeline/data/event_model.json`. Because part of its training data is the PLOVER gold
standard (CC BY-SA 4.0, Open Event Data Alliance), that file is CC BY-SA 4.0 too.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from spacy.tokens import Doc, Span, Token

from pipeline.models import Event
from pipeline.nlp import clauses
from pipeline.nlp.actors import sentence_entities

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
    feats += sorted({f"ent:{e.label_}" for e in sentence_entities(sent)})
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


def document_features(doc: Doc, rule_events: Sequence[Sequence[Event]], dateline: bool) -> list[str]:
    """What kind of text the sentence sits in, shared by all its sentences: how many of its
    sentences the rules read an event in, how dense its places and groups are, whether
    it opens with a dateline. A product review's "launched" is not a news report's."""
    n = max(len(rule_events), 1)
    with_events = sum(1 for events in rule_events if events) / n
    political = sum(1 for e in doc.ents if e.label_ in ("GPE", "NORP")) / n
    feats = [f"doc_rule_share:{_share_bucket(with_events)}", f"doc_places:{_share_bucket(political / 2)}"]
    if dateline:
        feats.append("doc_dateline")
    return feats


def _share_bucket(share: float) -> str:
    return "0" if share == 0 else "low" if share < 0.1 else "mid" if share < 0.25 else "high"


def _modality(token: Token, etype: str) -> list[str]:
    out = []
    if clauses.negated(token):
        out.append(f"negated|{etype}")
    if clauses.future(token):
        out.append(f"future|{etype}")
    if clauses.in_quotes(token):
        out.append("quoted")
    if clauses.condition(token) is not None:
        out.append("conditional")
    governor = clauses.governor(token)
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


def sentence_vector(sent: Span, candidates: Sequence[TriggerCandidate]) -> np.ndarray:
    """The parser's own token vectors (`doc.tensor`): the sentence's mean, then the top trigger's.

    They carry what the lemmas cannot: that "lashed out at" is close to "criticised" and
    "spat at" to "attacked", so the model generalises past the words it was trained on.
    """
    tensor = sent.doc.tensor
    width = tensor.shape[1] if tensor is not None and tensor.ndim == 2 and tensor.shape[0] else 0
    if not width:
        return np.zeros(0, dtype="float32")
    mean = tensor[sent.start:sent.end].mean(axis=0)
    top = tensor[candidates[0].token.i] if candidates else np.zeros(width, dtype=tensor.dtype)
    return np.concatenate([mean, top]).astype("float32")


def _bucket(n: int) -> str:
    return "short" if n < 8 else "mid" if n < 25 else "long" if n < 50 else "huge"


class EventModel:
    """A softmax over NONE and the types: sparse weights per feature, dense weights over the
    standardised sentence vector, a temperature and the emission threshold."""

    def __init__(self, classes: Sequence[str], weights: dict[str, Sequence[float]], bias: Sequence[float],
                 *, dense: Sequence[Sequence[float]] | None = None, dense_mean: Sequence[float] | None = None,
                 dense_scale: Sequence[float] | None = None, temperature: float = 1.0, threshold: float = 0.5,
                 calibration: Sequence[float] | None = None, version: str = "untrained",
                 meta: dict | None = None) -> None:
        self.classes = tuple(classes)
        self.weights = {f: np.asarray(w, dtype="float64") for f, w in weights.items()}
        self.bias = np.asarray(bias, dtype="float64")
        self.dense = None if dense is None else np.asarray(dense, dtype="float64")
        self.dense_mean = None if dense_mean is None else np.asarray(dense_mean, dtype="float64")
        self.dense_scale = None if dense_scale is None else np.asarray(dense_scale, dtype="float64")
        self.temperature = temperature
        self.threshold = threshold
        self.calibration = None if calibration is None else (float(calibration[0]), float(calibration[1]))
        self.version = version
        self.meta = dict(meta or {})

    def scores(self, features: Iterable[str], vector: np.ndarray | None = None) -> np.ndarray:
        total = self.bias.copy()
        for feature in set(features):
            row = self.weights.get(feature)
            if row is not None:
                total += row
        if self.dense is not None and vector is not None and len(vector) == len(self.dense):
            total += ((vector - self.dense_mean) / self.dense_scale) @ self.dense
        return total

    def probabilities(self, features: Iterable[str], vector: np.ndarray | None = None) -> dict[str, float]:
        scores = self.scores(features, vector) / self.temperature
        exps = np.exp(scores - scores.max())
        probs = exps / exps.sum()
        return {c: float(p) for c, p in zip(self.classes, probs)}

    def judge(self, features: Iterable[str], vector: np.ndarray | None = None) -> tuple[float, list[tuple[str, float]]]:
        """P(some event is reported), and the types by probability (NONE left out)."""
        probs = self.probabilities(features, vector)
        ranked = sorted(((c, p) for c, p in probs.items() if c != NONE), key=lambda cp: -cp[1])
        return 1.0 - probs.get(NONE, 0.0), ranked

    def confidence(self, reported: float) -> float:
        """How often an event emitted at gate probability `reported` is right, its type
        included: Platt scaling fitted on the out-of-fold events of the coded documents;
        `reported` itself where none is fitted."""
        return reported if self.calibration is None else platt(reported, *self.calibration)

    def to_json(self) -> dict:
        def rounded(values) -> list:
            return [round(float(v), 5) for v in values]
        return {"version": self.version, "classes": list(self.classes), "temperature": self.temperature,
                "threshold": self.threshold, "bias": rounded(self.bias),
                "calibration": None if self.calibration is None else rounded(self.calibration),
                "dense": None if self.dense is None else [rounded(row) for row in self.dense],
                "dense_mean": None if self.dense_mean is None else rounded(self.dense_mean),
                "dense_scale": None if self.dense_scale is None else rounded(self.dense_scale),
                "weights": {f: rounded(row) for f, row in sorted(self.weights.items())}, "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict) -> "EventModel":
        return cls(data["classes"], data["weights"], data["bias"], dense=data.get("dense"),
                   dense_mean=data.get("dense_mean"), dense_scale=data.get("dense_scale"),
                   temperature=data.get("temperature", 1.0), threshold=data.get("threshold", 0.5),
                   calibration=data.get("calibration"), version=data.get("version", "unknown"), meta=data.get("meta"))


def logit(p: float) -> float:
    """log(p / (1 - p)), with p kept off 0 and 1."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def platt(p: float, a: float, b: float) -> float:
    """Platt scaling: sigmoid(a + b * logit(p))."""
    return 1.0 / (1.0 + math.exp(-(a + b * logit(p))))


def model_digest(model: EventModel) -> str:
    """Ten hex digits of the sha256 of what the model computes: everything but its version and meta."""
    data = {k: v for k, v in model.to_json().items() if k not in ("version", "meta")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:10]


@cache
def default_model(path: Path = MODEL_PATH) -> EventModel:
    """The shipped model (package data: a missing file is a broken install, not a fallback)."""
    return EventModel.from_json(json.loads(path.read_text(encoding="utf-8")))
