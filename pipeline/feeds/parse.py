"""Feed documents to `ParsedFeed`: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

Every format ends up as the same `FeedEntry` records: links absolute (resolved
against xml:base or the feed URL) and http(s) only, titles and summaries as plain
text, dates as aware UTC datetimes. A document that is not a feed at all (an HTML
page, an empty or binary body, broken XML with no entries) raises `MalformedFeed`
naming the URL, so the caller can record it and move on; a broken feed that still
yields entries is parsed with a warning, as readers expect of real-world feeds.

Hostile XML: feedparser 6 already strips entity declarations it deems unsafe and
disables external entities, but we refuse any document whose prolog (everything
before the root element, however long its comments) declares entities before it
reaches a parser: no feed needs them, and "billion laughs" or XXE documents do.

Charsets: an XML feed is decoded by `pipeline.http.charsets.decode_text`, the decoder of every
path (BOM, HTTP charset, XML declaration, detection; WHATWG labels, so a label no browser
decodes with, `charset=rot13` or `encoding="undefined"`, is ignored), and handed to
feedparser as UTF-8. A body over `MAX_FEED_BYTES` is refused by size before any parse.
"""

from __future__ import annotations

import html
import json
import logging
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree
from lxml import html as lxml_html

from pipeline.dates import read_timestamp
from pipeline.errors import InputError, MalformedFeed, one_line
from pipeline.http.charsets import decode_text
from pipeline.http.compression import InflatedTooLarge, inflate
from pipeline.http.urls import is_http_url, resolve_url
from pipeline.models import FeedEntry, LinklessEntry, ParsedFeed

__all__ = ["parse_feed", "plain_text"]

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 50 * 1024 * 1024  # decompressed; a news feed is rarely over 5 MB
#: more XML declarations than this in one document are refused: only the first is legal (a
#: few more can stand quoted in CDATA), and feedparser's recovery from hundreds of unclosed
#: ones is super-linear (17 KB of them took 5 s)
MAX_XML_DECLARATIONS = 8
MAX_CLAIM_CHARS = 2048  # of a link-less entry's link or id, kept only to describe it
JSON_FEED_TYPES = ("application/feed+json", "application/json")
SY_PERIODS = frozenset({"hourly", "daily", "weekly", "monthly", "yearly"})
BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "pre")

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
#: a DOCTYPE that opens an internal subset; a document has at most one DOCTYPE, and
#: feedparser's own DOCTYPE rewriting is quadratic in repeated ones (found by tests/fuzz)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]{0,256}\[", re.I)
_XML_DECLARATION = re.compile(rb"<\?xml", re.I)
_PROLOG_MARKUP = re.compile(rb"<(?:!--|\?|[A-Za-z_:\x80-\xff])")  # a comment, a PI, or the root element
_XML_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*["'])([^"']{0,100})(["'])""")
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_TAG = re.compile(r"<[^>]*>")
# C0 controls but tab and line breaks, and DEL: no text needs them, and PostgreSQL refuses NUL
# in text, which would fail the whole batch the entry is queued with
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


def parse_feed(content: bytes, url: str, *, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a fetched feed document; `url` is where it came from (the base for links).

    `headers` are the HTTP response headers, used for the charset and to recognise
    JSON Feed. Raises `MalformedFeed` when the document is not a feed.
    """
    headers = {key.lower(): value for key, value in (headers or {}).items()}
    if len(content) > MAX_FEED_BYTES:
        raise MalformedFeed(f"{url}: {len(content)} bytes, over the {MAX_FEED_BYTES}-byte feed cap; refused", url=url)
    content = _decompressed(content, url)
    if not content.strip():
        raise MalformedFeed(f"{url}: empty document, not a feed; check the feed URL", url=url)
    if _is_json(content, headers.get("content-type", "")):
        return _parse_json_feed(content, url)
    if _ENTITY_DECLARATION.search(_prolog(content)):
        raise MalformedFeed(
            f"{url}: document declares XML entities in its DOCTYPE (possible entity-expansion attack); refused",
            url=url,
        )
    if len(_DOCTYPE_SUBSET.findall(content)) > 1:
        raise MalformedFeed(f"{url}: more than one DOCTYPE with an internal subset; not a feed, refused", url=url)
    if len(_XML_DECLARATION.findall(content)) > MAX_XML_DECLARATIONS:
        raise MalformedFeed(f"{url}: more than {MAX_XML_DECLARATIONS} XML declarations; not a feed, refused", url=url)
    return _parse_xml_feed(content, url, headers)


