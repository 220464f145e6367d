"""Paywalls: prompts cut from the body, stubs refused, teasers kept and marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import NotAnArticle
from pipeline.extract import extract_article, read_document
from pipeline.extract.gate import MIN_BODY_CHARS, check_article, split_paywall_prompts
from pipeline.extract.metadata import PageMetadata

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
STORY = (
    "Dock workers at the country's largest grain terminal walked out on Thursday, halting exports "
    "of wheat and maize as the harvest season reached its peak, the port authority said."
)


@pytest.mark.parametrize(
    "prompt",
    [
        "Subscribe now to continue reading.",
        "Already a subscriber? Sign in to read the full article.",
        "This story is for subscribers only.",
        "Register for free to read this article and get two more stories a month.",
        "Log in to keep reading",
    ],
)
def test_split_paywall_prompts_cuts_prompts(prompt: str) -> None:
    story, prompts = split_paywall_prompts([STORY, prompt])
    assert story == [STORY]
    assert prompts == [prompt]


def test_split_paywall_prompts_keeps_stories_about_subscriptions() -> None:
    paragraphs = [
        "The streaming service lost 200,000 subscribers in the quarter, the company said.",
        "Analysts said the free trial had drawn viewers who left when it ended. " * 4,
    ]
    assert split_paywall_prompts(paragraphs) == (paragraphs, [])


def test_extract_article_keeps_paywall_teaser_and_marks_it() -> None:
    article = extract_article(read_document(FIXTURES / "paywall_teaser.html"), "https://news.example.org/strike")
    assert article.paywalled is True
    assert article.text.startswith("Dock workers at the country's largest grain terminal")
    assert "Some 40 ships were waiting" in article.text
    for junk in ("Subscribe", "subscriber", "Sign in", "Contact us", "Markets"):
        assert junk not in article.text, junk


def test_extract_article_free_page_is_not_paywalled() -> None:
    article = extract_article(read_document(FIXTURES / "article.html"), "https://news.example.org/floods")
    assert article.paywalled is False


@pytest.mark.parametrize(
    ("meta", "prompts", "reason"),
    [
        (PageMetadata(free=False), 0, "paywall"),  # declared not free, a sentence served
        (PageMetadata(), 2, "paywall"),  # prompts were cut, a sentence left
        (PageMetadata(), 0, "too_short"),  # nothing says paywall: merely short
    ],
)
def test_check_article_names_why_a_short_body_is_refused(meta: PageMetadata, prompts: int, reason: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        check_article(STORY[:150], None, meta, "https://news.example.org/x", 0.0, paywall_prompts=prompts)
    assert caught.value.reason == reason


def test_check_article_accepts_teaser_of_body_length() -> None:
    text = (STORY + "\n\n") * 2
    assert len(text) >= MIN_BODY_CHARS
    check_article(text, None, PageMetadata(free=False), "https://news.example.org/x", 0.0, paywall_prompts=1)


def test_extract_article_refuses_page_over_settings_limit() -> None:
    from pipeline.config import Settings

    content = read_document(FIXTURES / "article.html")
    extract_article(content, "https://news.example.org/floods", settings=Settings(max_body_bytes=len(content)))
    with pytest.raises(NotAnArticle) as caught:
        extract_article(content, "https://news.example.org/floods", settings=Settings(max_body_bytes=len(content) - 1))
    assert caught.value.reason == "too_large"
    assert "WIREWATCH_MAX_BODY_BYTES" in str(caught.value)
