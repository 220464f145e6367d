"""The documents of the hand-coded event corpus, rebuilt from their sources.

No publisher text is committed: `annotations.jsonl` holds document ids and character
offsets, and this module rebuilds each document's text from where it lives:

    sh:<id>        ScrapingHub benchmark gold body (`../shared/eval`), stable text
    gum:<doc>      GUM Wikinews document (`../shared/eval`), stable text
    sample:<slug>  the bundled sample site's Wikinews stories (in this repository)
    traf:<key>     a trafilatura-eval page as Wirewatch extracts it; the text's SHA-256
                   is stored with the annotations, so a changed extraction is detected
                   and the document skipped rather than scored on shifted offsets
    wire:<id>      wire-style articles written for this corpus (`wire_articles.jsonl`, in
                   this repository, our own text): the locked `wire` split

`documents()` yields what is available; sources under `../shared` are skipped when the
folder is absent (set WIREWATCH_EVAL_DIR to point elsewhere).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = Path(os.environ.get("WIREWATCH_EVAL_DIR") or ROOT.parent / "shared" / "eval")
HERE = Path(__file__).resolve().parent
ANNOTATIONS = HERE / "annotations.jsonl"
SPLITS = HERE / "splits.json"
WIRE_ARTICLES = HERE / "wire_articles.jsonl"


@dataclass(frozen=True, slots=True)
class CorpusDocument:
    id: str
    text: str
    published: str | None  # ISO date the relative dates of the text resolve against
    source: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def words(self) -> int:
        return len(self.text.split())


def scrapinghub() -> Iterator[CorpusDocument]:
    path = EVAL_DIR / "scrapinghub-article-extraction-benchmark" / "ground-truth.json"
    if not path.exists():
        return
    for key, value in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
        yield CorpusDocument(f"sh:{key}", value["articleBody"], None, "scrapinghub")


def gum() -> Iterator[CorpusDocument]:
    path = EVAL_DIR / "ner-gum-wikinews" / "gum_news_docs.jsonl"
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        yield CorpusDocument(f"gum:{doc['doc']}", doc["text"], (doc.get("date_created") or "")[:10] or None, "gum")


def sample_site() -> Iterator[CorpusDocument]:
    from pipeline.sample_site.content import load_stories

    for story in load_stories():
        if story.is_article:
            yield CorpusDocument(f"sample:{story.slug}", story.text, story.published.date().isoformat(), "sample")


def wire_articles() -> Iterator[CorpusDocument]:
    """Articles written for the corpus, in wire style and (x-) in the manner of news websites, by
    coders who never saw the system."""
    for line in WIRE_ARTICLES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            yield CorpusDocument(f"wire:{doc['id']}", doc["text"], doc["published"], "wire")


def trafilatura_eval(keys: set[str] | None = None) -> Iterator[CorpusDocument]:
    """English trafilatura-eval pages as `extract_article` reads them (only `keys`, if given)."""
    folder = EVAL_DIR / "trafilatura-eval"
    path = folder / "evaldata_subset.json"
    if not path.exists():
        return
    from pipeline.errors import WirewatchError
    from pipeline.extract import extract_article

    for key, meta in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
        if meta.get("lang_attr") != "en" or (keys is not None and key not in keys):
            continue
        html = gzip.decompress((folder / meta["html_path"]).read_bytes())
        try:
            article = extract_article(html, meta.get("url"))
        except WirewatchError as exc:
            logger.info("traf:%s not an article: %s", key, exc)
            continue
        published = article.published_at.date().isoformat() if article.published_at else None
        yield CorpusDocument(f"traf:{key}", article.text, published, "trafilatura-eval")


def documents(ids: set[str] | None = None) -> Iterator[CorpusDocument]:
    """Every available corpus document (only `ids`, if given)."""
    traf_keys = None if ids is None else {i.removeprefix("traf:") for i in ids if i.startswith("traf:")}
    for source in (scrapinghub(), gum(), sample_site(), wire_articles(), trafilatura_eval(traf_keys)):
        for doc in source:
            if ids is None or doc.id in ids:
                yield doc


# -- annotations: offsets into the documents above ---------------------------------------
def _span(text: str, needle: str, near: int = 0) -> list[int] | None:
    """Offsets of `needle` in `text`, the occurrence nearest `near`."""
    if not needle:
        return None
    starts = [m for m in _find_all(text, needle)]
    if not starts:
        raise ValueError(f"not a verbatim span: {needle[:60]!r}")
    best = min(starts, key=lambda s: abs(s - near))
    return [best, best + len(needle)]


def _find_all(text: str, needle: str):
    start = text.find(needle)
    while start >= 0:
        yield start
        start = text.find(needle, start + 1)


def to_offsets(coded: dict, doc: CorpusDocument, coder: str, order: int = 0) -> dict:
    """One coder's line (verbatim sentence and actors) as a committed line (offsets only)."""
    out: dict = {"doc": doc.id, "coder": coder}
    if doc.source == "trafilatura-eval":
        out["sha256"] = doc.sha256
    if coded.get("none"):
        out["none"] = True
        return out
    start, end = _span(doc.text, coded["sentence"], order)
    out.update(start=start, end=end, types=list(coded["types"]))
    for key in ("actor1", "actor2"):
        try:
            out[key] = _span(doc.text, coded.get(key) or "", start)
        except ValueError:
            out[key] = None
    out["fatalities"] = coded.get("fatalities")
    out["optional"] = bool(coded.get("optional", False))
    return out


