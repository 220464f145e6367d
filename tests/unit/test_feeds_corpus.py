"""The shared feed corpus (`../shared/eval/feeds-*`): every expected parse met, feedparser's counts met or refuted.

Skipped cleanly when `../shared/eval` is absent (a clone without the shared folder).
An entry counts before link-less items are filtered: `entries` plus `linkless`
(RSS 0.92 items and Atom entries with only an id are entries, with no page to fetch).
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
from pathlib import Path

import feedparser
import pytest

from pipeline.errors import MalformedFeed
from pipeline.feeds.parse import parse_feed

EVAL = Path(os.environ.get("WIREWATCH_EVAL_DIR") or Path(__file__).resolve().parents[3] / "shared" / "eval")

pytestmark = pytest.mark.skipif(not (EVAL / "FEEDS_MANIFEST.csv").is_file(), reason="../shared/eval is absent")


def _expected_counts() -> dict[Path, int]:
    """Entry counts of the expected parses: rss-parser `expected_output/*.json`, feed-rs `*.serde.json`."""
    expected: dict[Path, int] = {}
    for path in sorted((EVAL / "feeds-rss-parser" / "expected_output").glob("*.json")):
        data = json.loads(path.read_bytes().decode("utf-8", "replace"))
        feed = data.get("feed", data)
        items = feed.get("items") if isinstance(feed, dict) else None
        for source in (EVAL / "feeds-rss-parser" / "input").glob(path.stem + ".*"):
            if isinstance(items, list):
                expected[source] = len(items)
    for path in sorted((EVAL / "feeds-feed-rs").rglob("*.serde.json")):
        data = json.loads(path.read_bytes().decode("utf-8", "replace"))
        entries = data.get("entries") if isinstance(data, dict) else None
        stem = path.name[: -len(".serde.json")]
        sources = [p for p in path.parent.glob(stem + "*") if p.is_file() and not p.name.endswith(".serde.json")
                   and p.name.split(".")[0] == stem.split(".")[0] and p.name.rsplit(".", 1)[0] == stem]
        if isinstance(entries, list) and len(sources) == 1:
            expected[sources[0]] = len(entries)
    return expected


def _manifest() -> dict[Path, int]:
    if not (EVAL / "FEEDS_MANIFEST.csv").is_file():
        return {}
    with (EVAL / "FEEDS_MANIFEST.csv").open(newline="") as handle:
        return {EVAL / row["file"]: int(row["entries"] or 0) for row in csv.DictReader(handle)}


def _count(path: Path) -> int:
    """Entries in the document, link-less ones included; 0 for a document refused as no feed."""
    headers = {"content-type": "application/feed+json"} if path.suffix == ".json" else None
    logging.disable(logging.WARNING)
    try:
        feed = parse_feed(path.read_bytes(), f"https://feeds.example/{path.name}", headers=headers)
    except MalformedFeed:
        return 0
    finally:
        logging.disable(logging.NOTSET)
    return len(feed.entries) + len(feed.linkless)


EXPECTED = _expected_counts() if EVAL.is_dir() else {}
MANIFEST = _manifest()


def test_corpus_has_every_expected_parse() -> None:
    """48 the benchmark counted (its feed-rs lookup sometimes matched the .serde.json itself), 84 in all."""
    assert len(EXPECTED) >= 48


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(p.relative_to(EVAL)))
def test_corpus_expected_parse_yields_every_entry(path: Path) -> None:
    assert _count(path) == EXPECTED[path]


@pytest.mark.parametrize("path", sorted(MANIFEST), ids=lambda p: str(p.relative_to(EVAL)))
def test_corpus_entry_count_matches_feedparser_or_feedparser_is_wrong(path: Path) -> None:
    """Where we count differently from feedparser 6 (FEEDS_MANIFEST.csv), show feedparser's count is wrong.

    Two ways it is, each proven from the document itself: feedparser does not read JSON
    Feed (it finds 0 entries where the JSON's `items` list has them), and it does not
    gunzip a body served without Content-Encoding (given the gunzipped bytes, it counts
    what we count).
    """
    ours, theirs = _count(path), MANIFEST[path]
    if ours == theirs:
        return
    content = path.read_bytes()
    assert len(feedparser.parse(content).entries) == theirs  # the manifest is feedparser's count
    if content.lstrip()[:1] == b"{":
        items = json.loads(content.decode("utf-8-sig"))["items"]
        assert theirs == 0 and ours == len(items), "feedparser reads no JSON Feed; the items list is the truth"
    elif content[:2] == b"\x1f\x8b":
        assert len(feedparser.parse(gzip.decompress(content)).entries) == ours, \
            "feedparser does not gunzip a body without Content-Encoding; on the gunzipped body it agrees with us"
    else:
        pytest.fail(f"{ours} entries, feedparser {theirs}: neither fixed nor shown to be feedparser's mistake")
