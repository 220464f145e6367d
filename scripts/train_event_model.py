"""Train the event gate (`pipeline/data/event_model.json`) from the coded documents.

    .venv/bin/python scripts/train_event_model.py        (or `make train-events`)

Data: the hand-coded documents of `benchmarks/docevents/annotations.jsonl`, **train and
dev splits only**, rebuilt from `../shared/eval` (WIREWATCH_EVAL_DIR), plus event-typed
sentences from the PLOVER gold standard (`events-plover-gsr`, CC BY-SA 4.0) and the
PETRARCH2 validation records (`events-petrarch2-unittest`, MIT; CAMEO codes mapped with
`CAMEO2PLOVER-2021.txt`). The test split is never read here.

Every sentence of a coded document is an example: NONE where the coder coded nothing,
else the coder's preferred type of each firm event in it; sentences whose only events are
`optional` are left out. Five folds by document over train+dev give out-of-fold
probabilities, on which the temperature, the emission threshold and the calibration of
`confidence` (Platt scaling of P(event) to how often an emitted event is right, its type
included) are fitted; the shipped model is then fitted on all of train+dev.

Also prints a 5-fold cross-validated PLOVER type accuracy (folds by record). The trigger
rules that make the features were written while reading those PLOVER sentences, so even
that figure is a training figure for the rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.docevents.corpus import ANNOTATIONS, EVAL_DIR, load_annotations, load_splits  # noqa: E402
from benchmarks.docevents.scoring import SystemEvent, match_corpus, sentences_match  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.dates import to_date  # noqa: E402
from pipeline.nlp.analyzer import find_dateline  # noqa: E402
from pipeline.nlp.event_model import MODEL_PATH, NONE, EventModel, logit, model_digest, platt  # noqa: E402
from pipeline.nlp.events import SECOND_EVENT_DISCOUNT, EventReader  # noqa: E402
from pipeline.nlp.geo import default_gazetteer  # noqa: E402
from pipeline.nlp.model import load_pipeline  # noqa: E402

PLOVER = EVAL_DIR / "events-plover-gsr" / "PLOVER_GSR_CAMEO.json"
PETRARCH = EVAL_DIR / "events-petrarch2-unittest" / "PETR.UnitTest.records.xml"
CAMEO2PLOVER = EVAL_DIR / "events-plover-gsr" / "CAMEO2PLOVER-2021.txt"
TYPES = ("AGREE", "AID", "ASSAULT", "COERCE", "CONCEDE", "CONSULT", "COOPERATE", "DEMAND", "DISAPPROVE",
         "FIGHT", "INVESTIGATE", "MOBILIZE", "PROTEST", "REJECT", "RETREAT", "SANCTION", "SUPPORT", "THREATEN")
CLASSES = (NONE, *TYPES)
# CAMEO2PLOVER's draft names for two PLOVER 2021 types
RENAMED = {"REQUEST": "DEMAND", "ACCUSE": "DISAPPROVE"}
PRECISION_TARGET = 0.85
# the precision target comes paired with recall (>= 0.65 in the issue): a threshold that reaches
# it only by emitting under 0.4 of the events is not the target met, so best F0.5 is chosen then
# (raised from 0.2 when the refit's curve touched 0.85 at recall 0.24: decided on that
# cross-validated curve, no test split read)
MIN_RECALL = 0.4
CALIBRATION_FLOOR = 0.2  # the calibration is fitted on the out-of-fold events from here up
FOLDS = 5
log = logging.getLogger("train_event_model")


@dataclass
class Example:
    """One sentence: the model's inputs, its labels (empty: NONE) and where it comes from."""

    group: str  # document id, or "plover:N" / "petrarch:ID"
    text: str
    features: list[str]
    vector: np.ndarray
    labels: list[str] = field(default_factory=list)
    optional_only: bool = False
    rule_types: list[str] = field(default_factory=list)  # the rules' events' types, best first


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def document_examples(nlp, reader: EventReader, docs, gold) -> list[Example]:
    by_doc: dict[str, list] = {}
    for g in gold:
        by_doc.setdefault(g.doc, []).append(g)
    items = [(d.text, (d.id, to_date(d.published))) for d in docs]
    out = []
    for doc, (doc_id, published) in nlp.pipe(items, as_tuples=True, batch_size=16):
        events = by_doc.get(doc_id, [])
        dateline = find_dateline(doc.text, reader.gazetteer)
        for sent, _cands, rules, _excluded, features, vector in reader.sentences(doc, published, dateline):
            # a stray quote mark or a one-word fragment "contains" nothing worth a label
            matches = [g for g in events if _words(sent.text) >= 3 and sentences_match(sent.text, g.sentence)]
            firm = [g for g in matches if not g.optional]
            out.append(Example(doc_id, sent.text, features, vector, sorted({g.types[0] for g in firm}),
                               bool(matches and not firm), [e.type for e in rules]))
    return out


