"""Push-to-warehouse latency: WebSub push through the real receiver, Redis, triggerer and DAG.

    make bench-latency            (WIREWATCH_LATENCY_ARTICLES=30, WIREWATCH_LATENCY_RATE=0.5/s)

A local site serves N article pages (made from the sample site's openly licensed Wikinews
paragraphs, each page a distinct mix) and a topic feed. A local hub pushes one new article
at a time at a steady rate to the real receiver (`pipeline.websub.receiver`), which stores
the entry and publishes the Redis wake-up; `airflow standalone` (scheduler, dag-processor,
triggerer, api-server) runs `push_ingest`, whose AssetWatcher hears the message. The
benchmark watches the warehouse and reports, per article, the time from the hub's push to
its row in `articles`: p50/p95/max, articles/s, lost and duplicated.

In the same run, the same articles are found by polling: one real polling cycle
(`cycle.run_cycle`) over the same feed into a second database gives the work time, and the
wait for the next poll at the default interval (`WIREWATCH_POLL_INTERVAL`, 900 s) is added
from the articles' publication times and a random poll phase: a poll-based pipeline cannot
see an article before its next poll, however fast it then is.

Needs Redis at WIREWATCH_REDIS_URL (default 127.0.0.1:6379) and PostgreSQL
(WIREWATCH_DATABASE_URL's server, else the embedded one); says so and exits 0 without them.
`AirflowStack` and `ArticleSite` are also used by tests/integration/test_websub_airflow.py.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import threading

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
VENV_BIN = Path(sys.executable).parent

log = logging.getLogger("benchmarks.latency")


# --- the local site --------------------------------------------------------------------


class ArticleSite:
    """Distinct article pages and a feed of the ones published so far, on loopback."""

    def __init__(self, count: int, seed: int = 9) -> None:
        from pipeline.sample_site.content import load_stories

        stories = [s for s in load_stories() if s.kind == "article" and len(s.paragraphs) >= 3]
        rng = random.Random(seed)
        self.pages: dict[str, bytes] = {}
        self.titles: dict[str, str] = {}
        self.published: list[tuple[str, datetime]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = "http://127.0.0.1:%d" % self._server.server_address[1]
        for k in range(count):
            story = stories[k % len(stories)]
            other = stories[(k * 7 + 3) % len(stories)]
            paragraphs = list(story.paragraphs) + rng.sample(list(other.paragraphs), min(2, len(other.paragraphs)))
            title = f"{story.title} ({k + 1})"
            path = f"/world/{k + 1:04d}-{story.slug}.html"
            self.pages[path] = _article_html(title, story.author, paragraphs, self.base_url + path)
            self.titles[path] = title
        self.paths = list(self.pages)
        self.feed_url = self.base_url + "/world.atom"
        self.hub_url: str | None = None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ArticleSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def publish(self, path: str) -> bytes:
        """Add the article at `path` to the feed; the feed document as it now is (what the hub pushes)."""
        with self._lock:
            self.published.append((path, datetime.now(timezone.utc)))
        return self.feed(latest_only=True)

    def feed(self, *, latest_only: bool = False) -> bytes:
        with self._lock:
            items = self.published[-1:] if latest_only else list(self.published)
        hub = f'<link rel="hub" href="{escape(self.hub_url)}"/>' if self.hub_url else ""
        entries = "".join(
            f"<entry><title>{escape(self.titles[p])}</title><id>{self.base_url}{p}</id>"
            f'<link rel="alternate" href="{self.base_url}{p}"/><updated>{t.isoformat()}</updated></entry>'
            for p, t in items)
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Latency wire</title><id>{self.feed_url}</id>"
                f'<link rel="self" href="{self.feed_url}"/>{hub}<updated>{datetime.now(timezone.utc).isoformat()}</updated>'
                f"{entries}</feed>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/world.atom":
                    body, kind = site.feed(), "application/atom+xml"
                elif self.path in site.pages:
                    body, kind = site.pages[self.path], "text/html; charset=utf-8"
                else:
                    body, kind = b"not found", "text/plain"
                self.send_response(200 if kind != "text/plain" else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler


def _article_html(title: str, author: str, paragraphs: list[str], url: str) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{datetime.now(timezone.utc).isoformat()}">'
            f'</head><body><nav><a href="/">Home</a> <a href="/world/">World</a></nav><main><article>'
            f'<h1>{escape(title)}</h1><p class="byline">By {escape(author)}</p>{body}</article></main>'
            f"<footer>Text from Wikinews, CC BY 2.5.</footer></body></html>").encode()


# --- Airflow ---------------------------------------------------------------------------


class AirflowStack:
    """`airflow standalone` running only `push_ingest`, in its own session, stopped as a group."""

    DAG_FILES = ("push_ingest.py", "wirewatch_support.py")

    def __init__(self, home: Path, database_url: str, *, channel: str, redis_url: str,
                 allow_private: str = "127.0.0.1") -> None:
        self.home = Path(home)
        self.channel = channel
        self.redis_url = redis_url
        self.log_path = self.home / "standalone.log"
        dags = self.home / "dags"
        port = _free_port()
        dags.mkdir(parents=True, exist_ok=True)
        for name in self.DAG_FILES:
            shutil.copy(DAGS / name, dags / name)
        (dags / ".airflowignore").write_text("wirewatch_support\\.py\n")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIREWATCH_"))},
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW_CONN_REDIS_DEFAULT": redis_url,
            # inside a task the warehouse is this Connection and nothing else (pipeline.airflow_integration)
            "AIRFLOW_CONN_WIREWATCH_WAREHOUSE": json.dumps({"conn_type": "postgres", "extra": {"dsn": database_url}}),
            "WIREWATCH_PUSH_CHANNEL": channel,
            "WIREWATCH_ALLOW_PRIVATE": allow_private,
            "WIREWATCH_HOST_DELAY": "0",
            "WIREWATCH_BATCH_SIZE": "8",
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
            # the tasks run this checkout's pipeline, whichever checkout the venv has installed
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> AirflowStack:
        self._airflow("db", "migrate")
        self._airflow("pools", "set", "wirewatch_fetch", "4", "Concurrent Wirewatch fetch batches")
        self._log = open(self.log_path, "wb")
        self._process = subprocess.Popen([str(VENV_BIN / "airflow"), "standalone"], env=self.env,
                                         stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_until_listening(self, timeout_s: float = 180) -> float:
        """Seconds until the triggerer subscribed to the channel (a message before that is lost)."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self._process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited ({self._process.returncode}); see {self.log_path}")
            if dict(client.pubsub_numsub(self.channel)).get(self.channel.encode(), 0) > 0:
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"no triggerer subscribed to {self.channel} within {timeout_s:.0f}s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        if self._process is not None:
            self._log.close()

    def _airflow(self, *args: str) -> None:
        done = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed: {done.stderr[-2000:]}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the measurement -------------------------------------------------------------------


