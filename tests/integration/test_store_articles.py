"""Stored articles read back and re-extracted (`pipeline.store.articles`)."""

from __future__ import annotations

from pipeline import store
from pipeline.models import Article

OTHER_TEXT = "Floods closed the coastal road on Tuesday, officials said, and schools stayed shut."


def _article(text: str) -> Article:
    return Article(url=None, canonical_url=None, title="New title", author=None, published_at=None,
                   language="en", text=text, extractor="trafilatura")


def test_store_replace_extraction_refuses_another_articles_text(db, make_bundle, sample_text):
    first, second = store.load_articles(db, [make_bundle("https://news.example/a"),
                                             make_bundle("https://news.example/b", text=OTHER_TEXT)])

    assert not store.replace_extraction(db, second.article_id, _article(sample_text),
                                        extractor_version="x-2")
    [kept] = store.get_stored_articles(db, [second.article_id])
    assert kept.text == OTHER_TEXT and kept.extractor_version != "x-2"

    assert store.replace_extraction(db, second.article_id, _article(OTHER_TEXT + " More."),
                                    extractor_version="x-2")
    [changed] = store.get_stored_articles(db, [second.article_id])
    assert changed.text == OTHER_TEXT + " More." and changed.extractor_version == "x-2"
    assert changed.published_at is not None  # a date the new extraction lacks keeps the stored one
    assert [a.article_id for a in store.get_stored_articles(db, [second.article_id, first.article_id, 999])] == \
        sorted([first.article_id, second.article_id])
