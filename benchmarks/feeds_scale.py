"""Polling at scale: 10,000 loopback feeds, 10% hostile, 1% of the good ones with one new article.

    make bench-feeds        (after benchmarks/feeds.py; or .venv/bin/python benchmarks/feeds_scale.py --feeds 200)

What it does, in one run:

1. starts one asyncio server in a child process (its own core) listening on many
   loopback addresses (127.0.x.y, all loopback on Linux), one per publisher. The
   feeds are spread over publishers as a newsroom's list is: about half of the
   publishers have 1-4 feeds, a third 5-20 section feeds, the rest 21-60 (one host
   with dozens of feeds, each poll of it paced by `WIREWATCH_HOST_DELAY`);
2. 10% of the feeds, scattered over the publishers, are hostile: every feed of the
   poison corpus (`tests/fixtures/poison/feed/`: entity bombs, bogus charsets,
   malformed and truncated XML, binary, gzip bombs, ...) served with its content
   type, and server misbehaviour: 500, 404, redirect loops, a redirect to a private
   address, a Content-Length over the body cap, a body streamed over the cap, a gzip
   bomb, a connection closed unanswered, a truncated body, a garbage status line, an
   HTML page, and a few endpoints that trickle a byte a second or never answer;
3. the good feeds are RSS 2.0 and Atom, 10 items each: three in five answer
   If-None-Match with 304, one in five If-Modified-Since, one in five has no
   validator and sends the same body again (unchanged by its hash);
4. registers the feeds in a fresh database (on WIREWATCH_DATABASE_URL's server, else
   postgresql://postgres@127.0.0.1:5432/test; dropped at the end) and polls them all
   once without pacing (the warm-up: validators and item digests stored; the entries it
   queues are marked seen, as in a warehouse that has run for a while);
5. publishes one new item on 1% of the good feeds, whose article page (a distinct mix
   of the sample site's Wikinews paragraphs) the publisher's host serves, makes every
   feed due, and times one real cycle (`cycle.run_cycle`, what `wirewatch run` does,
   with the default settings or WIREWATCH_*): every due feed polled politely, the
   new entries fetched, extracted, analysed and loaded. The spaCy model is loaded
   before the clock starts.

Prints feeds polled, failed by reason (and by hostile kind), new articles expected
against loaded, the wall time and its ratio to the 5-minute target. Exits 1 when the
target is missed, a new article is not loaded or a good feed is not polled.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import os
import random
import re
import resource
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.feeds import Database, host_address  # noqa: E402

POISON = ROOT / "tests" / "fixtures" / "poison"
TARGET_S = 300.0
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
HOSTILE_SHARE = 10  # one feed in ten
NEW_SHARE = 100  # one good feed in a hundred gains an article
ITEMS = 10
SEED = 14
#: server misbehaviour, each as likely as one poison-corpus file times this weight
SERVER_KINDS = {"http_500": 3, "http_404": 3, "redirect_loop": 2, "redirect_private": 1, "over_cap_declared": 2,
                "gzip_bomb": 1, "reset": 2, "truncated": 2, "garbage_status": 1, "html_page": 2}
#: kinds that cost a whole feed budget each (WIREWATCH_FEED_TIMEOUT) or 11 MB: one per this many hostile feeds
RARE_KINDS = {"trickle": 250, "hang": 250, "over_cap_streamed": 100}
OVER_CAP = 11 * 1024 * 1024  # over the default body cap of 10 MiB


# --- the plan: who publishes what (the same in both processes) ------------------------------


@dataclass(frozen=True, slots=True)
class Feed:
    index: int
    publisher: int
    kind: str  # "good" or a hostile kind
    style: int = 0  # good feeds: 0-2 ETag, 3 Last-Modified, 4 no validator
    gains_article: bool = False


def poison_feeds() -> list[tuple[str, str]]:
    """(file, content type) of every feed in the poison corpus."""
    with (POISON / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "feed"]
    return [(row["file"], row["content_type"].replace("\\0", "\x00")) for row in rows]


def plan(feeds: int, seed: int = SEED) -> list[Feed]:
    """The feeds, by index: publishers, hostile kinds and the feeds that gain an article."""
    rng = random.Random(seed)
    publishers: list[int] = []
    while len(publishers) < feeds:
        draw = rng.random()
        size = rng.randint(1, 4) if draw < 0.5 else rng.randint(5, 20) if draw < 0.85 else rng.randint(21, 60)
        publishers += [publishers[-1] + 1 if publishers else 0] * size
    publishers = publishers[:feeds]
    hostile = rng.sample(range(feeds), feeds // HOSTILE_SHARE)
    kinds: list[str] = []
    for kind, per in RARE_KINDS.items():
        kinds += [kind] * max(1, len(hostile) // per) if len(hostile) >= 10 else []
    common = [f"poison:{name}" for name, _type in poison_feeds()]
    common += [kind for kind, weight in SERVER_KINDS.items() for _ in range(weight)]
    rng.shuffle(common)
    while len(kinds) < len(hostile):
        kinds += common
    by_index = dict(zip(hostile, kinds[:len(hostile)], strict=True))
    good = [i for i in range(feeds) if i not in by_index]
    gaining = set(rng.sample(good, max(1, round(len(good) / NEW_SHARE)))) if good else set()
    return [Feed(i, publishers[i], by_index.get(i, "good"), style=i % 5, gains_article=i in gaining)
            for i in range(feeds)]


def feed_url(feed: Feed, port: int) -> str:
    return f"http://{host_address(feed.publisher)}:{port}/feeds/{feed.index}.xml"


def article_path(index: int) -> str:
    return f"/articles/{index}.html"


# --- the server (child process) --------------------------------------------------------------


class _Site:
    """Bodies, built once, of the feeds and article pages the server answers with."""

    def __init__(self, feeds: list[Feed], port: int) -> None:
        from pipeline.sample_site.content import load_stories

        self.feeds = feeds
        self.port = port
        self.published = False
        self.poison = {f"poison:{name}": ((POISON / name).read_bytes(), ctype) for name, ctype in poison_feeds()}
        self.stories = [s for s in load_stories() if s.kind == "article" and len(s.paragraphs) >= 3]
        self.cache: dict[tuple[str, int], bytes] = {}
        self.over_cap = b"<rss><channel>" + b" " * OVER_CAP
        self.bomb = gzip.compress(b"<rss><channel>" + b" " * (64 * 1024 * 1024), compresslevel=9)

    def base(self, feed: Feed) -> str:
        return f"http://{host_address(feed.publisher)}:{self.port}"

    def story(self, index: int) -> tuple[str, str, list[str]]:
        """Title, author and paragraphs of feed `index`'s new article: distinct for every feed."""
        stories = self.stories
        story, other = stories[index % len(stories)], stories[(index * 7 + 3) % len(stories)]
        extra = random.Random(index).sample(list(other.paragraphs), min(2, len(other.paragraphs)))
        closing = (f"Desk {index} will follow the story as officials report more details, "
                   f"correspondent number {index} said on the evening of the talks.")
        return f"{story.title} (desk {index})", story.author, [*story.paragraphs, *extra, closing]

    def feed_body(self, feed: Feed, version: int) -> bytes:
        key = ("feed", feed.index * 2 + version)
        if key not in self.cache:
            self.cache[key] = self._render(feed, version)
        return self.cache[key]

    def _render(self, feed: Feed, version: int) -> bytes:
        base = self.base(feed)
        items = [(f"Dispatch {n} from desk {feed.index}: talks resume as ceasefire holds",
                  f"{base}/news/{feed.index}/{n}.html", f"Tue, 02 Jan 2024 {n:02d}:00:00 GMT")
                 for n in range(ITEMS, 0, -1)]
        if version:
            items.insert(0, (self.story(feed.index)[0], base + article_path(feed.index),
                             "Wed, 03 Jan 2024 08:00:00 GMT"))
        if feed.style == 3:  # Atom
            entries = "".join(
                f"<entry><title>{escape(title)}</title><id>{link}</id><link rel=\"alternate\" href=\"{link}\"/>"
                f"<updated>2024-01-02T00:00:00Z</updated><summary>Negotiators met again, officials said."
                f"</summary></entry>" for title, link, _date in items)
            return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
                    f"<title>Desk {feed.index}</title><id>{base}/feeds/{feed.index}.xml</id>"
                    f"<updated>2024-01-02T00:00:00Z</updated>{entries}</feed>").encode()
        entries = "".join(
            f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate>"
            f"<description>Negotiators met again, officials said, as a ceasefire largely held.</description></item>"
            for title, link, date in items)
        return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Desk {feed.index}"
                f"</title><link>{base}/</link><description>World news</description>{entries}</channel></rss>").encode()

    def article(self, index: int) -> bytes | None:
        feed = self.feeds[index] if 0 <= index < len(self.feeds) else None
        if feed is None or not feed.gains_article:
            return None
        key = ("article", index)
        if key not in self.cache:
            title, author, paragraphs = self.story(index)
            url = self.base(feed) + article_path(index)
            body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
            self.cache[key] = (
                f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="2024-01-03T08:00:00+00:00">'
                f'</head><body><nav><a href="/">Home</a></nav><main><article><h1>{escape(title)}</h1>'
                f'<p class="byline">By {escape(author)}</p>{body}</article></main>'
                f"<footer>Text from Wikinews, CC BY 2.5.</footer></body></html>").encode()
        return self.cache[key]