def fresh_database(server_url: str) -> str:
    """A new migrated database on the server; its URL."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    from pipeline import store

    name = f"wirewatch_latency_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    with store.connect(url) as conn:
        store.migrate(conn)
    return url


def drop_database(server_url: str, url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def article_urls_stored(database_url: str) -> dict[str, int]:
    """url -> number of article rows holding it (through the entries that became articles)."""
    from pipeline import store

    with store.connect(database_url) as conn:
        rows = conn.execute("""select e.url, count(distinct a.article_id) from entries e
                                join articles a on a.article_id = e.article_id group by e.url""").fetchall()
    return {url: n for url, n in rows}


def push_and_watch(settings, site: ArticleSite, hub, *, rate: float, timeout_s: float,
                   on_published=None) -> dict[str, float]:
    """Publish every article at `rate`/s through the hub; seconds from push to warehouse per URL."""
    pushed_at: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            now = time.monotonic()
            for url in article_urls_stored(settings.database_url):
                if url not in seen and url in pushed_at:
                    seen[url] = now - pushed_at[url]
            time.sleep(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    interval = 1.0 / rate
    start = time.monotonic()
    for k, path in enumerate(site.paths):
        time.sleep(max(0.0, start + k * interval - time.monotonic()))
        body = site.publish(path)
        pushed_at[site.base_url + path] = time.monotonic()
        deliveries = hub.publish(site.feed_url, body)
        if not deliveries or not all(d.delivered for d in deliveries):
            log.warning("push of %s not acknowledged: %s", path, [d.statuses for d in deliveries])
        if on_published:
            on_published(k)
    deadline = time.monotonic() + timeout_s
    while len(seen) < len(pushed_at) and time.monotonic() < deadline:
        time.sleep(0.5)
    done.set()
    watcher.join(timeout=5)
    return seen


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from pipeline import store
    from pipeline.config import Settings
    from pipeline.errors import WirewatchError
    from pipeline.flows import cycle
    from pipeline.models import FeedSpec
    sys.path.insert(0, str(ROOT / "tests"))  # tests/localhub.py
    from localhub import LocalHub
    from pipeline.websub.receiver import RunningReceiver
    from pipeline.websub.subscriber import maintain_subscriptions

    count = int(os.environ.get("WIREWATCH_LATENCY_ARTICLES", "30"))
    rate = float(os.environ.get("WIREWATCH_LATENCY_RATE", "0.5"))
    base = Settings.from_env()
    try:
        import redis

        redis.Redis.from_url(base.redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:  # redis raises several connection error types
        print(f"bench-latency skipped: Redis at {base.redis_url} not reachable ({exc}); start redis-server")
        return 0
    try:
        server_url = store.database_url(base)
        push_db, poll_db = fresh_database(server_url), fresh_database(server_url)
    except WirewatchError as exc:
        print(f"bench-latency skipped: {exc}")
        return 0
    channel = f"wirewatch.push.bench.{secrets.token_hex(3)}"
    settings = base.with_(database_url=push_db, allow_private=("127.0.0.1",), host_delay=0.0)
    home = Path(tempfile.mkdtemp(prefix="wirewatch-latency-"))
    try:
        with ArticleSite(count) as site, LocalHub() as hub, \
                RunningReceiver(settings.with_(push_channel=channel)) as receiver, \
                AirflowStack(home / "airflow", push_db, channel=channel, redis_url=base.redis_url) as stack:
            site.hub_url = hub.url
            settings = settings.with_(public_base_url=receiver.base_url)
            with store.connect(settings) as conn:
                (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=site.feed_url)])
                store.set_feed_hub(conn, feed_id, hub.url, site.feed_url)
                conn.commit()
            maintain_subscriptions(settings)
            hub.wait_for(lambda h: bool(h.subscribers_of(site.feed_url)))
            ready_s = stack.wait_until_listening()
            print(f"airflow standalone listening on {channel} after {ready_s:.0f} s; pushing {count} articles "
                  f"at {rate:g}/s", flush=True)
            started = time.monotonic()
            latencies = push_and_watch(settings, site, hub, rate=rate, timeout_s=180)
            elapsed = time.monotonic() - started
            stored = article_urls_stored(push_db)
        lost = count - len(latencies)
        duplicated = sum(1 for n in stored.values() if n > 1)
        values = list(latencies.values())

        # the same articles found by polling: one real cycle, plus the wait for the poll
        poll_settings = base.with_(database_url=poll_db, allow_private=("127.0.0.1",), host_delay=0.0)
        with ArticleSite(count) as poll_site:
            for path in poll_site.paths:
                poll_site.publish(path)
            cycle_started = time.monotonic()
            summary = cycle.run_cycle(poll_settings, [FeedSpec(url=poll_site.feed_url)], force=True)
            cycle_s = time.monotonic() - cycle_started
        interval = base.poll_interval
        rng = random.Random(15)
        phase = rng.uniform(0, interval)
        publish_times = [k / rate for k in range(count)]
        poll_latency = [((phase - t) % interval) + cycle_s for t in publish_times]
    finally:
        for url in (push_db, poll_db):
            drop_database(server_url, url)
        if os.environ.get("WIREWATCH_LATENCY_KEEP"):
            print(f"kept Airflow home for inspection: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)

    print(f"push : {len(values)}/{count} articles in the warehouse, lost {lost}, duplicated {duplicated}")
    if values:
        print(f"push : latency p50 {statistics.median(values):.1f} s, p95 {percentile(values, 0.95):.1f} s, "
              f"max {max(values):.1f} s; {len(values) / elapsed:.2f} articles/s over {elapsed:.0f} s")
    print(f"poll : one cycle over the same {count} articles took {cycle_s:.1f} s "
          f"({summary['counts'].get('articles_new', 0)} new); with a poll every {interval} s the latency is "
          f"p50 {statistics.median(poll_latency):.0f} s, p95 {percentile(poll_latency, 0.95):.0f} s, "
          f"max {max(poll_latency):.0f} s")
    target_met = bool(values) and percentile(values, 0.95) < 60 and lost == 0 and duplicated == 0
    print(f"target (push p95 < 60 s, nothing lost or duplicated): {'met' if target_met else 'NOT met'}")
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
