"""One loopback news host with good feeds and endpoints that never finish answering (issue 14).

`serve_slow_host(good=20, slow=2)` runs a small threaded HTTP/1.1 server on 127.0.0.1
(or another loopback `address`, as one of many news hosts):

- `/feed/<n>.xml` (first <= n < first + good): an RSS feed with one item, `/article/<n>.html`;
- `/article/<n>.html`: that article, a wire report of its own (no two texts alike);
- `/slow/<n>.xml` (n < slow): a 200 with an RSS Content-Type and a Content-Length, whose
  body then trickles one byte every `drip_s` seconds and never ends (slowloris);
- `/robots.txt`: 404 (everything allowed).

Every request is recorded (`host.requests`: path, start, end) so a test can tell what
was asked and when. Each connection has its own thread, so trickling answers hold only
their own; a trickle stops when the client hangs up or the server stops.
"""

from __future__ import annotations

import http.server
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["SlowHost", "serve_slow_host"]

RSS = "application/rss+xml; charset=utf-8"
CITIES = ("Cologne", "Valencia", "Gdansk", "Porto", "Lyon", "Turin", "Ghent", "Brno", "Malmo", "Cork",
          "Graz", "Split", "Tartu", "Kaunas", "Leeds", "Bilbao", "Bergen", "Aarhus", "Basel", "Nantes",
          "Utrecht", "Seville", "Krakow", "Dresden", "Zagreb", "Bristol", "Salzburg", "Tampere")


@dataclass
class SlowHost:
    """The running server: its address, the feeds it serves and what it was asked."""

    base: str
    good: int
    slow: int
    first: int = 0  # the number of the first good feed: hosts numbered apart serve distinct articles
    requests: list[tuple[str, float, float]] = field(default_factory=list)  # (path, started, ended)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def good_feeds(self) -> list[str]:
        return [f"{self.base}/feed/{n}.xml" for n in range(self.first, self.first + self.good)]

    @property
    def slow_feeds(self) -> list[str]:
        return [f"{self.base}/slow/{n}.xml" for n in range(self.slow)]

    def article_url(self, n: int) -> str:
        return f"{self.base}/article/{n}.html"

    def asked(self, prefix: str) -> list[tuple[str, float, float]]:
        """The recorded requests whose path starts with `prefix`, in the order they ended."""
        with self.lock:
            return [r for r in self.requests if r[0].startswith(prefix)]


def feed_document(base: str, n: int) -> bytes:
    city = CITIES[n % len(CITIES)]
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Example Wire: {city} desk</title><link>{base}/</link><description>News from {city}.</description>
<item><title>Council of {city} approves flood plan {n}</title><link>{base}/article/{n}.html</link>
<guid>article-{n}</guid><pubDate>Tue, 02 Jan 2024 09:00:00 GMT</pubDate></item>
</channel></rss>""".encode()


def article_page(base: str, n: int) -> bytes:
    city = CITIES[n % len(CITIES)]
    paragraphs = [
        f"The city council of {city} approved a flood defence plan worth {n + 12} million euros on Tuesday, "
        f"after {n + 3} hours of debate that ran late into the night.",
        f"Mayor officials in {city} said the plan would raise embankments along {n + 4} kilometres of the "
        "river and pay for pumping stations in the districts that flooded last winter.",
        f"Residents of {city} protested outside the town hall before the vote, and police said {n + 20} "
        "people had gathered peacefully; opposition members walked out before the final count.",
        f"Work is to begin in the spring of {2025 + n % 5}, and the council will publish its first progress "
        f"report on the {n + 1}th of June, a spokeswoman for {city} said.",
    ]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Council of {city} approves flood plan {n}</title>"
            f"<link rel=\"canonical\" href=\"{base}/article/{n}.html\"></head><body>"
            f"<article><h1>Council of {city} approves flood plan {n}</h1>{body}</article></body></html>").encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        started = time.monotonic()
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up: a trickle cut at its deadline
        finally:
            with self.server.host.lock:
                self.server.host.requests.append((self.path, started, time.monotonic()))

    def _answer(self) -> None:
        base = self.server.host.base
        if match := re.fullmatch(r"/feed/(\d+)\.xml", self.path):
            self._send(200, RSS, feed_document(base, int(match[1])))
        elif match := re.fullmatch(r"/article/(\d+)\.html", self.path):
            self._send(200, "text/html; charset=utf-8", article_page(base, int(match[1])))
        elif re.fullmatch(r"/slow/\d+\.xml", self.path):
            self._trickle()
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        """Headers at once, then one byte of a never-ending body every `drip_s` seconds."""
        self.send_response(200)
        self.send_header("Content-Type", RSS)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while not self.server.stopping.is_set():
            # wait a drip, but notice at once a client that hangs up (its deadline): the
            # request's recorded end is then when the client let go of it
            readable, _, _ = select.select([self.connection], [], [], self.server.drip_s)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return
            self.wfile.write(b" ")
            self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, drip_s: float, address: str) -> None:
        super().__init__((address, 0), _Handler)
        self.drip_s = drip_s
        self.stopping = threading.Event()
        self.host: SlowHost

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up (a fetch cut at its deadline, a closed fetcher) is expected here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve_slow_host(*, good: int = 20, slow: int = 2, drip_s: float = 1.0, address: str = "127.0.0.1",
                    first: int = 0) -> Iterator[SlowHost]:
    """Run the host until the block ends; its trickling answers stop with it."""
    server = _Server(drip_s, address)
    server.host = SlowHost(f"http://{address}:{server.server_address[1]}", good, slow, first)
    thread = threading.Thread(target=server.serve_forever, name="slow-host", daemon=True)
    thread.start()
    try:
        yield server.host
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
