"""WebSub through real components: a local hub, the receiver on loopback, PostgreSQL, Redis.

Subscribe → the hub verifies intent → pushes are stored before the 2xx and wake Redis;
bad signatures are refused; a database failure mid-push stores nothing and the hub's
retry succeeds; unsubscribe and lease renewal go through the hub again.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from pipeline import store
from pipeline.config import Settings
from pipeline.models import FeedSpec
from pipeline.websub.receiver import RunningReceiver
from pipeline.websub.signatures import sign_body
from pipeline.websub.subscriber import maintain_subscriptions, unsubscribe_feed

from localhub import LocalHub

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "websub"
TOPIC = "https://news.example/world.atom"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def push_body() -> bytes:
    return (FIXTURES / "push.atom").read_bytes()


@pytest.fixture
def settings(migrated_url) -> Settings:
    return Settings.from_env(database_url=migrated_url, allow_private=("127.0.0.1",), redis_url=REDIS_URL)


@pytest.fixture
def custom_channel(monkeypatch) -> str:
    """WIREWATCH_PUSH_CHANNEL and WIREWATCH_REDIS_CONN_ID set to values of this test's own."""
    channel = f"wirewatch.push.test.{secrets.token_hex(3)}"
    monkeypatch.setenv("WIREWATCH_PUSH_CHANNEL", channel)
    monkeypatch.setenv("WIREWATCH_REDIS_CONN_ID", "redis_wirewatch_test")
    return channel


@pytest.fixture
def receiver(settings):
    with RunningReceiver(settings, lock_timeout_s=0.5) as running:
        yield running


@pytest.fixture
def hub():
    with LocalHub(retry_delay_s=0.3, max_attempts=6) as running:
        yield running


@pytest.fixture
def subscribed(settings, receiver, hub):
    """A feed with a hub, subscribed through a maintenance pass and verified by the hub."""
    settings = settings.with_(public_base_url=receiver.base_url)
    with store.connect(settings) as conn:
        (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=TOPIC)])
        store.set_feed_hub(conn, feed_id, hub.url, TOPIC)
        conn.commit()
    assert maintain_subscriptions(settings) == {"subscribed": 1}
    assert hub.wait_for(lambda h: len(h.subscribers_of(TOPIC)) == 1)
    return settings, feed_id


def _subscription(settings) -> store.Subscription:
    with store.connect(settings) as conn:
        (row,) = store.list_subscriptions(conn)
    return row


def _entries(settings) -> list[tuple]:
    with store.connect(settings) as conn:
        return conn.execute("select url, source, state, feed_id from entries order by entry_id").fetchall()


def test_websub_subscribe_is_verified_and_defers_polling(subscribed, hub):
    settings, feed_id = subscribed
    row = _subscription(settings)
    assert row.state == "active" and row.feed_id == feed_id and row.lease_seconds == 864_000
    assert row.lease_expires_at - row.last_verified_at == timedelta(seconds=864_000)
    (request,) = hub.requests
    assert request["hub.callback"] == f"{settings.public_base_url}/websub/{row.callback_id}"
    assert request["hub.secret"] == row.secret and request["hub.lease_seconds"] == "864000"
    with store.connect(settings) as conn:
        (feed,) = store.list_feeds(conn, [feed_id])
    assert feed.next_poll_at > datetime.now(timezone.utc) + timedelta(hours=5)


def test_websub_push_channel_from_the_environment_is_where_the_dag_listens(custom_channel, airflow_home, subscribed,
                                                                          hub, push_body):
    """WIREWATCH_PUSH_CHANNEL moves both sides: the receiver publishes there, push_ingest watches there."""
    settings, _feed_id = subscribed
    assert settings.push_channel == custom_channel != Settings().push_channel
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(custom_channel)
    listener.get_message(timeout=1)

    (delivery,) = hub.publish(TOPIC, push_body)
    message = listener.get_message(timeout=5)
    listener.close()

    assert delivery.statuses == [202]
    assert message is not None and message["channel"].decode() == custom_channel
    root = Path(__file__).resolve().parents[2]
    parsed = subprocess.run(  # the DAG file as the scheduler parses it: a fresh process, the same environment
        [sys.executable, "-c", "import json, push_ingest; t = push_ingest.PUSH_TRIGGER; "
                               "print(json.dumps([t.kwargs['channels'], t.kwargs['redis_conn_id']]))"],
        capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "dags")])})
    assert json.loads(parsed.stdout.splitlines()[-1]) == [[custom_channel], "redis_wirewatch_test"]


