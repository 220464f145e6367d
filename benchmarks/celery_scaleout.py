"""Scale-out on the real engine: the same `feed_monitor` workload with 1 and then 2 Celery workers.

    make bench-celery
    (WIREWATCH_CELERY_BENCH_ARTICLES=160, _FEEDS=16, _BATCH=20, _ROUNDS=1)

A generated news site on loopback serves FEEDS RSS feeds listing ARTICLES distinct article
pages between them (each page a story of the bundled sample site, openly licensed
Wikinews text, plus paragraphs of two other stories, so no two texts are alike). For each
worker count a fresh stack (`scripts/celery_stack.py`: api-server, scheduler,
dag-processor, N Celery workers with one task slot each, Redis broker, PostgreSQL metadata
and result backend) and a fresh migrated warehouse run one forced `feed_monitor`,
triggered through the REST API; the stack's start-up is not timed. Throughput is articles
loaded per second of the DAG run (Airflow's queued → end), and the ratio is 2 workers' over
1 worker's. With ROUNDS=2 the order is 1, 2, 2, 1 and each side's times are summed, so a
machine whose load drifts during the benchmark favours neither side.

What bounds the ratio: the run's serial tasks (start, due_feeds, poll, pending_entries,
finish, announce: a few seconds each, mostly process start-up) do not scale, and on a
2-core machine the scheduler, api-server and dag-processor share the cores with the
workers. Per-host politeness is a policy, not work, so the page delay is set to 0
(`WIREWATCH_HOST_DELAY`); everything else is the default pipeline. The load average is
printed beside the figures, with the machine's own ceiling measured before and after (two
CPU-bound processes at once against one after the other: on a 2-vCPU VM shared with other
work it can be far below 2x) and the share of the machine's CPU time that was busy during
each run: other work on the machine changes them, and a busy share near 100% means the
cores, not the workers, are the limit.

Needs Redis (WIREWATCH_CELERY_BROKER_URL, default 127.0.0.1:6379/5) and PostgreSQL over TCP
(WIREWATCH_CELERY_SERVER_URL, default postgres@127.0.0.1:5432); says so and exits 0 without.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import secrets
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import store  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.flows import cycle  # noqa: E402
from pipeline.models import FeedSpec  # noqa: E402
from pipeline.sample_site.content import load_stories  # noqa: E402

_spec = importlib.util.spec_from_file_location("celery_stack", ROOT / "scripts" / "celery_stack.py")
celery_stack = sys.modules.setdefault("celery_stack", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(celery_stack)

log = logging.getLogger("benchmarks.celery_scaleout")

WORKER_COUNTS = (1, 2)


class GeneratedSite:
    """`feeds` RSS feeds over `articles` distinct article pages, served on 127.0.0.1."""

    def __init__(self, articles: int, feeds: int, seed: int = 8) -> None:
        stories = [s for s in load_stories() if s.is_article and len(s.paragraphs) >= 3]
        rng = random.Random(seed)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self.documents: dict[str, tuple[str, bytes]] = {}
        now = datetime.now(timezone.utc).replace(microsecond=0)
        items: list[list[str]] = [[] for _ in range(feeds)]
        seen: set[tuple[str, ...]] = set()
        for k in range(articles):
            while True:  # identical bodies would be loaded once: draw until this one is new
                story, *others = rng.sample(stories, 3)
                extra = [p for other in others for p in rng.sample(list(other.paragraphs), 1)]
                if (key := (story.slug, *extra)) not in seen:
                    seen.add(key)
                    break
            paragraphs = list(story.paragraphs) + extra
            title = f"{story.title} ({k + 1})"
            path = f"/news/{k + 1:05d}-{story.slug}.html"
            published = now - timedelta(minutes=k)
            self.documents[path] = ("text/html; charset=utf-8",
                                    _article_html(title, story.author, paragraphs, self.base_url + path, published))
            items[k % feeds].append(_rss_item(title, self.base_url + path, paragraphs[0], published))
        self.feed_urls = []
        for number, feed_items in enumerate(items, start=1):
            path = f"/feeds/{number:03d}.rss"
            self.documents[path] = ("application/rss+xml", _rss(f"Generated feed {number}", self.base_url, feed_items))
            self.feed_urls.append(self.base_url + path)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                found = site.documents.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> GeneratedSite:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _article_html(title: str, author: str, paragraphs: list[str], url: str, published: datetime) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{published.isoformat()}">'
            f'</head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav><main><article>'
            f'<h1>{escape(title)}</h1><p class="byline">By {escape(author)}</p>\n{body}</article></main>'
            f"<footer>Text adapted from Wikinews, CC BY 2.5.</footer></body></html>").encode()


def _rss_item(title: str, url: str, description: str, published: datetime) -> str:
    return (f"<item><title>{escape(title)}</title><link>{escape(url)}</link><guid>{escape(url)}</guid>"
            f"<description>{escape(description)}</description>"
            f"<pubDate>{format_datetime(published)}</pubDate></item>")


def _rss(title: str, base_url: str, items: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>{base_url}/</link><description>{escape(title)}</description>{''.join(items)}"
            "</channel></rss>").encode()


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if not before or not after or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def _fresh_warehouse(server_url: str) -> tuple[str, str]:
    name = f"wirewatch_celery_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    with store.connect(url) as conn:
        store.migrate(conn)
    return name, url


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def measure(workers: int, site: GeneratedSite, *, server_url: str, broker_url: str, batch: int) -> dict:
    """One forced feed_monitor run over the site on a fresh stack with `workers` workers."""
    name, warehouse = _fresh_warehouse(server_url)
    try:
        cycle.register_feeds(Settings(database_url=warehouse), [FeedSpec(url=url) for url in site.feed_urls])
        env = {"WIREWATCH_ALLOW_PRIVATE": "127.0.0.1", "WIREWATCH_BATCH_SIZE": str(batch),
               "WIREWATCH_HOST_DELAY": "0", "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
        with celery_stack.CeleryStack(warehouse, workers=workers, worker_concurrency=1, server_url=server_url,
                                      broker_url=broker_url, env=env) as stack:
            stack.wait_for_dag("feed_monitor")
            stack.unpause("feed_monitor")
            load_before, cpu_before = os.getloadavg()[0], _cpu_ticks()
            run_id = stack.trigger("feed_monitor", {"force": True})
            state = stack.wait_for_run("feed_monitor", run_id, timeout_s=3600)
            if state != "success":
                raise SystemExit(f"error: the {workers}-worker run ended {state}: {stack.task_states('feed_monitor', run_id)}")
            run_s, _ = stack.run_times("feed_monitor", run_id)
            instances = stack.task_instances("feed_monitor", run_id)
            by_worker = stack.tasks_by_worker(run_id)
            load_after, cpu_after = os.getloadavg()[0], _cpu_ticks()
        with store.connect(warehouse) as conn:
            articles = conn.execute("select count(*) from articles").fetchone()[0]
            events = conn.execute("select count(*) from events").fetchone()[0]
    finally:
        _drop(server_url, name)
    process = [ti["duration"] or 0.0 for ti in instances if ti["task_id"] == "process"]
    return {
        "workers": workers, "run_s": run_s, "articles": articles, "events": events,
        "articles_per_s": articles / run_s if run_s else 0.0,
        "tasks": len(instances), "process_batches": len(process), "process_busy_s": sum(process),
        "task_busy_s": sum(ti["duration"] or 0.0 for ti in instances),
        "per_worker": {w: len(tasks) for w, tasks in by_worker.items()},
        "load": (load_before, load_after), "cpu_busy": _busy_share(cpu_before, cpu_after),
    }


def _spin(loops: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i
    return time.perf_counter() - started


def parallel_ceiling(loops: int = 20_000_000) -> float:
    """How much faster this machine, as loaded now, runs two CPU-bound processes at once than in turn.

    The most 2 one-slot workers can gain over 1 here, whatever the executor does.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2) as pool:
        alone = sum(pool.submit(_spin, loops).result() for _ in range(2))
        together = max(pool.map(_spin, [loops, loops]))
    return alone / together


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    server_url = os.environ.get("WIREWATCH_CELERY_SERVER_URL", celery_stack.DEFAULT_SERVER_URL)
    broker_url = os.environ.get("WIREWATCH_CELERY_BROKER_URL", celery_stack.DEFAULT_BROKER_URL)
    reason = celery_stack.redis_reachable(broker_url) or celery_stack.postgres_reachable(server_url)
    if reason:
        print(f"skipped: {reason}")
        return 0
    articles = int(os.environ.get("WIREWATCH_CELERY_BENCH_ARTICLES", "160"))
    feeds = int(os.environ.get("WIREWATCH_CELERY_BENCH_FEEDS", "16"))
    batch = int(os.environ.get("WIREWATCH_CELERY_BENCH_BATCH", "20"))
    rounds = int(os.environ.get("WIREWATCH_CELERY_BENCH_ROUNDS", "1"))
    order = [n for r in range(rounds) for n in (WORKER_COUNTS if r % 2 == 0 else WORKER_COUNTS[::-1])]
    print(f"workload: {articles} generated articles in {feeds} RSS feeds on loopback, batches of {batch}; "
          f"{os.cpu_count()} CPUs; each worker 1 task slot")
    ceiling = parallel_ceiling()
    results = []
    with GeneratedSite(articles, feeds) as site:
        for workers in order:
            started = time.monotonic()
            result = measure(workers, site, server_url=server_url, broker_url=broker_url, batch=batch)
            results.append(result)
            print(f"{workers} worker(s): {result['articles']} articles, {result['events']} events in "
                  f"{result['run_s']:.1f} s = {result['articles_per_s']:.2f} articles/s; "
                  f"{result['tasks']} task instances ({result['process_batches']} process batches, "
                  f"{result['process_busy_s']:.0f} s busy), per worker {result['per_worker']}; "
                  f"machine CPU busy {_percent(result['cpu_busy'])}, "
                  f"load avg {result['load'][0]:.1f} -> {result['load'][1]:.1f}; "
                  f"{time.monotonic() - started:.0f} s with the stack's start and stop", flush=True)
    if len({r["articles"] for r in results}) != 1:
        print(f"warning: the runs loaded different article counts: {[r['articles'] for r in results]}")
    one, two = (sum(r["run_s"] for r in results if r["workers"] == n) for n in WORKER_COUNTS)
    ratio = one / two if two else float("nan")  # same articles per side: throughput ratio = time ratio
    print(f"throughput ratio, 2 workers / 1 worker: {ratio:.2f}x "
          f"(run time {one / rounds:.1f} s -> {two / rounds:.1f} s, mean of {rounds} run(s) each)")
    print(f"the machine's own 2-process ceiling: {ceiling:.2f}x before the runs, {parallel_ceiling():.2f}x after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
