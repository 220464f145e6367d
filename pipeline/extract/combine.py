"""The article body, chosen among extractors by agreement.

No single extractor or setting wins on every page: trafilatura's balanced mode is the best
alone, its precision mode wins some pages and loses others badly, readability-lxml finds
bodies that trafilatura cuts short. The cascade runs the cheap candidate first and the
others only when the cheap ones disagree, then keeps the candidate the others support most
(token-shingle overlap), without any site-specific rule.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Body:
    """The chosen body text and what trafilatura read about the page on the way."""

    text: str
    method: str
    document: Document | None


def extract_body(tree: HtmlElement, url: str | None) -> Body:
    """The article body of a parsed page, with trafilatura's metadata as a by-product."""
    document = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, with_metadata=True, output_format="python"
    )
    if document is None:
        return Body("", "trafilatura", None)
    return Body(document.text or "", "trafilatura", document)


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of `size`-token shingles (the ScrapingHub benchmark's unit of agreement)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
