"""extract_article on small hand-written pages: body, metadata precedence, non-articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.errors import NotAnArticle
from pipeline.extract import EXTRACTOR_VERSION, clean_plain_text, extract_article, read_document
from pipeline.models import as_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
URL = "https://news.example.org/world/floods?utm_source=feed#top"


def load(name: str) -> bytes:
    return read_document(FIXTURES / name)


def test_extract_article_keeps_story_and_drops_boilerplate() -> None:
    article = extract_article(load("article.html"), URL)
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("Rescue teams used boats on Tuesday")
    assert paragraphs[-1].startswith("Forecasters expect the rain to ease")
    assert len(paragraphs) == 4
    for junk in ("Advertisement", "SuperPhone", "Share", "Tweet", "Related stories", "Storm season",
                 "disgrace", "Thoughts with", "All rights reserved", "Home", "Source: AFP", "By Amina"):
        assert junk not in article.text, junk


def test_extract_article_metadata_prefers_json_ld_then_opengraph() -> None:
    article = extract_article(load("article.html"), URL)
    assert article.title == "Floods cut off valley towns as river bursts its banks"  # JSON-LD, not og:title
    assert article.author == "Amina Rahman; Tomas Berg"  # JSON-LD, not <meta name=author>
    assert article.published_at == datetime(2023, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=1)))  # JSON-LD
    assert article.published_at.utcoffset() == timedelta(hours=1)  # the publisher's offset is kept
    assert article.canonical_url == "https://news.example.org/world/2023/03/14/floods-cut-off-valley-towns"
    assert article.sitename == "The Daily Example"
    assert article.language == "en"
    assert article.source_agency == "AFP"
    assert article.extractor.startswith(EXTRACTOR_VERSION)


def test_extract_article_falls_back_to_opengraph_and_reads_dateline() -> None:
    article = extract_article(load("dateline.html"), "https://wire.example.com/x")
    assert article.title == "Ceasefire talks resume in Cairo"
    assert article.author == "Karim Haddad"
    assert article.published_at == datetime(2024, 5, 6, 14, 20, tzinfo=UTC)
    assert article.canonical_url == "https://wire.example.com/world/ceasefire-talks-resume"  # og:url
    assert article.source_agency == "Reuters"
    assert article.dateline == "Beirut"
    assert article.text.startswith("Negotiators from both sides returned to Cairo")
    assert "Reporting by" not in article.text and "(Reuters)" not in article.text


def test_extract_article_decodes_windows_1252() -> None:
    content = load("windows1252.html")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    article = extract_article(content, "https://exemple.fr/greve")
    assert article.title == "Grève à la SNCF : le trafic très perturbé"
    assert "« Nous demandons aux voyageurs" in article.text
    assert "20 € par salarié" in article.text
    assert article.language == "fr"
    assert article.dateline == "Paris"
    assert article.text.startswith("Le trafic ferroviaire")


def test_extract_article_canonical_url_falls_back_to_normalised_url() -> None:
    article = extract_article(load("windows1252.html"), "HTTPS://Exemple.FR:443/greve#haut")
    assert article.canonical_url == "https://exemple.fr/greve"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("section_index.html", "index_page"),
        ("cookie_wall.html", "cookie_wall"),
        ("paywall.html", "paywall"),
        ("video_only.html", "video_only"),
        ("too_short.html", "too_short"),
    ],
)
def test_extract_article_refuses_non_articles(name: str, reason: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        extract_article(load(name), "https://news.example.org/page")
    assert caught.value.reason == reason
    assert caught.value.url == "https://news.example.org/page"
    message = str(caught.value)
    assert "\n" not in message and "https://news.example.org/page" in message and reason in message


@pytest.mark.parametrize("html", ["", "   ", b"", "<html><body></body></html>"])
def test_extract_article_refuses_empty_pages(html: str | bytes) -> None:
    with pytest.raises(NotAnArticle) as caught:
        extract_article(html, "https://news.example.org/empty")
    assert caught.value.reason == "empty"


def test_extract_article_output_has_contract_fields() -> None:
    record = as_dict(extract_article(load("article.html"), URL))
    for name in ("url", "canonical_url", "title", "author", "published_at", "language", "text", "extractor"):
        assert name in record
    assert record["url"] == URL


def test_clean_plain_text_cuts_place_line_and_credit() -> None:
    article = clean_plain_text((FIXTURES / "wire_report.txt").read_text(encoding="utf-8"))
    assert article.title is None
    assert article.source_agency == "AFP"
    assert article.dateline == "Deir Ezzor"
    assert article.text.startswith("Government forces and allied fighters advanced")
    assert "Souece" not in article.text and "Example Today" not in article.text
    assert "- Fleeing civilians -" in article.text
    assert article.language == "en"


CANONICAL_CASES = [
    # (fetched URL, declared canonical, expected key, expected claim)
    ("https://news.example.org/a?utm_source=x", "https://www.news.example.org/world/a", "https://www.news.example.org/world/a", None),
    ("https://news.example.org/a", "/world/a", "https://news.example.org/world/a", None),
    ("https://evil.example.net/copy", "https://news.example.org/world/a", "https://evil.example.net/copy",
     "https://news.example.org/world/a"),  # another site's article URL: a claim only
    ("https://alice.github.io/post", "https://bob.github.io/post", "https://alice.github.io/post",
     "https://bob.github.io/post"),  # two owners under one public (private-list) suffix
    ("https://www.bbc.co.uk/news/1", "https://other.co.uk/news/1", "https://www.bbc.co.uk/news/1",
     "https://other.co.uk/news/1"),
    ("https://news.example.org/world/a", "https://news.example.org/", "https://news.example.org/world/a",
     "https://news.example.org/"),  # the home page as canonical would collapse every article
    ("https://news.example.org/", "https://news.example.org/", "https://news.example.org/", None),
    ("https://news.example.org/a", "javascript:alert(1)", "https://news.example.org/og-url-should-lose",
     None),  # no usable rel=canonical: the page's og:url (same site) decides
    ("https://news.example.org/a", "http://news.example.org:99999/a", "https://news.example.org/a", None),
    ("http://127.0.0.1:8000/a", "http://127.0.0.2:8000/a", "http://127.0.0.1:8000/a", "http://127.0.0.2:8000/a"),
]


@pytest.mark.parametrize(("fetched", "declared", "key", "claim"), CANONICAL_CASES)
def test_extract_article_trusts_canonical_only_on_the_pages_own_domain(
        fetched: str, declared: str, key: str, claim: str | None) -> None:
    page = load("article.html").replace(
        b"https://news.example.org/world/2023/03/14/floods-cut-off-valley-towns", declared.encode())
    article = extract_article(page, fetched)
    assert (article.canonical_url, article.claimed_canonical_url) == (key, claim)


def test_extract_article_home_page_canonical_does_not_collapse_a_site() -> None:
    page = load("article.html").replace(
        b"https://news.example.org/world/2023/03/14/floods-cut-off-valley-towns", b"https://news.example.org/")
    keys = {extract_article(page, f"https://news.example.org/world/{n}").canonical_url for n in range(3)}
    assert len(keys) == 3
