"""Boilerplate inside the body: cut by the shape of the line, agency credits left for attribution."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.extract import extract_article, read_document
from pipeline.extract.body import strip_boilerplate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
STORY = "The talks ended without agreement on Tuesday, officials said, and will resume next month."


@pytest.mark.parametrize(
    "line",
    [
        "- Order Reprints",
        "- Print Article",
        "This copy is for your personal, non-commercial use only. To order copies visit www.example.com.",
        "Write to Al Root at al.root@example.com",
        "Listen: http://po.st/TP_615",
        "Like this story? Share it with a friend!",
        "Also on example.com Ministers threatened with arrest as the purge widens",
        "An error has occurred, please try again later.",
        "This article has been sent to",
        "Tags",
        "Copyright ©2019 Example & Company, Inc. All Rights Reserved",
        "Advertisement",
        "Read more: Floods in the valley",
    ],
)
def test_strip_boilerplate_cuts_line(line: str) -> None:
    assert strip_boilerplate([STORY, line, STORY]) == [STORY, STORY]


@pytest.mark.parametrize(
    "line",
    [
        "© AFP 2017",  # an agency credit: split_attribution reads it
        "http://amzn.to/2iJFhRj",  # a bare link an article lists as a source
        "Copyright lawyers said the ruling would change how the industry licenses music to radio stations, "
        "and that appeals were likely within weeks.",
        "Tags on the cattle allowed inspectors to trace the herd.",
    ],
)
def test_strip_boilerplate_keeps_line(line: str) -> None:
    assert strip_boilerplate([STORY, line]) == [STORY, line]


def test_extract_article_drops_headline_and_what_stands_above_it() -> None:
    html = f"""<html><head><title>Valley towns cut off by floods</title>
    <meta property="og:type" content="article"></head><body><article>
    <p>Most read</p><p>Valley towns cut off by floods</p>
    {''.join(f'<p>{STORY} Paragraph {i} adds detail on the rescue work in the valley.</p>' for i in range(4))}
    </article></body></html>"""
    article = extract_article(html, "https://news.example.org/floods")
    assert article.text.startswith(STORY)
    assert "Valley towns cut off" not in article.text and "Most read" not in article.text


def test_extract_article_reads_json_ld_body_of_script_rendered_page() -> None:
    article = extract_article(read_document(FIXTURES / "script_rendered.html"), "https://news.example.org/tram")
    assert article.text.startswith("The city council approved a new tram line on Monday")
    assert "450 million euros" in article.text
    assert "Photo:" not in article.text and "rendered by script" not in article.text
    assert article.published_at == datetime(2024, 3, 1, tzinfo=UTC)  # a date alone is its midnight, UTC


def test_extract_article_canonical_url_drops_tracking_parameters() -> None:
    article = extract_article(read_document(FIXTURES / "script_rendered.html"), "HTTPS://News.Example.org/tram?utm_source=feed&id=7#top")
    assert article.canonical_url == "https://news.example.org/tram?id=7"
