"""A real HTTP server for the sample site, on a loopback port, in a daemon thread.

`make run` and the tests monitor this site through the same fetch path as the open
web, so the server behaves like a news site's: conditional GET (ETag and
Last-Modified, 304), gzip when asked, exact Content-Types with charsets, 404s, and
one feed that is broken. Requests are logged to `logging` at DEBUG, never to stderr.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from pipeline.errors import ConfigError
from pipeline.sample_site.content import SampleStory, load_stories
from pipeline.sample_site.documents import (
    FEED_LIST_PATH,
    FEEDS,
    OPML_PATH,
    Document,
    render_feed_list,
    render_not_found,
    render_opml,
    render_site,
    story_url,
)

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
FEEDS_FILE_KINDS = ("opml", "list")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the site answered, kept so tests can see what a client asked for."""

    method: str
    path: str
    status: int
    conditional: bool
    gzipped: bool
    user_agent: str | None


class SampleSite:
    """The running site: its URLs, the requests it answered, and `stop()`.

    Use it as a context manager, or call `stop()`; the server thread is a daemon, so
    a forgotten site does not keep the process alive.
    """

    def __init__(self, server: _SiteServer, thread: threading.Thread, base_url: str) -> None:
        self._server = server
        self._thread = thread
        self.base_url = base_url
        self.stories: tuple[SampleStory, ...] = load_stories()

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def feeds_opml_url(self) -> str:
        return self.base_url + OPML_PATH

    @property
    def feeds_list_url(self) -> str:
        return self.base_url + FEED_LIST_PATH

    @property
    def feed_urls(self) -> tuple[str, ...]:
        """Every feed in the OPML, the broken one included, in OPML order."""
        return tuple(self.base_url + feed.path for feed in FEEDS)

    def feed_url(self, key: str) -> str:
        """The URL of the feed `key` (`world`, `conflict`, `latest` or `broken`)."""
        for feed in FEEDS:
            if feed.key == key:
                return self.base_url + feed.path
        raise KeyError(f"no sample feed {key!r}; use one of {', '.join(f.key for f in FEEDS)}")

    @property
    def article_urls(self) -> tuple[str, ...]:
        """The pages that hold a news article (the video page is left out)."""
        return tuple(story_url(self.base_url, s) for s in self.stories if s.is_article)

    @property
    def non_article_urls(self) -> tuple[str, ...]:
        """Pages that feeds link to but that hold no article body: extraction should skip them."""
        return tuple(story_url(self.base_url, s) for s in self.stories if not s.is_article)

    def url_for(self, story: SampleStory) -> str:
        return story_url(self.base_url, story)

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """The requests answered so far, oldest first."""
        with self._server.lock:
            return tuple(self._server.records)

    def clear_requests(self) -> None:
        with self._server.lock:
            self._server.records.clear()

    def stop(self) -> None:
        """Stop serving and close the socket; calling it twice is harmless."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._server.server_close()
            # Keep-alive connections outlive serve_forever(); close them so a
            # stopped site answers nothing, as a stopped server would.
            self._server.close_connections()
            logger.info("sample site at %s stopped", self.base_url)

    def __enter__(self) -> SampleSite:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SampleSite({self.base_url!r})"


def serve_sample_site(host: str = DEFAULT_HOST, port: int = 0) -> SampleSite:
    """Start serving the sample site on `host:port` (0: any free port) and return it.

    Raises `ConfigError` when the address cannot be bound (port in use, bad host).
    """
    try:
        server = _SiteServer((host, port), _Handler)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve the sample site on {host}:{port}: {exc.strerror or exc}; "
            "choose another port, or 0 for any free one"
        ) from None
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
    base_url = f"http://{shown}:{bound_port}"
    server.base_url = base_url
    server.documents = render_site(base_url)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"sample-site-{bound_port}", daemon=True
    )
    thread.start()
    logger.info("sample site serving %s documents at %s", len(server.documents), base_url)
    return SampleSite(server, thread, base_url)


def write_feeds_file(path: str | Path, base_url: str, kind: str = "opml") -> Path:
    """Write the site's feeds for `base_url` to `path`: OPML, or `kind="list"` for one URL a line."""
    if kind not in FEEDS_FILE_KINDS:
        raise ConfigError(f"feeds file kind {kind!r} is unknown; use one of {', '.join(FEEDS_FILE_KINDS)}")
    target = Path(path)
    body = render_opml(base_url) if kind == "opml" else render_feed_list(base_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    logger.info("wrote sample-site feeds (%s) for %s to %s", kind, base_url, target)
    return target


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    base_url: str = ""
    documents: dict[str, Document]

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.documents = {}
        self.records: list[RequestRecord] = []
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        connection, address = super().get_request()
        with self.lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        # The stdlib prints a traceback to stderr; a client hanging up is routine here.
        logger.debug("sample site: error answering %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "LoopbackCourier/1.0"
    timeout = 10  # seconds an idle keep-alive connection may hold a thread

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        doc = self.server.documents.get(path)
        if doc is None:
            doc = render_not_found(self.server.base_url, path)
        conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
        if doc.status == 200 and _not_modified(doc, self.headers.get("If-None-Match"),
                                               self.headers.get("If-Modified-Since")):
            self._record(304, conditional, gzipped=False)  # before answering: the client may look at once
            self.send_response(304)
            self._validators(doc)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        gzipped = _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        body = doc.gzipped if gzipped else doc.body
        self._record(doc.status, conditional, gzipped)
        self.send_response(doc.status)
        self.send_header("Content-Type", doc.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        if doc.status == 200:
            self._validators(doc)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _validators(self, doc: Document) -> None:
        self.send_header("ETag", doc.etag)
        self.send_header("Last-Modified", format_datetime(doc.last_modified.astimezone(timezone.utc), usegmt=True))
        self.send_header("Cache-Control", "public, max-age=60")

    def _record(self, status: int, conditional: bool, gzipped: bool) -> None:
        record = RequestRecord(self.command, self.path, status, conditional, gzipped, self.headers.get("User-Agent"))
        with self.server.lock:
            self.server.records.append(record)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's name)
        logger.debug("%s %s", self.address_string(), format % args)


def _not_modified(doc: Document, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or doc.etag in tags
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return doc.last_modified.replace(microsecond=0) <= since
    return False


def _accepts_gzip(accept_encoding: str) -> bool:
    """True when the client accepts gzip (or `*`) with a non-zero quality."""
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False