def _typed_sentences(nlp, reader: EventReader, records: list[tuple[str, str, str, str]]) -> list[Example]:
    """(group, text, type, trigger words) records as examples: the sentence holding the trigger."""
    out = []
    for (group, _text, etype, trigger), doc in zip(records, nlp.pipe([r[1] for r in records], batch_size=32)):
        sentences = list(reader.sentences(doc, to_date("2000-01-01"), None))
        if not sentences:
            continue
        chosen = next((s for s in sentences if trigger and trigger in s.sent.text.lower()), sentences[0])
        # a lone sentence says nothing of the document it came from
        features = [f for f in chosen.features if not f.startswith("doc_")]
        out.append(Example(group, chosen.sent.text, features, chosen.vector, [etype]))
    return out


def plover_examples(nlp, reader: EventReader) -> list[Example]:
    if not PLOVER.exists():
        return []
    records = [r for r in json.loads(PLOVER.read_text(encoding="utf-8")) if r.get("event") != "DOCUMENT"]
    return _typed_sentences(nlp, reader, [(f"plover:{n}", r["text"], r["event"],
                                           (r.get("eventText") or "").strip().lower())
                                          for n, r in enumerate(records)])


def petrarch_examples(nlp, reader: EventReader) -> list[Example]:
    """The PETRARCH2 validation sentences that carry a CAMEO code PLOVER maps to one type."""
    if not PETRARCH.exists() or not CAMEO2PLOVER.exists():
        return []
    table = {}
    for line in CAMEO2PLOVER.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(\d+):\s*([A-Z]+)", line):
            table[m.group(1)] = RENAMED.get(m.group(2), m.group(2))

    def plover(code: str) -> str | None:
        return next((table[code[:k]] for k in range(len(code), 1, -1) if code[:k] in table), None)

    records = []
    raw = PETRARCH.read_text(encoding="utf-8")
    for m in re.finditer(r'<Sentence [^>]*id="([^"]+)"[^>]*>(.*?)</Sentence>', raw, re.S):
        sid, body = m.groups()
        text = re.search(r"<Text>(.*?)</Text>", body, re.S)
        types = sorted({t for t in map(plover, re.findall(r'eventcode="(\d+)"', body)) if t in TYPES})
        if text and len(types) == 1:
            records.append((f"petrarch:{sid}", " ".join(text.group(1).split()), types[0], ""))
    return _typed_sentences(nlp, reader, records)


# -- the model -------------------------------------------------------------------------
def _labelled(examples: list[Example]) -> list[tuple[Example, str, float]]:
    out = []
    for e in examples:
        if e.optional_only:
            continue
        labels = e.labels or [NONE]
        out += [(e, label, 1.0 / len(labels)) for label in labels]
    return out


def _matrix(examples: list[Example], vocab: dict[str, int], mean, scale):
    rows, cols = [], []
    for r, e in enumerate(examples):
        for f in set(e.features):
            if f in vocab:
                rows.append(r)
                cols.append(vocab[f])
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(examples), len(vocab)))
    if mean is None:
        return x
    dense = (np.stack([e.vector for e in examples]) - mean) / scale
    return sparse.hstack([x, sparse.csr_matrix(dense)]).tocsr()


