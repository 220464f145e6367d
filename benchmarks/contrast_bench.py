"""Contrast sets: the codebook's hard cases as minimal pairs, written for the purpose.

    .venv/bin/python benchmarks/contrast_bench.py [--split dev|test] [--errors]   (make bench-contrast)

`benchmarks/contrast/` holds 232 sentences in 116 pairs, written and coded under the
development sets' `docevents/CODEBOOK.md` by a coder (a helper session) who saw neither the
event rules, their word lists, the model nor any coded document: in each pair one sentence
reports an event and a near-identical one reports none, or one of another type ("killed
when militants blew up the mine" / "killed when a methane explosion ripped through the
mine"; "the army shelled the town" / "the campaign came under fire"). Categories: accidents,
sport, film, commerce, metaphor, hypotheticals and future plans, habitual statements,
questions, opinions, negation, quoted rhetoric, retirements, datelines, type shifts, two
events in a sentence. The coder split the pairs at random (seed 2026) into `dev.jsonl` and
`test.jsonl`; the test file is locked like the documents' test split: scored, never read
while writing rules (`--errors` refuses it).

The text is ours (invented actors and places), so it is committed. Each sentence is scored
as a one-sentence document by the codebook's matching rule (`benchmarks/docevents/scoring.py`):
precision, recall, F1, and the share of no-event sentences that get an event, for
Wirewatch as it ships, the event rules alone and the keyword baseline, in the same run.
Exits 1 when a test figure falls under its floor in `contrast_floors.json`.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.docevents.corpus import CorpusDocument  # noqa: E402
from benchmarks.docevents.scoring import GoldEvent, SystemEvent, match_corpus  # noqa: E402
from benchmarks.docevents_bench import keyword_events, wirewatch_events  # noqa: E402
from benchmarks.floors import report_floors  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.nlp import Analyzer  # noqa: E402
from pipeline.nlp.events import EventReader  # noqa: E402

HERE = Path(__file__).resolve().parent / "contrast"
FLOORS = Path(__file__).resolve().with_name("contrast_floors.json")
PUBLISHED = "2024-05-04"


def load(split: str) -> tuple[list[dict], list[GoldEvent]]:
    items = [json.loads(line) for line in (HERE / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    gold = []
    for item in items:
        events = item.get("events") or ([item] if item.get("types") else [])
        gold += [GoldEvent(item["id"], item["text"], tuple(e["types"]), bool(e.get("optional")), e.get("fatalities"))
                 for e in events]
    return items, gold


def score(system: list[SystemEvent], items: list[dict], gold: list[GoldEvent]) -> dict[str, float]:
    ids = [i["id"] for i in items]
    m = match_corpus(system, gold, ids)
    quiet = {i["id"] for i in items if not any(g.doc == i["id"] for g in gold)}
    noisy = {e.doc for e in system} & quiet
    return {"precision": m.precision, "recall": m.recall, "f1": m.f1, "events": len(system),
            "no_event_sentences_with_an_event": len(noisy) / len(quiet) if quiet else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--errors", action="store_true", help="list the dev split's errors")
    args = parser.parse_args()
    if args.errors and args.split == "test":
        print("error: the test split is locked: its errors are not listed", file=sys.stderr)
        return 2
    items, gold = load(args.split)
    docs = [CorpusDocument(i["id"], i["text"], PUBLISHED, "contrast") for i in items]
    analyzer = Analyzer(Settings())
    rules = copy.copy(analyzer)
    rules.reader = EventReader(analyzer.gazetteer)
    systems = {"wirewatch": wirewatch_events(analyzer, docs), "rules": wirewatch_events(rules, docs),
               "keyword": keyword_events(analyzer.nlp, docs)}
    results = {name: score(events, items, gold) for name, events in systems.items()}
    quiet = sum(1 for i in items if not any(g.doc == i["id"] for g in gold))
    print(f"Wirewatch {analyzer.version}")
    print(f"contrast {args.split}: {len(items)} sentences, {len(gold)} gold events, {quiet} sentences with none")
    print(f"{'':<36}" + "".join(f"{name:>12}" for name in systems))
    for key in ("precision", "recall", "f1", "events", "no_event_sentences_with_an_event"):
        print(f"{key:<36}" + "".join(f"{results[n][key]:>12.3f}" if isinstance(results[n][key], float)
                                      else f"{results[n][key]:>12}" for n in systems))
    by_category: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_category[item["category"]].append(item)
    print("F1 by category (wirewatch / rules), sentences:")
    for category, members in sorted(by_category.items()):
        ids = {i["id"] for i in members}
        sub_gold = [g for g in gold if g.doc in ids]
        row = [score([e for e in systems[n] if e.doc in ids], members, sub_gold) for n in ("wirewatch", "rules")]
        print(f"  {category:<28} {row[0]['f1']:.2f} / {row[1]['f1']:.2f}   {len(members)}")
    if args.errors:
        m = match_corpus(systems["wirewatch"], gold, [i["id"] for i in items])
        for e in m.fp:
            print(f"FP {e.type:<11} {e.confidence:.2f} {e.doc}: {e.sentence!r}")
        for g in m.fn:
            print(f"FN {'/'.join(g.types):<11} {g.doc}: {g.sentence!r}")
    if args.split != "test" or not FLOORS.exists():
        return 0
    return report_floors(FLOORS, results["wirewatch"])


if __name__ == "__main__":
    sys.exit(main())