class _Server(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET only: feeds, article pages, robots.txt (404), /_publish."""

    site: _Site

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""
        self.stalled = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.stalled = True

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while not self.stalled and b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._respond(head)

    def _respond(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        target = lines[0].split(b" ")[1].decode()
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip().decode("latin-1")
        path, _, query = target.partition("?")
        site = self.site
        if path == "/_publish":
            site.published = True
            return self._send(200, b"published")
        match = re.fullmatch(r"/(feeds|articles)/(\d+)\.(xml|html)", path)
        if match is None:
            return self._send(404, b"not found")
        index = int(match[2])
        if match[1] == "articles":
            body = site.article(index)
            return self._send(404, b"not found") if body is None else \
                self._send(200, body, {"Content-Type": "text/html; charset=utf-8"})
        if index >= len(site.feeds):
            return self._send(404, b"not found")
        feed = site.feeds[index]
        if feed.kind == "good":
            return self._good(feed, headers)
        self._hostile(feed, query)

    def _good(self, feed: Feed, headers: dict[bytes, str]) -> None:
        version = int(feed.gains_article and self.site.published)
        kind = "application/atom+xml" if feed.style == 3 else "application/rss+xml; charset=utf-8"
        validators: dict[str, str] = {}
        if feed.style <= 2:
            validators["ETag"] = f'"{feed.index}-{version}"'
            if headers.get(b"if-none-match") == validators["ETag"]:
                return self._send(304, b"", validators)
        elif feed.style == 3:
            validators["Last-Modified"] = f"{'Wed, 03' if version else 'Tue, 02'} Jan 2024 08:00:00 GMT"
            if headers.get(b"if-modified-since") == validators["Last-Modified"]:
                return self._send(304, b"", validators)
        self._send(200, self.site.feed_body(feed, version), {"Content-Type": kind, **validators})

    def _hostile(self, feed: Feed, query: str) -> None:
        kind, site, write = feed.kind, self.site, self.transport.write
        if kind in site.poison:
            body, ctype = site.poison[kind]
            return self._send(200, body, {"Content-Type": ctype})
        if kind in ("http_500", "http_404"):
            return self._send(int(kind[5:]), b"<html><body>error</body></html>", {"Content-Type": "text/html"})
        if kind == "redirect_loop":  # a -> b -> a -> ...
            hop = f"/feeds/{feed.index}.xml?{'b' if query == 'a' else 'a'}"
            return self._send(302, b"", {"Location": hop})
        if kind == "redirect_private":
            return self._send(301, b"", {"Location": f"http://10.20.30.40/feeds/{feed.index}.xml"})
        if kind == "over_cap_declared":
            write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % OVER_CAP)
            return self._close()
        if kind == "over_cap_streamed":  # no length: the body ends when the connection does
            write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
                  + site.over_cap)
            return self._close()
        if kind == "gzip_bomb":
            return self._send(200, site.bomb, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
        if kind == "reset":
            return self._close()
        if kind == "truncated":
            write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 50000\r\n\r\n"
                  b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>cut")
            return self._close()
        if kind == "garbage_status":
            write(b"HELLO THERE\r\n\r\n")
            return self._close()
        if kind == "html_page":
            return self._send(200, b"<!doctype html><html><body><p>Our feeds have moved.</p></body></html>",
                              {"Content-Type": "text/html; charset=utf-8"})
        self.stalled = True  # trickle or hang: this connection answers nothing more
        if kind == "trickle":
            write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n<")
            self._drip()

    def _drip(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(b" ")
            asyncio.get_running_loop().call_later(1.0, self._drip)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
                  500: "Internal Server Error"}[status]
        out = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        if status != 304:
            out.append(f"Content-Length: {len(body)}")
        self.transport.write("\r\n".join(out).encode("latin-1") + b"\r\n\r\n" + body)

    def _close(self) -> None:
        self.stalled = True
        self.transport.close()


def serve(feeds: int, seed: int) -> None:
    """Serve the plan's feeds, one loopback address per publisher; prints the port."""
    the_plan = plan(feeds, seed)
    publishers = sorted({feed.publisher for feed in the_plan})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        first = await loop.create_server(_Server, host_address(publishers[0]), 0)
        port = first.sockets[0].getsockname()[1]
        _Server.site = _Site(the_plan, port)
        servers = [first] + [await loop.create_server(_Server, host_address(p), port) for p in publishers[1:]]
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await asyncio.gather(*(server.serve_forever() for server in servers))

    asyncio.run(main())


# --- the run -----------------------------------------------------------------------------------


def reason_of(error: str) -> str:
    """A feed's one-line error without its URLs and numbers: what failures are counted by."""
    text = re.sub(r"https?://[^\s;,()]+", lambda url: "<url>:" if url[0].endswith(":") else "<url>", error)
    text = re.sub(r"\d+(\.\d+)?", "#", text)
    text = re.sub(r"^(<url>:? ?)+", "", text)
    return text[:90]


def warm_up(settings, feed_count: int) -> tuple[float, int]:
    """Poll every feed once without pacing; the entries it queues are marked seen. (wall, entries)."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline import store
    from pipeline.flows import cycle, runs

    quick = settings.with_(host_delay=0.0, poll_batch_size=1000)
    started = time.perf_counter()
    batches = cycle.select_feed_batches(quick, force=True, limit=feed_count)
    with runs.polite_fetcher(quick) as fetcher, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda batch: cycle.poll_feed_batch(quick, batch, fetcher=fetcher), batches))
    with store.connect(settings) as conn:
        seen = conn.execute("update entries set state = 'skipped', skip_reason = 'seen before the benchmark' "
                            "where state = 'pending'").rowcount
        conn.execute("update feeds set next_poll_at = now()")  # due: time has passed since
        conn.commit()
    return time.perf_counter() - started, seen


def bench(args: argparse.Namespace) -> bool:
    from pipeline.config import Settings
    from pipeline.flows import cycle, runs
    from pipeline.models import FeedSpec

    os.environ.setdefault("WIREWATCH_DATABASE_URL", LOCAL_SERVER)
    the_plan = plan(args.feeds, args.seed)
    publishers = len({feed.publisher for feed in the_plan})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, publishers * 2 + 4096))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--feeds", str(args.feeds),
                               "--seed", str(args.seed)], stdout=subprocess.PIPE, text=True)
    database = None
    try:
        port = int(server.stdout.readline())
        database = Database()
        settings = Settings.from_env(database_url=database.url, allow_private=("127.0.0.0/8",))
        urls = [feed_url(feed, port) for feed in the_plan]
        ids = cycle.register_feeds(settings, [FeedSpec(url=url) for url in urls])
        feed_of = dict(zip(ids, the_plan, strict=True))
        hostile = [f for f in the_plan if f.kind != "good"]
        gaining = [f for f in the_plan if f.gains_article]
        sizes = Counter(f.publisher for f in the_plan)
        print(f"{args.feeds} feeds on {publishers} publisher hosts (feeds a host: median "
              f"{sorted(sizes.values())[len(sizes) // 2]}, max {max(sizes.values())}); {len(hostile)} hostile "
              f"({len({f.kind for f in hostile})} kinds), {len(gaining)} good feeds gain one article")
        print(f"settings: host_delay={settings.host_delay}s, host_concurrency={settings.host_concurrency}, "
              f"feed_timeout={settings.feed_timeout}s, poll_batch_size={settings.poll_batch_size}, "
              f"poll workers={cycle.POLL_WORKERS}, batch_size={settings.batch_size}")

        warm_wall, seen = warm_up(settings, args.feeds)
        print(f"warm-up poll (no pacing): {warm_wall:.1f}s, {seen} entries marked seen")
        with urllib.request.urlopen(f"http://{host_address(the_plan[0].publisher)}:{port}/_publish",
                                    timeout=10) as answer:  # noqa: S310 - loopback
            answer.read()
        loading = time.perf_counter()
        analyzer = runs.get_analyzer(settings)
        print(f"analyzer loaded in {time.perf_counter() - loading:.1f}s (before the clock starts)")

        started_at = datetime.now(timezone.utc)
        wall = time.perf_counter()
        cpu = time.process_time()
        summary = cycle.run_cycle(settings, analyzer=analyzer)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        return report(settings, summary, feed_of, gaining, port, started_at, wall, cpu)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if database is not None:
            database.drop()


def report(settings, summary: dict, feed_of: dict, gaining: list[Feed], port: int, started_at: datetime,
           wall: float, cpu: float) -> bool:
    from pipeline import store

    run_id = summary["run_id"]
    with store.connect(settings) as conn:
        polled = dict(conn.execute("select feed_id, max(fetched_at) from fetch_log where run_id = %s "
                                   "and kind = 'feed' group by feed_id", (run_id,)).fetchall())
        rows = conn.execute("select feed_id, last_error from feeds where last_polled_at >= %s "
                            "and consecutive_errors > 0", (started_at,)).fetchall()
        expected = {f"http://{host_address(f.publisher)}:{port}{article_path(f.index)}" for f in gaining}
        loaded = {url for (url,) in conn.execute("select url from articles where url = any(%s)",
                                                 (sorted(expected),))}
        pending = conn.execute("select state, count(*) from entries where state not in ('skipped') "
                               "group by state order by state").fetchall()
    failed = dict(rows)
    poll_wall = (max(polled.values()) - started_at).total_seconds() if polled else 0.0
    counts = summary["counts"]
    good_ids = [i for i, f in feed_of.items() if f.kind == "good"]
    good_unpolled = [i for i in good_ids if i not in polled]
    good_failed = [i for i in good_ids if i in failed]
    print(f"\ncycle (run {run_id}): {counts.get('feeds_polled', 0)} feeds polled of {len(feed_of)}, "
          f"{counts.get('feeds_unchanged', 0)} unchanged, {counts.get('feeds_failed', 0)} failed, "
          f"{counts.get('feeds_deferred', 0)} deferred; {counts.get('entries_new', 0)} new entries; "
          f"articles new {counts.get('articles_new', 0)}, pages failed {counts.get('pages_failed', 0)}, "
          f"skipped {counts.get('pages_skipped', 0)}")
    print("failed feeds by reason:")
    for reason, n in Counter(reason_of(error or "") for error in failed.values()).most_common():
        print(f"  {n:5d}  {reason}")
    by_kind: dict[str, list[int]] = {}
    for feed_id, feed in feed_of.items():
        if feed.kind != "good":
            by_kind.setdefault(feed.kind, [0, 0])[feed_id in failed] += 1
    print("hostile feeds by kind (failed / parsed without error):")
    print("  " + ", ".join(f"{kind.removeprefix('poison:')} {n_failed}/{n_ok}"
                           for kind, (n_ok, n_failed) in sorted(by_kind.items())))
    print(f"good feeds: {len(good_ids)}, not polled {len(good_unpolled)}, failed {len(good_failed)}")
    for feed_id in good_failed[:5]:
        print(f"  good feed {feed_id} failed: {failed[feed_id]}")
    print(f"entries by state (warm-up ones aside): {dict(pending)}")
    missing = sorted(expected - loaded)
    print(f"new articles: expected {len(expected)}, loaded {len(loaded)}")
    for url in missing[:10]:
        print(f"  not loaded: {url}")
    print(f"wall time: {wall:.1f}s for the whole cycle (polling done after {poll_wall:.1f}s), "
          f"{cpu:.1f}s CPU in this process")
    print(f"ratio to the {TARGET_S:.0f}s target: {wall / TARGET_S:.2f} (target < 1)")
    ok = wall < TARGET_S and not missing and not good_unpolled and not good_failed
    print("result: " + ("targets met" if ok else "targets NOT met"))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED, help="the plan's random seed (publishers, hostile kinds)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.seed)
        return 0
    return 0 if bench(args) else 1


if __name__ == "__main__":
    sys.exit(main())
