"""The fetcher against a real loopback HTTP server: limits, redirects, policy, charsets."""

from __future__ import annotations

import gzip
import logging
import socket
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import brotli
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.config import Settings
from pipeline.errors import BlockedAddress, FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge
from pipeline.http.fetch import AddressPolicy, Fetcher, decode_text, parse_retry_after

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
LOOPBACK = ("127.0.0.1", "localhost")


def _settings(**changes: object) -> Settings:
    base = Settings(allow_private=LOOPBACK, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0,
                    max_body_bytes=1_000_000, user_agent="WirewatchTest/1")
    return base.with_(**changes)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(_settings()) as fetcher:
        yield fetcher


def test_fetch_returns_page_with_decoded_text(httpserver: HTTPServer, fetcher: Fetcher,
                                              caplog: pytest.LogCaptureFixture) -> None:
    body = (PAGES / "utf8.html").read_bytes()
    httpserver.expect_request("/story", headers={"User-Agent": "WirewatchTest/1"}).respond_with_data(
        body, content_type="text/html; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
    )
    with caplog.at_level(logging.INFO, logger="pipeline.http.fetch"):
        page = fetcher.fetch(httpserver.url_for("/story"))
    assert [r.getMessage() for r in caplog.records if r.name == "pipeline.http.fetch"] == [
        f"GET {httpserver.url_for('/story')} -> 200, {len(body)} bytes, {page.elapsed_ms} ms"]
    assert page.status == 200 and not page.not_modified
    assert page.content == body
    assert "Kyiv \u2014 \u041a\u0438\u0457\u0432" in (page.text or "")
    assert page.encoding == "utf-8"
    assert page.etag == '"v1"' and page.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert page.final_url == page.url and page.redirects == ()
    assert page.elapsed_ms is not None and page.elapsed_ms >= 0
    assert page.fetched_at.tzinfo is not None


def test_fetch_feed_kind_asks_for_feed_types(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("Accept", ""))
        return Response("<rss/>", content_type="application/rss+xml")

    httpserver.expect_request("/feed").respond_with_handler(handler)
    fetcher.fetch(httpserver.url_for("/feed"), kind="feed")
    assert "application/rss+xml" in seen[0]
    with pytest.raises(ValueError):
        fetcher.fetch(httpserver.url_for("/feed"), kind="video")


def test_fetch_refuses_loopback_when_not_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data("secret")
    with Fetcher(Settings()) as fetcher, pytest.raises(BlockedAddress) as caught:
        fetcher.fetch(httpserver.url_for("/"))
    assert caught.value.url == httpserver.url_for("/")
    assert "loopback" in str(caught.value) and "WIREWATCH_ALLOW_PRIVATE" in str(caught.value)
    assert len(httpserver.log) == 0  # refused before any connection was made


