"""Faults against the real PostgreSQL, Redis and sample site; the warehouse's invariants after each.

- `wirewatch run`, `wirewatch backfill` and `wirewatch websub serve` killed -9 at random
  moments (KILLS times each), then one clean run of each;
- the pipeline's connections terminated every 200 ms during cycles and during signed pushes;
- the test's own Redis killed during pushes, then started again.

The invariants are SQL (`invariants.py`): those that hold at every moment are checked
after every fault, the rest after the clean run. `make chaos` runs the full budget.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis
from faults import (
    FULL,
    KILLS,
    PUSHES,
    SEED,
    TERMINATED_SITES,
    TERMINATED_WINDOW_S,
    Pusher,
    Terminator,
    checker,
    kill,
    kill_at,
    receiver,
    run_clean,
    start,
)
from invariants import ALWAYS, RUNS_LEFT_RUNNING, SETTLED, assert_holds, missing_pushes
from werkzeug import Response

from pipeline import store
from pipeline.models import FeedSpec
from pipeline.sample_site import SampleSite, load_stories
from pipeline.websub import subscriptions as subs
from pipeline.config import Settings

pytestmark = pytest.mark.chaos

#: kills land anywhere in a command's life: starting, loading the model, polling, fetching, loading
#: (a whole run takes about 13 s here; the short budget stops earlier, where most of the writing is)
RUN_KILL_WINDOW_S = (0.2, 13.0 if FULL else 5.0)
BACKFILL_KILL_WINDOW_S = (0.2, 12.0 if FULL else 5.0)
RECEIVER_KILL_WINDOW_S = (0.0, 1.0)
#: how long the receiver may take to answer its first push before the test calls it broken
RECEIVER_FIRST_ANSWER_S = 60.0
#: the sample stories the backfill window holds (two of them on each site)
BACKFILL_DAYS = ("2010-04-25", "2010-04-28")
#: pushes sent to a receiver that is killed meanwhile, at most
PUSHES_PER_KILL = 40


def _feeds_file(path: Path, sites: list[SampleSite]) -> Path:
    path.write_text("".join(f"{url}\n" for site in sites for url in site.feed_urls))
    return path


def _subscribe(url: str, topic: str, link_of) -> Pusher:
    """A verified subscription to `topic`, as a hub's verification of intent leaves it; its pusher."""
    with store.connect(url) as conn:
        (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=topic)])
        subscription = subs.request_subscription(conn, feed_id, "http://127.0.0.1:9/hub", topic)
        subs.record_verification(conn, subscription, "subscribe", lease_seconds=864_000,
                                 now=datetime.now(timezone.utc))
        conn.commit()
    return Pusher(topic, subscription.callback_id, subscription.secret, link_of)


def _wait_for_leases(url: str) -> None:
    """Until every claim a killed process held has run out (what the clean run may then take)."""
    with checker(url) as conn:
        (left,) = conn.execute("select coalesce(extract(epoch from max(lease_until) - now()), 0) "
                               "from entries where state = 'claimed'").fetchone()
    time.sleep(max(float(left), 0.0) + 0.2)


def _database_now(url: str) -> datetime:
    with checker(url) as conn:
        return conn.execute("select now()").fetchone()[0]


def _clean(outcome, what: str) -> None:
    assert outcome.returncode == 0, f"the clean {what} exited with {outcome.returncode}:\n{outcome.tail()}"


