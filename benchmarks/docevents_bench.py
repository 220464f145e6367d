"""Whole-document event quality on the locked test split, with a keyword baseline in the same run.

    .venv/bin/python benchmarks/docevents_bench.py [--split test] [--errors]   (make bench-docevents)

Scores what `Analyzer.analyze` emits by default (so what the warehouse stores) on the
hand-coded documents of `benchmarks/docevents/` by the codebook's rule: precision, recall
and F1, per type, events per 1,000 words on documents that report none, precision per
confidence band and at the dashboards' threshold, fatality precision. The same figures on
the train and dev splits, which the model was fitted and calibrated on, are printed
beside, so the gap between training and test figures is visible. Baseline: for each sentence, the
highest-priority trigger word of `pipeline/data/triggers.tsv` found as a word prefix
(no parse, no negation or modality), one event of its type; and the event rules alone,
with no learned gate, to show what the gate adds on text it was not fitted to.

`--split wire` scores the 24 wire-style articles written for the corpus (locked like test).
Exits 1 when a test (wire) figure falls under its floor in `docevents_floors.json`
(`docevents_wire_floors.json`); skips cleanly (exit 0) when `../shared/eval` is absent.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.docevents.corpus import EVAL_DIR, load_annotations, load_splits  # noqa: E402
from benchmarks.floors import report_floors  # noqa: E402
from benchmarks.docevents.scoring import (  # noqa: E402
    Matching,
    SystemEvent,
    bands,
    fatality_figures,
    match_corpus,
    per_type,
    precision_at,
)
from pipeline.config import Settings  # noqa: E402
from pipeline.nlp import Analyzer, lexicon  # noqa: E402
from pipeline.nlp.events import EventReader  # noqa: E402

FLOORS = {"test": Path(__file__).resolve().with_name("docevents_floors.json"),
          "wire": Path(__file__).resolve().with_name("docevents_wire_floors.json")}
DASHBOARD_THRESHOLD = 0.8
TYPES = ("AGREE", "AID", "ASSAULT", "COERCE", "CONCEDE", "CONSULT", "COOPERATE", "DEMAND", "DISAPPROVE",
         "FIGHT", "INVESTIGATE", "MOBILIZE", "PROTEST", "REJECT", "RETREAT", "SANCTION", "SUPPORT", "THREATEN")


def wirewatch_events(analyzer: Analyzer, docs) -> list[SystemEvent]:
    items = [(d.text, d.published, None) for d in docs]
    out = []
    for doc, analysis in zip(docs, analyzer.analyze_many(items)):
        out += [SystemEvent(doc.id, e.sentence, e.type, e.confidence, e.fatalities,
                            e.actor1.text if e.actor1 else None, e.actor2.text if e.actor2 else None)
                for e in analysis.events]
    return out


def keyword_events(nlp, docs) -> list[SystemEvent]:
    words = sorted(((t.lemma, t.type, t.priority) for ts in lexicon.triggers().values() for t in ts
                    if not t.companions), key=lambda w: -w[2])
    patterns = [(re.compile(r"\b" + re.escape(lemma[:-1] if lemma.endswith("e") else lemma)), etype)
                for lemma, etype, _ in words]
    out = []
    for doc, parsed in zip(docs, nlp.pipe([d.text for d in docs], batch_size=16)):
        for sent in parsed.sents:
            low = sent.text.lower()
            hit = next((etype for pattern, etype in patterns if pattern.search(low)), None)
            if hit is not None:
                out.append(SystemEvent(doc.id, sent.text, hit, 1.0))
    return out


def figures(matching: Matching, system: list[SystemEvent], docs, gold) -> dict[str, float | None]:
    firm_docs = {g.doc for g in gold if not g.optional}
    any_docs = {g.doc for g in gold}
    quiet = [d for d in docs if d.id not in any_docs]  # coded as reporting no event at all
    quiet_ids = {d.id for d in quiet}
    quiet_words = sum(d.words for d in quiet)
    quiet_events = sum(1 for e in system if e.doc in quiet_ids)
    n_dash, p_dash = precision_at(matching, DASHBOARD_THRESHOLD)
    return {
        "precision": matching.precision, "recall": matching.recall, "f1": matching.f1,
        "events": len(system), "gold_firm": len(matching.tp) + len(matching.fn),
        "no_event_docs": len(quiet), "events_per_1000_words_no_event_docs":
            1000 * quiet_events / quiet_words if quiet_words else None,
        "precision_at_dashboard_threshold": p_dash, "events_at_dashboard_threshold": n_dash,
        "documents_with_firm_events": len(firm_docs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("train", "dev", "test", "wire", "fitted"),
                        help="wire: the articles written for the corpus, locked like test")
    parser.add_argument("--errors", action="store_true", help="list false positives and misses")
    parser.add_argument("--without", metavar="PREFIX",
                        help="leave out the split's documents whose id starts with PREFIX (wire: gives the test "
                             "split of earlier releases); no floors then")
    parser.add_argument("--also-without", metavar="PREFIX", action="append", default=[],
                        help="also print the figures without the documents whose id starts with PREFIX, and on "
                             "those documents alone, from the same run (so the split is read once for all); "
                             "repeatable")
    args = parser.parse_args()
    if args.errors and args.split in ("test", "wire"):
        print(f"error: the {args.split} split is locked: its errors are not listed", file=sys.stderr)
        return 2
    if not EVAL_DIR.exists():
        print(f"skip: {EVAL_DIR} not found (set WIREWATCH_EVAL_DIR to the shared eval folder)")
        return 0
    splits = load_splits()
    gold, docs = load_annotations()
    analyzer = Analyzer(Settings())
    rules = copy.copy(analyzer)
    rules.reader = EventReader(analyzer.gazetteer)  # the rules with no learned gate
    print(f"Wirewatch {analyzer.version}")
    results = {}
    splits["fitted"] = splits["train"] + splits["dev"]
    for split in dict.fromkeys((args.split, "fitted")):
        ids = [i for i in splits[split] if i in docs
               and not (split == args.split and args.without and i.startswith(args.without))]
        split_docs = [docs[i] for i in ids]
        split_gold = [g for g in gold if g.doc in set(ids)]
        started = time.perf_counter()
        ours = wirewatch_events(analyzer, split_docs)
        seconds = time.perf_counter() - started
        base = keyword_events(analyzer.nlp, split_docs)
        ruled = wirewatch_events(rules, split_docs)
        m_ours = match_corpus(ours, split_gold, ids)
        m_base = match_corpus(base, split_gold, ids)
        m_rules = match_corpus(ruled, split_gold, ids)
        results[split] = (figures(m_ours, ours, split_docs, split_gold), figures(m_base, base, split_docs, split_gold),
                          m_ours, ours, split_docs, seconds, figures(m_rules, ruled, split_docs, split_gold))
    test, test_base, m_test, ours, split_docs, seconds, test_rules = results[args.split]
    train = results["fitted"][0]
    words = sum(d.words for d in split_docs)
    print(f"{args.split} split: {len(split_docs)} documents, {words} words, {test['gold_firm']} firm gold events, "
          f"{test['no_event_docs']} documents with no event; analysed in {seconds:.1f} s")
    print(f"{'':<44}{'wirewatch':>12}{'rules':>12}{'keyword':>12}{'fitted*':>12}")
    for key in ("precision", "recall", "f1", "events", "events_per_1000_words_no_event_docs",
                "precision_at_dashboard_threshold", "events_at_dashboard_threshold"):
        row = [test[key], test_rules[key], test_base[key], train[key]]
        print(f"{key:<44}" + "".join(f"{v:>12.3f}" if isinstance(v, float) else f"{str(v):>12}" for v in row))
    print("rules: the event rules with no learned gate; keyword: one event per sentence with a trigger word")
    print("* fitted: Wirewatch on the train and dev documents the model was fitted and calibrated on; not an estimate")
    print("per type (tp, fp, fn):")
    for etype, (tp, fp, fn) in per_type(m_test, TYPES).items():
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        print(f"  {etype:<12} tp={tp:<3} fp={fp:<3} fn={fn:<3} P={p:.2f} R={r:.2f}")
    print("precision per confidence band:")
    for (lo, hi), n, p in bands(m_test):
        print(f"  [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}  n={n:<4} " + (f"P={p:.2f}" if p is not None else "-"))
    fat = fatality_figures(m_test)
    print(f"fatalities: {fat['stated']} matched events state a count; exact {fat['exact_precision']}, "
          f"never above the coder's {fat['not_over']}; false-positive events with deaths: {fat['fp_with_deaths']}")
    if args.also_without:
        left_out = tuple(args.also_without)
        for label, part_docs in (("without " + ", ".join(left_out), [d for d in split_docs if not d.id.startswith(left_out)]),
                                 ("only those", [d for d in split_docs if d.id.startswith(left_out)])):
            kept_ids = {d.id for d in part_docs}
            kept_gold = [g for g in gold if g.doc in kept_ids]
            kept_events = [e for e in ours if e.doc in kept_ids]
            part = figures(match_corpus(kept_events, kept_gold, [d.id for d in part_docs]), kept_events, part_docs,
                           kept_gold)
            quiet = part["events_per_1000_words_no_event_docs"]
            print(f"{label}: {len(part_docs)} documents, {part['gold_firm']} firm events: P={part['precision']:.3f} "
                  f"R={part['recall']:.3f} F1={part['f1']:.3f}, events per 1,000 words of documents with no event: "
                  + ("-" if quiet is None else f"{quiet:.2f}"))
    if args.errors:
        for e in m_test.fp:
            print(f"FP {e.type:<11} {e.confidence:.2f} {e.doc}: {e.sentence[:140]!r}")
        for g in m_test.fn:
            print(f"FN {'/'.join(g.types):<11} {g.doc}: {g.sentence[:140]!r}")
    if args.split not in FLOORS or args.without:
        return 0  # train and dev are fitted on, and a part of a split has no floor
    return report_floors(FLOORS[args.split], test)


if __name__ == "__main__":
    sys.exit(main())