def test_websub_push_is_stored_before_the_ack_and_wakes_redis(subscribed, hub, push_body):
    settings, feed_id = subscribed
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(settings.push_channel)
    listener.get_message(timeout=1)

    (delivery,) = hub.publish(TOPIC, push_body)

    assert delivery.statuses == [202]
    assert _entries(settings) == [
        ("https://news.example/world/2026/03/01/ceasefire-talks?utm_source=websub", "push", "pending", feed_id),
        ("https://news.example/world/2026/03/01/delta-floods", "push", "pending", feed_id),
    ]
    message = listener.get_message(timeout=5)
    listener.close()
    assert message is not None and json.loads(message["data"])["entries_new"] == 2
    row = _subscription(settings)
    assert (row.pushes_received, row.entries_pushed, row.pushes_refused) == (1, 2, 0)

    (again,) = hub.publish(TOPIC, push_body)  # the same entries again: acknowledged, nothing new
    assert again.statuses == [202] and len(_entries(settings)) == 2


@pytest.mark.parametrize("how", ["tamper", "unsigned"])
def test_websub_push_with_bad_or_missing_signature_is_refused(subscribed, hub, push_body, how):
    settings, _ = subscribed
    (delivery,) = hub.publish(TOPIC, push_body, **{how: True})
    assert delivery.statuses == [403]
    assert _entries(settings) == []
    row = _subscription(settings)
    assert row.pushes_refused == 1 and "X-Hub-Signature" in row.last_error


def test_websub_push_that_is_not_a_feed_is_refused(subscribed, receiver):
    settings, _ = subscribed
    row = _subscription(settings)
    body = b"<html><body>not a feed</body></html>"
    response = httpx.post(f"{receiver.base_url}/websub/{row.callback_id}", content=body,
                          headers={"X-Hub-Signature": sign_body(row.secret, body, "sha1"), "Content-Type": "text/html"})
    assert response.status_code == 400 and _entries(settings) == []


def test_websub_push_during_a_database_failure_stores_nothing_and_the_retry_succeeds(subscribed, hub, push_body):
    """The subscription row is locked, so the push's transaction fails after queueing its entries."""
    settings, _ = subscribed
    row = _subscription(settings)
    blocker = psycopg.connect(settings.database_url)
    blocker.execute("select 1 from websub_subscriptions where subscription_id = %s for update", (row.subscription_id,))
    result = {}
    publisher = threading.Thread(target=lambda: result.setdefault("deliveries", hub.publish(TOPIC, push_body)))
    publisher.start()
    try:
        assert hub.wait_for(lambda h: False, timeout_s=1.5) is False  # let a few deliveries fail
        assert _entries(settings) == []  # nothing half-stored while the hub is told 503
    finally:
        blocker.rollback()
        blocker.close()
    publisher.join(timeout=30)
    (delivery,) = result["deliveries"]
    assert delivery.statuses[0] == 503 and delivery.statuses[-1] == 202
    assert len(_entries(settings)) == 2
    assert _subscription(settings).pushes_received == 1


