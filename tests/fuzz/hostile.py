"""Strategies for hostile input, and the property every parser of outside input must keep.

Inputs are built from fragments that parsers trip on (unclosed tags, CDATA, comments,
DOCTYPEs with entities, NULs, byte-order marks, broken UTF-8, absurd ports and dates),
raw bytes, and one fragment repeated up to tens of thousands of times, which is what
exposes super-linear work (a quadratic parser passes small inputs and fails those).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from hypothesis import strategies as st
from time_budget import budget_s, library_budget_s

from pipeline.errors import WirewatchError

FULL = os.environ.get("WIREWATCH_FUZZ", "").lower() == "full"
#: inputs generated per unit of weight: full run, short run
FULL_EXAMPLES = 9000
SHORT_EXAMPLES = 150
#: the full run must have generated at least this many inputs in all
FULL_MINIMUM = 100_000


def examples(weight: float = 1.0) -> int:
    """How many inputs a target generates in this run."""
    return max(int((FULL_EXAMPLES if FULL else SHORT_EXAMPLES) * weight), 10)


#: inputs checked in this process (the full run must reach 100,000)
GENERATED = {"inputs": 0}

FRAGMENTS = [
    b"<", b">", b"/>", b"</", b"<item>", b"</item>", b"<entry>", b"</entry>", b"<item", b"<rdf:item>",
    b"<title>", b"</title>", b"<link>", b"</link>", b"<link href='", b"'/>", b"<description>",
    b"<guid>", b"<id>", b"<pubDate>", b"<updated>", b"<channel>", b"<feed>", b"<url>", b"<loc>",
    b"</loc>", b"<lastmod>", b"<sitemap>", b"<outline xmlUrl='", b"<opml>", b"<body>",
    b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<?xml version='1.0'?>", b"<?xml version='1.0' encoding='",
    b"<?pi ", b"?>", b"<!DOCTYPE rss [", b"<!ENTITY a 'aaaaaaaaaa'>", b"<!ENTITY b '&a;&a;&a;&a;'>", b"]>",
    b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"&a;", b"&b;", b"&amp;", b"&lt;", b"&#0;", b"&#x110000;",
    b"&#9999999999;", b"&", b"\x00", b"\x1f\x8b\x08", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3\x28",
    b"\xe2\x82", b"\x80", b"\xff", b"http://", b"https://a.example/", b"http://127.0.0.1:99999/a",
    b"http://[::1", b"javascript:alert(1)", b"data:text/html,x", b"//evil.example/x", b"%", b"%zz", b"%00",
    b"?utm_source=x&", b"#", b"=\"", b"\"", b"'", b" ", b"\t", b"\r\n", b"\n", b"xmlns='http://www.w3.org/2005/Atom'",
    b"xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'", b"version='2.0'", b"rot13", b"utf-16", b"utf-7",
    b"Fri, 31 Dec 9999 23:59:60 +9999", b"0000-00-00T25:61:61Z", b"-1", b"99999999999999999999", b"{", b"}",
    b"[", b"]", b"\"items\":", b"\"url\":", b"\"version\":\"https://jsonfeed.org/version/1.1\"", b",", b":",
    b"WARC/1.0\r\n", b"WARC-Type: response\r\n", b"Content-Length: ", b"Content-Type: text/html\r\n",
    b"HTTP/1.1 200 OK\r\n", b"<html>", b"<p>", b"</p>", b"<div>", b"<a href=x>", b"<script>", b"<meta charset=",
    b"<link rel=canonical href=", b"<link rel=alternate type=application/rss+xml href=", "\u2603".encode(),
    "é".encode(), "日本".encode("shift_jis"), "ü".encode("latin-1"),
]

fragment = st.sampled_from(FRAGMENTS)
chunk = st.one_of(fragment, fragment, fragment, st.binary(max_size=16))
#: one piece repeated: the shape that exposes super-linear parsers
repeated = st.builds(lambda piece, times: piece * times, st.lists(fragment, min_size=1, max_size=3).map(b"".join),
                     st.integers(min_value=1, max_value=5_000))
hostile_bytes = st.lists(st.one_of(chunk, chunk, chunk, chunk, chunk, repeated), max_size=24).map(b"".join)


def wrapped(head: bytes, tail: bytes) -> st.SearchStrategy[bytes]:
    """Hostile bytes inside a document's skeleton (most parsers refuse garbage before its body)."""
    return st.one_of(hostile_bytes, hostile_bytes.map(lambda middle: head + middle + tail))


hostile_text = st.one_of(st.text(max_size=200), hostile_bytes.map(lambda b: b.decode("utf-8", "replace")))


def check(call: Callable[[], object], size: int, allowed: tuple[type[BaseException], ...] = (WirewatchError,),
          *, library: bool = False) -> None:
    """The property: `call` ends in time for `size` bytes and raises nothing but one-line `allowed` errors.

    Time is this thread's CPU time, not the wall clock: the budget is about the work a
    parser does, and this machine is shared (a load of 10 on 2 cores triples wall time).
    A miss is timed twice more and the best of three counts; a super-linear parser
    misses all three.
    """
    GENERATED["inputs"] += 1
    budget = library_budget_s(size) if library else budget_s(size)
    best = float("inf")
    for _attempt in range(3):
        started = time.thread_time()
        try:
            call()
        except allowed as exc:
            message = str(exc)
            assert "\n" not in message and message, f"{type(exc).__name__} message is not one line: {message[:300]!r}"
        best = min(best, time.thread_time() - started)
        if best <= budget:
            return
    raise AssertionError(f"{best:.3f}s for {size} bytes, over the budget of {budget:.3f}s")
