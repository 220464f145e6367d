"""The wire-style articles written for the document corpus (`benchmarks/docevents/wire_articles.jsonl`):
committed text, so they load and score without `../shared`."""

from __future__ import annotations

import re

from benchmarks.docevents.corpus import HERE, load_annotations, load_splits, wire_articles


def test_wire_articles_load_with_their_codings_and_locked_split():
    written = {d.id: d for d in wire_articles()}
    splits = load_splits()
    # the first 24 are the locked wire split; later ones joined train, dev and test by hash
    docs = {i: d for i, d in written.items() if i in splits["wire"]}
    assert len(docs) == 24 and sum(d.words for d in docs.values()) > 7_000
    later = set(written) - set(docs)
    assert len(later) == 138 and later <= set(splits["train"] + splits["dev"] + splits["test"])
    gold, available = load_annotations(HERE / "annotations.jsonl", written)
    assert set(available) == set(written)
    assert {g.doc for g in gold if not g.optional} & later and all(g.sentence in written[g.doc].text for g in gold)
    for path in (HERE / "annotations.jsonl", HERE / "annotations_second.jsonl"):
        gold, available = load_annotations(path, docs)
        assert set(available) == set(docs)
        for g in gold:
            # each coded span is a whole sentence of its article, verbatim
            text = docs[g.doc].text
            assert g.sentence and g.sentence in text and re.match(r"[\"“A-Z0-9]", g.sentence)
            assert g.actor1 in g.sentence and g.actor2 in g.sentence
        firm = {g.doc for g in gold if not g.optional}
        assert 15 <= len(firm) < len(docs)  # hard news and articles where nothing happens