def fit(examples: list[Example], l2: float, *, use_vectors: bool = True, min_count: int = 2,
        drop: tuple[str, ...] = ()) -> EventModel:
    """Multinomial logistic regression, L2-penalised, by L-BFGS, over the features seen in at
    least `min_count` examples and not starting with one of the `drop` prefixes."""
    labelled = _labelled(examples)
    counts = Counter(f for e, _, _ in labelled for f in set(e.features) if not f.startswith(drop))
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= min_count))}
    mean = scale = None
    if use_vectors:
        stacked = np.stack([e.vector for e, _, _ in labelled])
        mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    x = _matrix([e for e, _, _ in labelled], vocab, mean, scale)
    y = np.array([CLASSES.index(label) for _, label, _ in labelled])
    w = np.array([weight for _, _, weight in labelled])
    k, d = len(CLASSES), x.shape[1]
    onehot = np.zeros((len(y), k))
    onehot[np.arange(len(y)), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights = theta[: d * k].reshape(d, k)
        scores = x @ weights + theta[d * k:]
        scores -= scores.max(axis=1, keepdims=True)
        logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        value = -(w * (onehot * logp).sum(axis=1)).sum() + 0.5 * l2 * (weights ** 2).sum()
        diff = (np.exp(logp) - onehot) * w[:, None]
        grad = np.concatenate([np.asarray(x.T @ diff + l2 * weights).ravel(), diff.sum(axis=0)])
        return value, grad

    result = optimize.minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    weights = result.x[: d * k].reshape(d, k)
    names = sorted(vocab, key=vocab.get)
    sparse_weights = {f: weights[i] for i, f in enumerate(names) if np.abs(weights[i]).max() >= 1e-3}
    dense = weights[len(vocab):] if use_vectors else None
    return EventModel(CLASSES, sparse_weights, result.x[d * k:], dense=dense, dense_mean=mean, dense_scale=scale)


def out_of_fold(examples: list[Example], extra: list[Example], l2: float, use_vectors: bool, seed: int = 13,
                **options):
    """Each coded example's (P(event), top type) from a model fitted without its document."""
    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    fold = {g: n % FOLDS for n, g in enumerate(groups)}
    predictions: dict[int, tuple[np.ndarray, Example]] = {}
    for k in range(FOLDS):
        model = fit([e for e in examples if fold[e.group] != k] + extra, l2, use_vectors=use_vectors, **options)
        for n, e in enumerate(examples):
            if fold[e.group] == k:
                predictions[n] = (model.scores(e.features, e.vector), e)
    return [predictions[n] for n in range(len(examples))]


def fit_temperature(scored) -> float:
    """The temperature that minimises the out-of-fold log-loss of NONE vs event."""
    best = (math.inf, 1.0)
    for t in np.arange(0.5, 3.01, 0.05):
        nll = 0.0
        for scores, e in scored:
            if e.optional_only:
                continue
            s = scores / t
            p = np.exp(s - s.max())
            p /= p.sum()
            p_event = 1 - p[0]
            nll -= math.log(max(p_event if e.labels else 1 - p_event, 1e-12))
        best = min(best, (nll, float(t)))
    return best[1]


def emitted(scored, temperature: float) -> list[SystemEvent]:
    """What `EventReader.read` emits for each scored sentence the rules read an event in,
    at every threshold: the rules' type at P(event), and the rules' second event of another
    type at P(event) x SECOND_EVENT_DISCOUNT."""
    out = []
    for scores, e in scored:
        if not e.rule_types:
            continue
        s = scores / temperature
        p = np.exp(s - s.max())
        p /= p.sum()
        etype = e.rule_types[0]
        out.append(SystemEvent(e.group, e.text, etype, float(1 - p[0])))
        second = next((t for t in e.rule_types[1:] if t != etype), None)
        if second is not None:
            out.append(SystemEvent(e.group, e.text, second, float(1 - p[0]) * SECOND_EVENT_DISCOUNT))
    return out


def threshold_curve(events: list[SystemEvent], gold, ids) -> list[tuple[float, float, float, int]]:
    curve = []
    for t in np.arange(0.2, 0.96, 0.025):
        kept = [e for e in events if e.confidence >= t]
        m = match_corpus(kept, gold, ids)
        curve.append((round(float(t), 3), m.precision, m.recall, len(kept)))
    return curve


def choose_threshold(curve) -> float:
    """The threshold of best F1 among those whose precision reaches the target with a recall
    worth having (MIN_RECALL); where none does, the one of best F0.5 (precision counts
    double): a gate that emits almost nothing is no product, one that emits noise no better."""
    def f(beta, p, r):
        return (1 + beta ** 2) * p * r / (beta ** 2 * p + r) if p + r else 0.0
    ok = [(f(1, p, r), t) for t, p, r, _ in curve if p >= PRECISION_TARGET and r >= MIN_RECALL]
    if ok:
        return max(ok)[1]
    return max((f(0.5, p, r), t) for t, p, r, _ in curve)[1]


def fit_platt(outcomes: list[tuple[float, int]]) -> tuple[float, float]:
    """(a, b) of P(right) = sigmoid(a + b * logit(p)) by maximum likelihood over (p, right) pairs."""
    x = np.array([logit(p) for p, _ in outcomes])
    y = np.array([right for _, right in outcomes], dtype=float)

    def nll(ab: np.ndarray) -> float:
        z = ab[0] + ab[1] * x
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    a, b = optimize.minimize(nll, np.array([0.0, 1.0]), method="Nelder-Mead").x
    return float(a), float(b)


def calibration_outcomes(events: list[SystemEvent], gold, ids) -> list[tuple[SystemEvent, int]]:
    """Each out-of-fold event above the curve's lowest threshold with whether it is right
    (matched with a firm gold event) or wrong; those an optional gold event absorbs say neither."""
    m = match_corpus([e for e in events if e.confidence >= CALIBRATION_FLOOR], gold, ids)
    return [(e, 1) for e, _ in m.tp] + [(e, 0) for e in m.fp]


def calibrated_bands(outcomes: list[tuple[SystemEvent, int]], seed: int = 13) -> list[str]:
    """Precision per band of calibrated confidence, the calibration itself fitted without the
    document's fold (so the bands are not read on what the calibration was fitted to)."""
    groups = sorted({e.doc for e, _ in outcomes})
    random.Random(seed).shuffle(groups)
    fold = {g: n % FOLDS for n, g in enumerate(groups)}
    scored = []
    for k in range(FOLDS):
        a, b = fit_platt([(e.confidence, r) for e, r in outcomes if fold[e.doc] != k])
        scored += [(platt(e.confidence, a, b), r) for e, r in outcomes if fold[e.doc] == k]
    rows = []
    for lo, hi in ((0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.0, 0.5)):
        right = [r for c, r in scored if lo <= c < hi]
        rows.append(f"[{lo:.1f},{min(hi, 1):.1f}) n={len(right)} P={sum(right) / len(right):.2f}" if right
                    else f"[{lo:.1f},{min(hi, 1):.1f}) n=0")
    at = [r for c, r in scored if c >= 0.8]
    rows.append(f">=0.8 n={len(at)} P={sum(at) / len(at):.2f}" if at else ">=0.8 n=0")
    return rows


def bands(events: list[SystemEvent], gold, ids) -> list[str]:
    m = match_corpus(events, gold, ids)
    rows = []
    for lo, hi in ((0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6)):
        right = sum(1 for e, _ in m.tp if lo <= e.confidence < hi)
        wrong = sum(1 for e in m.fp if lo <= e.confidence < hi)
        rows.append(f"[{lo:.1f},{min(hi, 1):.1f}) n={right + wrong} P={right / (right + wrong):.2f}"
                    if right + wrong else f"[{lo:.1f},{min(hi, 1):.1f}) n=0")
    return rows


def plover_cross_validation(coded: list[Example], plover: list[Example], extra: list[Example],
                            l2: float, use_vectors: bool) -> float | None:
    """Top-type accuracy on each held-out fifth of the PLOVER records (folds by record)."""
    right = total = 0
    for k in range(FOLDS):
        train = coded + extra + [e for n, e in enumerate(plover) if n % FOLDS != k]
        model = fit(train, l2, use_vectors=use_vectors)
        for e in (e for n, e in enumerate(plover) if n % FOLDS == k):
            right += model.judge(e.features, e.vector)[1][0][0] == e.labels[0]
            total += 1
    return right / total if total else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, default=10.0, help="L2 penalty (3, 10 and 30 were compared: 10)")
    parser.add_argument("--vectors", action="store_true",
                        help="also the parser's token vectors (compared: no better out of fold)")
    parser.add_argument("--min-count", type=int, default=2, help="keep features seen in this many examples")
    parser.add_argument("--drop", action="append", default=[], metavar="PREFIX",
                        help="leave out features with this prefix (e.g. lemma: for the bag of words)")
    parser.add_argument("--no-cv", action="store_true", help="skip the PLOVER cross-validation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not EVAL_DIR.exists():
        print(f"error: {EVAL_DIR} not found: training needs the shared development sets", file=sys.stderr)
        return 2
    started = time.perf_counter()
    use_vectors = args.vectors
    splits = load_splits()
    gold, docs = load_annotations()
    ids = [i for i in splits["train"] + splits["dev"] if i in docs]
    gold = [g for g in gold if g.doc in set(ids)]
    nlp = load_pipeline(Settings())
    reader = EventReader(default_gazetteer(), vectors=use_vectors)
    coded = document_examples(nlp, reader, [docs[i] for i in ids], gold)
    plover = plover_examples(nlp, reader)
    petrarch = petrarch_examples(nlp, reader)
    log.info("examples: %s coded sentences from %s documents (%s with an event, %s optional only), "
             "%s PLOVER, %s PETRARCH2", len(coded), len(ids), sum(bool(e.labels) for e in coded),
             sum(e.optional_only for e in coded), len(plover), len(petrarch))

    options = {"min_count": args.min_count, "drop": tuple(args.drop)}
    scored = out_of_fold(coded, plover + petrarch, args.l2, use_vectors, **options)
    temperature = fit_temperature(scored)
    events = emitted(scored, temperature)
    curve = threshold_curve(events, gold, ids)
    threshold = choose_threshold(curve)
    point = next(c for c in curve if c[0] == threshold)

    outcomes = calibration_outcomes(events, gold, ids)
    calibration = fit_platt([(e.confidence, right) for e, right in outcomes])

    model = fit(coded + plover + petrarch, args.l2, use_vectors=use_vectors, **options)
    model.temperature, model.threshold, model.calibration = temperature, threshold, calibration
    fitted = emitted([(model.scores(e.features, e.vector), e) for e in coded], temperature)
    in_sample = match_corpus([e for e in fitted if e.confidence >= threshold], gold, ids)
    data_version = hashlib.sha256(ANNOTATIONS.read_bytes()).hexdigest()[:10]
    # the version names what the gate computes (weights, calibration, threshold), so a change of
    # data, of the rules' lexicon or of a setting that refits it changes `analyzer_version`
    model.version = f"events-{model_digest(model)}"
    model.meta = {
        "trained_by": "scripts/train_event_model.py (make train-events)",
        "data": f"benchmarks/docevents/annotations.jsonl sha256 {data_version}: train and dev splits "
                f"({len(ids)} documents); {len(plover)} PLOVER gold and {len(petrarch)} PETRARCH2 sentences",
        "licence": "CC BY-SA 4.0: learned in part from the PLOVER gold standard, Open Event Data Alliance",
        "l2": args.l2, "vectors": use_vectors, "min_count": args.min_count, "drop": args.drop,
        "temperature": temperature, "threshold": threshold,
        "calibration": "Platt scaling of P(event) to P(right, type included), fitted on the "
                       f"{len(outcomes)} out-of-fold events at P(event) >= {CALIBRATION_FLOOR}",
        "cross_validated": {"precision": round(point[1], 3), "recall": round(point[2], 3)},
        "in_sample": {"precision": round(in_sample.precision, 3), "recall": round(in_sample.recall, 3)},
    }
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"model {model.version}: {len(model.weights)} features{' + vectors' if use_vectors else ''} -> {args.out}")
    print(f"temperature {temperature:.2f}, threshold {threshold:.3f}")
    print(f"train+dev, in sample (fitted on; not an estimate): P={in_sample.precision:.3f} R={in_sample.recall:.3f}")
    print(f"train+dev, 5-fold cross-validated by document:     P={point[1]:.3f} R={point[2]:.3f}")
    print("cross-validated precision by band of P(event): " + "; ".join(bands(events, gold, ids)))
    print(f"calibration a={calibration[0]:.3f} b={calibration[1]:.3f}; precision by band of calibrated confidence "
          "(calibration fitted without the band's fold): " + "; ".join(calibrated_bands(outcomes)))
    print("cross-validated threshold curve (threshold, precision, recall, events):")
    for t, p, r, n in curve[::2]:
        print(f"  {t:.3f}  P={p:.3f}  R={r:.3f}  n={n}")
    if plover and not args.no_cv:
        accuracy = plover_cross_validation(coded, plover, petrarch, args.l2, use_vectors)
        print(f"PLOVER type accuracy, 5-fold cross-validated by record (a training figure for the rules): "
              f"{accuracy:.3f}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
