"""End to end with a real Airflow: a push becomes warehouse rows through Redis and push_ingest.

`airflow standalone` (scheduler, dag-processor, triggerer, api-server) runs only the
push_ingest DAG against the test database; a local hub pushes an article's entry to
the real receiver, whose Redis wake-up fires the DAG's AssetWatcher. Takes about a minute.
"""

from __future__ import annotations

import importlib.util
import secrets
import time
from pathlib import Path

import pytest
import redis

from pipeline import store
from pipeline.config import Settings
from pipeline.models import FeedSpec
from pipeline.websub.receiver import RunningReceiver
from pipeline.websub.subscriber import maintain_subscriptions

from localhub import LocalHub

REDIS_URL = "redis://127.0.0.1:6379/0"
LATENCY = Path(__file__).resolve().parents[2] / "benchmarks" / "latency.py"


def _bench():
    """The benchmark's local site and Airflow launcher (one implementation for both)."""
    spec = importlib.util.spec_from_file_location("wirewatch_bench_latency", LATENCY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_finished(database_url: str, articles: int) -> bool:
    """Every article stored and no push run still running."""
    with store.connect(database_url) as conn:
        stored, running = conn.execute(
            "select (select count(*) from articles), (select count(*) from pipeline_runs where status = 'running')"
        ).fetchone()
    return stored >= articles and running == 0


@pytest.mark.slow
def test_websub_push_becomes_warehouse_rows_through_airflow(migrated_url, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    bench = _bench()
    channel = f"wirewatch.push.test.{secrets.token_hex(3)}"
    settings = Settings(database_url=migrated_url, allow_private=("127.0.0.1",), redis_url=REDIS_URL, host_delay=0.0)
    with bench.ArticleSite(2) as site, LocalHub() as hub, RunningReceiver(settings.with_(push_channel=channel)) as receiver, \
            bench.AirflowStack(tmp_path / "airflow", migrated_url, channel=channel, redis_url=REDIS_URL) as stack:
        site.hub_url = hub.url
        settings = settings.with_(public_base_url=receiver.base_url)
        with store.connect(settings) as conn:
            (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=site.feed_url)])
            store.set_feed_hub(conn, feed_id, hub.url, site.feed_url)
            conn.commit()
        assert maintain_subscriptions(settings) == {"subscribed": 1}
        assert hub.wait_for(lambda h: bool(h.subscribers_of(site.feed_url)))
        stack.wait_until_listening()

        for path in site.paths:
            (delivery,) = hub.publish(site.feed_url, site.publish(path))
            assert delivery.statuses == [202]
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not _all_finished(migrated_url, 2):
            time.sleep(1)
        stored = bench.article_urls_stored(migrated_url)

    assert sorted(stored) == sorted(site.base_url + p for p in site.paths), f"see {stack.log_path}"
    assert set(stored.values()) == {1}
    with store.connect(migrated_url) as conn:
        entries = conn.execute("select source, state from entries").fetchall()
        runs = conn.execute("select kind, status, counts->>'articles_new' from pipeline_runs").fetchall()
        titles = conn.execute("select title from articles order by title").fetchall()
    assert entries == [("push", "done"), ("push", "done")]
    assert runs and all(kind == "push" and status == "ok" for kind, status, _ in runs)
    assert sum(int(n or 0) for *_, n in runs) == 2
    assert [t for (t,) in titles] == sorted(site.titles.values())