def test_fetch_follows_redirects_and_records_hops(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/middle"})
    httpserver.expect_request("/middle").respond_with_data("", status=302, headers={"Location": "new?x=1"})
    httpserver.expect_request("/new").respond_with_data("arrived", content_type="text/plain")
    page = fetcher.fetch(httpserver.url_for("/old"))
    assert page.text == "arrived"
    assert page.final_url == httpserver.url_for("/new?x=1")
    assert page.redirects == (httpserver.url_for("/middle"), httpserver.url_for("/new?x=1"))


def test_fetch_redirect_to_address_not_allowed_is_refused(httpserver: HTTPServer) -> None:
    # Only the name "localhost" is allowed: a hop to the literal 127.0.0.1 is a new,
    # unlisted host on a loopback address, and must be checked again and refused.
    target = f"http://127.0.0.1:{httpserver.port}/inside"
    httpserver.expect_request("/hop").respond_with_data("", status=302, headers={"Location": target})
    httpserver.expect_request("/inside").respond_with_data("inside")
    start = f"http://localhost:{httpserver.port}/hop"
    with Fetcher(_settings(allow_private=("localhost",))) as fetcher, pytest.raises(BlockedAddress) as caught:
        fetcher.fetch(start)
    assert "127.0.0.1" in str(caught.value)
    with Fetcher(_settings(allow_private=("localhost", "127.0.0.0/8"))) as fetcher:
        assert fetcher.fetch(start).text == "inside"


def test_fetch_stops_after_max_redirects(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with Fetcher(_settings(max_redirects=3)) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(httpserver.url_for("/loop"))
    assert "more than 3 redirects" in str(caught.value)
    assert len(httpserver.log) == 4


def test_fetch_refuses_redirect_to_file_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jump").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    with Fetcher(_settings(allow_file_urls=True)) as fetcher, pytest.raises(BlockedAddress):
        fetcher.fetch(httpserver.url_for("/jump"))


def test_fetch_conditional_get_gives_not_modified(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    since = "Tue, 02 Jan 2024 10:00:00 GMT"
    httpserver.expect_request("/feed", headers={"If-None-Match": '"abc"', "If-Modified-Since": since}).respond_with_data(
        "", status=304
    )
    page = fetcher.fetch(httpserver.url_for("/feed"), etag='"abc"', last_modified=since)
    assert page.not_modified and page.status == 304
    assert page.content == b"" and page.text is None
    assert page.etag == '"abc"' and page.last_modified == since


def test_fetch_refuses_declared_length_over_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2048)
    with Fetcher(_settings(max_body_bytes=1024)) as fetcher, pytest.raises(ResponseTooLarge):
        fetcher.fetch(httpserver.url_for("/big"))


def test_fetch_caps_streamed_body_without_length(httpserver: HTTPServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"y" * 1024

    httpserver.expect_request("/stream").respond_with_response(Response(chunks(), content_type="text/plain"))
    with Fetcher(_settings(max_body_bytes=10_000)) as fetcher, pytest.raises(ResponseTooLarge):
        fetcher.fetch(httpserver.url_for("/stream"))


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
def test_fetch_decompresses_content_encoding(httpserver: HTTPServer, fetcher: Fetcher, coding: str, compress) -> None:
    text = "<p>" + "compressed news " * 500 + "</p>"
    httpserver.expect_request("/z").respond_with_data(
        compress(text.encode()), content_type="text/html", headers={"Content-Encoding": coding}
    )
    page = fetcher.fetch(httpserver.url_for("/z"))
    assert page.text == text


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_fetch_stops_compression_bomb(httpserver: HTTPServer, coding: str) -> None:
    zeros = b"\0" * 50_000_000
    bomb = gzip.compress(zeros, compresslevel=9) if coding == "gzip" else brotli.compress(zeros)
    assert len(bomb) < 100_000
    del zeros
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": coding})
    tracemalloc.start()
    try:
        with Fetcher(_settings(max_body_bytes=1_000_000)) as fetcher, pytest.raises(ResponseTooLarge) as caught:
            fetcher.fetch(httpserver.url_for("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "after decompression" in str(caught.value)
    assert peak < 16_000_000  # decompression stopped near the cap, not at 50 MB


def test_fetch_times_out_on_slow_server(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.8)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with Fetcher(_settings(read_timeout=0.2)) as fetcher, pytest.raises(FetchTimeout) as caught:
        fetcher.fetch(httpserver.url_for("/slow"))
    assert caught.value.url == httpserver.url_for("/slow")
    time.sleep(0.7)  # let the single-threaded server finish the handler


def test_fetch_total_deadline_stops_trickling_body(httpserver: HTTPServer) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(20):
            time.sleep(0.1)
            yield b"drip "

    httpserver.expect_request("/drip").respond_with_response(Response(trickle(), content_type="text/plain"))
    with Fetcher(_settings(read_timeout=1.0, total_timeout=0.5)) as fetcher, pytest.raises(FetchTimeout):
        fetcher.fetch(httpserver.url_for("/drip"))
    time.sleep(1.6)


@pytest.mark.parametrize(
    ("status", "headers", "expected_retry"),
    [(404, {}, None), (429, {"Retry-After": "120"}, 120.0), (503, {"Retry-After": "soon"}, None), (500, {}, None)],
)
def test_fetch_raises_status_error(httpserver: HTTPServer, fetcher: Fetcher, status: int, headers: dict,
                                   expected_retry: float | None) -> None:
    httpserver.expect_request("/s").respond_with_data("no", status=status, headers=headers)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(httpserver.url_for("/s"))
    assert caught.value.status == status
    assert caught.value.retry_after == expected_retry
    assert str(status) in str(caught.value) and "\n" not in str(caught.value)


def test_fetch_retry_after_http_date(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    when = datetime.now(UTC) + timedelta(seconds=300)
    httpserver.expect_request("/busy").respond_with_data("", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(httpserver.url_for("/busy"))
    assert caught.value.retry_after is not None and 290 <= caught.value.retry_after <= 301


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:01:00 GMT", now) == 60.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("", now) is None and parse_retry_after("-5", now) is None


@pytest.mark.parametrize(
    ("fixture", "content_type", "expected", "encoding"),
    [
        ("cp1252_meta.html", "text/html", "\u201cPrices at the caf\u00e9 rose to \u20ac5,\u201d", "cp1252"),
        ("cp1252_meta.html", "text/html; charset=windows-1252", "caf\u00e9 rose to \u20ac5", "cp1252"),
        ("cp1252_undeclared.html", "text/html", "Le pr\u00e9sident a d\u00e9clar\u00e9", None),
        ("utf8.html", "text/html; charset=UTF-8", "\u041a\u0438\u0457\u0432", "utf-8"),
    ],
)
def test_fetch_decodes_legacy_encodings(httpserver: HTTPServer, fetcher: Fetcher, fixture: str, content_type: str,
                                        expected: str, encoding: str | None) -> None:
    httpserver.expect_request("/enc").respond_with_data((PAGES / fixture).read_bytes(), content_type=content_type)
    page = fetcher.fetch(httpserver.url_for("/enc"))
    assert expected in (page.text or "")
    assert "\ufffd" not in (page.text or "")
    if encoding:
        assert page.encoding == encoding


def test_decode_text_prefers_bom_and_handles_xml_declaration() -> None:
    assert decode_text("\ufeffna\u00efve".encode("utf-8"), "text/plain; charset=iso-8859-1") == ("na\u00efve", "utf-8")
    assert decode_text("\ufeffh\u00e9".encode("utf-16-le"))[0] == "h\u00e9"
    xml = '<?xml version="1.0" encoding="ISO-8859-7"?><t>\u0391\u03b8\u03ae\u03bd\u03b1</t>'.encode("iso-8859-7")
    assert decode_text(xml, "application/xml") == (xml.decode("iso-8859-7"), "iso8859-7")
    assert decode_text(b"plain", "text/plain; charset=no-such-charset") == ("plain", "utf-8")


def test_fetch_connection_refused_is_fetch_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Fetcher(_settings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert not isinstance(caught.value, (FetchTimeout, BlockedAddress))


@pytest.mark.parametrize("url", ["ftp://example.com/feed.xml", "gopher://example.com/", "javascript:alert(1)"])
def test_fetch_refuses_other_schemes(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError):
        fetcher.fetch(url)


def test_fetch_file_urls_only_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"/>')
    with Fetcher(_settings()) as fetcher, pytest.raises(BlockedAddress):
        fetcher.fetch(path.as_uri())
    with Fetcher(_settings(allow_file_urls=True)) as fetcher:
        page = fetcher.fetch(path.as_uri())
    assert page.status == 200 and page.content.endswith(b"/>") and page.text is not None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.10.10", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
    ],
)
def test_address_policy_default_refuses_non_public(address: str, allowed: bool) -> None:
    assert (AddressPolicy().refusal("host.example", address) is None) is allowed


def test_address_policy_allow_list_by_host_and_range() -> None:
    policy = AddressPolicy(["intranet.example", "10.0.0.0/8", "169.254.0.0/16", "fd00::/8"])
    assert policy.refusal("intranet.example", "192.168.0.9") is None
    assert policy.refusal("other.example", "10.9.9.9") is None
    assert policy.refusal("other.example", "192.168.0.9") is not None
    # metadata endpoints need to be listed exactly, a surrounding range is not enough
    assert policy.refusal("other.example", "169.254.169.254") is not None
    assert policy.refusal("other.example", "fd00:ec2::254") is not None
    assert AddressPolicy(["169.254.169.254"]).refusal("x", "169.254.169.254") is None


def test_fetch_refuses_metadata_address_literal() -> None:
    with Fetcher(_settings(allow_private=("169.254.0.0/16",), connect_timeout=0.5)) as fetcher:
        with pytest.raises(BlockedAddress) as caught:
            fetcher.fetch("http://169.254.169.254/latest/meta-data/")
    assert "cloud-metadata" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/a4.html", "http://127.0.0.1:0/a", "http://[::1/a",
                                 "http://127.0.0.1:x/a", "http://127.0.0.1/a\x00b", "javascript:alert(1)"])
@pytest.mark.parametrize("kind", ["page", "feed"])
def test_fetch_refuses_invalid_url_with_one_line_fetch_error(url: str, kind: str) -> None:
    """Port 99999 raised ValueError from politeness, outside fetch's error handling (issue 14)."""
    from pipeline.http.politeness import Politeness

    settings = _settings()
    with Fetcher(settings, politeness=Politeness(settings)) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url, kind=kind)
    assert "\n" not in str(caught.value) and caught.value.url == url


def test_fetch_refuses_redirect_to_invalid_port(fetcher: Fetcher) -> None:
    """werkzeug itself chokes on such a Location, so the answer is written by hand."""
    import socketserver
    import threading

    class Redirect(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while self.rfile.readline().strip():
                pass
            self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:99999/x\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Redirect) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with pytest.raises(FetchError, match="Port out of range"):
                fetcher.fetch(f"http://127.0.0.1:{server.server_address[1]}/r")
        finally:
            server.shutdown()
