"""Feed parsing: every format to the same FeedEntry records; non-feeds and hostile XML refused."""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from time_budget import budget_s, cpu_timed

from pipeline.errors import MalformedFeed
from pipeline.feeds.parse import parse_feed, plain_text

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
BASE = "https://news.example/feeds/"
EVAL = Path(os.environ.get("WIREWATCH_EVAL_DIR") or Path(__file__).resolve().parents[2].parent / "shared" / "eval")


def _parse(name: str, **kwargs) -> object:
    return parse_feed((FEEDS / name).read_bytes(), BASE + name, **kwargs)


@pytest.mark.parametrize(
    ("name", "version", "title", "count", "link", "entry_title", "published"),
    [
        ("rss091.xml", "rss091n", "Harbour Gazette", 2, "http://gazette.example/2024/ferry.html",
         "Ferry service resumes after storm", None),
        ("rss10.rdf", "rss10", "Wire Example", 2, "http://wire.example/a/1", "Talks open in Geneva",
         datetime(2024, 3, 5, 8, 30, tzinfo=UTC)),
        ("rss20.xml", "rss20", "The Daily Example & Co", 3,
         "https://news.example/world/2024/04/01/flooding?utm_source=rss", "Flooding displaces thousands in delta",
         datetime(2024, 4, 1, 6, 15, tzinfo=UTC)),
        ("rss20.xml.gz", "rss20", "The Daily Example & Co", 3,
         "https://news.example/world/2024/04/01/flooding?utm_source=rss", "Flooding displaces thousands in delta",
         datetime(2024, 4, 1, 6, 15, tzinfo=UTC)),
        ("atom.xml", "atom10", "Atom Example", 2, "https://atom.example/blog/posts/ceasefire.html",
         "Ceasefire holds in the north", datetime(2024, 5, 1, 14, 0, tzinfo=UTC)),
        ("jsonfeed.json", "json11", "JSON Example News", 2, "https://news.example/stories/2",
         "Aid convoy reaches city", datetime(2024, 6, 2, 11, 0, tzinfo=UTC)),
        ("rss20_windows1252.xml", "rss20", "Le Journal d\u2019Exemple", 1, "http://journal.example/reforme",
         "\u201cR\u00e9forme\u201d adopt\u00e9e \u2014 co\u00fbt 5 \u20ac", datetime(2024, 4, 2, 8, 0, tzinfo=UTC)),
        ("rss20_utf16.xml", "rss20", "\u0412\u0435\u0441\u0442\u0438", 1, "http://utf16.example/",
         "\u041d\u043e\u0432\u043e\u0441\u0442\u044c", None),
    ],
)
def test_parse_feed_formats(name: str, version: str, title: str, count: int, link: str, entry_title: str,
                            published: datetime | None) -> None:
    feed = _parse(name)
    assert feed.version == version
    assert feed.title == title
    assert feed.url == BASE + name
    assert len(feed.entries) == count
    first = feed.entries[0]
    assert first.link.startswith(link)
    assert first.title == entry_title
    assert first.published_at == published
    assert first.feed_url == BASE + name
    for entry in feed.entries:
        assert entry.link.startswith(("http://", "https://"))
        assert entry.published_at is None or entry.published_at.tzinfo == UTC


def test_parse_feed_rss20_details() -> None:
    feed = _parse("rss20.xml")
    assert feed.site_url == "https://news.example/"
    assert feed.ttl_seconds == 15 * 60
    assert feed.hub_url == "https://pubsubhubbub.example/"
    assert feed.self_url == "https://news.example/feeds/world.xml"
    flood, grain, quake = feed.entries
    assert flood.summary == "Heavy rain forced 12,000 people from their homes.\nOfficials said more rain is expected."
    assert flood.entry_id == "news-example-1001"
    assert grain.title == "Ministers \u201cagree\u201d on grain deal"
    assert grain.summary == "The agreement covers exports."  # content:encoded when there is no description
    assert grain.published_at == datetime(2024, 4, 1, 6, 0, tzinfo=UTC)  # dc:date
    assert quake.link == "https://news.example/world/2024/03/31/quake"  # permalink guid
    assert all("no-link" not in (entry.entry_id or "") for entry in feed.entries)


def test_parse_feed_atom_resolves_xml_base_and_prefers_published() -> None:
    feed = _parse("atom.xml")
    assert feed.site_url == "https://atom.example/"
    assert feed.self_url == "https://atom.example/blog/feed.atom"
    assert feed.hub_url == "https://hub.example/"
    ceasefire, second = feed.entries
    assert ceasefire.summary == "Both sides reported calm."
    assert ceasefire.entry_id == "tag:atom.example,2024:ceasefire"
    assert second.link == "https://other.example/desk/two.html"
    assert second.published_at == datetime(2024, 4, 30, 21, 30, tzinfo=UTC)


def test_parse_feed_reads_syndication_hints() -> None:
    feed = _parse("rss10.rdf")
    assert (feed.update_period, feed.update_frequency, feed.ttl_seconds) == ("hourly", 4, None)


