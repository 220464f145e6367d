"""The fetcher's connections against real loopback servers: keep-alive, stale sockets, TLS, requests."""

from __future__ import annotations

import gzip
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import FetchError, FetchTimeout
from pipeline.http.connections import AddressPolicy, ConnectionPool, Origin
from pipeline.http.fetch import Fetcher

from certificates import self_signed

LOOPBACK = ("127.0.0.1", "localhost")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with what the test put in `server.answer`; records what it saw."""

    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.requests.append((self.requestline, self.headers.get("Host")))
        status, headers, body = self.server.answer(self.path)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if callable(body):  # a body written by the test, slowly say
            self.end_headers()
            body(self.wfile)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        # a server that drops idle connections without saying so in the answer
        self.close_connection = self.server.drop_after_answer

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[tuple[str, str | None]] = []
        self.drop_after_answer = False
        self.answer = lambda path: (200, [("Content-Type", "text/plain")], b"ok")

    @property
    def base(self) -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(Settings(allow_private=LOOPBACK, connect_timeout=2.0, read_timeout=2.0)) as fetcher:
        yield fetcher


def test_connections_keep_alive_reuses_one_connection_per_origin(server: _Server, fetcher: Fetcher) -> None:
    pages = [fetcher.fetch(f"{server.base}/page/{i}") for i in range(3)]
    assert [page.content for page in pages] == [b"ok"] * 3
    assert server.connections == 1


def test_connections_not_modified_answer_frees_the_connection(server: _Server, fetcher: Fetcher) -> None:
    server.answer = lambda path: (304, [("ETag", '"v1"')], b"")
    for _ in range(2):
        assert fetcher.fetch(f"{server.base}/feed.xml", etag='"v1"', kind="feed").not_modified
    assert server.connections == 1


def test_connections_stale_keep_alive_is_retried_on_a_new_connection(server: _Server, fetcher: Fetcher) -> None:
    server.drop_after_answer = True  # each connection answers once, then the server hangs up
    pages = [fetcher.fetch(f"{server.base}/page/{i}") for i in range(3)]
    assert [page.status for page in pages] == [200] * 3
    assert server.connections == 3
    assert len(server.requests) == 3  # each request reached the server once


def test_connections_unread_error_body_is_not_reused(server: _Server, fetcher: Fetcher) -> None:
    server.answer = lambda path: (500, [("Content-Type", "text/plain")], b"broken" * 1000)
    with pytest.raises(FetchError):
        fetcher.fetch(f"{server.base}/broken")
    server.answer = lambda path: (200, [("Content-Type", "text/plain")], b"fine")
    assert fetcher.fetch(f"{server.base}/fine").content == b"fine"
    assert server.connections == 2  # the half-read answer's connection was closed


def test_connections_abandoned_answer_hangs_up_on_the_server(server: _Server) -> None:
    hung_up = threading.Event()

    def trickle(out) -> None:
        try:
            for _ in range(50):
                out.write(b"x" * 10)
                out.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            hung_up.set()

    # read to the end of the connection: http.client hands the socket over to the response
    server.answer = lambda path: (200, [("Content-Type", "text/plain"), ("Connection", "close")], trickle)
    with Fetcher(Settings(allow_private=LOOPBACK, read_timeout=2.0, total_timeout=0.5)) as fetcher:
        with pytest.raises(FetchTimeout, match="after 0.5s|deadline of 0.5s") as caught:
            fetcher.fetch(f"{server.base}/drip")
        # closed at once, although the error (kept, as the cycle keeps it) still holds the frames
        assert hung_up.wait(1.0) and caught.value.__traceback__ is not None


@pytest.fixture
def scripted() -> Iterator:
    """A server that reads one request and answers with a script: bytes to send, or seconds to wait."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads = []

    def serve(*script: bytes | float) -> str:
        def run() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                try:
                    for step in script:
                        if isinstance(step, bytes):
                            connection.sendall(step)
                        else:
                            time.sleep(step)
                except OSError:
                    pass  # the client hung up: that is what some tests want

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/"

    yield serve
    listener.close()
    for thread in threads:
        thread.join(timeout=5)


def test_connections_trickled_headers_stop_at_the_total_deadline(scripted) -> None:
    url = scripted(b"HTTP/1.1 200 OK\r\n", *[step for n in range(40) for step in (0.1, b"X-Slow-%d: 1\r\n" % n)])
    started = time.monotonic()
    with Fetcher(Settings(allow_private=LOOPBACK, read_timeout=2.0, total_timeout=0.6)) as fetcher:
        with pytest.raises(FetchTimeout, match="after 0.6s|deadline of 0.6s"):
            fetcher.fetch(url)
    assert time.monotonic() - started < 1.5  # each read was quick: only the watchdog could stop it