def plain_text(markup: str | None, *, keep_lines: bool = False) -> str | None:
    """Text of an HTML fragment (tags dropped, entities decoded, spaces collapsed), None if empty.

    With `keep_lines`, block elements become line breaks (for summaries); otherwise
    everything is one line (for titles).
    """
    if markup is None:
        return None
    text = markup = _CONTROL.sub(" ", markup)
    if "<" in markup or "&" in markup:
        text = _fragment_text(markup)
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.split("\n"))
    joined = ("\n" if keep_lines else " ").join(line for line in lines if line)
    return joined or None


def _fragment_text(markup: str) -> str:
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return html.unescape(_TAG.sub(" ", markup))
    for element in root.iter("script", "style"):
        element.drop_tree()
    for element in root.iter(*BLOCK_TAGS):  # a line break, or a space once lines are joined
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _decompressed(content: bytes, url: str) -> bytes:
    """Feeds saved or served as .gz without Content-Encoding: recognised by the magic bytes."""
    if not content.startswith(b"\x1f\x8b"):
        return content
    try:
        return inflate(content, MAX_FEED_BYTES)
    except zlib.error as exc:
        raise MalformedFeed(f"{url}: corrupt gzip data ({exc})", url=url) from None
    except InflatedTooLarge:
        raise MalformedFeed(f"{url}: gzip body decompresses past {MAX_FEED_BYTES} bytes; refused", url=url) from None


def _prolog(content: bytes) -> bytes:
    """The whole part before the root element, comments and PIs cut out, as ASCII-compatible bytes.

    One pass (each `find` starts where the last one ended), however long the comments
    before the DOCTYPE: a guard that read only the first 64 KiB let a long comment
    push the entity declarations past it.
    """
    head = content
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") or head[:2] == b"<\x00" else "utf-16-be"
        head = head.decode(encoding, "ignore").encode("utf-8")
    kept, position = [], 0
    while (markup := _PROLOG_MARKUP.search(head, position)) is not None:
        kept.append(head[position:markup.start()])
        opener = head[markup.start() + 1:markup.start() + 2]
        if opener not in (b"!", b"?"):
            return b"".join(kept)  # the root element
        closer = b"-->" if opener == b"!" else b"?>"
        end = head.find(closer, markup.end())
        if end < 0:
            return b"".join(kept)  # an unclosed comment or PI: the parser will refuse it
        position = end + len(closer)
    kept.append(head[position:])
    return b"".join(kept)


