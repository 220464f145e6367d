"""Pages that are not articles: recognised, named, and refused with their reason.

A section front, a consent wall or a paywall stub extracted as if it were a story fills
the warehouse with menu items and subscription prompts, which the NLP stage then reads as
entities and events. Better to say what the page is and skip it.

A paywalled page is not always a stub: many serve the first paragraphs of the story (the
lede, which carries its who, what and where) before the prompt. The prompt lines are cut
and the teaser is kept when it is a body in its own right (at least `MIN_BODY_CHARS`); a
page whose only prose is the prompt and a sentence or two is refused as a paywall.
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
# Lines that ask the reader to pay or sign in: cut from the body wherever they stand.
_PROMPT = re.compile(
    r"\b(?:already an? (?:member|subscriber)|(?:sign|log) ?in to (?:read|continue|keep reading)|"
    r"to (?:continue|keep) reading|subscribe (?:now|today) (?:to|for)|for subscribers only|(?:subscriber|member)s?[- ]only|"
    r"unlock (?:this|the full) (?:article|story)|register (?:now |for free )?to (?:read|continue)|"
    r"read the full (?:article|story)|subscription required|start your free trial)\b",
    re.I,
)
PROMPT_MAX_CHARS = 200
_VIDEO_XPATH = (
    "//video | //iframe[contains(@src, 'youtube') or contains(@src, 'vimeo') or contains(@src, 'dailymotion')"
    " or contains(@src, 'player') or contains(@src, 'video')] | //*[contains(@class, 'video-player')]"
)


def split_paywall_prompts(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """(story paragraphs, subscription or sign-in prompts) of a body, in order.

    Only short lines count as prompts: a long paragraph that mentions subscribers is
    more likely a story about a subscription business than a prompt.
    """
    story: list[str] = []
    prompts: list[str] = []
    for paragraph in paragraphs:
        is_prompt = len(paragraph) <= PROMPT_MAX_CHARS and _PROMPT.search(paragraph)
        (prompts if is_prompt else story).append(paragraph)
    return story, prompts


def check_article(
    text: str,
    tree: HtmlElement | None,
    meta: PageMetadata,
    url: str | None,
    link_share: float,
    *,
    paywall_prompts: int = 0,
) -> None:
    """Raise `NotAnArticle` with its reason when the page holds no article body.

    `link_share` is the share of the body's characters that are link texts on the page:
    a section front's "body" is a list of headlines, each one a link. `paywall_prompts`
    counts the subscription prompts already cut from `text`: with them, or with JSON-LD's
    `isAccessibleForFree: false`, a body too short to be a story is a paywall stub.
    """
    where = url or "the page"
    length = len(text)
    paywalled = meta.free is False or paywall_prompts > 0
    if paywalled and length < MIN_BODY_CHARS:
        _refuse(where, "paywall", f"only a subscription prompt and {length} characters of story are served", url)
    if length == 0:
        _refuse(where, "empty", "no body text could be extracted", url)
    if length < WALL_MAX_CHARS and _wordy(text, _COOKIE_WORDS, 3):
        _refuse(where, "cookie_wall", "only a cookie or consent notice is served", url)
    if length < WALL_MAX_CHARS and _wordy(text, _PAYWALL_WORDS, 2):
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
