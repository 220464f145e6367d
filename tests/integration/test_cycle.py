"""One monitoring cycle through the real components: sample site over loopback HTTP,
feeds, fetch, extraction, spaCy, and a real PostgreSQL."""

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle, report
from pipeline.models import FeedSpec
from pipeline.sample_site import serve_sample_site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


@pytest.fixture
def settings(migrated_url):
    return Settings(database_url=migrated_url, allow_private=("127.0.0.1", "localhost"), batch_size=8,
                    host_delay=0.0)


def _count(conn, table):
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def test_cycle_loads_sample_site_then_nothing_new(settings, site, analyzer):
    specs = [FeedSpec(url=url) for url in site.feed_urls]
    first = cycle.run_cycle(settings, specs, force=True, analyzer=analyzer)
    counts = first["counts"]
    assert counts["feeds_polled"] == len(specs)
    assert counts["feeds_failed"] >= 1  # the deliberately broken feed, logged and recorded
    assert counts["articles_new"] >= 8
    assert counts["events"] > 0 and counts["entities"] > 0
    assert any(e["stage"] == "feed" and "broken" in e["url"] for e in first["errors"])

    with store.connect(settings) as conn:
        articles = _count(conn, "articles")
        events = _count(conn, "events")
        assert articles == counts["articles_new"]
        assert events == counts["events"]
        assert _count(conn, "entries where state = 'pending'") == 0
        run = conn.execute("select status, counts from pipeline_runs where run_id = %s",
                           (first["run_id"],)).fetchone()
        assert run[0] == "ok" and run[1]["articles_new"] == articles
        # every event is traceable to its sentence inside its article's text
        for text, sentence, start, end in conn.execute(
            "select a.text, e.sentence, e.sent_start, e.sent_end from events e join articles a using (article_id)"
        ):
            assert text[start:end] == sentence
        text = report.run_report(conn, first["run_id"])
        assert "examples:" in text and "events:" in text

    second = cycle.run_cycle(settings, specs, force=True, analyzer=analyzer)
    assert second["counts"].get("articles_new", 0) == 0
    assert second["counts"]["feeds_unchanged"] == len(specs) - second["counts"]["feeds_failed"]
    with store.connect(settings) as conn:
        assert _count(conn, "articles") == articles
        assert _count(conn, "events") == events
        assert "nothing new" in report.run_report(conn, second["run_id"])


def test_cycle_survives_unreachable_feed(settings, analyzer):
    dead = FeedSpec(url="http://127.0.0.1:9/feed.xml")
    summary = cycle.run_cycle(settings, [dead], force=True, analyzer=analyzer)
    assert summary["counts"]["feeds_failed"] == 1
    with store.connect(settings) as conn:
        feed = store.list_feeds(conn, [cycle.register_feeds(settings, [dead])[0]])[0]
        assert feed.consecutive_errors >= 1 and feed.last_error
        assert feed.next_poll_at > feed.last_polled_at


def test_cycle_drain_queue_takes_every_pending_entry_as_one_run(settings, site, analyzer):
    """What push_ingest does when woken: whatever is pending, whoever queued it, in one run."""
    feed_ids = cycle.register_feeds(settings, [FeedSpec(url=site.feed_urls[0])])
    for batch in cycle.select_feed_batches(settings, feed_ids=feed_ids, force=True):
        cycle.poll_feed_batch(settings, batch)
    with store.connect(settings) as conn:
        pending = _count(conn, "entries where state = 'pending'")
    assert pending >= 5

    summary = cycle.drain_queue(settings.with_(batch_size=2), "push", analyzer=analyzer)
    assert summary["counts"]["articles_new"] + summary["counts"].get("pages_skipped", 0) == pending
    with store.connect(settings) as conn:
        assert _count(conn, "entries where state = 'pending'") == 0
        kind, status = conn.execute("select kind, status from pipeline_runs where run_id = %s",
                                    (summary["run_id"],)).fetchone()
    assert (kind, status) == ("push", "ok")

    assert cycle.drain_queue(settings, "push", budget_s=0)["counts"] == {}  # nothing pending, no time: a no-op run


def test_cycle_that_raises_is_recorded_as_failed(settings, site):
    """An interrupted cycle leaves its run row `failed` with what it had done, and re-raises."""

    class Interrupted:
        version = "interrupted"

        def analyze_many(self, items):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cycle.run_cycle(settings, [FeedSpec(url=site.feed_urls[0])], force=True, analyzer=Interrupted())
    with store.connect(settings) as conn:
        status, counts = conn.execute("select status, counts from pipeline_runs order by run_id desc limit 1").fetchone()
    assert status == "failed"
    assert counts["feeds_polled"] == 1 and counts["entries_new"] > 0
