"""The poison corpus (`tests/fixtures/poison/`): each hostile input through its real parse path.

Every input ends in its expected outcome (`MANIFEST.tsv`): parsed, or refused by a
documented one-line error, never another exception, and within 0.05 s + 2 s per MB
of input. `tests/integration/test_poison_feeds.py` serves the feeds beside a good feed.
"""

from __future__ import annotations

import logging

import pytest
from poison_corpus import POISON, poison_rows
from time_budget import budget_s, cpu_timed, library_budget_s

from pipeline.archives.sitemaps import parse_sitemap
from pipeline.archives.warc import WarcReader
from pipeline.errors import WirewatchError
from pipeline.extract import extract_article
from pipeline.feeds.feedlist import parse_feed_list
from pipeline.feeds.items import DIGEST_BYTES, unseen_document
from pipeline.feeds.parse import parse_feed
from pipeline.http.charsets import decode_text
from pipeline.models import Article, ParsedFeed
from pipeline.websub.signatures import verify_signature

def _ids(rows: list[dict[str, str]]) -> list[str]:
    return [row["file"] for row in rows]


def test_poison_corpus_has_at_least_fifty_inputs() -> None:
    rows = poison_rows()
    assert len(rows) >= 50 and all((POISON / row["file"]).is_file() for row in rows)


def _gunzipped(content: bytes) -> bytes:
    import zlib

    if content[:2] != b"\x1f\x8b":
        return content
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(content, 60_000_000)
    except zlib.error:
        return content


def _judge(row: dict[str, str], result: object, seconds: float, size: int, *, library: bool = False) -> None:
    if isinstance(result, BaseException):
        assert isinstance(result, WirewatchError), f"{type(result).__name__}: {result}"
        assert "\n" not in str(result) and str(result)
    budget = library_budget_s(size) if library else budget_s(size)
    assert seconds <= budget, f"{seconds:.3f}s CPU for {size} bytes (budget {budget:.3f}s)"
    expect = row["expect"]
    if expect == "refused":
        assert isinstance(result, WirewatchError), f"expected a refusal, got {result!r}"[:300]
    elif expect.startswith("parsed"):
        assert not isinstance(result, BaseException), f"expected a parse, got {result!r}"
        if isinstance(result, ParsedFeed):
            assert len(result.entries) == int(expect.split()[1]), [e.link for e in result.entries][:5]


@pytest.mark.parametrize("row", poison_rows("feed"), ids=_ids(poison_rows("feed")))
def test_poison_feed_fails_alone_or_parses(row: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    """What the cycle does with a changed feed body: cut it to unseen items, then parse it."""
    caplog.set_level(logging.ERROR)
    content = (POISON / row["file"]).read_bytes()
    headers = {"Content-Type": row["content_type"]}
    cut, seconds = cpu_timed(lambda: unseen_document(content, frozenset({b"\x00" * DIGEST_BYTES})), len(content))
    assert not isinstance(cut, BaseException) and seconds <= budget_s(len(content)), f"unseen_document: {seconds:.3f}s"
    size = len(_gunzipped(content))  # a gzip body is parsed at its decompressed size
    result, seconds = cpu_timed(lambda: parse_feed(content, "https://poison.example/feed", headers=headers), size)
    _judge(row, result, seconds, size, library=True)


@pytest.mark.parametrize("row", poison_rows("page"), ids=_ids(poison_rows("page")))
def test_poison_page_fails_alone_or_extracts(row: dict[str, str]) -> None:
    """What the cycle does with a fetched page: decode it (`Fetcher`), then extract the article."""
    content = (POISON / row["file"]).read_bytes()
    url = "https://poison.example/world/story-1"

    def parse() -> Article:
        text, _codec = decode_text(content, row["content_type"])
        return extract_article(text, url)

    result, seconds = cpu_timed(parse, len(content))
    _judge(row, result, seconds, len(content), library=True)
    if row["expect"] == "claim":
        assert isinstance(result, Article) and result.claimed_canonical_url is not None
        assert result.canonical_url == url


@pytest.mark.parametrize("row", poison_rows("opml"), ids=_ids(poison_rows("opml")))
def test_poison_feed_list_fails_alone(row: dict[str, str]) -> None:
    content = (POISON / row["file"]).read_bytes()
    result, seconds = cpu_timed(lambda: parse_feed_list(content, row["file"]), len(content))
    _judge(row, result, seconds, len(content))


@pytest.mark.parametrize("row", poison_rows("sitemap"), ids=_ids(poison_rows("sitemap")))
def test_poison_sitemap_fails_alone(row: dict[str, str]) -> None:
    content = (POISON / row["file"]).read_bytes()
    result, seconds = cpu_timed(lambda: parse_sitemap(content, "https://poison.example/sitemap.xml"), len(content))
    _judge(row, result, seconds, len(content))


@pytest.mark.parametrize("row", poison_rows("warc"), ids=_ids(poison_rows("warc")))
def test_poison_warc_fails_alone(row: dict[str, str]) -> None:
    path = POISON / row["file"]
    result, seconds = cpu_timed(lambda: list(WarcReader(path)), path.stat().st_size)
    _judge(row, result, seconds, path.stat().st_size, library=True)


@pytest.mark.parametrize("row", poison_rows("signature"), ids=_ids(poison_rows("signature")))
def test_poison_signature_is_refused(row: dict[str, str]) -> None:
    header = (POISON / row["file"]).read_text(encoding="utf-8") or None
    result, seconds = cpu_timed(lambda: verify_signature("secret", b"<feed/>", header), 7)
    _judge(row, result, seconds, 7)
