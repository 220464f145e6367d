"""Fetching feeds and pages over HTTP, defensively: the other end is not trusted.

A `Fetcher` holds one `ConnectionPool` (`pipeline.http.connections`: keep-alive per origin,
http.client underneath) and turns every way a fetch can go wrong into one of the
`FetchError` subclasses, each naming the URL. Defences, because feed URLs and
redirects come from strangers:

- Every TCP connection, including those opened for redirects, is a
  `GuardedConnection`, which resolves the host itself and connects only to addresses
  `AddressPolicy` allows; private, loopback, link-local, multicast, reserved and
  cloud-metadata addresses are refused unless `Settings.allow_private` lists the
  host or a range holding the address. Checking at connect time (not only before
  the request) also closes the DNS-rebinding gap between a check and a connect.
- Redirects are followed by hand, up to `Settings.max_redirects`, http(s) only.
- Given a `Politeness`, every request (each redirect hop too) waits for its host's
  slot, a 429/503 puts the host on hold for its Retry-After, and article pages
  (`kind="page"`) are checked against their site's robots.txt first.
- Each read waits at most `Settings.read_timeout`; a wall-clock budget bounds the
  whole fetch, redirects, headers and body together (the connection pool's watchdog
  cuts a connection at its deadline, however slowly the server trickles): a feed's is
  `Settings.feed_timeout`, anything else's `Settings.total_timeout`. The budget runs
  from when the host first gives the fetch a slot, so waiting for a busy host does not
  eat it.
- `fetch_many` hands each host at most its concurrency of requests at a time, each no
  sooner than the host's pacing allows, and queues the rest itself, not in a thread: a
  host whose endpoints trickle holds its own slots only, for one budget each, its other
  requests start as soon as one frees, and no thread sleeps through a host's pacing.
- The body is read as a stream and capped (`Settings.max_body_bytes`) both as it
  arrives and after gzip/deflate/brotli decompression, so a gzip bomb stops at the
  cap instead of filling memory; a body shorter than its Content-Length is an error.

Bodies of text types are decoded to `Page.text` by `decode_text` (`pipeline.http.charsets`):
byte-order mark, HTTP charset, `<meta charset>`/XML declaration, then charset_normalizer's guess.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import logging
import math
import mimetypes
import queue
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import SplitResult, quote, unquote, urlsplit
from urllib.request import url2pathname

import idna

from pipeline.config import Settings
from pipeline.errors import BlockedAddress, FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge, one_line
from pipeline.http.charsets import decode_text, is_text
from pipeline.http.connections import AddressPolicy, AddressRefused, ConnectionPool, GuardedConnection, Origin
from pipeline.http.politeness import ROBOTS_MAX_BYTES, Politeness, host_key
from pipeline.http.urls import http_url_problem, resolve_url
from pipeline.models import Page

try:  # brotli is a declared dependency; without it "br" is simply not advertised
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

__all__ = ["AddressPolicy", "FetchRequest", "Fetcher", "decode_text", "parse_retry_after"]

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "feed": (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
    ),
    "robots": "text/plain, */*;q=0.5",
}
#: threads of `Fetcher.fetch_many` (they wait on the network, not the CPU)
DEFAULT_WORKERS = 16
#: statuses after which the whole host is put on hold (its Retry-After, or a default)
HOLD_STATUSES = frozenset({429, 503})
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
#: bytes asked of the socket at a time while a body streams in
CHUNK_BYTES = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
#: a socket timeout cut to the deadline fires this close to it, or later
DEADLINE_SLACK_S = 0.05
# left as they are in a request target: RFC 3986 reserved characters and escapes
_TARGET_SAFE = "!$&'()*+,;=:@/?%~[]"
# a reused keep-alive connection the server closed meanwhile fails in one of these ways,
# before any of the answer arrives: the request is sent again on a new connection
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One fetch for `Fetcher.fetch_many`; `key` is the caller's (a feed id, say).

    `last_failed`: the URL's previous fetch failed (timed out, say); it starts after its
    host's other requests, so that a host's failing endpoints cannot take the slots its
    healthy ones need.
    """

    url: str
    etag: str | None = None
    last_modified: str | None = None
    kind: str = "page"
    key: Any = None
    last_failed: bool = False