def test_websub_database_down_answers_503_with_retry_after(settings, push_body):
    down = settings.with_(database_url="postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    with RunningReceiver(down) as receiver:
        push = httpx.post(f"{receiver.base_url}/websub/abcdefghijklmnopqrstuv", content=push_body)
        verify = httpx.get(f"{receiver.base_url}/websub/abcdefghijklmnopqrstuv", params={"hub.mode": "subscribe"})
        health = httpx.get(f"{receiver.base_url}/healthz")
    assert push.status_code == 503 and push.headers["Retry-After"] == "30"
    assert "nothing stored" in push.text and "127.0.0.1:1" in push.text
    assert verify.status_code == 503 and health.status_code == 503


def test_websub_verification_for_unknown_callback_or_other_topic_is_refused(subscribed, receiver):
    settings, _ = subscribed
    row = _subscription(settings)
    unknown = httpx.get(f"{receiver.base_url}/websub/unknown-callback-000000",
                        params={"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "x"})
    other = httpx.get(f"{receiver.base_url}/websub/{row.callback_id}",
                      params={"hub.mode": "subscribe", "hub.topic": "https://evil.example/", "hub.challenge": "x"})
    sneaky = httpx.get(f"{receiver.base_url}/websub/{row.callback_id}",
                       params={"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.challenge": "x"})
    assert (unknown.status_code, other.status_code, sneaky.status_code) == (404, 404, 404)
    assert _subscription(settings).state == "active"


def test_websub_unsubscribe_when_the_feed_is_disabled(subscribed, hub, push_body):
    settings, feed_id = subscribed
    with store.connect(settings) as conn:
        store.disable_feed(conn, feed_id, "removed by the desk")
        conn.commit()
    assert maintain_subscriptions(settings) == {"unsubscribed": 1}
    assert hub.wait_for(lambda h: not h.subscribers_of(TOPIC))
    assert hub.requests[-1]["hub.mode"] == "unsubscribe"
    row = _subscription(settings)
    assert row.state == "unsubscribed" and row.lease_expires_at is None
    # a push still in flight from the hub is told the subscription is gone
    response = httpx.post(f"{settings.public_base_url}/websub/{row.callback_id}", content=push_body,
                          headers={"X-Hub-Signature": sign_body(row.secret, push_body)})
    assert response.status_code == 410 and _entries(settings) == []
    assert maintain_subscriptions(settings) == {}


def test_websub_unsubscribe_by_feed_url(subscribed, hub):
    settings, _ = subscribed
    assert unsubscribe_feed(settings, TOPIC) == 1
    assert hub.wait_for(lambda h: not h.subscribers_of(TOPIC))
    assert _subscription(settings).state == "unsubscribed"


def test_websub_lease_is_renewed_before_it_ends(settings, receiver):
    with LocalHub(max_lease_seconds=120) as hub:
        settings = settings.with_(public_base_url=receiver.base_url)
        with store.connect(settings) as conn:
            (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=TOPIC)])
            store.set_feed_hub(conn, feed_id, hub.url, TOPIC)
            conn.commit()
        maintain_subscriptions(settings)
        assert hub.wait_for(lambda h: len(h.verifications) == 1)
        first = _subscription(settings)
        assert first.state == "active" and first.lease_seconds == 120

        assert maintain_subscriptions(settings, now=first.last_verified_at + timedelta(seconds=59)) == {}
        time.sleep(0.01)
        renewed = maintain_subscriptions(settings, now=first.last_verified_at + timedelta(seconds=61))
        assert renewed == {"renewed": 1}
        assert hub.wait_for(lambda h: len(h.verifications) == 2)
        second = _subscription(settings)
    assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "subscribe"]
    assert second.state == "active" and second.callback_id == first.callback_id and second.secret == first.secret
    assert second.lease_expires_at > first.lease_expires_at


def test_websub_without_public_url_subscribes_nothing(settings):
    assert maintain_subscriptions(settings) == {"skipped_no_public_url": 1}


def test_websub_hub_refusal_marks_the_subscription_failed(settings, receiver, httpserver):
    httpserver.expect_request("/hub", method="POST").respond_with_data("topic not allowed", status=422)
    settings = settings.with_(public_base_url=receiver.base_url)
    with store.connect(settings) as conn:
        (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=TOPIC)])
        store.set_feed_hub(conn, feed_id, httpserver.url_for("/hub"), TOPIC)
        conn.commit()
    assert maintain_subscriptions(settings) == {"subscribed_failed": 1}
    row = _subscription(settings)
    assert row.state == "failed" and "422" in row.last_error and "topic not allowed" in row.last_error
    assert maintain_subscriptions(settings) == {}  # not retried until RETRY_AFTER has passed


