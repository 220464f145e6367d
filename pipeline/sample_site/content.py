"""The sample site's stories, read from one JSON file per story in `articles/`.

The stories are data rather than HTML so that the pages, feeds and tests all derive
from one source: a test can ask which stories a feed should list, and the page's
headline, date and attribution can never disagree with its feed entry.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
SECTIONS = {"world": "World", "conflict": "Conflict and security"}
KINDS = ("article", "video")
_REQUIRED = ("slug", "kind", "title", "section", "published", "author", "feeds", "paragraphs", "attribution")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"\u201c])")


@dataclass(frozen=True, slots=True)
class Attribution:
    """Where a story's text comes from and under which licence it may be reused."""

    source: str
    source_title: str | None
    source_url: str | None
    authors: str
    license: str
    license_url: str
    changes: str


@dataclass(frozen=True, slots=True)
class SampleStory:
    """One page of the sample site: a news article, or a video page with no article body."""

    slug: str
    kind: str
    title: str
    section: str
    published: datetime
    author: str
    feeds: tuple[str, ...]
    paragraphs: tuple[str, ...]
    attribution: Attribution
    encoding: str = "utf-8"

    @property
    def path(self) -> str:
        """The page's path on the site: section, date and slug, as news sites lay them out."""
        return f"/{self.section}/{self.published:%Y/%m/%d}/{self.slug}.html"

    @property
    def is_article(self) -> bool:
        return self.kind == "article"

    @property
    def text(self) -> str:
        """The body as the extract contract wants it: paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)

    @property
    def summary(self) -> str:
        """The first sentence of the body, used as feed description and meta description."""
        first = self.paragraphs[0]
        return _SENTENCE_END.split(first, maxsplit=1)[0]


@cache
def load_stories(directory: Path = ARTICLES_DIR) -> tuple[SampleStory, ...]:
    """Every story in `directory`, newest first; a malformed file raises `ValueError` naming it.

    Cached: the files are package data and do not change while the process runs.
    """
    stories = [_read_story(path) for path in sorted(directory.glob("*.json"))]
    slugs = [story.slug for story in stories]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise ValueError(f"{directory}: duplicate slugs {', '.join(duplicates)}; give each story its own slug")
    stories.sort(key=lambda story: story.published, reverse=True)
    logger.debug("loaded %s sample stories from %s", len(stories), directory)
    return tuple(stories)


def _read_story(path: Path) -> SampleStory:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read story ({exc}); fix the JSON") from exc
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; add them to the story file")
    if data["kind"] not in KINDS:
        raise ValueError(f"{path}: kind {data['kind']!r} is not one of {', '.join(KINDS)}")
    if data["section"] not in SECTIONS:
        raise ValueError(f"{path}: section {data['section']!r} is not one of {', '.join(SECTIONS)}")
    published = datetime.fromisoformat(data["published"])
    if published.tzinfo is None:
        raise ValueError(f"{path}: published {data['published']!r} has no UTC offset; add one")
    if not data["paragraphs"]:
        raise ValueError(f"{path}: no paragraphs; a story needs a body")
    return SampleStory(
        slug=data["slug"],
        kind=data["kind"],
        title=data["title"],
        section=data["section"],
        published=published,
        author=data["author"],
        feeds=tuple(data["feeds"]),
        paragraphs=tuple(data["paragraphs"]),
        attribution=Attribution(**data["attribution"]),
        encoding=data.get("encoding", "utf-8"),
    )
