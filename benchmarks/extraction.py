"""Article-body quality and speed: Wirewatch's extract_article against plain trafilatura.

Scores both, in the same run and on the same pages, on the development sets in
`../shared/eval` with each set's own metric:

- ScrapingHub article-extraction benchmark: 4-token shingle precision/recall per page,
  averaged, F1 of the means (the benchmark's README);
- trafilatura's evaluation set: snippets that must / must not appear in the main text,
  counted over all pages, then P/R/F1.

Plain trafilatura is `trafilatura.extract(html, url=url, include_comments=False)`.
Prints both scores, Wirewatch/plain ratios and milliseconds per page. Every page is scored:
one Wirewatch refuses as not an article scores as an empty body. The run then checks the
pinned floors in `benchmarks/extraction_floors.json` (Wirewatch F1 at least the floor and
at least `min_f1_vs_plain` times plain trafilatura's, time at most `max_time_ratio` times
plain trafilatura's) and exits 1 when one fails. Skips cleanly (exit 0) when the
evaluation folder is absent. Usage:

    .venv/bin/python benchmarks/extraction.py [--set scrapinghub|trafilatura|all] [--dump DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.errors import NotAnArticle  # noqa: E402
from pipeline.extract import extract_article  # noqa: E402

FLOORS = Path(__file__).resolve().with_name("extraction_floors.json")
EVAL_DIR = Path(os.environ.get("WIREWATCH_EVAL_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "eval")
SCRAPINGHUB = "scrapinghub-article-extraction-benchmark"
TRAFILATURA_EVAL = "trafilatura-eval"
_TOKEN = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


@dataclass
class Page:
    key: str
    url: str | None
    html: bytes
    gold: object


@dataclass
class Run:
    """One extractor's outputs over a set, with its time."""

    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    refused: Counter[str] = field(default_factory=Counter)


def wirewatch(html: bytes, url: str | None, run: Run) -> str:
    try:
        return extract_article(html, url).text
    except NotAnArticle as exc:
        run.refused[exc.reason] += 1
        return ""


def plain_trafilatura(html: bytes, url: str | None, run: Run) -> str:
    return trafilatura.extract(html, url=url, include_comments=False) or ""


EXTRACTORS: dict[str, Callable[[bytes, str | None, Run], str]] = {
    "plain trafilatura": plain_trafilatura,
    "wirewatch": wirewatch,
}


def scrapinghub_pages(root: Path) -> Iterator[Page]:
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((root / "html").glob("*.html.gz")):
        key = path.name.removesuffix(".html.gz")
        if key in gold:
            yield Page(key, gold[key].get("url"), gzip.decompress(path.read_bytes()), gold[key]["articleBody"])


def trafilatura_pages(root: Path) -> Iterator[Page]:
    data = json.loads((root / "evaldata_subset.json").read_text(encoding="utf-8"))
    for key, item in sorted(data.items()):
        path = root / item["html_path"]
        if path.exists():
            content = path.read_bytes()
            if content[:2] == b"\x1f\x8b":
                content = gzip.decompress(content)
            yield Page(key, item.get("url"), content, item)


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def shingle_scores(predicted: str, gold: str) -> tuple[float, float]:
    """Per-page precision and recall by the ScrapingHub benchmark's definition."""
    pred, true = shingles(predicted), shingles(gold)
    if pred == true:
        return 1.0, 1.0
    if not pred:
        return 1.0, 0.0
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def score_scrapinghub(pages: list[Page], outputs: dict[str, str]) -> dict[str, float]:
    precisions, recalls, exact = [], [], 0
    for page in pages:
        predicted = outputs[page.key]
        p, r = shingle_scores(predicted, str(page.gold))
        precisions.append(p)
        recalls.append(r)
        exact += _TOKEN.findall(predicted) == _TOKEN.findall(str(page.gold))
    precision = sum(precisions) / len(precisions)
    recall = sum(recalls) / len(recalls)
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall), "accuracy": exact / len(pages)}