def _as_utf8(content: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The document decoded by `decode_text` and given to feedparser as UTF-8, labelled so.

    feedparser would otherwise sniff the charset by its own rules; the XML declaration's
    encoding and the Content-Type's charset are rewritten to say UTF-8.
    """
    content_type = headers.get("content-type")
    text, _codec = decode_text(content, content_type)
    content = text.encode("utf-8", "replace")
    declared = _XML_ENCODING.match(content[:512])
    if declared:
        content = declared.group(1) + b"utf-8" + declared.group(3) + content[declared.end():]
    if content_type is not None:
        params = content_type.split(";")
        kept = [params[0]] + [p for p in params[1:] if p.partition("=")[0].strip().lower() != "charset"]
        headers = {**headers, "content-type": ";".join([*kept, " charset=utf-8"])}
    return content, headers


def _is_json(content: bytes, content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in JSON_FEED_TYPES:
        return True
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_xml_feed(content: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
    content, headers = _as_utf8(content, headers)
    response_headers = {"content-location": url}
    if "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    try:
        result = feedparser.parse(content, response_headers=response_headers, resolve_relative_uris=True,
                                  sanitize_html=True)
    except (UnicodeError, LookupError) as exc:  # a codec feedparser picked failed outright
        raise MalformedFeed(f"{url}: not a feed: cannot be decoded ({one_line(exc)})", url=url) from None
    except (OverflowError, ValueError, RecursionError) as exc:  # feedparser's loose parser on a character
        # reference past U+10FFFF (&#9999999999;: OverflowError, &#x110000;: ValueError from chr()) or deep nesting
        raise MalformedFeed(f"{url}: not a feed: {type(exc).__name__} ({one_line(exc)})", url=url) from None
    feed = result.get("feed", {})
    version = result.get("version") or None
    problem = result.get("bozo_exception")
    # feedparser also flags a missing or overridden Content-Type: notes, not damage.
    broken = bool(result.bozo) and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)
    if not result.entries and (not version or (broken and not feed.get("title"))):
        why = f"not well-formed ({one_line(problem)})" if broken else "no RSS, RDF or Atom root element"
        raise MalformedFeed(f"{url}: not a feed: {why}; check the feed URL", url=url)
    if broken:
        logger.warning("feed %s is not well-formed (%s); parsed %d entries anyway", url,
                       one_line(problem), len(result.entries))
    entries, linkless = [], []
    for item in result.entries:
        entry = _xml_entry(item, url)
        if isinstance(entry, FeedEntry):
            entries.append(entry)
        else:
            linkless.append(entry)
    _log_skipped(url, len(linkless))
    links = feed.get("links", [])
    period = (feed.get("sy_updateperiod") or "").strip().lower()
    return ParsedFeed(
        url=url,
        title=plain_text(feed.get("title")),
        site_url=_http_or_none(resolve_url(url, feed.get("link") or "")),
        entries=tuple(entries),
        version=version,
        ttl_seconds=_positive_int(feed.get("ttl"), 60),
        hub_url=_link_with_rel(links, "hub", url),
        self_url=_link_with_rel(links, "self", url),
        update_period=period if period in SY_PERIODS else None,
        update_frequency=_positive_int(feed.get("sy_updatefrequency"), 1),
        linkless=tuple(linkless),
    )


def _xml_entry(item: Mapping[str, Any], feed_url: str) -> FeedEntry | LinklessEntry:
    link = item.get("link") or _link_with_rel(item.get("links", []), "alternate", feed_url)
    entry_id = (item.get("id") or "").strip() or None
    if not link and entry_id and item.get("guidislink", True):
        link = entry_id
    link = resolve_url(feed_url, link or "")
    if not is_http_url(link):
        return _linkless(feed_url, link, item.get("title"), entry_id)
    summary = item.get("summary")
    if not summary and item.get("content"):
        summary = item["content"][0].get("value")
    return FeedEntry(
        feed_url=feed_url,
        link=link,
        title=plain_text(item.get("title")),
        published_at=_entry_date(item),
        summary=plain_text(summary, keep_lines=True),
        entry_id=_clean_id(entry_id),
    )


def _entry_date(item: Mapping[str, Any]) -> datetime | None:
    """published, else updated (where dc:date lands), else created; feedparser gives UTC."""
    # dict.get: FeedParserDict.get maps missing keys to others, with a DeprecationWarning
    for key in ("published", "updated", "created"):
        parsed = dict.get(item, f"{key}_parsed")
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    for key in ("published", "updated", "created"):
        if dict.get(item, key):
            return _parse_date_text(dict.get(item, key))
    return None


def _parse_date_text(value: str) -> datetime | None:
    """Dates feedparser could not read (other languages, odd formats), via dateparser."""
    import dateparser  # slow import; rarely needed

    parsed = dateparser.parse(value, settings={"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC"})
    return parsed.astimezone(UTC) if parsed else None


def _parse_json_feed(content: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, an int past 4300 digits, deep nesting
        raise MalformedFeed(f"{url}: not a feed: invalid JSON ({one_line(exc)})", url=url) from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise MalformedFeed(f"{url}: not a feed: JSON without a jsonfeed.org version", url=url)
    items = document.get("items")
    if not isinstance(items, list):
        raise MalformedFeed(f"{url}: not a feed: JSON Feed without an items list", url=url)
    parsed = [_json_entry(item, url) for item in items]
    entries = [entry for entry in parsed if isinstance(entry, FeedEntry)]
    _log_skipped(url, len(parsed) - len(entries))
    hubs = document.get("hubs") if isinstance(document.get("hubs"), list) else []
    hub = next((h.get("url") for h in hubs if isinstance(h, dict) and isinstance(h.get("url"), str)), None)
    return ParsedFeed(
        url=url,
        title=plain_text(_string(document.get("title"))),
        site_url=_http_or_none(resolve_url(url, _string(document.get("home_page_url")) or "")),
        entries=tuple(entries),
        version="json" + version.rstrip("/").rsplit("/", 1)[-1].replace(".", ""),
        hub_url=_http_or_none(resolve_url(url, hub or "")),
        self_url=_http_or_none(resolve_url(url, _string(document.get("feed_url")) or "")),
        linkless=tuple(entry for entry in parsed if isinstance(entry, LinklessEntry)),
    )


def _json_entry(item: object, feed_url: str) -> FeedEntry | LinklessEntry:
    if not isinstance(item, dict):
        return LinklessEntry(feed_url=feed_url)
    link = resolve_url(feed_url, _string(item.get("url")) or _string(item.get("external_url")) or "")
    if not is_http_url(link):
        entry_id = item.get("id")
        return _linkless(feed_url, link, _string(item.get("title")),
                         str(entry_id).strip() if isinstance(entry_id, (str, int)) else None)
    summary = _tidy_lines(_string(item.get("summary")) or _string(item.get("content_text")))
    if summary is None:
        summary = plain_text(_string(item.get("content_html")), keep_lines=True)
    published = None
    for key in ("date_published", "date_modified"):
        published = _iso_datetime(_string(item.get(key)))
        if published:
            break
    entry_id = item.get("id")
    return FeedEntry(
        feed_url=feed_url,
        link=link,
        title=plain_text(_string(item.get("title"))),
        published_at=published,
        summary=summary,
        entry_id=_clean_id(str(entry_id)) if isinstance(entry_id, (str, int)) else None,
    )


def _linkless(feed_url: str, link: str, title: str | None, entry_id: str | None) -> LinklessEntry:
    return LinklessEntry(feed_url=feed_url, link=link[:MAX_CLAIM_CHARS] or None, title=plain_text(title),
                         entry_id=(entry_id or "")[:MAX_CLAIM_CHARS] or None)


def _iso_datetime(value: str | None) -> datetime | None:
    """RFC 3339 as JSON Feed requires (`read_timestamp`: naive is UTC), else whatever dateparser reads."""
    try:
        parsed = read_timestamp(value)
    except InputError:
        return _parse_date_text(value or "")
    return parsed.astimezone(UTC) if parsed else None


def _tidy_lines(text: str | None) -> str | None:
    if text is None:
        return None
    text = _CONTROL.sub(" ", text)
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) or None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _clean_id(value: str | None) -> str | None:
    """An entry id as stored: control characters out, at most `MAX_CLAIM_CHARS`, None when empty."""
    if not value:
        return None
    return _CONTROL.sub("", value).strip()[:MAX_CLAIM_CHARS] or None


def _link_with_rel(links: list[Mapping[str, Any]], rel: str, base: str) -> str | None:
    for link in links:
        if link.get("rel") == rel and link.get("href"):
            return _http_or_none(resolve_url(base, link["href"]))
    return None


def _http_or_none(url: str) -> str | None:
    return url if is_http_url(url) else None


def _positive_int(value: object, scale: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number * scale if number > 0 else None


def _log_skipped(url: str, skipped: int) -> None:
    if skipped:
        logger.warning("feed %s: skipped %d entries without an http(s) link", url, skipped)
