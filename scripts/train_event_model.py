"""Train the event gate (`pipeline/data/event_model.json`) from the coded documents.

    .venv/bin/python scripts/train_event_model.py        (or `make train-events`)

Data: the hand-coded documents of `benchmarks/docevents/annotations.jsonl`, **train split
only**, rebuilt from `../shared/eval` (WIREWATCH_EVAL_DIR), plus the PLOVER gold sentences
(`events-plover-gsr`, CC BY-SA 4.0). The dev split chooses the regularisation, fits the
temperature that calibrates `confidence` and the threshold under which nothing is emitted.
The test split is never read here. Every sentence of a coded document is a training
example: NONE where the coder coded nothing, else the coder's preferred type of each event
in it; sentences whose only events are `optional` are left out.

Also prints a 5-fold cross-validated PLOVER type accuracy (folds by record, the coded
train documents in every fold's training data). The trigger rules that propose the
features were written while reading those PLOVER sentences, so even that figure is a
training figure for the rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.docevents.corpus import ANNOTATIONS, EVAL_DIR, load_annotations, load_splits  # noqa: E402
from benchmarks.docevents.scoring import SystemEvent, match_corpus, sentences_match  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.dates import to_date  # noqa: E402
from pipeline.geo import default_gazetteer  # noqa: E402
from pipeline.nlp.analyzer import find_dateline  # noqa: E402
from pipeline.nlp.event_model import MODEL_PATH, NONE, EventModel  # noqa: E402
from pipeline.nlp.events import EventReader  # noqa: E402
from pipeline.nlp.model import load_pipeline  # noqa: E402

PLOVER = EVAL_DIR / "events-plover-gsr" / "PLOVER_GSR_CAMEO.json"
TYPES = ("AGREE", "AID", "ASSAULT", "COERCE", "CONCEDE", "CONSULT", "COOPERATE", "DEMAND", "DISAPPROVE",
         "FIGHT", "INVESTIGATE", "MOBILIZE", "PROTEST", "REJECT", "RETREAT", "SANCTION", "SUPPORT", "THREATEN")
CLASSES = (NONE, *TYPES)
PRECISION_TARGET = 0.85
log = logging.getLogger("train_event_model")


@dataclass
class Example:
    features: list[str]
    label: str
    weight: float = 1.0
    group: str = ""  # document id, or PLOVER record key


@dataclass
class ParsedDoc:
    id: str
    doc: object
    published: object
    dateline: str | None


def parse_documents(nlp, reader: EventReader, docs) -> list[ParsedDoc]:
    gazetteer = reader.gazetteer
    items = [(d.text, (d.id, to_date(d.published))) for d in docs]
    return [ParsedDoc(doc_id, doc, published, find_dateline(doc.text, gazetteer))
            for doc, (doc_id, published) in nlp.pipe(items, as_tuples=True, batch_size=16)]


def document_examples(parsed: list[ParsedDoc], reader: EventReader, gold) -> list[Example]:
    by_doc: dict[str, list] = {}
    for g in gold:
        by_doc.setdefault(g.doc, []).append(g)
    out = []
    for p in parsed:
        events = by_doc.get(p.id, [])
        for sent, _cands, _rules, features in reader.sentences(p.doc, p.published, p.dateline):
            matches = [g for g in events if sentences_match(sent.text, g.sentence)]
            firm = [g for g in matches if not g.optional]
            if matches and not firm:
                continue
            labels = sorted({g.types[0] for g in firm}) or [NONE]
            for label in labels:
                out.append(Example(features, label, 1.0 / len(labels), p.id))
    return out


def plover_records() -> list[dict]:
    if not PLOVER.exists():
        return []
    records = [r for r in json.loads(PLOVER.read_text(encoding="utf-8")) if r.get("event") != "DOCUMENT"]
    for n, r in enumerate(records):
        r["_key"] = f"plover:{n}"
    return records


def plover_examples(nlp, reader: EventReader, records: list[dict]) -> list[Example]:
    out = []
    for record, doc in zip(records, nlp.pipe([r["text"] for r in records], batch_size=32)):
        trigger = (record.get("eventText") or "").strip().lower()
        sentences = list(reader.sentences(doc, to_date("2000-01-01"), None))
        if not sentences:
            continue
        chosen = next((s for s in sentences if trigger and trigger in s[0].text.lower()), sentences[0])
        out.append(Example(chosen[3], record["event"], 1.0, record["_key"]))
    return out


# -- the model -------------------------------------------------------------------------
def fit(examples: list[Example], l2: float, min_count: int = 2) -> EventModel:
    counts = Counter(f for e in examples for f in set(e.features))
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= min_count))}
    rows, cols = [], []
    for r, e in enumerate(examples):
        for f in set(e.features):
            if f in vocab:
                rows.append(r)
                cols.append(vocab[f])
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(examples), len(vocab)))
    y = np.array([CLASSES.index(e.label) for e in examples])
    w = np.array([e.weight for e in examples])
    k, d = len(CLASSES), len(vocab)
    onehot = np.zeros((len(examples), k))
    onehot[np.arange(len(examples)), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights = theta[: d * k].reshape(d, k)
        bias = theta[d * k:]
        scores = x @ weights + bias
        scores -= scores.max(axis=1, keepdims=True)
        logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        value = -(w * (onehot * logp).sum(axis=1)).sum() + 0.5 * l2 * (weights ** 2).sum()
        diff = (np.exp(logp) - onehot) * w[:, None]
        grad_w = x.T @ diff + l2 * weights
        return value, np.concatenate([np.asarray(grad_w).ravel(), diff.sum(axis=0)])

    theta0 = np.zeros(d * k + k)
    result = optimize.minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    weights = result.x[: d * k].reshape(d, k)
    bias = result.x[d * k:]
    names = sorted(vocab, key=vocab.get)
    kept = {f: weights[i].tolist() for i, f in enumerate(names) if np.abs(weights[i]).max() >= 1e-3}
    return EventModel(CLASSES, kept, bias.tolist())


def fit_temperature(model: EventModel, examples: list[Example]) -> float:
    best = (math.inf, 1.0)
    for t in np.arange(0.5, 3.01, 0.05):
        model.temperature = float(t)
        nll = -sum(e.weight * math.log(max(model.probabilities(e.features)[e.label], 1e-12)) for e in examples)
        best = min(best, (nll, float(t)))
    model.temperature = best[1]
    return best[1]


def system_events(reader: EventReader, parsed: list[ParsedDoc]) -> list[SystemEvent]:
    out = []
    for p in parsed:
        for e in reader.read(p.doc, p.published, p.dateline):
            out.append(SystemEvent(p.id, e.sentence, e.type, e.confidence, e.fatalities))
    return out


def threshold_curve(model: EventModel, reader: EventReader, parsed, gold, ids) -> list[tuple[float, float, float, int]]:
    model.threshold = 0.05
    events = system_events(reader, parsed)
    curve = []
    for t in np.arange(0.2, 0.96, 0.025):
        kept = [e for e in events if e.confidence >= t]
        m = match_corpus(kept, gold, ids)
        curve.append((round(float(t), 3), m.precision, m.recall, len(kept)))
    return curve


def choose_threshold(curve) -> float:
    """The threshold of best F1 among those whose dev precision reaches the target; if none
    does, the one of best F0.5 (precision counts double)."""
    def f(beta, p, r):
        return (1 + beta ** 2) * p * r / (beta ** 2 * p + r) if p + r else 0.0
    ok = [(f(1, p, r), t) for t, p, r, _ in curve if p >= PRECISION_TARGET and r > 0]
    if ok:
        return max(ok)[1]
    return max((f(0.5, p, r), t) for t, p, r, _ in curve)[1]


def plover_cross_validation(doc_examples: list[Example], plover: list[Example], l2: float, folds: int = 5):
    """Type accuracy of the top type on each held-out fold of PLOVER records (by record)."""
    right = total = 0
    for k in range(folds):
        held = [e for n, e in enumerate(plover) if n % folds == k]
        train = doc_examples + [e for n, e in enumerate(plover) if n % folds != k]
        model = fit(train, l2)
        for e in held:
            top = model.ranked(e.features)[0][0]
            right += top == e.label
            total += 1
    return right / total if total else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, nargs="*", default=[1.0, 3.0, 10.0])
    parser.add_argument("--no-cv", action="store_true", help="skip the PLOVER cross-validation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not EVAL_DIR.exists():
        print(f"error: {EVAL_DIR} not found: training needs the shared development sets", file=sys.stderr)
        return 2
    started = time.perf_counter()
    splits = load_splits()
    gold, docs = load_annotations()
    train_ids = [i for i in splits["train"] if i in docs]
    dev_ids = [i for i in splits["dev"] if i in docs]
    settings = Settings()
    nlp = load_pipeline(settings)
    gazetteer = default_gazetteer()
    reader = EventReader(gazetteer)
    train_parsed = parse_documents(nlp, reader, [docs[i] for i in train_ids])
    dev_parsed = parse_documents(nlp, reader, [docs[i] for i in dev_ids])
    train_gold = [g for g in gold if g.doc in set(train_ids)]
    dev_gold = [g for g in gold if g.doc in set(dev_ids)]
    doc_train = document_examples(train_parsed, reader, train_gold)
    doc_dev = document_examples(dev_parsed, reader, dev_gold)
    records = plover_records()
    plover = plover_examples(nlp, reader, records)
    log.info("examples: %s train sentences (%s with an event), %s dev, %s PLOVER",
             len(doc_train), sum(e.label != NONE for e in doc_train), len(doc_dev), len(plover))

    best = None
    for l2 in args.l2:
        model = fit(doc_train + plover, l2)
        fit_temperature(model, doc_dev)
        curve = threshold_curve(model, EventReader(gazetteer, model), dev_parsed, dev_gold, dev_ids)
        threshold = choose_threshold(curve)
        point = next(c for c in curve if c[0] == threshold)
        f1 = 2 * point[1] * point[2] / (point[1] + point[2]) if point[1] + point[2] else 0.0
        log.info("l2=%s temperature=%.2f threshold=%.3f dev P=%.3f R=%.3f F1=%.3f (%s events)",
                 l2, model.temperature, threshold, point[1], point[2], f1, point[3])
        if best is None or (point[1] >= PRECISION_TARGET, f1) > (best[0][1] >= PRECISION_TARGET, best[1]):
            best = (point, f1, l2, model, threshold, curve)
    point, f1, l2, model, threshold, curve = best
    model.threshold = threshold
    train_model_reader = EventReader(gazetteer, model)
    train_match = match_corpus(system_events(train_model_reader, train_parsed), train_gold, train_ids)
    data_version = hashlib.sha256(ANNOTATIONS.read_bytes()).hexdigest()[:10]
    model.version = f"events-{data_version}-l2{l2:g}"
    model.meta = {
        "trained_by": "scripts/train_event_model.py (make train-events)",
        "data": f"benchmarks/docevents/annotations.jsonl sha256 {data_version}, train split "
                f"({len(train_ids)} documents), plus {len(plover)} PLOVER gold sentences",
        "licence": "CC BY-SA 4.0: learned in part from the PLOVER gold standard, "
                   "Open Event Data Alliance (https://github.com/openeventdata/PLOVER)",
        "l2": l2, "temperature": model.temperature, "threshold": threshold,
        "dev": {"precision": round(point[1], 3), "recall": round(point[2], 3), "f1": round(f1, 3)},
        "train": {"precision": round(train_match.precision, 3), "recall": round(train_match.recall, 3)},
    }
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"model {model.version}: {len(model.weights)} features -> {args.out}")
    print(f"train (fitted on): P={train_match.precision:.3f} R={train_match.recall:.3f}")
    print(f"dev (threshold and temperature fitted on): P={point[1]:.3f} R={point[2]:.3f} F1={f1:.3f}")
    print("dev threshold curve (threshold, precision, recall, events):")
    for t, p, r, n in curve[::2]:
        print(f"  {t:.3f}  P={p:.3f}  R={r:.3f}  n={n}")
    if plover and not args.no_cv:
        accuracy = plover_cross_validation(doc_train, plover, l2)
        print(f"PLOVER type accuracy, 5-fold CV by record (top type of the held-out sentence): {accuracy:.3f}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