def score_trafilatura(pages: list[Page], outputs: dict[str, str]) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for page in pages:
        text = _SPACES.sub(" ", outputs[page.key]).strip()
        item = page.gold
        assert isinstance(item, dict)
        for snippet in item.get("with", []):
            if _SPACES.sub(" ", snippet).strip() in text:
                tp += 1
            else:
                fn += 1
        for snippet in item.get("without", []):
            if _SPACES.sub(" ", snippet).strip() in text:
                fp += 1
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall), "accuracy": (tp + tn) / max(1, tp + tn + fp + fn)}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_extractors(pages: list[Page]) -> dict[str, Run]:
    runs = {name: Run() for name in EXTRACTORS}
    # Warm both up (imports, language model) outside the timed loop.
    for name, extractor in EXTRACTORS.items():
        extractor(pages[0].html, pages[0].url, Run())
    for page in pages:
        for name, extractor in EXTRACTORS.items():
            run = runs[name]
            start = time.perf_counter()
            runs[name].outputs[page.key] = extractor(page.html, page.url, run)
            run.seconds += time.perf_counter() - start
    return runs


def report(title: str, pages: list[Page], runs: dict[str, Run], scorer: Callable[[list[Page], dict[str, str]], dict[str, float]]) -> dict[str, dict[str, float]]:
    print(f"\n{title}: {len(pages)} pages")
    print(f"{'extractor':<20} {'precision':>9} {'recall':>7} {'F1':>7} {'acc':>6} {'ms/page':>8}")
    results = {}
    for name, run in runs.items():
        scores = scorer(pages, run.outputs)
        scores["ms_per_page"] = 1000 * run.seconds / len(pages)
        results[name] = scores
        print(f"{name:<20} {scores['precision']:>9.3f} {scores['recall']:>7.3f} {scores['f1']:>7.4f} {scores['accuracy']:>6.3f} {scores['ms_per_page']:>8.1f}")
        if run.refused:
            print(f"{'':<20} refused as not articles: {dict(run.refused)}")
    ours, plain = results["wirewatch"], results["plain trafilatura"]
    print(f"ratio wirewatch/plain: F1 {ours['f1'] / plain['f1']:.3f}, time {ours['ms_per_page'] / plain['ms_per_page']:.2f}x")
    return results


def check_floors(folder: str, results: dict[str, dict[str, float]], floors: dict[str, dict[str, float]]) -> list[str]:
    """The pinned floors this set's results fall under, as one line each."""
    floor = floors.get(folder)
    if floor is None:
        return []
    ours, plain = results["wirewatch"], results["plain trafilatura"]
    failures = []
    if ours["f1"] < floor["min_f1"]:
        failures.append(f"{folder}: F1 {ours['f1']:.4f} is under the pinned floor {floor['min_f1']:.4f}")
    if ours["f1"] < floor["min_f1_vs_plain"] * plain["f1"]:
        failures.append(f"{folder}: F1 {ours['f1']:.4f} is under {floor['min_f1_vs_plain']} x plain trafilatura's {plain['f1']:.4f}")
    ratio = ours["ms_per_page"] / plain["ms_per_page"]
    if ratio > floor["max_time_ratio"]:
        failures.append(f"{folder}: time {ratio:.2f}x plain trafilatura is over the limit {floor['max_time_ratio']}x")
    return failures


def dump(directory: Path, pages: list[Page], runs: dict[str, Run]) -> None:
    """Per-page outputs and scores, to read where the extractors differ."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, run in runs.items():
        (directory / f"{name.replace(' ', '_')}.json").write_text(json.dumps(run.outputs, ensure_ascii=False, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=("scrapinghub", "trafilatura", "all"), default="all")
    parser.add_argument("--dump", type=Path, help="write each extractor's outputs here as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not EVAL_DIR.is_dir():
        print(f"skipped: no evaluation data at {EVAL_DIR} (set WIREWATCH_EVAL_DIR)")
        return 0
    sets = []
    if args.set in ("scrapinghub", "all") and (EVAL_DIR / SCRAPINGHUB).is_dir():
        sets.append(("ScrapingHub article-extraction benchmark (dev)", SCRAPINGHUB, scrapinghub_pages, score_scrapinghub))
    if args.set in ("trafilatura", "all") and (EVAL_DIR / TRAFILATURA_EVAL).is_dir():
        sets.append(("trafilatura evaluation set", TRAFILATURA_EVAL, trafilatura_pages, score_trafilatura))
    if not sets:
        print(f"skipped: no extraction sets under {EVAL_DIR}")
        return 0
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    failures = []
    for title, folder, load, scorer in sets:
        pages = list(load(EVAL_DIR / folder))
        runs = run_extractors(pages)
        results = report(title, pages, runs, scorer)
        failures += check_floors(folder, results, floors)
        if args.dump:
            dump(args.dump / folder, pages, runs)
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    if failures:
        return 1
    print(f"floors held ({FLOORS.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
