"""Which hub pushes a feed, and under which topic URL: WebSub discovery (section 4).

A publisher names its hub (`rel="hub"`) and the feed's canonical topic (`rel="self"`)
in HTTP `Link` headers, in the feed (`<atom:link rel="hub">`) or in an HTML `<link>`.
The recommendation has subscribers prefer the headers, then the document; the topic is
the `self` URL, else the URL the feed was fetched from, since that is what the hub
will be told about when the publisher pings it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.http.urls import resolve_url
from pipeline.models import ParsedFeed

_LINK_VALUE = re.compile(r'\s*<([^>]*)>\s*((?:;\s*[^;,"]*(?:"[^"]*"[^;,"]*)*)*)')
_LINK_PARAM = re.compile(r';\s*([^=;\s]+)\s*(?:=\s*("[^"]*"|[^;]*))?')


@dataclass(frozen=True, slots=True)
class HubLinks:
    """A feed's hub and topic, and where they were found (`headers` or `document`)."""

    hub_url: str
    topic_url: str
    found_in: str


def parse_link_header(value: str, base_url: str | None = None) -> list[tuple[str, set[str]]]:
    """`Link` header values as (absolute URL, set of rel names), in order (RFC 8288)."""
    links: list[tuple[str, set[str]]] = []
    position, text = 0, value or ""
    while (match := _LINK_VALUE.match(text, position)) is not None:
        position = match.end() + 1  # past the comma between links
        target = match.group(1).strip()
        rels: set[str] = set()
        for name, raw in _LINK_PARAM.findall(match.group(2)):
            if name.lower() == "rel" and raw:
                rels.update(part.lower() for part in raw.strip('"').split())
        links.append((resolve_url(base_url, target) if base_url else target, rels))  # never raises
    return links


def links_from_headers(headers: Mapping[str, str] | None, base_url: str) -> tuple[list[str], str | None]:
    """Hub URLs and the self URL named in HTTP `Link` headers (header names in any case)."""
    hubs: list[str] = []
    self_url: str | None = None
    for name, value in (headers or {}).items():
        if name.lower() != "link":
            continue
        for url, rels in parse_link_header(value, base_url):
            if "hub" in rels and url not in hubs:
                hubs.append(url)
            if "self" in rels and self_url is None:
                self_url = url
    return hubs, self_url


def discover_hub(feed_url: str, headers: Mapping[str, str] | None = None,
                 feed: ParsedFeed | None = None) -> HubLinks | None:
    """The hub and topic of a feed fetched from `feed_url`, or None when it has no hub.

    Headers win over the document; a document's `self` is used only with the
    document's hub, so a topic and its hub always come from the same place.
    """
    hubs, self_url = links_from_headers(headers, feed_url)
    if hubs:
        return HubLinks(hub_url=hubs[0], topic_url=self_url or feed_url, found_in="headers")
    if feed is not None and feed.hub_url:
        hub = resolve_url(feed_url, feed.hub_url)
        topic = resolve_url(feed_url, feed.self_url) if feed.self_url else feed_url
        return HubLinks(hub_url=hub, topic_url=topic, found_in="document")
    return None
