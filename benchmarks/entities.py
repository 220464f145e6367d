"""Entity quality and speed on GUM Wikinews: Wirewatch's analyzer against plain spaCy, same run.

Reads `ner-gum-wikinews/gum_news_docs.jsonl` (text CC BY 2.5, annotations CC BY 4.0;
Zeldes 2017, "The GUM Corpus", Language Resources and Evaluation 51(3)) from the
development sets in `../shared/eval` (override with WIREWATCH_EVAL_DIR).

Gold: mentions with `proper_name` true, `person` -> PERSON, `organization` -> ORG,
`place` -> GPE/LOC/FAC; predictions with other labels are ignored (the set's README).
Scores exact-span and overlapping-span precision, recall and F1 (label must agree) for
plain `spacy.load(model)` and for `Analyzer`, then words per second of
`Analyzer.analyze_many` (entities and events) against plain `nlp.pipe` on the same texts.
Skips cleanly (exit 0) when the folder is absent. Usage:

    .venv/bin/python benchmarks/entities.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import Settings  # noqa: E402
from pipeline.nlp import Analyzer  # noqa: E402

EVAL_DIR = Path(os.environ.get("WIREWATCH_EVAL_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "eval")
DOCS = EVAL_DIR / "ner-gum-wikinews" / "gum_news_docs.jsonl"
GOLD_LABELS = {"person": "PERSON", "organization": "ORG", "place": "PLACE"}
PRED_LABELS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}
SPEED_TARGET = 0.8

Mention = tuple[int, int, str]


def load_docs() -> list[dict]:
    return [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_mentions(doc: dict) -> list[Mention]:
    return [(m["start"], m["end"], GOLD_LABELS[m["gum_type"]]) for m in doc["mentions"]
            if m.get("proper_name") and m["gum_type"] in GOLD_LABELS]


def prf(gold: list[list[Mention]], pred: list[list[Mention]], overlap: bool) -> tuple[float, float, float]:
    tp_p = tp_g = n_p = n_g = 0
    for g, p in zip(gold, pred):
        n_g += len(g)
        n_p += len(p)
        def hit(a: Mention, b: Mention) -> bool:
            if a[2] != b[2]:
                return False
            return a[0] < b[1] and b[0] < a[1] if overlap else a[:2] == b[:2]
        tp_p += sum(1 for x in p if any(hit(x, y) for y in g))
        tp_g += sum(1 for y in g if any(hit(x, y) for x in p))
    precision = tp_p / n_p if n_p else 0.0
    recall = tp_g / n_g if n_g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts for the speed figure")
    args = parser.parse_args()
    if not DOCS.exists():
        print(f"skip: {DOCS} not found (set WIREWATCH_EVAL_DIR to the shared eval folder)")
        return 0
    import spacy

    docs = load_docs()
    texts = [d["text"] for d in docs]
    settings = Settings()
    plain = spacy.load(settings.spacy_model)
    analyzer = Analyzer(settings)
    gold = [gold_mentions(d) for d in docs]

    plain_pred = [[(e.start_char, e.end_char, PRED_LABELS[e.label_]) for e in doc.ents if e.label_ in PRED_LABELS]
                  for doc in plain.pipe(texts, batch_size=16)]
    ours_pred = [[(e.start, e.end, PRED_LABELS[e.label]) for e in a.entities if e.label in PRED_LABELS]
                 for a in analyzer.analyze_many([(d["text"], d.get("date_created"), None) for d in docs])]

    print(f"GUM Wikinews: {len(docs)} documents, {sum(map(len, gold))} proper-name mentions (dev half)")
    print(f"{'system':<12}{'exact P':>9}{'exact R':>9}{'exact F1':>10}{'overlap P':>11}{'overlap R':>11}{'overlap F1':>12}")
    for name, pred in (("plain", plain_pred), ("wirewatch", ours_pred)):
        ex = prf(gold, pred, overlap=False)
        ov = prf(gold, pred, overlap=True)
        print(f"{name:<12}{ex[0]:>9.3f}{ex[1]:>9.3f}{ex[2]:>10.3f}{ov[0]:>11.3f}{ov[1]:>11.3f}{ov[2]:>12.3f}")

    words = sum(len(t.split()) for t in texts) * args.repeat
    started = time.perf_counter()
    for _ in range(args.repeat):
        for _doc in plain.pipe(texts, batch_size=16):
            pass
    plain_wps = words / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(args.repeat):
        for _analysis in analyzer.analyze_many([(t, None, None) for t in texts], batch_size=16):
            pass
    ours_wps = words / (time.perf_counter() - started)
    ratio = ours_wps / plain_wps
    print(f"speed: plain nlp.pipe {plain_wps:,.0f} words/s, Wirewatch analyze_many {ours_wps:,.0f} words/s "
          f"(entities + events), ratio {ratio:.2f} (target >= {SPEED_TARGET}: {'met' if ratio >= SPEED_TARGET else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
