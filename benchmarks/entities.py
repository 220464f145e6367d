"""Entity quality and speed on GUM Wikinews: Wirewatch's analyzer against plain spaCy, same run.

Reads `ner-gum-wikinews/gum_news_docs.jsonl` (text CC BY 2.5, annotations CC BY 4.0;
Zeldes 2017, "The GUM Corpus", Language Resources and Evaluation 51(3)) from the
development sets in `../shared/eval` (override with WIREWATCH_EVAL_DIR).

Gold: mentions with `proper_name` true, `person` -> PERSON, `organization` -> ORG,
`place` -> GPE/LOC/FAC; predictions with other labels are ignored (the set's README).
Scores exact-span and overlapping-span precision, recall and F1 (label must agree) for
plain `spacy.load(model)` and for `Analyzer`, then words per second of
`Analyzer.analyze_many` (entities and events) against plain `nlp.pipe` on the same texts,
in-process and as processes (`wirewatch analyze --jsonl` against a plain `nlp.pipe` script,
marginal throughput: see `cli_speed`).
Skips cleanly (exit 0) when the folder is absent. Usage:

    .venv/bin/python benchmarks/entities.py [--repeat N]

Exits 1 when a figure falls under its floor in `benchmarks/baselines.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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
BASELINES = Path(__file__).resolve().with_name("baselines.json")
# The plain side of the CLI comparison: the same model, the same texts, a process of its own.
PLAIN_SCRIPT = """
import json, sys, spacy
nlp = spacy.load(sys.argv[1])
texts = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8")]
for doc in nlp.pipe(texts, batch_size=16):
    print(json.dumps([(e.start_char, e.end_char, e.label_) for e in doc.ents]))
"""

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
    cli_ratio = cli_speed(texts, settings.spacy_model, args.repeat)
    figures = {"exact_f1_margin_over_plain": prf(gold, ours_pred, overlap=False)[2] - prf(gold, plain_pred, overlap=False)[2],
               "speed_ratio": ratio, "cli_speed_ratio": cli_ratio}
    floors = json.loads(BASELINES.read_text(encoding="utf-8"))["entities"]
    failures = [f"FLOOR {name}: {figures[name]:.3f} < {floor}" for name, floor in floors.items()
                if name in figures and figures[name] < floor]
    for line in failures:
        print(line)
    print("floors (benchmarks/baselines.json): " + ("FAILED" if failures else "held"))
    return 1 if failures else 0


def cli_speed(texts: list[str], model: str, repeat: int) -> float:
    """Words/s of `wirewatch analyze --jsonl` over plain `nlp.pipe`, each a process of its own.

    Throughput is marginal: each command runs on the texts once and on them 1 + `repeat`
    times (best of two runs each), and the difference is the time `repeat` passes take
    once everything is loaded. Start-up is not just imports and the model: some costs come
    with the first text that needs them (dateparser compiles its time-zone patterns on the
    first relative date), and a one-sentence start-up file would leave those in the
    throughput. The start-up seconds (the one-pass run) are printed too."""
    wirewatch = Path(sys.executable).with_name("wirewatch")
    with tempfile.TemporaryDirectory() as tmp:
        files = {passes: Path(tmp) / f"texts-{passes}.jsonl" for passes in (1, 1 + repeat)}
        for passes, path in files.items():
            with path.open("w", encoding="utf-8") as out:
                for n in range(passes):
                    for i, text in enumerate(texts):
                        out.write(json.dumps({"id": f"{n}-{i}", "text": text}) + "\n")
        commands = {"plain": [sys.executable, "-c", PLAIN_SCRIPT, model],
                    "cli": [str(wirewatch), "analyze", "--jsonl"]}
        once = {name: min(_timed([*cmd, str(files[1])]) for _ in range(2)) for name, cmd in commands.items()}
        total = {name: min(_timed([*cmd, str(files[1 + repeat])]) for _ in range(2)) for name, cmd in commands.items()}
    words = sum(len(t.split()) for t in texts) * repeat
    wps = {name: words / max(total[name] - once[name], 1e-6) for name in commands}
    ratio = wps["cli"] / wps["plain"]
    print(f"speed: plain nlp.pipe process {wps['plain']:,.0f} words/s (one pass {once['plain']:.1f} s), "
          f"`wirewatch analyze --jsonl` {wps['cli']:,.0f} words/s (one pass {once['cli']:.1f} s), ratio {ratio:.2f} "
          f"(target >= {SPEED_TARGET}: {'met' if ratio >= SPEED_TARGET else 'NOT met'}); whole runs "
          f"{total['plain'] / total['cli']:.2f}")
    return ratio


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
