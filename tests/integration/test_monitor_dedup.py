"""Deduplication on a real warehouse: canonical URLs, syndicated identical copies stored once
with all their URLs, and near-duplicates linked to the first copy rather than dropped."""

from __future__ import annotations


from pipeline import dedup, store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec

from fixture_modules import fixture_module

site = fixture_module("monitor/site.py")

HTML = "text/html; charset=utf-8"


def _load(db, make_bundle, stories: dict[str, str]) -> dict[str, int]:
    bundles = [make_bundle(f"https://{name}.example/story", text=text) for name, text in stories.items()]
    outcomes = store.load_articles(db, bundles)
    db.commit()
    return {name: outcome.article_id for name, outcome in zip(stories, outcomes, strict=True)}


def _links(db) -> dict[int, int | None]:
    return dict(db.execute("select article_id, duplicate_of from articles order by article_id").fetchall())


def test_near_duplicates_link_to_the_first_copy(db, make_bundle):
    ids = _load(db, make_bundle, {name: site.story(name) for name in ("original", "unrelated", "syndicated")})
    linked = dedup.link_near_duplicates(db, [(ids[name], site.story(name)) for name in ids])
    db.commit()
    assert linked == {ids["syndicated"]: ids["original"]}
    assert _links(db) == {ids["original"]: None, ids["unrelated"]: None, ids["syndicated"]: ids["original"]}

    # a later batch: a copy of the copy still points at the original, and nothing is dropped
    later = _load(db, make_bundle, {"edited": site.story("edited")})
    assert dedup.link_near_duplicates(db, [(later["edited"], site.story("edited"))]) == {
        later["edited"]: ids["original"]}
    db.commit()
    assert db.execute("select count(*) from articles").fetchone()[0] == 4
    assert db.execute("select count(*) from articles where duplicate_of is null").fetchone()[0] == 2
    assert db.execute("select count(*) from article_minhashes").fetchone()[0] == 4
    assert db.execute("select count(*) from articles where simhash is null").fetchone()[0] == 0


def test_near_duplicate_linking_is_idempotent(db, make_bundle):
    ids = _load(db, make_bundle, {name: site.story(name) for name in ("original", "edited")})
    pairs = [(ids[name], site.story(name)) for name in ids]
    first = dedup.link_near_duplicates(db, pairs)
    again = dedup.link_near_duplicates(db, pairs)
    db.commit()
    assert first == again == {ids["edited"]: ids["original"]}
    assert db.execute("select count(*) from article_minhashes").fetchone()[0] == 2


def test_cycle_stores_copies_once_and_links_near_duplicates(migrated_url, httpserver, analyzer):
    base = site.base_of(httpserver)
    original = f"{base}/world/rhine-floods.html"
    pages = {
        "/world/rhine-floods.html": site.article_page("Rhine floods", site.story("original"), original),
        # the mobile (AMP) variant names the original as canonical: the same article
        "/amp/world/rhine-floods.html": site.article_page("Rhine floods", site.story("original"), original),
        # a mirror with byte-identical text under its own URL: stored once, URL kept
        "/mirror/rhine.html": site.article_page("Rhine floods", site.story("original"), f"{base}/mirror/rhine.html"),
        # a partner's edited copy: its own article, linked to the first copy
        "/partner/rhine.html": site.article_page("Floods on the Rhine", site.story("syndicated"),
                                                 f"{base}/partner/rhine.html"),
        "/world/valencia.html": site.article_page("Valencia strike", site.story("unrelated"),
                                                  f"{base}/world/valencia.html"),
    }
    for path, body in pages.items():
        httpserver.expect_request(path).respond_with_data(body, content_type=HTML)
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    links = [f"{base}/world/rhine-floods.html?utm_source=rss", f"{base.upper()}/world/rhine-floods.html#top",
             f"{base}/amp/world/rhine-floods.html", f"{base}/mirror/rhine.html", f"{base}/partner/rhine.html",
             f"{base}/world/valencia.html"]
    items = "".join(f"<item><title>t{i}</title><link>{link.replace('&', '&amp;')}</link></item>"
                    for i, link in enumerate(links))
    httpserver.expect_request("/feed.xml").respond_with_data(
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>W</title>{items}</channel></rss>",
        content_type="application/rss+xml")

    settings = Settings(database_url=migrated_url, allow_private=("localhost", "127.0.0.1"), host_delay=0.0)
    summary = cycle.run_cycle(settings, [FeedSpec(url=f"{base}/feed.xml")], force=True, analyzer=analyzer)
    counts = summary["counts"]
    assert counts["entries_new"] == 5  # the tracking-parameter and upper-case-host links are one entry
    assert counts["articles_new"] == 3 and counts["articles_duplicate"] == 2
    assert counts["articles_near_duplicate"] == 1
    with store.connect(settings) as conn:
        rows = dict(conn.execute("select canonical_url, duplicate_of from articles").fetchall())
        ids = dict(conn.execute("select canonical_url, article_id from articles").fetchall())
        urls = {row[0] for row in conn.execute("select url from article_urls")}
    assert set(rows) == {original, f"{base}/partner/rhine.html", f"{base}/world/valencia.html"}
    assert rows[f"{base}/partner/rhine.html"] == ids[original]
    assert rows[original] is None and rows[f"{base}/world/valencia.html"] is None
    assert {f"{base}/mirror/rhine.html", f"{base}/amp/world/rhine-floods.html"} <= urls