class _Deadline:
    """A fetch's wall-clock deadline: `budget` seconds from when its host first gives it a slot."""

    __slots__ = ("at", "budget", "variable")

    def __init__(self, budget: float, variable: str) -> None:
        self.budget = budget
        self.variable = variable
        self.at = math.inf

    def start(self) -> float:
        """The deadline, set at the first call (the first slot) and kept for the redirects after it."""
        if self.at == math.inf:
            self.at = time.monotonic() + self.budget
        return self.at

    def passed(self) -> bool:
        """True once the deadline is (about) reached; a socket timeout cut to it fires that close."""
        return time.monotonic() >= self.at - DEADLINE_SLACK_S


class Fetcher:
    """Fetches URLs with the limits and address policy of one `Settings`.

    Use as a context manager so the pooled connections are closed:
    `with Fetcher(settings) as fetcher: page = fetcher.fetch(url)`. Safe to share
    between threads. Without `politeness` there is no pacing and no robots.txt: the
    monitoring cycle passes one (`Politeness(settings)`); one-off commands need not.
    """

    def __init__(self, settings: Settings, *, politeness: Politeness | None = None) -> None:
        self.settings = settings
        self.politeness = politeness
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.policy = AddressPolicy(settings.allow_private)
        self._connections = ConnectionPool(self.policy, ca_file=settings.ca_bundle)
        self._headers = {"User-Agent": settings.user_agent_header, "Accept-Encoding": ACCEPT_ENCODING}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(abandon=exc_type is not None)

    def close(self, *, abandon: bool = False) -> None:
        """Close the threads and connections; `abandon` (an error, a task timeout) cuts fetches in
        flight and drops queued ones rather than waiting up to their deadline for them."""
        if abandon:
            self._connections.cut_in_flight()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=abandon)
        self._connections.close()

    def fetch_many(self, requests: Sequence[FetchRequest], *, workers: int = DEFAULT_WORKERS
                   ) -> Iterator[tuple[FetchRequest, Page | FetchError]]:
        """Fetch concurrently on this fetcher's threads; pairs in the order the answers come.

        Failures are yielded as their `FetchError`, not raised, so one bad URL does not
        stop the others. The threads are kept for the fetcher's life: a cycle polling
        many batches starts them once.

        With a `Politeness`, each host is given at most its concurrency of requests at a
        time, in the given order with `last_failed` ones last, and each no sooner than its
        pacing allows (`Politeness.spacing` after the host's previous start); the rest wait
        here, not in a thread. So no thread sleeps on a busy or paced host (other hosts keep
        every thread: a thousand publishers of dozens of feeds each are polled side by
        side), and a host's slow endpoints delay its other requests by at most one time
        budget each, never out of the batch.
        """
        if not requests:
            return
        pool = self._threads(workers)
        polite = self.politeness
        per_host = polite.concurrency if polite is not None else len(requests)
        waiting: dict[str, deque[FetchRequest]] = {}
        for request in sorted(requests, key=lambda r: r.last_failed):  # stable: the caller's order otherwise
            waiting.setdefault(host_key(request.url), deque()).append(request)
        running = dict.fromkeys(waiting, 0)
        next_start: dict[str, float] = {}  # a host's earliest next start, by its pacing
        timers: list[tuple[float, str]] = []  # (when, host): hosts to look at again once paced
        paced: set[str] = set()  # the hosts in `timers`
        ended: queue.SimpleQueue[tuple[str, FetchRequest, Future]] = queue.SimpleQueue()

        def fill(host: str, now: float) -> None:
            """Start the host's next requests while it has a free slot and its pacing allows."""
            line = waiting[host]
            while line and running[host] < per_host:
                due = next_start.get(host, 0.0)
                if due > now:
                    if host not in paced:
                        paced.add(host)
                        heapq.heappush(timers, (due, host))
                    return
                request = line.popleft()
                running[host] += 1
                if polite is not None:
                    next_start[host] = now + polite.spacing(request.url)
                future = pool.submit(self._fetch_quietly, request)
                future.add_done_callback(lambda done, request=request: ended.put((host, request, done)))

        now = time.monotonic()
        for host in waiting:
            fill(host, now)
        for _ in range(len(requests)):
            while True:
                now = time.monotonic()
                while timers and timers[0][0] <= now:
                    host = heapq.heappop(timers)[1]
                    paced.discard(host)
                    fill(host, now)
                try:
                    host, request, future = ended.get(timeout=timers[0][0] - now if timers else None)
                    break
                except queue.Empty:
                    continue
            running[host] -= 1
            fill(host, time.monotonic())  # before the caller looks at the answer: the slot is free now
            yield request, _outcome(request, future)

    def _fetch_quietly(self, request: FetchRequest) -> Page | FetchError:
        started = time.monotonic()
        try:
            return self.fetch(request.url, etag=request.etag, last_modified=request.last_modified,
                              kind=request.kind)
        except FetchError as exc:
            exc.elapsed_ms = round((time.monotonic() - started) * 1000)
            return exc
        except Exception as exc:  # noqa: BLE001 - a bug met on one URL fails that URL, not the batch
            logger.error("fetching %s failed on a bug", request.url, exc_info=True)
            failed = FetchError(f"{request.url}: {type(exc).__name__}: {one_line(exc)}", url=request.url)
            failed.elapsed_ms = round((time.monotonic() - started) * 1000)
            return failed

    def _threads(self, workers: int) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="fetch")
            return self._pool

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              kind: str = "page") -> Page:
        """GET `url`, following redirects; a 304 gives a Page with `not_modified=True`.

        Raises `FetchTimeout`, `HTTPStatusError` (with `retry_after`), `BlockedAddress`,
        `ResponseTooLarge` or `FetchError`, each carrying `url`.
        """
        if kind not in ACCEPT:
            raise ValueError(f"kind must be one of {sorted(ACCEPT)}, not {kind!r}")
        started = time.monotonic()
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:
            raise FetchError(f"{one_line(url)}: invalid URL ({one_line(exc)})", url=url) from None
        if scheme == "file":
            return self._fetch_file(url, started)
        problem = http_url_problem(url)
        if problem is not None:
            raise FetchError(f"{one_line(url)}: {problem}", url=url)
        if kind == "page" and self.politeness is not None:
            self.politeness.check_robots(self, url)
        headers = {"Accept": ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = _Deadline(*self.settings.fetch_budget(kind))
        try:
            page = self._follow(url, headers, started, deadline, kind)
        except AddressRefused as exc:
            raise BlockedAddress(
                f"{url}: {exc}; add the host or range to WIREWATCH_ALLOW_PRIVATE to allow it", url=url
            ) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # refused or reset connections, TLS failures, broken HTTP, headers http.client will not send;
            # at the deadline, any of them is the socket timeout cut to it or the watchdog's cut
            if deadline.passed():
                raise self._overdue(url, deadline) from None
            limits = self.settings
            if isinstance(exc, TimeoutError):
                raise FetchTimeout(f"{url}: timed out waiting for the server (connect {limits.connect_timeout}s, "
                                   f"read {limits.read_timeout}s); retry later", url=url) from None
            # what a server sent can land here (a status line, say): one line, and not all of it
            raise FetchError(f"{url}: {type(exc).__name__}: {one_line(exc) or 'connection failed'}",
                             url=url) from None
        logger.info("GET %s -> %s, %d bytes, %d ms", url, page.status, len(page.content), page.elapsed_ms)
        return page

    def _follow(self, url: str, headers: dict[str, str], started: float, deadline: _Deadline, kind: str) -> Page:
        current = url
        redirects: list[str] = []
        while True:
            if redirects and kind == "page" and self.politeness is not None:
                self.politeness.check_robots(self, current)  # a redirect may lead to another site
            with self._slot(current):
                deadline.start()
                connection, response = self._exchange(url, current, headers, deadline)
                try:
                    status = response.status
                    answer = _header_dict(response.headers)
                    location = answer.get("location")
                    if status in REDIRECT_STATUSES and location:
                        current = self._next_hop(url, current, location, redirects)
                        continue
                    if status == 304:
                        response.read()  # nothing, but it marks the connection free
                        return self._page(url, current, status, answer, b"", started, redirects,
                                          etag=headers.get("If-None-Match"),
                                          last_modified=headers.get("If-Modified-Since"))
                    if not 200 <= status < 300:
                        error = _status_error(url, current, status, response.reason, answer)
                        if status in HOLD_STATUSES and self.politeness is not None:
                            self.politeness.hold(current, error.retry_after)
                        raise error
                    keep = ROBOTS_MAX_BYTES if kind == "robots" else None
                    body = self._read_body(url, connection, response, answer, deadline, keep=keep)
                    return self._page(url, current, status, answer, body, started, redirects)
                finally:
                    self._connections.release(connection, response)

    def _exchange(self, url: str, current: str, headers: dict[str, str], deadline: _Deadline
                  ) -> tuple[GuardedConnection, http.client.HTTPResponse]:
        """Send the GET for `current` and read the answer's head, on a pooled connection."""
        origin, target, host_header = _request_parts(url, urlsplit(current))
        request_headers = {"Host": host_header, **self._headers, **headers}
        while True:
            timeouts = self._timeouts(url, deadline)
            connection, reused = self._connections.acquire(origin, deadline.at)
            connection.set_timeouts(*timeouts)
            try:
                connection.request("GET", target, headers=request_headers)
                return connection, connection.getresponse()
            except _STALE_CONNECTION:
                self._connections.discard(connection)
                if not reused:
                    raise
            except BaseException:
                self._connections.discard(connection)
                raise

    def _slot(self, url: str):
        """The host's request slot under politeness, else nothing to wait for."""
        return self.politeness.slot(url) if self.politeness is not None else contextlib.nullcontext()

    def _next_hop(self, url: str, current: str, location: str, redirects: list[str]) -> str:
        target = resolve_url(current, location)
        try:
            scheme = urlsplit(target).scheme.lower()
        except ValueError:
            scheme = ""
        if scheme not in ("http", "https"):
            raise BlockedAddress(f"{url}: redirected to {scheme!r} URL {one_line(target)}; "
                                 "only http(s) redirects are followed", url=url)
        problem = http_url_problem(target)
        if problem is not None:
            raise FetchError(f"{url}: redirected to {one_line(target)}: {problem}", url=url)
        if len(redirects) >= self.settings.max_redirects:
            raise FetchError(
                f"{url}: more than {self.settings.max_redirects} redirects (last to {target}); "
                "raise WIREWATCH_MAX_REDIRECTS if this is expected", url=url)
        redirects.append(target)
        return target

    @staticmethod
    def _overdue(url: str, deadline: _Deadline) -> FetchTimeout:
        """The error of a fetch that reached its deadline, wherever that was noticed."""
        return FetchTimeout(f"{url}: over the total deadline of {deadline.budget}s ({deadline.variable}); "
                            "retry later", url=url)

    def _timeouts(self, url: str, deadline: _Deadline) -> tuple[float, float]:
        """(connect, read) timeouts: the configured ones, cut to what the deadline leaves."""
        remaining = deadline.at - time.monotonic()
        if remaining <= 0:
            raise self._overdue(url, deadline)
        return min(self.settings.connect_timeout, remaining), min(self.settings.read_timeout, remaining)

    def _read_body(self, url: str, connection: GuardedConnection, response: http.client.HTTPResponse,
                   headers: dict[str, str], deadline: _Deadline, *, keep: int | None = None) -> bytes:
        """The body, decoded; with `keep`, its first `keep` bytes, the rest left unread."""
        cap = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if keep is None and declared.isdigit() and int(declared) > cap:
            raise ResponseTooLarge(f"{url}: Content-Length {declared} is over the cap of {cap} bytes "
                                   "(WIREWATCH_MAX_BODY_BYTES)", url=url)
        decoder = _Decoder.for_encoding(url, headers.get("content-encoding", ""))
        received = 0
        body = bytearray()
        try:
            while True:
                connection.set_read_timeout(self._timeouts(url, deadline)[1])
                chunk = response.read1(CHUNK_BYTES)  # whatever has arrived: a trickle cannot stall us
                if not chunk:
                    if deadline.passed():  # cut by the pool's watchdog
                        raise self._overdue(url, deadline)
                    if response.length:  # http.client's count of declared bytes not yet read
                        raise FetchError(f"{url}: connection closed {response.length} bytes before the end "
                                         "of the body; retry later", url=url)
                    response.read()  # at the end already: this only marks the connection free
                    break
                received += len(chunk)
                if received > cap:
                    raise _Overflow
                body += decoder.decode(chunk, cap - len(body))
                if keep is not None and len(body) >= keep:
                    return bytes(body[:keep])  # the connection, left mid-body, is closed on release
            body += decoder.finish(cap - len(body))
        except _Overflow:
            raise ResponseTooLarge(f"{url}: body over the cap of {cap} bytes (after decompression); "
                                   "raise WIREWATCH_MAX_BODY_BYTES if it is genuine", url=url) from None
        except (zlib.error, _BrotliError) as exc:
            raise FetchError(f"{url}: corrupt compressed body ({exc})", url=url) from None
        return bytes(body if keep is None else body[:keep])

    def _page(self, url: str, final_url: str, status: int, headers: dict[str, str], body: bytes,
              started: float, redirects: list[str], *, etag: str | None = None,
              last_modified: str | None = None) -> Page:
        content_type = headers.get("content-type")
        text, encoding = (None, None)
        if status != 304 and is_text(content_type, body):
            text, encoding = decode_text(body, content_type)
        return Page(
            url=url,
            final_url=final_url,
            status=status,
            content=body,
            text=text,
            encoding=encoding,
            content_type=content_type,
            fetched_at=datetime.now(UTC),
            etag=headers.get("etag", etag),
            last_modified=headers.get("last-modified", last_modified),
            headers=headers,
            not_modified=status == 304,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            redirects=tuple(redirects),
        )

    def _fetch_file(self, url: str, started: float) -> Page:
        if not self.settings.allow_file_urls:
            raise BlockedAddress(
                f"{url}: file URLs are refused; set WIREWATCH_ALLOW_FILE_URLS=1 to allow them", url=url)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"{url}: file URLs must name a local path (file:///path)", url=url)
        path = Path(url2pathname(unquote(parts.path)))
        cap = self.settings.max_body_bytes
        try:
            with path.open("rb") as handle:
                body = handle.read(cap + 1)
        except OSError as exc:
            raise FetchError(f"{url}: cannot read {path}: {exc.strerror}", url=url) from None
        if len(body) > cap:
            raise ResponseTooLarge(f"{url}: file over the cap of {cap} bytes (WIREWATCH_MAX_BODY_BYTES)", url=url)
        content_type = mimetypes.guess_type(path.name)[0]
        text, encoding = decode_text(body, content_type) if is_text(content_type, body) else (None, None)
        elapsed = round((time.monotonic() - started) * 1000)
        logger.info("read %s, %d bytes, %d ms", url, len(body), elapsed)
        return Page(url=url, final_url=url, status=200, content=body, text=text, encoding=encoding,
                    content_type=content_type, fetched_at=datetime.now(UTC), elapsed_ms=elapsed)