def test_parse_feed_json_feed_details() -> None:
    feed = _parse("jsonfeed.json")
    assert feed.site_url == "https://json.example/"
    assert feed.self_url == "https://json.example/feed.json"
    assert feed.hub_url == "https://hub.example/"
    convoy, protest = feed.entries
    assert convoy.summary == "The convoy carried food and medicine."
    assert protest.entry_id == "1" and protest.summary == "Thousands marched."
    assert protest.published_at == datetime(2024, 6, 1, 10, 0, tzinfo=UTC)


def test_parse_feed_recognises_json_by_content_type() -> None:
    body = b'  \n{"version": "https://jsonfeed.org/version/1", "title": "T", "items": []}'
    feed = parse_feed(body, BASE + "j", headers={"Content-Type": "application/feed+json"})
    assert feed.version == "json1" and feed.entries == ()


def test_parse_feed_uses_http_charset() -> None:
    body = ('<rss version="2.0"><channel><title>\u041d\u043e\u0432\u043e\u0441\u0442\u0438</title>'
            '<item><title>\u041c\u0438\u0440</title><link>http://koi.example/1</link></item></channel></rss>').encode("koi8-r")
    feed = parse_feed(body, BASE + "koi", headers={"Content-Type": "application/rss+xml; charset=KOI8-R"})
    assert feed.title == "\u041d\u043e\u0432\u043e\u0441\u0442\u0438"
    assert feed.entries[0].title == "\u041c\u0438\u0440"


def test_parse_feed_bozo_feed_with_entries_parsed_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.feeds.parse"):
        feed = _parse("bozo_with_entries.xml")
    assert [entry.link for entry in feed.entries] == ["http://sloppy.example/1", "http://sloppy.example/2"]
    assert feed.entries[0].title == "Bread & butter prices rise"
    assert any("not well-formed" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.xml", "empty document"),
        ("binary.bin", "not well-formed"),
        ("notafeed.html", "not a feed"),
        ("not_jsonfeed.json", "jsonfeed.org version"),
        ("billion_laughs.xml", "entities"),
        ("xxe.xml", "entities"),
    ],
)
def test_parse_feed_refuses_non_feeds(name: str, reason: str) -> None:
    with pytest.raises(MalformedFeed) as caught:
        _parse(name)
    message = str(caught.value)
    assert caught.value.url == BASE + name
    assert BASE + name in message and reason in message and "\n" not in message


@pytest.mark.parametrize(
    "body",
    [
        b"   \n\t ",
        b"{not json",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": "nope"}',
        b'<?xml version="1.0"?><catalog><book/></catalog>',
        b"\x1f\x8b\x08\x00garbage",
        b"<html><body><p>Hello</p></body></html>",
    ],
)
def test_parse_feed_refuses_other_non_feeds(body: bytes) -> None:
    with pytest.raises(MalformedFeed):
        parse_feed(body, BASE + "x")


def test_feedparser_does_not_expand_external_entities(tmp_path: Path) -> None:
    """Our DOCTYPE check is belt and braces: feedparser itself must not read local files."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    document = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
                '<rss version="2.0"><channel><title>t &xxe;</title><item><title>&xxe;</title>'
                "<link>http://x.example/</link></item></channel></rss>")
    result = feedparser.parse(document.encode())
    assert "TOP-SECRET-VALUE" not in repr(result)


@pytest.mark.parametrize(
    ("markup", "keep_lines", "expected"),
    [
        (None, False, None),
        ("  Plain   title ", False, "Plain title"),
        ("<b>Bold</b> &amp; <i>italic</i>", False, "Bold & italic"),
        ("Tom &amp; Jerry &lt;3", False, "Tom & Jerry <3"),
        ("<p>One</p><p>Two<br>Three</p>", True, "One\nTwo\nThree"),
        ("<p>One</p><p>Two</p>", False, "One Two"),
        ("<script>alert(1)</script>Text", False, "Text"),
        ("<p> </p>", True, None),
        ("a < b and c > d", False, "a < b and c > d"),
    ],
)
def test_plain_text(markup: str | None, keep_lines: bool, expected: str | None) -> None:
    assert plain_text(markup, keep_lines=keep_lines) == expected


def _eval_documents() -> list[Path]:
    skip = {"LICENSE", "LICENSE-MIT", "SOURCE.md"}
    return sorted(p for folder in EVAL.glob("feeds-*") for p in folder.rglob("*") if p.is_file() and p.name not in skip)


def _simulated_headers(body: bytes) -> dict[str, str]:
    """feedparser's edge-case files carry `Header: Name: value` lines in a leading comment."""
    head = body[:2000].decode("latin-1")
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"Header:\s*([\w-]+):\s*([^\r\n]*)", head)}


