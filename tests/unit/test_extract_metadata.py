"""Metadata precedence: JSON-LD, then OpenGraph and <meta>; the canonical link wins."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from pipeline.extract.metadata import read_metadata


def page(head: str, json_ld: object | None = None, html_lang: str = "en-GB") -> lxml_html.HtmlElement:
    script = f'<script type="application/ld+json">{json.dumps(json_ld)}</script>' if json_ld is not None else ""
    return lxml_html.document_fromstring(f'<html lang="{html_lang}"><head>{head}{script}</head><body><p>x</p></body></html>')


OG = (
    '<meta property="og:title" content="OG title">'
    '<meta property="og:type" content="article">'
    '<meta property="og:url" content="https://example.org/og-url">'
    '<meta property="og:site_name" content="Example OG">'
    '<meta name="author" content="Meta Author">'
    '<meta property="article:published_time" content="2024-01-02T03:04:05Z">'
    "<title>HTML title | Example</title>"
)
LD = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "LD headline",
    "author": [{"@type": "Person", "name": "By Ann Lee"}, {"@type": "Person", "name": "Bo Chan"}],
    "datePublished": "2024-01-01T10:00:00Z",
    "publisher": {"@type": "Organization", "name": "Example LD"},
    "url": "https://example.org/ld-url",
    "isAccessibleForFree": "False",
    "articleBody": "Body declared for search engines.",
}


def test_read_metadata_json_ld_wins_over_opengraph() -> None:
    meta = read_metadata(page(OG, LD))
    assert meta.title == "LD headline"
    assert meta.author == "Ann Lee; Bo Chan"  # "By " cut, list joined
    assert meta.published_at == "2024-01-01T10:00:00Z"
    assert meta.sitename == "Example LD"
    assert meta.canonical_url == "https://example.org/og-url"  # the contract: canonical link, then og:url
    assert meta.free is False  # a string "False" read as a boolean
    assert meta.article_body == "Body declared for search engines."
    assert meta.html_lang == "en"
    assert meta.declares_article


def test_read_metadata_opengraph_fills_what_json_ld_lacks() -> None:
    meta = read_metadata(page(OG, {"@type": "NewsArticle", "headline": "LD headline"}))
    assert meta.title == "LD headline"
    assert meta.author == "Meta Author"
    assert meta.published_at == "2024-01-02T03:04:05Z"
    assert meta.sitename == "Example OG"
    assert meta.canonical_url == "https://example.org/og-url"
    assert meta.free is None


def test_read_metadata_json_ld_url_when_page_declares_none() -> None:
    assert read_metadata(page("", LD)).canonical_url == "https://example.org/ld-url"


def test_read_metadata_canonical_link_wins_over_json_ld_and_og() -> None:
    head = OG + '<link rel="Canonical" href="https://example.org/canonical">'
    assert read_metadata(page(head, LD)).canonical_url == "https://example.org/canonical"


def test_read_metadata_without_structured_data_uses_title_element() -> None:
    meta = read_metadata(page("<title> HTML  title </title>"))
    assert meta.title == "HTML title"
    assert meta.author is None and meta.canonical_url is None
    assert not meta.declares_article


@pytest.mark.parametrize(
    "json_ld",
    [
        {"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {"@type": ["NewsArticle"], "headline": "In a graph"}]},
        [{"@type": "BreadcrumbList"}, {"@type": "ReportageNewsArticle", "headline": "In a graph"}],
    ],
)
def test_read_metadata_finds_article_in_graph_or_list(json_ld: object) -> None:
    assert read_metadata(page("", json_ld)).title == "In a graph"


def test_read_metadata_tolerates_trailing_commas_in_json_ld() -> None:
    raw = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Sloppy",}</script>'
    tree = lxml_html.document_fromstring(f"<html><head>{raw}</head><body><p>x</p></body></html>")
    assert read_metadata(tree).title == "Sloppy"