def _outcome(request: FetchRequest, future: Future) -> Page | FetchError:
    """What a `fetch_many` thread returned; a fetch cancelled by `close(abandon=True)` as its error."""
    if future.cancelled():
        return FetchError(f"{request.url}: not fetched, the fetcher was closed first; retry later", url=request.url)
    return future.result()


def _request_parts(url: str, parts: SplitResult) -> tuple[Origin, str, str]:
    """(origin, request target, Host header) of an http(s) URL; `FetchError` when it has none."""
    scheme = parts.scheme.lower()
    host = parts.hostname
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise FetchError(f"{url}: invalid port in {parts.geturl()} ({exc})", url=url) from None
    if not host:
        raise FetchError(f"{url}: no host in {parts.geturl()}", url=url)
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise FetchError(f"{url}: invalid host name {host!r} ({exc})", url=url) from None
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    named = f"[{host}]" if ":" in host else host
    host_header = named if port == DEFAULT_PORTS[scheme] else f"{named}:{port}"
    return Origin(scheme, host, port), target, host_header


def _header_dict(message: http.client.HTTPMessage) -> dict[str, str]:
    """Response headers by lower-case name, repeated ones joined with ", " (RFC 9110 5.3).

    http.client reads header bytes as Latin-1; values that are really UTF-8 (a Location
    with an accented path, say) are read again as UTF-8.
    """
    headers: dict[str, str] = {}
    for name, value in message.items():
        if not value.isascii():
            with contextlib.suppress(UnicodeError):
                value = value.encode("latin-1").decode("utf-8")
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _status_error(url: str, current: str, status: int, reason: str, headers: dict[str, str]) -> HTTPStatusError:
    retry_after = parse_retry_after(headers.get("retry-after"))
    where = url if current == url else f"{url} (redirected to {current})"
    hint = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
    reason = one_line(reason or "") or "error"  # the server's words
    return HTTPStatusError(f"{where}: HTTP {status} {reason}{hint}", url=url, status=status,
                           retry_after=retry_after)


