"""`push_ingest` runs through Airflow (`dag.test()`) against a real PostgreSQL and Redis:
a loopback hub pushes two articles' entries to the real receiver, which queues them and
publishes its wake-up on Redis; the DAG's run drains the queue into warehouse rows and
announces the new articles."""

import importlib.util
import json
import secrets
from pathlib import Path

import pytest
import redis

from pipeline import store
from pipeline.config import Settings
from pipeline.models import FeedSpec
from pipeline.websub.receiver import RunningReceiver
from pipeline.websub.subscriber import maintain_subscriptions

from localhub import LocalHub

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of these tests' own
LATENCY = Path(__file__).resolve().parents[2] / "benchmarks" / "latency.py"


def _article_site_class():
    """The latency benchmark's loopback article site (pages plus a feed that grows as they publish)."""
    spec = importlib.util.spec_from_file_location("wirewatch_bench_latency", LATENCY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ArticleSite


def test_push_ingest_dag_drains_pushed_entries_into_articles(dagbag, warehouse, task_states, monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    channel = f"wirewatch.push.test.{secrets.token_hex(3)}"
    settings = Settings(database_url=warehouse, allow_private=("127.0.0.1",), redis_url=REDIS_URL, host_delay=0.0)
    monkeypatch.setenv("WIREWATCH_ALLOW_PRIVATE", "127.0.0.1")
    monkeypatch.setenv("WIREWATCH_HOST_DELAY", "0")  # our own loopback site needs no politeness
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    listener.get_message(timeout=1)  # the subscription's own confirmation
    with _article_site_class()(2) as site, LocalHub() as hub, RunningReceiver(settings.with_(push_channel=channel)) as receiver:
        site.hub_url = hub.url
        settings = settings.with_(public_base_url=receiver.base_url)
        with store.connect(settings) as conn:
            (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=site.feed_url)])
            store.set_feed_hub(conn, feed_id, hub.url, site.feed_url)
            conn.commit()
        assert maintain_subscriptions(settings) == {"subscribed": 1}
        assert hub.wait_for(lambda h: bool(h.subscribers_of(site.feed_url)))
        for path in site.paths:
            (delivery,) = hub.publish(site.feed_url, site.publish(path))
            assert delivery.statuses == [202]
        wakeups = [listener.get_message(timeout=5) for _ in site.paths]
        assert [json.loads(m["data"])["entries_new"] for m in wakeups if m is not None] == [1, 1]

        run = dagbag.dags["push_ingest"].test()
        expected = sorted(site.base_url + p for p in site.paths)
    listener.close()

    assert str(run.state) == "success"
    assert task_states(run) == {"drain": {"success"}, "any_new": {"success"}, "announce": {"success"}}
    with store.connect(warehouse) as conn:
        stored = sorted(row[0] for row in conn.execute("select url from articles"))
        entries = conn.execute("select source, state from entries").fetchall()
        runs = conn.execute("select kind, status, (counts->>'articles_new')::int from pipeline_runs").fetchall()
    assert stored == expected
    assert entries == [("push", "done"), ("push", "done")]
    assert runs == [("push", "ok", 2)]
