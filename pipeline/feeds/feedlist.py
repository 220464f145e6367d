"""Feeds files: OPML as feed readers export it, or a plain list of one URL a line.

`read_feed_list` decides by content, not by file name: a document starting with
`<` is OPML, anything else a URL list. OPML is parsed with lxml with entity
resolution, DTD loading and network access off, since exported OPML files travel
between people and tools. Duplicates (by canonical URL) are dropped, keeping the
first. Both forms raise `InputError` naming the file (and line) when they are not
what they claim to be, rather than silently monitoring nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from pipeline.errors import InputError, one_line
from pipeline.http.urls import canonicalize_url, is_http_url
from pipeline.models import FeedSpec

__all__ = ["parse_feed_list", "read_feed_list"]

logger = logging.getLogger(__name__)

MAX_LIST_BYTES = 20 * 1024 * 1024
HINT = "expected OPML or one feed URL a line"


def read_feed_list(path: str | Path) -> list[FeedSpec]:
    """The feeds listed in the OPML or URL-list file at `path`, in file order, deduplicated."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read feeds file: {exc.strerror or exc}") from None
    if len(content) > MAX_LIST_BYTES:
        raise InputError(f"{path}: feeds file is over {MAX_LIST_BYTES} bytes; {HINT}")
    return parse_feed_list(content, str(path))


def parse_feed_list(content: bytes, source: str) -> list[FeedSpec]:
    """Feeds from the bytes of an OPML or URL-list document; `source` names it in errors."""
    body = content.removeprefix(b"\xef\xbb\xbf")
    if not body.strip():
        raise InputError(f"{source}: feeds file is empty; {HINT}")
    if body.lstrip()[:1] == b"<":
        specs = _from_opml(body, source)
    else:
        specs = _from_lines(body, source)
    if not specs:
        raise InputError(f"{source}: no feed URLs found; {HINT}")
    return _deduplicated(specs, source)


def _from_opml(body: bytes, source: str) -> list[FeedSpec]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{source}: not well-formed XML ({one_line(exc)}); {HINT}") from None
    if etree.QName(root).localname.lower() != "opml":
        raise InputError(f"{source}: XML root is <{etree.QName(root).localname}>, not <opml>; {HINT}")
    specs: list[FeedSpec] = []
    for outline in root.iter("{*}outline"):
        attributes = {str(key).lower(): (value or "").strip() for key, value in outline.attrib.items()}
        url = attributes.get("xmlurl")
        if not url:
            continue  # a folder, or a link outline
        if not _is_feed_url(url):
            logger.warning("%s: skipping outline %r: xmlUrl %r is not an http(s) or file URL",
                           source, attributes.get("text"), url)
            continue
        specs.append(FeedSpec(
            url=url,
            title=attributes.get("title") or attributes.get("text") or None,
            site_url=attributes.get("htmlurl") or None,
        ))
    return specs


def _from_lines(body: bytes, source: str) -> list[FeedSpec]:
    if b"\x00" in body:
        raise InputError(f"{source}: binary data, not a feeds file; {HINT}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start}); {HINT}") from None
    specs: list[FeedSpec] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url, _, rest = line.partition(" ")
        if not _is_feed_url(url):
            raise InputError(f"{source}:{number}: {url[:80]!r} is not an http(s) URL; {HINT}")
        rest = rest.strip()
        title = None if not rest or rest.startswith("#") else rest
        specs.append(FeedSpec(url=url, title=title))
    return specs


def _is_feed_url(url: str) -> bool:
    """http(s), or file:// (which the fetcher refuses unless WIREWATCH_ALLOW_FILE_URLS is set)."""
    if is_http_url(url):
        return True
    try:
        return urlsplit(url).scheme.lower() == "file" and len(url) > len("file://")
    except ValueError:  # "http://[::1": no URL at all
        return False


def _deduplicated(specs: list[FeedSpec], source: str) -> list[FeedSpec]:
    seen: set[str] = set()
    unique: list[FeedSpec] = []
    for spec in specs:
        key = canonicalize_url(spec.url)
        if key in seen:
            logger.info("%s: feed %s listed more than once; keeping the first", source, spec.url)
            continue
        seen.add(key)
        unique.append(spec)
    return unique