class _Overflow(Exception):
    """The decompressed body would pass its budget."""


class _BrotliError(Exception):
    pass


class _Decoder:
    """Undoes Content-Encoding step by step, never producing more than a budget."""

    def __init__(self, steps: list[_Step]) -> None:
        self._steps = steps

    @classmethod
    def for_encoding(cls, url: str, header: str) -> _Decoder:
        steps: list[_Step] = []
        for coding in reversed([part.strip().lower() for part in header.split(",") if part.strip()]):
            if coding in ("gzip", "x-gzip"):
                steps.append(_ZlibStep(zlib.MAX_WBITS | 16))
            elif coding == "deflate":
                steps.append(_ZlibStep(zlib.MAX_WBITS, raw_fallback=True))
            elif coding == "br" and brotli is not None:
                steps.append(_BrotliStep())
            elif coding != "identity":
                raise FetchError(f"{url}: unsupported Content-Encoding {coding!r}", url=url)
        return cls(steps)

    def decode(self, data: bytes, budget: int) -> bytes:
        for step in self._steps:
            data = step.decode(data, budget)
        return data

    def finish(self, budget: int) -> bytes:
        data = b""
        for step in self._steps:
            data = step.decode(data, budget) + step.finish(budget)
        return data


class _Step:
    def decode(self, data: bytes, budget: int) -> bytes:
        raise NotImplementedError

    def finish(self, budget: int) -> bytes:
        return b""


