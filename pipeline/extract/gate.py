"""Pages that are not articles: recognised, named, and refused with their reason.

A section front, a consent wall or a paywall teaser extracted as if it were a story fills
the warehouse with menu items and subscription prompts, which the NLP stage then reads as
entities and events. Better to say what the page is and skip it.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipeline.errors import NotAnArticle
from pipeline.extract.metadata import LISTING_TYPES, VIDEO_TYPES, PageMetadata

MIN_BODY_CHARS = 200
# Below this length a body that talks about cookies/subscriptions is the wall, not a story.
WALL_MAX_CHARS = 1200
VIDEO_MAX_CHARS = 600
_COOKIE_WORDS = re.compile(
    r"\b(?:cookies?|consent|privacy (?:settings|policy|preferences)|accept all|reject all|"
    r"manage (?:options|preferences|settings)|legitimate interest|our partners|tracking technologies)\b",
    re.I,
)
_PAYWALL_WORDS = re.compile(
    r"\b(?:subscribe|subscription|subscribers?|already a (?:member|subscriber)|sign in to (?:read|continue)|"
    r"log ?in to (?:read|continue)|to continue reading|premium (?:content|article)|unlock (?:this|the full)|"
    r"register (?:now )?to (?:read|continue)|free trial|read the full (?:article|story))\b",
    re.I,
)
_VIDEO_XPATH = (
    "//video | //iframe[contains(@src, 'youtube') or contains(@src, 'vimeo') or contains(@src, 'dailymotion')"
    " or contains(@src, 'player') or contains(@src, 'video')] | //*[contains(@class, 'video-player')]"
)


def check_article(
    text: str, tree: HtmlElement | None, meta: PageMetadata, url: str | None, link_share: float
) -> None:
    """Raise `NotAnArticle` with its reason when the page holds no article body.

    `link_share` is the share of the body's characters that are link texts on the page:
    a section front's "body" is a list of headlines, each one a link.
    """
    where = url or "the page"
    length = len(text)
    if length == 0:
        _refuse(where, "empty", "no body text could be extracted", url)
    if length < WALL_MAX_CHARS and _wordy(text, _COOKIE_WORDS, 3):
        _refuse(where, "cookie_wall", "only a cookie or consent notice is served", url)
    if length < WALL_MAX_CHARS and (meta.free is False or _wordy(text, _PAYWALL_WORDS, 2)):
        _refuse(where, "paywall", "only a subscription teaser is served", url)
    if length < VIDEO_MAX_CHARS and _video_page(tree, meta):
        _refuse(where, "video_only", "the story is a video with no article text", url)
    if _listing_page(meta, link_share, length):
        _refuse(where, "index_page", "it is a section or index page listing other stories", url)
    if length < MIN_BODY_CHARS:
        _refuse(where, "too_short", f"the body has {length} characters, under {MIN_BODY_CHARS}", url)


def _refuse(where: str, reason: str, why: str, url: str | None) -> None:
    raise NotAnArticle(f"{where} is not an article ({reason}): {why}; skip it", url=url, reason=reason)


def _wordy(text: str, pattern: re.Pattern[str], minimum: int) -> bool:
    return len(pattern.findall(text)) >= minimum


def _video_page(tree: HtmlElement | None, meta: PageMetadata) -> bool:
    if (meta.og_type or "").startswith("video") or (meta.schema_types & VIDEO_TYPES and not meta.declares_article):
        return True
    return tree is not None and bool(tree.xpath(_VIDEO_XPATH))


def _listing_page(meta: PageMetadata, link_share: float, length: int) -> bool:
    if meta.declares_article:
        return False
    if meta.schema_types & LISTING_TYPES and link_share > 0.3:
        return True
    return link_share > 0.5 and length < 20_000
