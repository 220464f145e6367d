"""`websub_renew` runs through Airflow (`dag.test()`) against a real PostgreSQL, the real
receiver and a loopback hub: the first run subscribes a feed that advertises the hub, a
later run renews the lease once it is within its renewal margin."""

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.models import FeedSpec
from pipeline.websub.receiver import RunningReceiver

from localhub import LocalHub

pytestmark = pytest.mark.slow

TOPIC = "https://news.example/world.atom"
REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of these tests' own


def _subscription(url: str) -> store.Subscription:
    with store.connect(url) as conn:
        (row,) = store.list_subscriptions(conn)
    return row


def test_websub_renew_dag_subscribes_then_renews_a_lease(dagbag, warehouse, task_states, monkeypatch):
    settings = Settings(database_url=warehouse, allow_private=("127.0.0.1",), redis_url=REDIS_URL)
    dag = dagbag.dags["websub_renew"]
    with RunningReceiver(settings) as receiver, LocalHub(max_lease_seconds=7200) as hub:
        monkeypatch.setenv("WIREWATCH_PUBLIC_BASE_URL", receiver.base_url)
        monkeypatch.setenv("WIREWATCH_ALLOW_PRIVATE", "127.0.0.1")
        monkeypatch.setenv("WIREWATCH_REDIS_URL", REDIS_URL)
        with store.connect(warehouse) as conn:
            (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=TOPIC)])
            store.set_feed_hub(conn, feed_id, hub.url, TOPIC)
            conn.commit()

        first_run = dag.test()
        assert str(first_run.state) == "success" and task_states(first_run) == {"maintain": {"success"}}
        assert hub.wait_for(lambda h: len(h.verifications) == 1)
        first = _subscription(warehouse)
        assert (first.state, first.feed_id, first.lease_seconds) == ("active", feed_id, 7200)

        quiet_run = dag.test()  # the lease is far from its end: nothing to renew
        assert str(quiet_run.state) == "success"
        assert [r["hub.mode"] for r in hub.requests] == ["subscribe"]

        with store.connect(warehouse) as conn:  # the lease now ends within its margin (an hour)
            conn.execute("update websub_subscriptions set lease_expires_at = now() + interval '30 minutes'")
            conn.commit()
        renew_run = dag.test()
        assert str(renew_run.state) == "success" and task_states(renew_run) == {"maintain": {"success"}}
        assert hub.wait_for(lambda h: len(h.verifications) == 2)
        second = _subscription(warehouse)

    assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "subscribe"]
    assert second.state == "active" and second.callback_id == first.callback_id
    assert second.lease_expires_at > first.lease_expires_at
