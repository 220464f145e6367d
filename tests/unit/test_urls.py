"""Canonical URLs: every spelling of one page gives one string and one hash."""

from __future__ import annotations

import pytest

from pipeline.http.urls import canonicalize_url, host_of, http_url_problem, is_http_url, resolve_url, url_hash


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("http://example.com/a#section-2", "http://example.com/a"),
        ("http://example.com/#!/story/1", "http://example.com/#!/story/1"),
        ("http://example.com/a?", "http://example.com/a"),
        ("http://example.com/a?utm_source=rss&utm_medium=feed", "http://example.com/a"),
        ("http://example.com/a?UTM_Campaign=x&id=3", "http://example.com/a?id=3"),
        ("http://example.com/a?id=3&fbclid=abc&gclid=d&mc_cid=1&mc_eid=2", "http://example.com/a?id=3"),
        ("http://example.com/a?ocid=x&cmpid=y&_ga=z&ref=tw&ref_src=twsrc", "http://example.com/a"),
        ("http://example.com/a?b=2&a=1&c=3", "http://example.com/a?a=1&b=2&c=3"),
        ("http://example.com/a?b=1&a=9&b=0", "http://example.com/a?a=9&b=1&b=0"),
        ("http://example.com/a?&&b=1&", "http://example.com/a?b=1"),
        ("http://example.com/a?flag&x=", "http://example.com/a?flag&x="),
        ("http://example.com/a?q=a+b&r=x%3dy", "http://example.com/a?q=a+b&r=x%3Dy"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/../../a", "http://example.com/a"),
        ("http://example.com/a/", "http://example.com/a/"),
        ("http://example.com/%7Euser/%61bc", "http://example.com/~user/abc"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/caf\u00e9 au lait", "http://example.com/caf%C3%A9%20au%20lait"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://B\u00fccher.Example/x", "http://xn--bcher-kva.example/x"),
        ("http://example.com./a", "http://example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("  http://example.com/a \n", "http://example.com/a"),
        ("http://user:pw@Example.com/a", "http://user:pw@example.com/a"),
    ],
)
def test_canonicalize_url_normalises(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["mailto:desk@example.com", "/relative/path", "not a url", "", "http://", "http://example.com:port/"],
)
def test_canonicalize_url_leaves_non_http_urls_unchanged(url: str) -> None:
    assert canonicalize_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a?id=1",
        "http://example.com/a?x=%20y&q=caf%C3%A9",
        "https://xn--bcher-kva.example/x/y/",
    ],
)
def test_canonicalize_url_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_url_hash_same_for_spellings_of_one_page() -> None:
    spellings = [
        "https://news.example.org/world/2024/story?id=7",
        "HTTPS://News.Example.org:443/world/2024/./story?utm_source=rss&id=7#comments",
        "https://news.example.org/world/x/../2024/story?id=7&fbclid=abc",
    ]
    hashes = {url_hash(url) for url in spellings}
    assert len(hashes) == 1
    (digest,) = hashes
    assert len(digest) == 32 and int(digest, 16) >= 0


def test_url_hash_differs_for_different_pages() -> None:
    assert url_hash("https://example.org/a?id=7") != url_hash("https://example.org/a?id=8")
    assert url_hash("https://example.org/a") != url_hash("https://example.org/a/")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.Example.org:8080/a", "news.example.org"),
        ("http://b\u00fccher.example/", "xn--bcher-kva.example"),
        ("http://[::1]:8000/", "::1"),
        ("/no/host", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://a.example/x", True), ("http://a", True), ("ftp://a.example/", False), ("//a.example/", False), ("x", False)],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected


def test_resolve_url_against_feed_url() -> None:
    assert resolve_url("https://a.example/feeds/rss.xml", "../news/1.html") == "https://a.example/news/1.html"
    assert resolve_url("https://a.example/feeds/", " https://b.example/x ") == "https://b.example/x"
    assert resolve_url("https://a.example/feeds/", "  ") == ""


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:99999/a4.html", "Port out of range"), ("http://[::1/x", "Invalid IPv6"),
    ("http://a.example:abc/", "could not be cast"), ("javascript:alert(1)", "unsupported URL scheme"),
    ("http:///path", "without a host"), ("http://a.example/\x00", "control character"),
    ("http://a.example/" + "a" * 9000, "longer than"),
])
def test_http_url_problem_names_what_a_fetch_would_trip_on(url: str, why: str) -> None:
    problem = http_url_problem(url)
    assert problem is not None and why in problem and not is_http_url(url)


def test_http_url_problem_accepts_plain_urls() -> None:
    assert http_url_problem("https://a.example:8443/x?y=1#z") is None