def test_chaos_kill_run_backfill_and_receiver(chaos_url, pipeline_env, sites, httpserver, tmp_path):
    rng = random.Random(SEED)
    served: list[SampleSite] = []
    # one backfill source over every site so far: each round's backfill has new pages to take
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/sitemap_index.xml").respond_with_handler(lambda request: Response(
        "<?xml version='1.0' encoding='UTF-8'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<sitemap><loc>{site.base_url}/sitemap.xml</loc></sitemap>" for site in served)
        + "</sitemapindex>", content_type="application/xml"))
    backfill = ["backfill", f"sitemap:{httpserver.url_for('/sitemap_index.xml')}",
                "--from", BACKFILL_DAYS[0], "--to", BACKFILL_DAYS[1]]
    push_site = sites()
    pusher = _subscribe(chaos_url, push_site.feed_urls[0], lambda tag: f"{push_site.base_url}/pushed/{tag}.html")
    log = tmp_path / "wirewatch.log"
    kills = {"run": 0, "backfill": 0, "websub serve": 0}

    for round_ in range(KILLS):
        served.append(sites())
        feeds = _feeds_file(tmp_path / f"feeds-{round_}.txt", served[-1:])
        outcome = kill_at(["run", "--feeds", str(feeds)], pipeline_env, log, rng.uniform(*RUN_KILL_WINDOW_S))
        kills["run"] += outcome.killed_after_s is not None
        assert_holds(chaos_url, ALWAYS, f"`wirewatch run` {outcome}")

        outcome = kill_at([*backfill, "--force"], pipeline_env, log, rng.uniform(*BACKFILL_KILL_WINDOW_S))
        kills["backfill"] += outcome.killed_after_s is not None
        assert_holds(chaos_url, ALWAYS, f"`wirewatch backfill` {outcome}")

        with receiver(pipeline_env, log) as (process, base):
            stop = threading.Event()
            tags = [f"kill{round_}-{i}" for i in range(PUSHES_PER_KILL)]
            sender = threading.Thread(target=pusher.push_many, args=(base, tags), kwargs={"workers": 2, "stop": stop})
            sender.start()
            # killed while pushes are being answered: after the first answer, not before it (a
            # loaded machine may take longer than the kill window to answer the first push)
            assert pusher.wait_acknowledged(tags, RECEIVER_FIRST_ANSWER_S), \
                f"the receiver answered no push within {RECEIVER_FIRST_ANSWER_S} s: {pusher.answers}"
            time.sleep(rng.uniform(*RECEIVER_KILL_WINDOW_S))
            kill(process)
            kills["websub serve"] += 1
            stop.set()
            sender.join(60)
        assert_holds(chaos_url, ALWAYS, f"`wirewatch websub serve` killed in round {round_}")
        assert missing_pushes(chaos_url, map(pusher.link_of, pusher.acknowledged())) == []

    assert kills["websub serve"] == KILLS and kills["run"] + kills["backfill"] > 0, kills
    assert len(pusher.acknowledged()) > 0, "no push was answered before the kills: nothing was tested"

    _wait_for_leases(chaos_url)
    clean_started = _database_now(chaos_url)
    _clean(run_clean(backfill, pipeline_env, log), "backfill")
    _clean(run_clean(["run", "--feeds", str(_feeds_file(tmp_path / "feeds-all.txt", served))], pipeline_env, log),
           "run")
    with receiver(pipeline_env, log) as (_process, base):
        pusher.push_many(base, [f"clean-{i}" for i in range(5)])
    assert all(pusher.answers[f"clean-{i}"] == 202 for i in range(5)), pusher.answers
    assert missing_pushes(chaos_url, map(pusher.link_of, pusher.acknowledged())) == []
    assert_holds(chaos_url, ALWAYS, "the clean runs")
    assert_holds(chaos_url, SETTLED, "the clean runs", clean_started=clean_started)
    with checker(chaos_url) as conn:  # the clean runs loaded every story of every site, once
        stories = sum(1 for story in load_stories() if story.kind != "video")
        assert conn.execute("select count(*) from articles").fetchone()[0] == stories
        left = conn.execute(RUNS_LEFT_RUNNING).fetchall()
    print(f"kills: {kills}; runs left running: {len(left)}")
    assert left == []  # the clean runs recorded the killed ones as failed


def test_chaos_killed_run_is_not_left_running(chaos_url, pipeline_env, httpserver, tmp_path):
    """`wirewatch run` killed -9 once its run row exists (its feed is slow to answer); a clean run after it."""
    httpserver.expect_request("/slow.xml").respond_with_handler(
        lambda request: (time.sleep(1.0), Response("gone", status=404))[1])
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(httpserver.url_for("/slow.xml") + "\n")
    log = tmp_path / "wirewatch.log"
    process = start(["run", "--feeds", str(feeds)], pipeline_env, log)
    try:
        deadline = time.monotonic() + 30
        with checker(chaos_url) as conn:
            while conn.execute("select count(*) from pipeline_runs").fetchone()[0] == 0:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
                time.sleep(0.02)
    finally:
        kill(process)
    _clean(run_clean(["run", "--feeds", str(feeds)], pipeline_env, log), "run")
    with checker(chaos_url) as conn:
        assert conn.execute(RUNS_LEFT_RUNNING).fetchall() == []


