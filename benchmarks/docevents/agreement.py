"""Agreement between the corpus's coders on the documents both coded independently.

    .venv/bin/python -m benchmarks.docevents.agreement [--docs wire:]

The second coder's events are scored against the first's by the codebook's own rule, and
the other way round; with optional events counting neither way, the two directions give
each coder's firm events that the other also found (recall) or did not dispute (precision).
Also: agreement on which documents report no event at all, and on the preferred type of
matched events.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.docevents.corpus import ANNOTATIONS, EVAL_DIR, HERE, load_annotations  # noqa: E402
from benchmarks.docevents.scoring import SystemEvent, match_corpus  # noqa: E402

SECOND = HERE / "annotations_second.jsonl"


def as_system(gold) -> list[SystemEvent]:
    return [SystemEvent(g.doc, g.sentence, g.types[0], 0.5 if g.optional else 1.0) for g in gold]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="", metavar="PREFIX",
                        help="only the documents whose id starts so (e.g. wire: for the written articles)")
    args = parser.parse_args(argv)
    if not EVAL_DIR.exists():
        print(f"skip: {EVAL_DIR} not found")
        return 0
    second, docs = load_annotations(SECOND)
    docs = {i: d for i, d in docs.items() if i.startswith(args.docs)}
    second = [g for g in second if g.doc in docs]
    first, _ = load_annotations(ANNOTATIONS, docs)
    ids = sorted(docs)
    first = [g for g in first if g.doc in docs]
    firm = lambda events: [g for g in events if not g.optional]  # noqa: E731
    a = match_corpus([e for e in as_system(second) if e.confidence == 1.0], first, ids)
    b = match_corpus([e for e in as_system(first) if e.confidence == 1.0], second, ids)
    none_first = {d for d in ids if not firm([g for g in first if g.doc == d])}
    none_second = {d for d in ids if not firm([g for g in second if g.doc == d])}
    same_none = sum((d in none_first) == (d in none_second) for d in ids)
    type_same = sum(e.type == g.types[0] for e, g in a.tp)
    words = sum(docs[d].words for d in ids)
    print(f"documents coded by both: {len(ids)} ({words} words); firm events: first {len(firm(first))}, "
          f"second {len(firm(second))}")
    print(f"second's firm events confirmed by first (precision vs first): {a.precision:.3f}")
    print(f"first's firm events found by second (recall vs first):         {a.recall:.3f}")
    print(f"first's firm events confirmed by second:                       {b.precision:.3f}")
    print(f"F1 (second scored against first):                              {a.f1:.3f}")
    print(f"same preferred type on matched events:                         {type_same}/{len(a.tp)}")
    print(f"agree whether a document reports any firm event:               {same_none}/{len(ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
