"""Fetching feeds and pages over HTTP, defensively: the other end is not trusted.

A `Fetcher` holds one `httpx.Client` (so connections are pooled per host) and turns
every way a fetch can go wrong into one of the `FetchError` subclasses, each naming
the URL. Defences, because feed URLs and redirects come from strangers:

- Every TCP connection, including those opened for redirects, goes through
  `_GuardedBackend`, which resolves the host itself and connects only to addresses
  `AddressPolicy` allows; private, loopback, link-local, multicast, reserved and
  cloud-metadata addresses are refused unless `Settings.allow_private` lists the
  host or a range holding the address. Checking at connect time (not only before
  the request) also closes the DNS-rebinding gap between a check and a connect.
- Redirects are followed by hand, up to `Settings.max_redirects`, http(s) only.
- Given a `Politeness`, every request (each redirect hop too) waits for its host's
  slot, a 429/503 puts the host on hold for its Retry-After, and article pages
  (`kind="page"`) are checked against their site's robots.txt first.
- The body is read as a stream and capped (`Settings.max_body_bytes`) both as it
  arrives and after gzip/deflate/brotli decompression, so a gzip bomb stops at the
  cap instead of filling memory; `Settings.total_timeout` bounds the whole fetch.

Bodies of text types are decoded to `Page.text` by `decode_text` (`pipeline.charsets`):
byte-order mark, HTTP charset, `<meta charset>`/XML declaration, then charset_normalizer's guess.
"""

from __future__ import annotations

import contextlib
import threading
import ipaddress
import logging
import mimetypes
import socket
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpcore
import httpx

from pipeline.charsets import decode_text, is_text
from pipeline.config import Settings
from pipeline.schedule import parse_retry_after
from pipeline.errors import BlockedAddress, FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge
from pipeline.models import Page
from pipeline.politeness import Politeness
from pipeline.urls import resolve_url

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
# Reachable from any cloud VM and never a news site: refused even inside an allowed
# range, unless the address itself (or its host name) is listed.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One fetch for `Fetcher.fetch_many`; `key` is the caller's (a feed id, say)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    kind: str = "page"
    key: Any = None