def test_chaos_terminate_backends_during_cycles(chaos_url, chaos_database, server_url, pipeline_env, sites, tmp_path):
    log = tmp_path / "wirewatch.log"
    served = []
    terminated = cycles = 0
    for number in range(TERMINATED_SITES):
        served.append(sites())
        feeds = _feeds_file(tmp_path / f"feeds-{number}.txt", served[-1:])
        with Terminator(server_url, chaos_database) as terminator:
            deadline = time.monotonic() + TERMINATED_WINDOW_S
            while cycles == 0 or time.monotonic() < deadline:  # cycles back to back while connections die
                outcome = run_clean(["run", "--feeds", str(feeds)], pipeline_env, log)
                cycles += 1
                assert outcome.returncode in (0, 1), f"not an orderly exit:\n{outcome.tail()}"
        terminated += terminator.terminated
        # a cycle cut by the database ends with one line naming it, never a traceback
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
        assert_holds(chaos_url, ALWAYS, f"{cycles} cycles under pg_terminate_backend")
    assert terminated > 0, "no pipeline connection was terminated: nothing was tested"

    _wait_for_leases(chaos_url)
    clean_started = _database_now(chaos_url)
    _clean(run_clean(["run", "--feeds", str(_feeds_file(tmp_path / "feeds-all.txt", served))], pipeline_env, log),
           "run")
    assert_holds(chaos_url, ALWAYS, "the clean run")
    assert_holds(chaos_url, SETTLED, "the clean run", clean_started=clean_started)


def test_chaos_terminate_backends_during_pushes(chaos_url, chaos_database, server_url, pipeline_env, sites, tmp_path):
    site = sites()
    pusher = _subscribe(chaos_url, site.feed_urls[0], lambda tag: f"{site.base_url}/pushed/{tag}.html")
    tags = [f"push-{i}" for i in range(PUSHES)]
    with receiver(pipeline_env, tmp_path / "receiver.log") as (_process, base):
        with Terminator(server_url, chaos_database) as terminator:
            pusher.push_many(base, tags)
        assert terminator.terminated > 0, "no receiver connection was terminated: nothing was tested"
        answered = {status for status in pusher.answers.values()}
        assert answered <= {202, 503}, f"a push answered other than stored or retry-later: {pusher.answers}"
        assert missing_pushes(chaos_url, map(pusher.link_of, pusher.acknowledged())) == []
        refused = [tag for tag in tags if pusher.answers[tag] != 202]
        for tag in refused:  # the hub delivers again what was not acknowledged
            pusher.push(base, tag)
    assert all(pusher.answers[tag] == 202 for tag in tags), [pusher.answers[tag] for tag in refused]
    assert missing_pushes(chaos_url, map(pusher.link_of, tags)) == []
    assert_holds(chaos_url, ALWAYS, f"{PUSHES} pushes under pg_terminate_backend ({len(refused)} answered 503 first)")
    with checker(chaos_url) as conn:
        (received,) = conn.execute("select pushes_received from websub_subscriptions").fetchone()
    assert received >= PUSHES  # each stored push counted (a 503 whose commit landed may count twice)


def test_chaos_redis_stopped_during_pushes(chaos_url, pipeline_env, sites, redis_server, tmp_path):
    site = sites()
    pusher = _subscribe(chaos_url, site.feed_urls[0], lambda tag: f"{site.base_url}/pushed/{tag}.html")
    env = pipeline_env | {"WIREWATCH_REDIS_URL": redis_server.url}
    third = max(PUSHES // 3, 1)

    def wakeups(tags: list[str], base: str) -> int:
        """Push `tags`; how many wake-ups a listener on the test's Redis heard meanwhile."""
        listener = redis.Redis.from_url(redis_server.url).pubsub(ignore_subscribe_messages=True)
        listener.subscribe(Settings().push_channel)  # the default channel: env sets none
        listener.get_message(timeout=1)
        pusher.push_many(base, tags)
        heard = 0
        while listener.get_message(timeout=0.5) is not None:
            heard += 1
        listener.close()
        return heard

    with receiver(env, tmp_path / "receiver.log") as (_process, base):
        assert wakeups([f"up-{i}" for i in range(third)], base) == third
        redis_server.stop()
        pusher.push_many(base, [f"down-{i}" for i in range(third)])
        redis_server.start()
        assert wakeups([f"again-{i}" for i in range(third)], base) == third
    assert set(pusher.answers.values()) == {202}, pusher.answers  # Redis down never fails a push
    assert missing_pushes(chaos_url, map(pusher.link_of, pusher.answers)) == []
    assert_holds(chaos_url, ALWAYS, "pushes with Redis stopped")