def load_annotations(path: Path = ANNOTATIONS, docs: dict[str, CorpusDocument] | None = None):
    """The gold events of every available document, and the ids of those documents.

    Returns (gold events, {doc id: CorpusDocument}). A trafilatura-eval document whose
    extraction no longer hashes to the coded text is left out with a warning.
    """
    from benchmarks.docevents.scoring import GoldEvent

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = {line["doc"] for line in lines}
    if docs is None:
        docs = {d.id: d for d in documents(ids)}
    hashes = {line["doc"]: line["sha256"] for line in lines if "sha256" in line}
    stale = {doc for doc, digest in hashes.items() if doc in docs and docs[doc].sha256 != digest}
    for doc in sorted(stale):
        logger.warning("%s: the extracted text changed since it was coded; left out", doc)
    available = {i: d for i, d in docs.items() if i in ids and i not in stale}
    gold = []
    for line in lines:
        doc = available.get(line["doc"])
        if doc is None or line.get("none"):
            continue
        text = doc.text
        span = lambda key: text[line[key][0]:line[key][1]] if line.get(key) else ""  # noqa: E731
        gold.append(GoldEvent(doc=doc.id, sentence=text[line["start"]:line["end"]], types=tuple(line["types"]),
                              optional=line.get("optional", False), fatalities=line.get("fatalities"),
                              actor1=span("actor1"), actor2=span("actor2")))
    return gold, available


def load_splits(path: Path = SPLITS) -> dict[str, list[str]]:
    """{"train": [...], "dev": [...], "test": [...]}: document ids, fixed once and committed."""
    return {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def import_coding(coded: Path, coder: str, docs: dict[str, CorpusDocument]) -> list[dict]:
    """A coder's JSONL (verbatim sentences, as the codebook asks) as committed lines (offsets)."""
    out = []
    seen: dict[tuple[str, str], int] = {}
    for number, line in enumerate(coded.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        doc = docs[record["doc"]]
        # the same sentence coded twice (two events) or repeated in the text: search from the last hit
        key = (doc.id, record.get("sentence", ""))
        order = seen.get(key, 0)
        converted = to_offsets(record, doc, coder, order)
        if "start" in converted:
            seen[key] = converted["start"]
        out.append(converted)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.docevents.corpus import OUT CODER FILE...`: convert coders' files."""
    import argparse

    parser = argparse.ArgumentParser(description="convert coders' verbatim JSONL to committed offsets")
    parser.add_argument("out", type=Path)
    parser.add_argument("coder")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    lines = []
    ids = set()
    for path in args.files:
        ids |= {json.loads(x)["doc"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()}
    docs = {d.id: d for d in documents(ids)}
    for path in args.files:
        lines += import_coding(path, args.coder, docs)
    lines.sort(key=lambda x: (x["doc"], x.get("start", -1)))
    args.out.write_text("".join(json.dumps(x, sort_keys=True) + "\n" for x in lines), encoding="utf-8")
    print(f"{len(lines)} lines, {len(ids)} documents -> {args.out}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
