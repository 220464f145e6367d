"""The contrast sets of `benchmarks/contrast/` are well formed: every line parses, every
type is one of the 18, each pair sits whole in one split, and each split holds sentences
with and without events; the scorer counts a no-event sentence given an event as such."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from benchmarks.contrast_bench import load, score
from benchmarks.docevents.scoring import GoldEvent, SystemEvent

HERE = Path(__file__).resolve().parents[2] / "benchmarks" / "contrast"
TYPES = {"AGREE", "AID", "ASSAULT", "COERCE", "CONCEDE", "CONSULT", "COOPERATE", "DEMAND", "DISAPPROVE",
         "FIGHT", "INVESTIGATE", "MOBILIZE", "PROTEST", "REJECT", "RETREAT", "SANCTION", "SUPPORT", "THREATEN"}


def test_contrast_sets_are_well_formed():
    pairs: dict[str, set[str]] = {}
    for split in ("dev", "test"):
        items, gold = load(split)
        assert len(items) >= 100
        assert len({i["id"] for i in items}) == len(items)
        for item in items:
            pairs.setdefault(item["pair"], set()).add(split)
            for event in item.get("events") or [item]:
                assert set(event["types"]) <= TYPES, item["id"]
        with_events = {g.doc for g in gold}
        assert 0.25 < len(with_events) / len(items) < 0.75
    assert all(len(splits) == 1 for splits in pairs.values())
    assert Counter(len(s) for s in pairs.values()) == Counter({1: len(pairs)})


def test_contrast_score_counts_invented_events():
    items = [{"id": "a", "text": "Rebels shelled the town.", "types": ["FIGHT"]},
             {"id": "b", "text": "A storm hit the town.", "types": []}]
    gold = [GoldEvent("a", "Rebels shelled the town.", ("FIGHT",))]
    perfect = score([SystemEvent("a", "Rebels shelled the town.", "FIGHT", 0.9)], items, gold)
    noisy = score([SystemEvent("a", "Rebels shelled the town.", "FIGHT", 0.9),
                   SystemEvent("b", "A storm hit the town.", "ASSAULT", 0.9)], items, gold)
    assert perfect["f1"] == 1.0 and perfect["no_event_sentences_with_an_event"] == 0.0
    assert noisy["precision"] == 0.5 and noisy["no_event_sentences_with_an_event"] == 1.0


def test_plover_unseen_sets_are_well_formed():
    """Our PLOVER-style sentences: one of the 18 types each, actor and place spans verbatim,
    the halves disjoint, the second coding covering the locked half."""
    from benchmarks.events import load_lines

    seen = set()
    for split in ("dev", "test", "dev2", "test2", "dev3"):
        path = HERE.parent / "plover_unseen" / f"{split}.jsonl"
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        assert len(lines) >= 100 and not {x["text"] for x in lines} & seen
        seen |= {x["text"] for x in lines}
        for x in lines:
            assert x["event"] in TYPES
            assert all(x.get(k, "") in x["text"] for k in ("actor1", "actor2", "location"))
        assert len(load_lines(path)) == len(lines)


def test_second_codings_agree_with_the_first():
    from benchmarks.sets_agreement import contrast_agreement, plover_agreement

    plover, plover2, contrast = plover_agreement(), plover_agreement("test2"), contrast_agreement()
    assert plover["sentences"] == 120 and plover2["sentences"] == 110 and contrast["sentences"] == 116
    assert min(plover["type_agreement"], plover2["type_agreement"], contrast["f1"]) >= 0.8


def test_floor_files_judge_floors_and_ceilings(tmp_path, capsys):
    from benchmarks.floors import report_floors

    path = tmp_path / "floors.json"
    path.write_text(json.dumps({"_comment": "x", "precision": 0.5, "max_noise": 0.2, "recall": 0.3}))
    assert report_floors(path, {"precision": 0.6, "noise": 0.1, "recall": None}) == 0
    assert report_floors(path, {"precision": 0.4, "noise": 0.3}) == 1
    out = capsys.readouterr().out
    assert "FLOOR precision: 0.400 vs 0.5" in out and "FLOOR max_noise: 0.300 vs 0.2" in out
