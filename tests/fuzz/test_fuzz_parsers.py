"""Every parser of outside input, fuzzed: only documented one-line errors, and within 0.05 s + 2 s/MB.

`make fuzz` runs the full budget (over 100,000 inputs); `make test` a short one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hostile import check, examples, hostile_bytes, hostile_text, wrapped

from pipeline.archives.paged_feeds import archive_links
from pipeline.archives.sitemaps import parse_sitemap
from pipeline.archives.warc import WarcReader
from pipeline.feeds.discover import feed_links
from pipeline.feeds.feedlist import parse_feed_list
from pipeline.feeds.items import unseen_document
from pipeline.feeds.parse import parse_feed
from pipeline.http.fetch import parse_retry_after
from pipeline.http.charsets import codec_for, decode_text
from pipeline.http.politeness import parse_robots
from pipeline.http.urls import canonicalize_url, host_of, http_url_problem, registrable_domain, resolve_url, url_hash
from pipeline.websub.discovery import links_from_headers, parse_link_header
from pipeline.websub.intent import check_intent
from pipeline.websub.signatures import verify_signature

pytestmark = pytest.mark.fuzz

FEED = "https://feeds.example/feed.xml"
RSS = wrapped(b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>", b"</channel></rss>")
ATOM = wrapped(b"<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>", b"</feed>")
RDF = wrapped(b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns='http://purl.org/rss/1.0/'>"
              b"<channel><title>t</title></channel>", b"</rdf:RDF>")
JSON_FEED = wrapped(b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [', b"]}")
CONTENT_TYPES = st.one_of(st.none(), st.sampled_from([
    "application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml; charset=rot13",
    "application/feed+json", "application/json; charset=bogus", "text/html; charset=undefined",
    "application/xml; charset=utf-16", "text/xml; charset=\"shift_jis\"", ";;;charset=",
]), hostile_text)


@settings(max_examples=examples(2.0))
@given(body=st.one_of(RSS, ATOM, RDF), content_type=CONTENT_TYPES)
def test_fuzz_parse_feed_xml(body: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else None
    check(lambda: parse_feed(body, FEED, headers=headers), len(body), library=True)


@settings(max_examples=examples(1.0))
@given(body=JSON_FEED, content_type=CONTENT_TYPES)
def test_fuzz_parse_feed_json(body: bytes, content_type: str | None) -> None:
    check(lambda: parse_feed(body, FEED, headers={"Content-Type": content_type or "application/feed+json"}), len(body),
          library=True)  # a body that is not JSON goes to feedparser


@settings(max_examples=examples(1.0))
@given(body=st.one_of(RSS, ATOM), seen=st.frozensets(st.binary(min_size=8, max_size=8), max_size=3))
def test_fuzz_unseen_document(body: bytes, seen: frozenset[bytes]) -> None:
    check(lambda: unseen_document(body, seen), len(body), allowed=())


@settings(max_examples=examples(1.0))
@given(body=st.one_of(wrapped(b"<opml version='2.0'><body>", b"</body></opml>"), hostile_bytes))
def test_fuzz_parse_feed_list(body: bytes) -> None:
    check(lambda: parse_feed_list(body, "fuzz.opml"), len(body))


@settings(max_examples=examples(1.0))
@given(body=st.one_of(wrapped(b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>", b"</urlset>"),
                      wrapped(b"<sitemapindex>", b"</sitemapindex>")))
def test_fuzz_parse_sitemap(body: bytes) -> None:
    check(lambda: parse_sitemap(body, "https://site.example/sitemap.xml"), len(body))


@settings(max_examples=examples(0.5))
@given(body=wrapped(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://a.example/x\r\n"
                    b"WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
                    b"Content-Length: 80\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", b"\r\n\r\n"))
def test_fuzz_read_warc(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.warc"
        path.write_bytes(body)
        check(lambda: list(WarcReader(path)), len(body), library=True)


@settings(max_examples=examples(1.0))
@given(value=hostile_text, base=st.sampled_from([FEED, "", "http://[::1"]),
       params=st.dictionaries(st.sampled_from(["hub.mode", "hub.topic", "hub.challenge", "hub.lease_seconds",
                                               "hub.reason"]), hostile_text, max_size=5))
def test_fuzz_http_headers(value: str, base: str, params: dict[str, str]) -> None:
    size = len(value.encode("utf-8", "surrogatepass")) + sum(len(v) for v in params.values())
    check(lambda: (parse_retry_after(value), parse_link_header(value, base or None),
                   links_from_headers({"Link": value, "link": value}, base or FEED),
                   check_intent(params, topic_url=FEED, state="subscribing"), parse_robots(value)), size)


@settings(max_examples=examples(1.0))
@given(body=hostile_bytes, label=st.one_of(st.sampled_from(["rot13", "base64", "undefined", "utf-7", "utf-16",
                                                             "x-user-defined", "hz", "shift_jis"]), hostile_text))
def test_fuzz_charsets(body: bytes, label: str) -> None:
    check(lambda: (codec_for(label), decode_text(body, f"text/html; charset={label}"), decode_text(body),
                   decode_text(b"<meta " + body), decode_text(b"<?xml " + body)),  # the prescan's tag readers
          len(body) + len(label))


@settings(max_examples=examples(1.0))
@given(body=wrapped(b"<html><head><title>t</title>", b"</body></html>"))
def test_fuzz_html_links_and_metadata(body: bytes) -> None:
    """The HTML readers other than article extraction: feed discovery and RFC 5005 archive links."""
    check(lambda: (feed_links(body, "https://site.example/"), archive_links(body, FEED)), len(body))


@settings(max_examples=examples(1.5))
@given(url=st.one_of(hostile_text, hostile_bytes.map(lambda b: "http://" + b.decode("latin-1"))),
       base=st.sampled_from([FEED, "https://xn--n3h.example/a/b?c", "http://127.0.0.1:8080/"]))
def test_fuzz_urls(url: str, base: str) -> None:
    def every_function() -> None:
        absolute = resolve_url(base, url)
        canonicalize_url(absolute), url_hash(absolute), host_of(absolute)
        http_url_problem(absolute), registrable_domain(absolute)

    check(every_function, len(url.encode("utf-8", "surrogatepass")), allowed=())


@settings(max_examples=examples(1.0))
@given(body=hostile_bytes, header=st.one_of(st.none(), hostile_text,
                                            st.sampled_from(["sha1=", "sha256=zz", "sha256=\u00e9", "=", "md5=00"])))
def test_fuzz_websub_signature_and_push_body(body: bytes, header: str | None) -> None:
    """What the receiver does with a push before storing it: the signature, then the feed."""
    def receive() -> None:
        verify_signature("secret", body, header)

    check(receive, len(body))
    check(lambda: parse_feed(body, FEED, headers={"Content-Type": "application/atom+xml"}), len(body), library=True)
