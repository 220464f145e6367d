"""Whole-document event scoring by the codebook's rule (`../shared/eval/docevents/CODEBOOK.md`).

A system event matches a gold event when their sentences match (one contains the other,
or their word sets have Jaccard >= 0.6) and the system's type is among the gold event's
`types`; matching is greedy and one-to-one, higher confidence first. A match with an
`optional` gold event counts neither way; every other unmatched system event is a false
positive; recall is over the non-optional gold events.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

WORD = re.compile(r"\w+")
BANDS = ((0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.0, 0.5))


@dataclass(frozen=True, slots=True)
class GoldEvent:
    doc: str
    sentence: str
    types: tuple[str, ...]
    optional: bool = False
    fatalities: int | None = None
    actor1: str = ""
    actor2: str = ""


@dataclass(frozen=True, slots=True)
class SystemEvent:
    doc: str
    sentence: str
    type: str
    confidence: float
    fatalities: int | None = None
    actor1: str | None = None
    actor2: str | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in WORD.findall(text))


def sentences_match(a: str, b: str) -> bool:
    a, b = " ".join(a.split()), " ".join(b.split())
    if a and b and (a in b or b in a):
        return True
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


@dataclass
class Matching:
    """The outcome of matching one document's (or a corpus's) events."""

    tp: list[tuple[SystemEvent, GoldEvent]] = field(default_factory=list)
    fp: list[SystemEvent] = field(default_factory=list)
    fn: list[GoldEvent] = field(default_factory=list)
    optional: list[tuple[SystemEvent, GoldEvent]] = field(default_factory=list)

    def extend(self, other: "Matching") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.optional += other.optional

    @property
    def precision(self) -> float:
        n = len(self.tp) + len(self.fp)
        return len(self.tp) / n if n else 1.0

    @property
    def recall(self) -> float:
        n = len(self.tp) + len(self.fn)
        return len(self.tp) / n if n else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match_document(system: Sequence[SystemEvent], gold: Sequence[GoldEvent]) -> Matching:
    result = Matching()
    free = list(gold)
    for event in sorted(system, key=lambda e: -e.confidence):
        # a non-optional gold event first: an optional one only absorbs what nothing else explains
        options = [g for g in free if event.type in g.types and sentences_match(event.sentence, g.sentence)]
        options.sort(key=lambda g: (g.optional, g.types.index(event.type)))
        if not options:
            result.fp.append(event)
            continue
        chosen = options[0]
        free.remove(chosen)
        (result.optional if chosen.optional else result.tp).append((event, chosen))
    result.fn = [g for g in free if not g.optional]
    return result


def match_corpus(system: Iterable[SystemEvent], gold: Iterable[GoldEvent], docs: Iterable[str]) -> Matching:
    by_doc_sys: dict[str, list[SystemEvent]] = defaultdict(list)
    by_doc_gold: dict[str, list[GoldEvent]] = defaultdict(list)
    for e in system:
        by_doc_sys[e.doc].append(e)
    for g in gold:
        by_doc_gold[g.doc].append(g)
    total = Matching()
    for doc in docs:
        total.extend(match_document(by_doc_sys.get(doc, []), by_doc_gold.get(doc, [])))
    return total


def per_type(matching: Matching, types: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, fn) per type; a true positive counts under the system's type."""
    tp = Counter(e.type for e, _ in matching.tp)
    fp = Counter(e.type for e in matching.fp)
    fn = Counter(g.types[0] for g in matching.fn)
    return {t: (tp[t], fp[t], fn[t]) for t in types if tp[t] or fp[t] or fn[t]}


def bands(matching: Matching) -> list[tuple[tuple[float, float], int, float | None]]:
    """Precision of the system events per confidence band: ((lo, hi), n, precision)."""
    rows = []
    for lo, hi in BANDS:
        right = sum(1 for e, _ in matching.tp if lo <= e.confidence < hi)
        wrong = sum(1 for e in matching.fp if lo <= e.confidence < hi)
        n = right + wrong
        rows.append(((lo, hi), n, right / n if n else None))
    return rows


def precision_at(matching: Matching, floor: float) -> tuple[int, float | None]:
    right = sum(1 for e, _ in matching.tp if e.confidence >= floor)
    wrong = sum(1 for e in matching.fp if e.confidence >= floor)
    n = right + wrong
    return n, (right / n if n else None)


def fatality_figures(matching: Matching) -> dict[str, float | int | None]:
    """Of the matched events that state a count: how often it is the coder's count, and how
    often it is no more than it (the conservative reading never overcounts)."""
    stated = [(e.fatalities, g.fatalities) for e, g in matching.tp if e.fatalities is not None]
    exact = sum(1 for p, g in stated if p == g)
    not_over = sum(1 for p, g in stated if g is not None and p <= g)
    spurious = sum(1 for e in matching.fp if e.fatalities)
    return {"stated": len(stated), "exact_precision": exact / len(stated) if stated else None,
            "not_over": not_over / len(stated) if stated else None, "fp_with_deaths": spurious}
