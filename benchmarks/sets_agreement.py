"""Agreement between two independent coders on the locked test halves of our own sets.

    .venv/bin/python benchmarks/sets_agreement.py

`benchmarks/plover_unseen/test.jsonl` and `test2.jsonl` and `benchmarks/contrast/test.jsonl`
were written and coded by one coder each; `test_second.jsonl` (`test2_second.jsonl`) beside
each is a second coder's coding of the same sentences, made from the text alone (neither coder saw the other's codes or any
system output; both are helper sessions, not people). Printed: for the PLOVER-style set,
the share of sentences given the same type and the actor agreement by the benchmark's
own lenient match; for the contrast set, the second coding scored against the first by
the codebook's matching rule (F1), and agreement on whether a sentence reports any event.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.contrast_bench import load  # noqa: E402
from benchmarks.docevents.scoring import SystemEvent, match_corpus  # noqa: E402
from benchmarks.events import actor_matches  # noqa: E402

HERE = Path(__file__).resolve().parent


def _lines(path: Path) -> dict[str, dict]:
    return {d["id"]: d for d in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)}


def plover_agreement(name: str = "test") -> dict[str, float]:
    first = _lines(HERE / "plover_unseen" / f"{name}.jsonl")
    second = _lines(HERE / "plover_unseen" / f"{name}_second.jsonl")
    ids = sorted(first.keys() & second.keys())
    same_type = sum(first[i]["event"] == second[i]["event"] for i in ids)
    figures = {"sentences": len(ids), "type_agreement": same_type / len(ids)}
    for key in ("actor1", "actor2"):
        both = [i for i in ids if first[i].get(key)]
        figures[f"{key}_agreement"] = sum(actor_matches(second[i].get(key), [{"actorText": first[i][key]}])
                                          for i in both) / len(both)
    return figures


def contrast_agreement() -> dict[str, float]:
    items, gold = load("test")
    second = _lines(HERE / "contrast" / "test_second.jsonl")
    text = {i["id"]: i["text"] for i in items}
    system = []
    for sid, coded in second.items():
        events = coded.get("events") or ([coded] if coded.get("types") else [])
        system += [SystemEvent(sid, text[sid], e["types"][0], 1.0) for e in events if e.get("types")]
    m = match_corpus(system, gold, list(text))
    first_any = {g.doc for g in gold if not g.optional}
    second_any = {e.doc for e in system}
    any_agree = sum((i in first_any) == (i in second_any) for i in text)
    return {"sentences": len(text), "f1": m.f1, "precision": m.precision, "recall": m.recall,
            "any_event_agreement": any_agree / len(text)}


def main() -> int:
    for name, figures in (("plover_unseen test", plover_agreement()), ("plover_unseen test2", plover_agreement("test2")),
                          ("contrast test", contrast_agreement())):
        print(name + ": " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
