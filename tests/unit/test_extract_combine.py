"""Choosing a body among extractors by agreement, and spotting truncated bodies."""

from __future__ import annotations

from lxml import html as lxml_html

from pipeline.extract.combine import choose_by_agreement, extract_body, shingles, similarity, skipped_prose

STORY = (
    "Rescue teams used boats on Tuesday to reach hundreds of residents stranded in three valley towns. "
    "The regional governor said at least twelve people had been taken to hospital with injuries."
)
MENU = "Home World Business Sport Culture Weather Podcasts Newsletters Sign in Subscribe today"


def test_choose_by_agreement_outvotes_the_outlier() -> None:
    candidates = {"a": STORY, "b": STORY + " " + MENU, "c": STORY}
    assert choose_by_agreement(candidates) in ("a", "c")
    candidates = {"a": MENU, "b": STORY, "c": STORY + " Officials said."}
    assert choose_by_agreement(candidates) in ("b", "c")


def test_similarity_and_shingles() -> None:
    assert similarity(STORY, STORY) == 1.0
    assert similarity(STORY, MENU) == 0.0
    assert similarity("", STORY) == 0.0
    assert sum(shingles("one two three four five").values()) == 2
    assert shingles("one two") == {("one", "two"): 1}


def test_skipped_prose_counts_long_paragraphs_left_out() -> None:
    long_a = "The first long paragraph of the story says a great deal about the floods in the valley and the rescue teams who worked through the night."
    long_b = "The second long paragraph of the story, after an advertisement slot, describes what forecasters expect for the rest of the week in the region."
    linked = "<p><a href='/x'>" + long_b.replace("second", "linked") + "</a></p>"
    tree = lxml_html.document_fromstring(f"<html><body><p>{long_a}</p><p>short</p><p>{long_b}</p>{linked}</body></html>")
    assert skipped_prose(tree, long_a) == len(long_b)
    assert skipped_prose(tree, long_a + "\n" + long_b) == 0


def test_extract_body_reads_whole_article_split_by_an_ad_slot() -> None:
    paragraphs = [
        f"Paragraph {i} of the report describes, in plain words and at some length, how the river rose "
        f"across the valley and what residents of the {i}th street did to protect their homes that night."
        for i in range(1, 9)
    ]
    first, second = "".join(f"<p>{p}</p>" for p in paragraphs[:4]), "".join(f"<p>{p}</p>" for p in paragraphs[4:])
    page = (
        "<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><div class='body'>{first}</div><div class='ad'>Advertisement</div>"
        f"<div class='body'>{second}</div></article><footer>Contact us</footer></body></html>"
    )
    from pipeline.extract.document import parse_html

    body = extract_body(parse_html(page), page, "https://news.example.org/story")
    for paragraph in paragraphs:
        assert paragraph in body.text
    assert "Advertisement" not in body.text and "Contact us" not in body.text
