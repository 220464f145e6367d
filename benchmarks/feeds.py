"""Polling cost: 1,000 feeds, 90% unchanged, through the real cycle vs naive feedparser.

What it does, in one run (`make bench-feeds`):

1. starts a feed server in a child process (asyncio, HTTP/1.1 keep-alive, ETag and
   If-None-Match) listening on `--hosts` loopback addresses (127.0.x.y), so that each
   feed has its own host, as a newsroom's feeds mostly do; every tenth feed gains a
   new item each time it is fetched, the others never change;
2. registers `--feeds` feeds in a fresh database on the configured (or embedded)
   PostgreSQL and polls them all once (the "seen before" state: ETags stored);
3. times one polling cycle through the real code (`cycle.select_feed_batches` +
   `cycle.poll_feed_batches`: the batches' fetches as one stream, each batch written as
   it completes, as `wirewatch run` does, with
   the cycle's polite fetcher, `start_run` and `finish_run`): 90% answer 304 and cost
   no parse, 10% answer 200 and only their unseen items are parsed, new entries
   queued, every poll recorded in the feeds table and the fetch log. Timed with the
   configured poll batch size (`WIREWATCH_POLL_BATCH_SIZE`, default 256) and again with
   `--small-batch` (32) feeds a batch: each batch opens a database connection and writes
   its bookkeeping once. Politeness is on with the default settings (1 s between
   requests to one host, 2 at once): with one feed a host it never waits, which is what
   is measured;
4. times the naive way in the same run: `feedparser.parse(url)` for each feed, one
   after another (no conditional GET, every body parsed, nothing stored);
5. makes every feed unchanged and times one more real cycle: its process CPU time
   divided by the number of feeds is the CPU time of a 304, everything on the client
   side included (fetch, bookkeeping SQL, fetch log; PostgreSQL's own CPU is not);
6. parses every feed document in `../shared/eval/feeds-*` with `parse_feed` and
   reports entries found against the expected parses where a set has them
   (rss-parser `expected_output`, feed-rs `*.serde.json`) and against feedparser's
   count in `FEEDS_MANIFEST.csv`; any exception other than a `MalformedFeed`
   refusal is a failure.

Targets (issue 4): real cycle at least 10x faster than naive; a 304 under 1 ms of CPU.
Usage: .venv/bin/python benchmarks/feeds.py [--feeds 1000] [--hosts 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import secrets
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVAL_DIR = Path(os.environ.get("WIREWATCH_EVAL_DIR") or ROOT.parent / "shared" / "eval")
ITEMS = 30
CHANGED_EVERY = 10  # every tenth feed changes: 90% unchanged


# --- the feed server (child process) --------------------------------------------------------


class _FeedServer(asyncio.Protocol):
    """HTTP/1.1 with keep-alive: /feed/<i>.xml, /_freeze, nothing else."""

    versions: dict[int, int] = {}
    frozen = False
    bodies: dict[tuple[int, int], bytes] = {}
    always_close = False  # answer every request with `Connection: close` (`--close`)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._respond(head)

    def _respond(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        target = lines[0].split(b" ")[1].decode()
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip()
        close = self.always_close or headers.get(b"connection", b"").lower() == b"close"
        if target == "/_freeze":
            _FeedServer.frozen = True
            self._send(200, b"frozen", {}, close)
            return
        if not (target.startswith("/feed/") and target.endswith(".xml")):
            self._send(404, b"not found", {}, close)
            return
        index = int(target[6:-4])
        version = self.versions.get(index, 0)
        if index % CHANGED_EVERY == 0 and not self.frozen:
            self.versions[index] = version = version + 1
        etag = f'"{index}-{version}"'.encode()
        if headers.get(b"if-none-match") == etag:
            self._send(304, b"", {b"ETag": etag}, close)
            return
        body = self.bodies.get((index, version))
        if body is None:
            body = self.bodies[(index, version)] = render_feed(index, version)
        self._send(200, body, {b"ETag": etag, b"Content-Type": b"application/rss+xml; charset=utf-8"}, close)

    def _send(self, status: int, body: bytes, headers: dict[bytes, bytes], close: bool) -> None:
        reason = {200: b"OK", 304: b"Not Modified", 404: b"Not Found"}[status]
        out = [b"HTTP/1.1 %d %s" % (status, reason)]
        out += [key + b": " + value for key, value in headers.items()]
        if status != 304:
            out.append(b"Content-Length: %d" % len(body))
        out.append(b"Connection: close" if close else b"Connection: keep-alive")
        self.transport.write(b"\r\n".join(out) + b"\r\n\r\n" + body)
        if close:
            self.transport.close()


def render_feed(index: int, version: int) -> bytes:
    """A news feed of ITEMS items; each version adds one item at the top and drops the oldest."""
    items = []
    for number in range(version + ITEMS - 1, version - 1, -1):
        items.append(
            f"<item><title>Story {number} of desk {index}: talks resume as ceasefire holds</title>"
            f"<link>http://news{index}.example/world/{number}/story.html</link>"
            f"<guid isPermaLink=\"false\">desk-{index}-story-{number}</guid>"
            f"<pubDate>Tue, 02 Jan 2024 {number % 24:02d}:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Negotiators met again on day {number} of the talks, officials said, "
            "as a ceasefire brokered last week largely held across the region and aid convoys "
            "reached two towns cut off since the spring.&lt;/p&gt;</description></item>")
    return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>Desk {index}</title><link>http://news{index}.example/</link>"
            f"<description>World news</description>{''.join(items)}</channel></rss>").encode()


def host_address(index: int) -> str:
    return f"127.0.{index // 250}.{index % 250 + 1}"


def serve(hosts: int, *, tls: tuple[str, str] | None = None, resume: bool = True, close: bool = False) -> None:
    """Serve the feeds on `hosts` loopback addresses; over TLS with `tls` = (certificate, key)."""
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        if not resume:  # no tickets, no session cache: every handshake is a full one
            context.num_tickets = 0
            context.options |= ssl.OP_NO_TICKET
    _FeedServer.always_close = close

    async def main() -> None:
        loop = asyncio.get_running_loop()
        addresses = [host_address(i) for i in range(hosts)]
        first = await loop.create_server(_FeedServer, addresses[0], 0, ssl=context)
        port = first.sockets[0].getsockname()[1]
        servers = [first] + [await loop.create_server(_FeedServer, address, port, ssl=context)
                             for address in addresses[1:]]
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await asyncio.gather(*(server.serve_forever() for server in servers))

    asyncio.run(main())


# --- databases ---------------------------------------------------------------------------


class Database:
    """A fresh database on the configured (or embedded) server, dropped at the end."""

    def __init__(self) -> None:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import make_conninfo

        from pipeline import store
        from pipeline.config import Settings

        self.server = store.database_url(Settings.from_env())
        self.name = f"wirewatch_bench_feeds_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.name)))
        self.url = make_conninfo(self.server, dbname=self.name)
        with store.connect(self.url) as conn:
            store.migrate(conn)

    def drop(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.name)))


# --- the cycles ----------------------------------------------------------------------------


def real_cycle(settings) -> tuple[float, float, dict]:
    """One polling cycle through the real code; (wall s, process CPU s, counts)."""
    from pipeline.flows import cycle, runs

    wall, cpu = time.perf_counter(), time.process_time()
    run_id = runs.start_run(settings, "bench")
    results = []
    with runs.polite_fetcher(settings) as fetcher:
        results += cycle.poll_feed_batches(settings, cycle.select_feed_batches(settings, force=True), run_id,
                                           fetcher=fetcher)
    summary = runs.finish_run(settings, run_id, results)
    return time.perf_counter() - wall, time.process_time() - cpu, summary["counts"]


def naive_cycle(urls: list[str]) -> tuple[float, float, int]:
    import feedparser

    wall, cpu = time.perf_counter(), time.process_time()
    entries = 0
    for url in urls:
        entries += len(feedparser.parse(url).entries)
    return time.perf_counter() - wall, time.process_time() - cpu, entries


def bench_polling(args: argparse.Namespace) -> bool:
    from pipeline import store
    from pipeline.config import Settings
    from pipeline.flows import cycle
    from pipeline.models import FeedSpec

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.hosts + 512
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    hosts = min(args.hosts, max(1, min(wanted, hard) - 512))
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--hosts", str(hosts)],
                              stdout=subprocess.PIPE, text=True,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard)))
    database = None
    try:
        port = int(server.stdout.readline())
        urls = [f"http://{host_address(i % hosts)}:{port}/feed/{i}.xml" for i in range(args.feeds)]
        database = Database()
        settings = Settings.from_env(database_url=database.url, allow_private=("127.0.0.0/8",))
        cycle.register_feeds(settings, [FeedSpec(url=url) for url in urls])
        print(f"{args.feeds} feeds on {hosts} loopback host(s), {ITEMS} items each (~{len(render_feed(0, 0)) // 1024} KB); "
              f"every {CHANGED_EVERY}th changes; host_delay={settings.host_delay}s, "
              f"host_concurrency={settings.host_concurrency}, poll workers={cycle.POLL_WORKERS}, "
              f"poll_batch_size={settings.poll_batch_size}")

        first_wall, _cpu, first = real_cycle(settings)
        print(f"first poll (all new, 200): {first_wall:.2f}s, entries queued {first.get('entries_new', 0)}")
        real_wall, real_cpu, counts = real_cycle(settings)
        small = settings.with_(poll_batch_size=args.small_batch)
        small_wall, small_cpu, small_counts = real_cycle(small)
        naive_wall, naive_cpu, naive_entries = naive_cycle(urls)
        subprocess_freeze(urls[0])
        real_cycle(settings)  # the changed feeds' new ETags, once more
        still_wall, still_cpu, still = real_cycle(settings)

        ratio = naive_wall / real_wall
        cpu_per_304 = still_cpu / max(still.get("feeds_unchanged", 0), 1) * 1000
        for label, wall, cpu, seen in ((f"batches of {settings.poll_batch_size}", real_wall, real_cpu, counts),
                                       (f"batches of {small.poll_batch_size}", small_wall, small_cpu, small_counts)):
            print(f"real cycle, {label}: {wall:.3f}s wall, {cpu:.3f}s CPU: polled {seen.get('feeds_polled', 0)}, "
                  f"unchanged {seen.get('feeds_unchanged', 0)}, failed {seen.get('feeds_failed', 0)}, "
                  f"new entries {seen.get('entries_new', 0)}, items not reparsed {seen.get('feed_items_skipped', 0)}")
        print(f"naive cycle: {naive_wall:.3f}s wall, {naive_cpu:.3f}s CPU: feedparser.parse x {len(urls)}, "
              f"{naive_entries} entries parsed")
        print(f"ratio naive/real, batches of {settings.poll_batch_size} (WIREWATCH_POLL_BATCH_SIZE): "
              f"{ratio:.1f}x wall, {naive_cpu / real_cpu:.1f}x CPU (target >= 10x)")
        print(f"ratio naive/real, batches of {small.poll_batch_size}: {naive_wall / small_wall:.1f}x wall, "
              f"{naive_cpu / small_cpu:.1f}x CPU")
        print(f"all-304 cycle: {still_wall:.3f}s wall, {still_cpu:.3f}s CPU for {still.get('feeds_unchanged', 0)} "
              f"304s: {cpu_per_304:.3f} ms CPU per 304 (target < 1 ms)")
        with store.connect(settings) as conn:
            logged = conn.execute("select count(*) filter (where status = 304), count(*) from fetch_log").fetchone()
        print(f"fetch log: {logged[1]} rows, {logged[0]} of them 304")
        ok = (counts.get("feeds_unchanged") == small_counts.get("feeds_unchanged")
              == args.feeds - len(range(0, args.feeds, CHANGED_EVERY))
              and counts.get("feeds_failed", 0) == 0 and still.get("feeds_unchanged") == args.feeds)
        if not ok:
            print("unexpected counts: the cycle did not see the 90/10 split it should have")
        return ok and ratio >= 10 and cpu_per_304 < 1.0
    finally:
        server.terminate()
        server.wait(timeout=10)
        if database is not None:
            database.drop()


def connection_costs(requests: int = 300) -> None:
    """Client CPU of one conditional GET answered 304, by how its connection is made.

    The real `Fetcher` against this file's feed server (its own process) on one address,
    plain and over TLS (a self-signed certificate given as `WIREWATCH_CA_BUNDLE` would
    be): connections kept alive, a new one for every request (the server closes each),
    and over TLS a new one that resumes the last session or does the full handshake.
    """
    import tempfile

    from pipeline.config import Settings
    from pipeline.http.fetch import Fetcher
    from pipeline.http.politeness import Politeness

    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from certificates import self_signed
    except ImportError:  # cryptography comes with the dev extra
        print("\nconnection costs skipped: install the dev extra (cryptography) for the TLS certificate")
        return
    print(f"\nclient CPU of a 304 by connection ({requests} requests each, one feed, politeness on):")
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed(Path(tmp))
        tls = ["--tls", str(cert), str(key)]
        for label, scheme, flags in (
            ("http, kept alive", "http", []),
            ("http, a new connection each", "http", ["--close"]),
            ("https, kept alive", "https", tls),
            ("https, a new connection each, TLS session resumed", "https", [*tls, "--close"]),
            ("https, a new connection each, full TLS handshake", "https", [*tls, "--close", "--no-resume"]),
        ):
            server = subprocess.Popen([sys.executable, __file__, "--serve", "--hosts", "1", *flags],
                                      stdout=subprocess.PIPE, text=True)
            try:
                url = f"{scheme}://{host_address(0)}:{int(server.stdout.readline())}/feed/1.xml"
                settings = Settings(allow_private=("127.0.0.0/8",), host_delay=0.0, ca_bundle=str(cert))
                with Fetcher(settings, politeness=Politeness(settings)) as fetcher:
                    etag = fetcher.fetch(url, kind="feed").etag
                    for _ in range(20):  # warm: the TLS context, a session to resume
                        fetcher.fetch(url, etag=etag, kind="feed")
                    cpu = time.process_time()
                    answers = [fetcher.fetch(url, etag=etag, kind="feed").status for _ in range(requests)]
                    cpu = time.process_time() - cpu
                assert answers == [304] * requests, sorted(set(answers))
                print(f"  {label:<52} {cpu / requests * 1000:.3f} ms")
            finally:
                server.terminate()
                server.wait(timeout=10)


def subprocess_freeze(url: str) -> None:
    """Tell the server that no feed changes from now on."""
    import urllib.request

    base = url.split("/feed/")[0]
    with urllib.request.urlopen(f"{base}/_freeze", timeout=5) as response:  # noqa: S310 - loopback
        response.read()


# --- the evaluation feeds ------------------------------------------------------------------


def _expected_counts(folder: Path) -> dict[Path, int]:
    """Entry counts from the expected parses that some sets ship, by feed document."""
    expected: dict[Path, int] = {}
    for path in (folder / "feeds-rss-parser" / "expected_output").glob("*.json"):
        data = json.loads(path.read_bytes().decode("utf-8", "replace"))
        feed = data.get("feed", data)
        items = feed.get("items") if isinstance(feed, dict) else None
        for source in (folder / "feeds-rss-parser" / "input").glob(path.stem + ".*"):
            if isinstance(items, list):
                expected[source] = len(items)
    for path in (folder / "feeds-feed-rs").rglob("*.serde.json"):
        data = json.loads(path.read_bytes().decode("utf-8", "replace"))
        entries = data.get("entries") if isinstance(data, dict) else None
        source = path.with_name(path.name[: -len(".serde.json")])
        for candidate in [source, *sorted(source.parent.glob(source.name + ".*"))]:
            if candidate.is_file() and not candidate.name.endswith(".serde.json") and isinstance(entries, list):
                expected[candidate] = len(entries)
                break
    return expected


def report_eval_feeds(folder: Path) -> bool:
    from pipeline.errors import MalformedFeed
    from pipeline.feeds.parse import parse_feed

    files = sorted(p for p in folder.glob("feeds-*/**/*") if p.is_file() and p.suffix.lower() in
                   (".xml", ".rss", ".atom", ".rdf", ".json", ".html", ".gz") and not p.name.endswith(".serde.json")
                   and "expected_output" not in p.parts)
    manifest = {}
    if (folder / "FEEDS_MANIFEST.csv").exists():
        with (folder / "FEEDS_MANIFEST.csv").open(newline="") as handle:
            manifest = {folder / row["file"]: int(row["entries"] or 0) for row in csv.DictReader(handle)}
    expected = _expected_counts(folder)
    parsed = refused = crashed = 0
    gold = gold_equal = manifest_seen = manifest_equal = 0
    mismatches: list[str] = []
    started = time.perf_counter()
    for path in files:
        content = path.read_bytes()
        content_type = "application/feed+json" if path.suffix == ".json" else None
        try:
            feed = parse_feed(content, f"https://feeds.example/{path.name}",
                              headers={"content-type": content_type} if content_type else None)
        except MalformedFeed:
            refused += 1
            found = 0
        except Exception as exc:  # noqa: BLE001 - the report is about exactly these
            crashed += 1
            mismatches.append(f"CRASH {path.relative_to(folder)}: {type(exc).__name__}: {exc}")
            continue
        else:
            parsed += 1
            found = len(feed.entries) + len(feed.linkless)  # before link-less items are filtered
        if path in expected:
            gold += 1
            gold_equal += found == expected[path]
            if found != expected[path]:
                mismatches.append(f"{path.relative_to(folder)}: {found} entries, expected {expected[path]}")
        if path in manifest:
            manifest_seen += 1
            manifest_equal += found == manifest[path]
    elapsed = time.perf_counter() - started
    print(f"\neval feeds ({folder}): {len(files)} documents in {elapsed:.2f}s: {parsed} parsed, "
          f"{refused} refused as not a feed (MalformedFeed), {crashed} crashed")
    print(f"  entries equal to the expected parse: {gold_equal}/{gold} documents with an expected file")
    print(f"  entries equal to feedparser's count (FEEDS_MANIFEST.csv): {manifest_equal}/{manifest_seen}")
    for line in mismatches[:15]:
        print(f"  {line}")
    if len(mismatches) > 15:
        print(f"  ... {len(mismatches) - 15} more")
    return crashed == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=1000, help="loopback addresses to spread the feeds over")
    parser.add_argument("--small-batch", type=int, default=32,
                        help="also time the cycle with poll batches this small (more connections and flushes)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help=argparse.SUPPRESS)
    parser.add_argument("--no-resume", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--close", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.hosts, tls=tuple(args.tls) if args.tls else None, resume=not args.no_resume, close=args.close)
        return 0
    polling_ok = bench_polling(args)
    connection_costs()
    if EVAL_DIR.is_dir():
        eval_ok = report_eval_feeds(EVAL_DIR)
    else:
        print(f"\n{EVAL_DIR} not found: evaluation feed report skipped (set WIREWATCH_EVAL_DIR)")
        eval_ok = True
    print("\nresult: " + ("targets met" if polling_ok and eval_ok else "targets NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