class AddressPolicy:
    """Which resolved addresses fetching may connect to, from `Settings.allow_private`."""

    def __init__(self, allow_private: Iterable[str] = ()) -> None:
        self._hosts: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow_private:
            try:
                self._networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                self._hosts.add(item.strip().lower().rstrip("."))

    def refusal(self, host: str, address: str) -> str | None:
        """Why `host` at `address` must not be reached, or None when it may be."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        kind = _address_kind(ip)
        if kind is None:
            return None
        if host.lower().rstrip(".") in self._hosts:
            return None
        exact_only = ip in METADATA_ADDRESSES
        for network in self._networks:
            if ip.version == network.version and ip in network:
                if not exact_only or network.num_addresses == 1:
                    return None
        return f"{host} resolves to {kind} address {ip}"

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` to connect to, all of them allowed, or `_Refused`."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve host {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.refusal(host, address)
            if reason:  # one bad address taints the name: DNS may hand it out next time
                raise _Refused(reason)
        return addresses


def _address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "cloud-metadata"
    for kind, flag in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast), ("private", ip.is_private),
        ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


class _Refused(Exception):
    """Raised inside the transport; `Fetcher` turns it into `BlockedAddress` with the URL."""


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self._policy.resolve(host, port):
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


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
        transport = httpx.HTTPTransport(retries=0)
        # httpx has no public hook for the network backend; the pool it builds does.
        pool = transport._pool
        if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover
            raise FetchError("httpx transport has no connection pool to guard", url="")
        pool._network_backend = _GuardedBackend(self.policy)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # a proxy would connect on our behalf, past the address guard
            headers={"User-Agent": settings.user_agent_header, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._client.close()

    def fetch_many(self, requests: Sequence[FetchRequest], *, workers: int = DEFAULT_WORKERS
                   ) -> Iterator[tuple[FetchRequest, Page | FetchError]]:
        """Fetch concurrently on this fetcher's threads; pairs in the order the answers come.

        Failures are yielded as their `FetchError`, not raised, so one bad URL does not
        stop the others. The threads are kept for the fetcher's life: a cycle polling
        many batches starts them once. With a `Politeness`, each host is still paced.
        """
        if not requests:
            return
        pool = self._threads(workers)
        futures = {pool.submit(self._fetch_quietly, request): request for request in requests}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def _fetch_quietly(self, request: FetchRequest) -> Page | FetchError:
        started = time.monotonic()
        try:
            return self.fetch(request.url, etag=request.etag, last_modified=request.last_modified,
                              kind=request.kind)
        except FetchError as exc:
            exc.elapsed_ms = round((time.monotonic() - started) * 1000)
            return exc

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
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return self._fetch_file(url, started)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: unsupported URL scheme {scheme!r}; only http and https are fetched", url=url)
        if kind == "page" and self.politeness is not None:
            self.politeness.check_robots(self, url)
        headers = {"Accept": ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            page = self._follow(url, headers, started, kind)
        except _Refused as exc:
            raise BlockedAddress(
                f"{url}: {exc}; add the host or range to WIREWATCH_ALLOW_PRIVATE to allow it", url=url
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{url}: timed out ({type(exc).__name__}); retry later", url=url) from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc or 'connection failed'}", url=url) from None
        logger.info("GET %s -> %s, %d bytes, %d ms", url, page.status, len(page.content), page.elapsed_ms)
        return page

    def _follow(self, url: str, headers: dict[str, str], started: float, kind: str) -> Page:
        current = url
        redirects: list[str] = []
        deadline = started + self.settings.total_timeout
        while True:
            if redirects and kind == "page" and self.politeness is not None:
                self.politeness.check_robots(self, current)  # a redirect may lead to another site
            with self._slot(current):
                timeout = self._timeout(url, deadline)
                request = self._client.build_request("GET", current, headers=headers, timeout=timeout)
                response = self._client.send(request, stream=True)
                try:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in REDIRECT_STATUSES and location:
                        current = self._next_hop(url, current, location, redirects)
                        continue
                    if status == 304:
                        return self._page(url, current, response, b"", started, redirects,
                                          etag=headers.get("If-None-Match"),
                                          last_modified=headers.get("If-Modified-Since"))
                    if not 200 <= status < 300:
                        error = _status_error(url, current, response)
                        if status in HOLD_STATUSES and self.politeness is not None:
                            self.politeness.hold(current, error.retry_after)
                        raise error
                    body = self._read_body(url, response, deadline)
                    return self._page(url, current, response, body, started, redirects)
                finally:
                    response.close()

    def _slot(self, url: str):
        """The host's request slot under politeness, else nothing to wait for."""
        return self.politeness.slot(url) if self.politeness is not None else contextlib.nullcontext()

    def _next_hop(self, url: str, current: str, location: str, redirects: list[str]) -> str:
        target = resolve_url(current, location)
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise BlockedAddress(
                f"{url}: redirected to {scheme!r} URL {target}; only http(s) redirects are followed", url=url)
        if len(redirects) >= self.settings.max_redirects:
            raise FetchError(
                f"{url}: more than {self.settings.max_redirects} redirects (last to {target}); "
                "raise WIREWATCH_MAX_REDIRECTS if this is expected", url=url)
        redirects.append(target)
        return target

    def _timeout(self, url: str, deadline: float) -> httpx.Timeout:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout(
                f"{url}: over the total deadline of {self.settings.total_timeout}s; retry later", url=url)
        connect = min(self.settings.connect_timeout, remaining)
        read = min(self.settings.read_timeout, remaining)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _read_body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        cap = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise ResponseTooLarge(f"{url}: Content-Length {declared} is over the cap of {cap} bytes "
                                   "(WIREWATCH_MAX_BODY_BYTES)", url=url)
        decoder = _Decoder.for_encoding(url, response.headers.get("content-encoding", ""))
        received = 0
        body = bytearray()
        try:
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > cap:
                    raise _Overflow
                if time.monotonic() > deadline:
                    raise FetchTimeout(f"{url}: body still arriving after {self.settings.total_timeout}s; "
                                       "retry later", url=url)
                body += decoder.decode(chunk, cap - len(body))
            body += decoder.finish(cap - len(body))
        except _Overflow:
            raise ResponseTooLarge(f"{url}: body over the cap of {cap} bytes (after decompression); "
                                   "raise WIREWATCH_MAX_BODY_BYTES if it is genuine", url=url) from None
        except (zlib.error, _BrotliError) as exc:
            raise FetchError(f"{url}: corrupt compressed body ({exc})", url=url) from None
        return bytes(body)

    def _page(self, url: str, final_url: str, response: httpx.Response, body: bytes, started: float,
              redirects: list[str], *, etag: str | None = None, last_modified: str | None = None) -> Page:
        content_type = response.headers.get("content-type")
        text, encoding = (None, None)
        if response.status_code != 304 and is_text(content_type, body):
            text, encoding = decode_text(body, content_type)
        return Page(
            url=url,
            final_url=final_url,
            status=response.status_code,
            content=body,
            text=text,
            encoding=encoding,
            content_type=content_type,
            fetched_at=datetime.now(UTC),
            etag=response.headers.get("etag", etag),
            last_modified=response.headers.get("last-modified", last_modified),
            headers={key.lower(): value for key, value in response.headers.items()},
            not_modified=response.status_code == 304,
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


def _status_error(url: str, current: str, response: httpx.Response) -> HTTPStatusError:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    where = url if current == url else f"{url} (redirected to {current})"
    reason = response.reason_phrase or "error"
    hint = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
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