def _raw_exchange(base_url: str, head: bytes, body_parts: list[bytes], pause_s: float = 0.0,
                  timeout_s: float = 10.0) -> tuple[int, float]:
    """Send a hand-written request (headers, then body parts `pause_s` apart); (status, seconds to the answer)."""
    import socket

    host, port = base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(head)
        for part in body_parts:
            time.sleep(pause_s)
            try:
                sock.sendall(part)
            except OSError:
                break  # the receiver answered and closed already
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1]), time.monotonic() - started


def _push_head(callback_id: str, length: int, signature: str = "sha1=00") -> bytes:
    return (f"POST /websub/{callback_id} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
            f"X-Hub-Signature: {signature}\r\nContent-Type: application/atom+xml\r\n\r\n").encode()


def test_websub_unknown_callback_is_answered_before_the_body_is_read(settings):
    with RunningReceiver(settings) as receiver:
        status, seconds = _raw_exchange(receiver.base_url, _push_head("nosuchcallback", 9_000_000), [])
    assert status == 404 and seconds < 5  # no 9 MB read, no wait for a body that never comes


def test_websub_declared_length_over_the_cap_is_413_at_once(subscribed, receiver):
    settings, _ = subscribed
    row = _subscription(settings)
    status, seconds = _raw_exchange(receiver.base_url, _push_head(row.callback_id, settings.max_body_bytes + 1), [])
    assert status == 413 and seconds < 5


def test_websub_trickled_body_is_cut_off_with_408(subscribed):
    settings, _ = subscribed
    row = _subscription(settings)
    with RunningReceiver(settings, body_timeout_s=0.5) as receiver:
        status, seconds = _raw_exchange(receiver.base_url, _push_head(row.callback_id, 1000), [b"<"] * 20, pause_s=0.1)
    assert status == 408 and seconds < 5 and _entries(settings) == []


def test_websub_pushes_over_the_concurrency_cap_get_503(subscribed):
    settings, _ = subscribed
    row = _subscription(settings)
    with RunningReceiver(settings, body_timeout_s=3.0, max_concurrent=1) as receiver:
        slow = threading.Thread(target=_raw_exchange, args=(receiver.base_url, _push_head(row.callback_id, 1000),
                                                            [b"<"] * 10), kwargs={"pause_s": 0.2})
        slow.start()
        time.sleep(0.5)  # the slow push holds the only slot
        second = httpx.post(f"{receiver.base_url}/websub/{row.callback_id}", content=b"<feed/>")
        slow.join(timeout=10)
    assert second.status_code == 503 and second.headers["Retry-After"] == "30"


def test_websub_non_ascii_signature_is_403_not_500(subscribed, receiver, push_body):
    settings, _ = subscribed
    row = _subscription(settings)
    response = httpx.post(f"{receiver.base_url}/websub/{row.callback_id}", content=push_body,
                          headers={"X-Hub-Signature": "sha1=caf\u00e9".encode("latin-1")})
    assert response.status_code == 403 and _entries(settings) == []


def test_websub_permanent_load_error_is_422_not_503():
    """A batch the warehouse refuses as such (LoadError) can never be stored: the hub must stop."""
    import asyncio

    from pipeline.errors import DatabaseUnavailable, LoadError
    from pipeline.websub.receiver import _guarded

    def refuse(error):
        raise error

    permanent = asyncio.run(_guarded(refuse, LoadError("rejected while queueing entries: bad value")))
    transient = asyncio.run(_guarded(refuse, DatabaseUnavailable("lost the connection")))
    assert (permanent.status, transient.status) == (422, 503) and "Retry-After" not in permanent.headers