@pytest.mark.skipif(not any(EVAL.glob("feeds-*")), reason="shared eval feeds not present")
def test_parse_feed_survives_every_eval_document() -> None:
    documents = _eval_documents()
    assert documents
    parsed = refused = 0
    for path in documents:
        body = path.read_bytes()
        try:
            feed = parse_feed(body, "https://eval.example/" + path.name, headers=_simulated_headers(body))
        except MalformedFeed:
            refused += 1
            continue
        parsed += 1
        for entry in feed.entries:
            assert entry.link.startswith(("http://", "https://")), path
            assert entry.published_at is None or entry.published_at.tzinfo is not None, path
    assert parsed > refused


_TINY_RSS = (b'<rss version="2.0"><channel><title>t\xc3\xa9</title>'
             b'<item><link>http://a.example/1</link><title>x</title></item></channel></rss>')


@pytest.mark.parametrize("padding", [b"<!--" + b"x" * 70_000 + b"-->", b"<?pi " + b"y" * 70_000 + b"?>",
                                     b"<!-- <rss> -->" * 6000])
def test_parse_feed_entity_guard_covers_the_whole_prolog(padding: bytes) -> None:
    """A comment past 64 KiB before the DOCTYPE slipped past the guard (issue 14)."""
    body = (b'<?xml version="1.0"?>' + padding + b'<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            + _TINY_RSS.replace(b"<title>x", b"<title>&b;"))
    with pytest.raises(MalformedFeed, match="declares XML entities"):
        parse_feed(body, "https://x.example/f")


def test_parse_feed_long_comment_without_entities_still_parses() -> None:
    body = b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b'--><!DOCTYPE rss>' + _TINY_RSS
    assert len(parse_feed(body, "https://x.example/f").entries) == 1


@pytest.mark.parametrize("label", ["rot13", "base64", "undefined", "utf-7", "bogus", "x-user-defined"])
def test_parse_feed_ignores_a_charset_no_browser_decodes_with(label: str) -> None:
    header = parse_feed(_TINY_RSS, "https://x.example/f",
                        headers={"Content-Type": f"application/rss+xml; charset={label}"})
    declared = parse_feed(b'<?xml version="1.0" encoding="' + label.encode() + b'"?>' + _TINY_RSS,
                          "https://x.example/f")
    for feed in (header, declared):
        assert feed.title == "té" and [e.link for e in feed.entries] == ["http://a.example/1"]


def test_parse_feed_refuses_a_body_over_the_cap_by_size() -> None:
    from pipeline.feeds.parse import MAX_FEED_BYTES

    with pytest.raises(MalformedFeed, match="feed cap"):
        parse_feed(b" " * (MAX_FEED_BYTES + 1), "https://x.example/f")


def test_parse_feed_skips_an_item_link_with_an_invalid_port() -> None:
    body = _TINY_RSS.replace(b"</channel>", b"<item><link>http://127.0.0.1:99999/a4.html</link></item></channel>")
    assert [e.link for e in parse_feed(body, "https://x.example/f").entries] == ["http://a.example/1"]


def test_parse_feed_refuses_hundreds_of_xml_declarations_quickly() -> None:
    """Found by tests/fuzz: feedparser took 5 s on 17 KB of unclosed XML declarations."""
    body = _TINY_RSS.replace(b"</channel>", b"<?xml version='1.0' encoding='" * 600 + b"</channel>")
    result, seconds = cpu_timed(lambda: parse_feed(body, "https://x.example/f"), len(body))
    assert isinstance(result, MalformedFeed) and seconds < budget_s(len(body))


def test_parse_feed_huge_character_reference_is_a_one_line_refusal_or_parse() -> None:
    """Found by tests/fuzz: &#9999999999; raised OverflowError inside feedparser's loose parser."""
    body = b"http://[::1<script><body>" * 21 + b"&#9999999999;" + b"<outline xmlUrl='</p>" * 364
    try:
        parse_feed(body, "https://x.example/f", headers={"Content-Type": "application/feed+json"})
    except MalformedFeed as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("reference", [b"&#x110000;", b"&#1114112;", b"&#xFFFFFFFF;"])
def test_parse_feed_character_reference_past_unicode_is_a_one_line_refusal_or_parse(reference: bytes) -> None:
    """Found by tests/fuzz: &#x110000; in an element raised ValueError (chr()) inside feedparser's loose parser."""
    body = _TINY_RSS.replace(b"</channel>", b"<description>" + reference + b"</description></channel>")
    try:
        feed = parse_feed(body, "https://x.example/f", headers={"Content-Type": "text/xml; charset=rot13"})
    except MalformedFeed as exc:
        assert "\n" not in str(exc) and "https://x.example/f" in str(exc)
    else:
        assert [e.link for e in feed.entries] == ["http://a.example/1"]


def test_parse_feed_refuses_repeated_doctype_subsets_in_linear_time():
    # found by tests/fuzz: feedparser's DOCTYPE rewriting took 1.4 s of CPU on 30 KB of these
    body = b"junk\n" + b"<!DOCTYPE rss [\n" * 2000 + b"<rss><channel></channel></rss>"
    result, seconds = cpu_timed(lambda: parse_feed(body, "https://feeds.example/feed.xml"), len(body))
    assert isinstance(result, MalformedFeed) and "more than one DOCTYPE" in str(result)
    assert seconds < budget_s(len(body))