def test_connections_body_cut_short_is_an_error_not_a_page(scripted) -> None:
    url = scripted(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", b"x" * 10)
    with Fetcher(Settings(allow_private=LOOPBACK, read_timeout=2.0)) as fetcher:
        with pytest.raises(FetchError, match="closed 990 bytes before the end of the body") as caught:
            fetcher.fetch(url)
    assert not isinstance(caught.value, FetchTimeout)


def test_connections_chunked_and_gzipped_body_is_reassembled(scripted) -> None:
    body = gzip.compress(b"<rss>" + b"x" * 5000 + b"</rss>")
    chunks = [body[:1000], body[1000:]]
    url = scripted(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Encoding: gzip\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n",
                   *[b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks], b"0\r\n\r\n")
    with Fetcher(Settings(allow_private=LOOPBACK, read_timeout=2.0)) as fetcher:
        page = fetcher.fetch(url, kind="feed")
    assert page.content == b"<rss>" + b"x" * 5000 + b"</rss>"


@pytest.mark.parametrize(("answer", "message"), [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbad\r\n", "IncompleteRead"),
    (b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 70_000 + b"\r\n\r\n", "LineTooLong"),
    (b"SMTP ready " + b"z" * 5000 + b"\r\n\r\n", "BadStatusLine"),
    (b"HTTP/1.1 500 " + b"y" * 5000 + b"\r\nContent-Length: 0\r\n\r\n", "HTTP 500 yyy"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(150)) + b"\r\n", "more than 100 headers"),
])
def test_connections_broken_http_is_a_one_line_fetch_error(scripted, answer: bytes, message: str) -> None:
    url = scripted(answer)
    with Fetcher(Settings(allow_private=LOOPBACK, read_timeout=2.0)) as fetcher:
        with pytest.raises(FetchError, match=message) as caught:
            fetcher.fetch(url)
    assert caught.value.url == url and "\n" not in str(caught.value) and len(str(caught.value)) < 300
    assert not isinstance(caught.value, FetchTimeout)


def test_connections_request_target_is_percent_encoded_with_host_and_port(server: _Server, fetcher: Fetcher) -> None:
    fetcher.fetch(f"{server.base}/news/a story/été?q=a b&x=%41")
    line, host = server.requests[-1]
    assert line == "GET /news/a%20story/%C3%A9t%C3%A9?q=a%20b&x=%41 HTTP/1.1"
    assert host == f"127.0.0.1:{server.server_address[1]}"


def test_connections_repeated_headers_are_joined_and_utf8_location_read(server: _Server, fetcher: Fetcher) -> None:
    def answer(path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if path == "/old":  # a raw UTF-8 Location, as some servers send
            return 301, [("Location", "/nouvelles/été".encode().decode("latin-1"))], b""
        return 200, [("Link", '<https://hub.example/>; rel="hub"'),
                     ("Link", '<https://site.example/feed>; rel="self"'), ("Content-Type", "text/plain")], b"ok"

    server.answer = answer
    page = fetcher.fetch(f"{server.base}/old")
    assert page.final_url == f"{server.base}/nouvelles/été"
    assert page.headers["link"] == '<https://hub.example/>; rel="hub", <https://site.example/feed>; rel="self"'
    assert server.requests[-1][0] == "GET /nouvelles/%C3%A9t%C3%A9 HTTP/1.1"


def test_connections_idle_ones_are_capped_and_expire(server: _Server) -> None:
    pool = ConnectionPool(AddressPolicy(LOOPBACK), max_idle=1, idle_timeout=0.0)
    origin = Origin("http", "127.0.0.1", server.server_address[1])
    for _ in range(2):
        connection, reused = pool.acquire(origin)
        assert not reused  # the one kept idle has expired (timeout 0)
        connection.set_timeouts(2.0, 2.0)
        connection.request("GET", "/", headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        pool.release(connection, response)
    pool.close()
    assert server.connections == 2


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(server: _Server, tmp_path: Path) -> tuple[_Server, Path]:
    cert_path, key_path = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, cert_path


def test_connections_https_refuses_an_untrusted_certificate(tls_server: tuple[_Server, Path], fetcher: Fetcher) -> None:
    server, _cert = tls_server
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        fetcher.fetch(f"{server.base}/secure")
    assert caught.value.url == f"{server.base}/secure"


def test_connections_https_fetch_trusts_the_configured_ca_bundle(tls_server: tuple[_Server, Path]) -> None:
    server, cert = tls_server
    settings = Settings(allow_private=LOOPBACK, read_timeout=2.0, ca_bundle=str(cert))
    with Fetcher(settings) as fetcher:
        page = fetcher.fetch(f"https://localhost:{server.server_address[1]}/secure")
    assert (page.status, page.content) == (200, b"ok")


def test_connections_https_verifies_against_the_pool_ca_bundle(tls_server: tuple[_Server, Path]) -> None:
    server, cert = tls_server
    pool = ConnectionPool(AddressPolicy(LOOPBACK), ca_file=str(cert))
    connection, _reused = pool.acquire(Origin("https", "localhost", server.server_address[1]))
    connection.set_timeouts(2.0, 2.0)
    connection.request("GET", "/secure", headers={"Host": "localhost"})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"ok")
    assert connection.sock.version() in ("TLSv1.2", "TLSv1.3")
    pool.release(connection, response)
    pool.close()


@pytest.mark.parametrize("server_closes", [False, True])
def test_connections_https_resumes_the_origins_tls_session(tls_server: tuple[_Server, Path],
                                                           server_closes: bool) -> None:
    server, cert = tls_server
    if server_closes:  # the answer ends the connection: its session must be read before that
        server.answer = lambda path: (200, [("Content-Type", "text/plain"), ("Connection", "close")], b"ok")
    pool = ConnectionPool(AddressPolicy(LOOPBACK), ca_file=str(cert), max_idle=0)  # no keep-alive
    origin = Origin("https", "localhost", server.server_address[1])
    resumed = []
    for _ in range(3):
        connection, reused = pool.acquire(origin)
        assert not reused
        connection.set_timeouts(2.0, 2.0)
        connection.request("GET", "/secure", headers={"Host": "localhost"})
        response = connection.getresponse()
        assert response.read() == b"ok"
        resumed.append(connection.tls_resumed)
        pool.release(connection, response)
    pool.close()
    assert resumed == [False, True, True] and server.connections == 3
