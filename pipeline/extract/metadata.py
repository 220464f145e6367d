"""Article metadata from what publishers declare: JSON-LD first, then OpenGraph and <meta>.

Structured data is written for search engines and is usually right; OpenGraph is written
for social previews and is usually right about titles but often about the site rather than
the story; heuristics over the page (trafilatura, htmldate) come last and fill the gaps.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "backgroundnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
        "socialmediaposting",
    }
)
VIDEO_TYPES = frozenset({"videoobject", "videogallery"})
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "sitenavigationelement"})
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "og:published_time",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl")
_TITLE_META = ("og:title", "twitter:title", "dc.title", "headline", "title")
_SPACES = re.compile(r"\s+")
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says about itself, before any body extraction."""

    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    canonical_url: str | None = None
    sitename: str | None = None
    html_lang: str | None = None
    og_type: str | None = None
    schema_types: frozenset[str] = frozenset()
    free: bool | None = None
    article_body: str | None = None

    @property
    def declares_article(self) -> bool:
        """True when JSON-LD or OpenGraph call the page an article."""
        return bool(self.schema_types & ARTICLE_TYPES) or (self.og_type or "").startswith("article")

    def filled_from(self, other: PageMetadata) -> PageMetadata:
        """This metadata with its empty fields taken from `other` (lower precedence)."""
        changes = {
            name: getattr(other, name)
            for name in ("title", "author", "published_at", "canonical_url", "sitename", "html_lang", "og_type")
            if getattr(self, name) is None and getattr(other, name) is not None
        }
        return replace(self, **changes) if changes else self


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """JSON-LD metadata filled from OpenGraph and <meta> tags.

    The canonical URL is the exception: `<link rel=canonical>` is the publisher's own
    statement of it, so it wins over JSON-LD's `url`, which is sometimes an AMP or image URL.
    """
    tags = _read_meta_tags(tree)
    merged = _read_json_ld(tree).filled_from(tags)
    if tags.canonical_url and tags.canonical_url != merged.canonical_url:
        merged = replace(merged, canonical_url=tags.canonical_url)
    return merged


def _read_json_ld(tree: HtmlElement) -> PageMetadata:
    objects: list[dict[str, Any]] = []
    for script in tree.xpath('//script[contains(translate(@type, "JSON", "json"), "ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            # Publishers leave raw newlines and trailing commas in JSON-LD; try once more.
            try:
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
            except ValueError:
                logger.debug("unparseable JSON-LD block skipped")
                continue
        objects.extend(_flatten(data))
    types: set[str] = set()
    article: dict[str, Any] | None = None
    for obj in objects:
        obj_types = {t.lower() for t in _as_list(obj.get("@type")) if isinstance(t, str)}
        types |= obj_types
        if article is None and obj_types & ARTICLE_TYPES:
            article = obj
    if article is None:
        return PageMetadata(schema_types=frozenset(types))
    free = article.get("isAccessibleForFree")
    if isinstance(free, str):
        free = free.strip().lower() not in ("false", "no", "0")
    main = article.get("mainEntityOfPage")
    url = article.get("url") or (main.get("@id") if isinstance(main, dict) else main)
    body = article.get("articleBody")
    return PageMetadata(
        title=_clean(article.get("headline") or article.get("name")),
        author=_names(article.get("author") or article.get("creator")),
        published_at=_clean(article.get("datePublished") or article.get("dateCreated")),
        canonical_url=url if isinstance(url, str) and url.startswith("http") else None,
        sitename=_names(article.get("publisher")),
        schema_types=frozenset(types),
        free=free if isinstance(free, bool) else None,
        article_body=body if isinstance(body, str) else None,
    )


def _read_meta_tags(tree: HtmlElement) -> PageMetadata:
    meta: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        value = element.get("content")
        if key and value and value.strip() and key not in meta:
            meta[key] = value.strip()
    canonical = None
    for link in tree.xpath('//link[@href][contains(concat(" ", translate(@rel, "CANONICAL", "canonical"), " "), " canonical ")]'):
        href = link.get("href", "").strip()
        if href and not href.startswith(("#", "javascript:", "data:")):
            canonical = href
            break
    if canonical is None and meta.get("og:url", "").startswith("http"):
        canonical = meta["og:url"]
    author = next((meta[k] for k in _AUTHOR_META if k in meta and not meta[k].startswith("http")), None)
    title = next((meta[k] for k in _TITLE_META if k in meta), None)
    if title is None:
        title = _clean(tree.findtext(".//title"))
    root_lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or meta.get("content-language")
    return PageMetadata(
        title=_clean(title),
        author=_clean_author(author),
        published_at=next((meta[k] for k in _PUBLISHED_META if k in meta), None),
        canonical_url=canonical,
        sitename=_clean(meta.get("og:site_name") or meta.get("application-name")),
        html_lang=_language_code(root_lang),
        og_type=meta.get("og:type", "").lower() or None,
    )


def _flatten(data: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object, looking inside lists and @graph."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            found.append(item)
            if "@graph" in item:
                stack.append(item["@graph"])
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _names(value: Any) -> str | None:
    """A person or organisation field (string, object or list of either) as one string."""
    names: list[str] = []
    for item in _as_list(value):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and (name := _clean_author(name)) and name not in names:
            names.append(name)
    return "; ".join(names) or None


def _clean_author(value: str | None) -> str | None:
    value = _clean(value)
    if value is None or value.startswith("http"):
        return None
    return _BYLINE_PREFIX.sub("", value) or None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


def _language_code(value: str | None) -> str | None:
    """The ISO 639-1 part of a language tag such as `en-GB` or `en_US`."""
    if not value:
        return None
    code = re.split(r"[-_,; ]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None