class _ZlibStep(_Step):
    """gzip (with concatenated members) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._wbits = wbits
        self._raw_fallback = raw_fallback
        self._started = False
        self._obj = zlib.decompressobj(wbits)

    def decode(self, data: bytes, budget: int) -> bytes:
        out = bytearray()
        while data:
            try:
                chunk = self._obj.decompress(data, budget - len(out) + 1)
            except zlib.error:
                if self._raw_fallback and not self._started:
                    self._raw_fallback = False
                    self._wbits = -zlib.MAX_WBITS
                    self._obj = zlib.decompressobj(self._wbits)
                    continue
                raise
            self._started = True
            out += chunk
            if len(out) > budget:
                raise _Overflow
            if self._obj.eof:
                data = self._obj.unused_data
                if not data.startswith(b"\x1f\x8b"):
                    break  # trailing garbage after the stream: ignored, as browsers do
                self._obj = zlib.decompressobj(self._wbits)
            else:
                data = self._obj.unconsumed_tail
        return bytes(out)

    def finish(self, budget: int) -> bytes:
        if not self._obj.eof and self._started:
            logger.debug("compressed body ended before its stream did; keeping what was decoded")
        out = self._obj.flush()
        if len(out) > budget:
            raise _Overflow
        return out


class _BrotliStep(_Step):
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def decode(self, data: bytes, budget: int) -> bytes:
        out = bytearray()
        try:
            out += self._obj.process(data, output_buffer_limit=budget + 1)
            while len(out) <= budget and not self._obj.can_accept_more_data():
                out += self._obj.process(b"", output_buffer_limit=budget - len(out) + 1)
        except brotli.error as exc:
            raise _BrotliError(str(exc)) from None
        if len(out) > budget:
            raise _Overflow
        return bytes(out)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # delta-seconds are ASCII digits ("¹".isdigit() too)
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
