"""Body text helpers: paragraphs, language, link share, and boilerplate inside the body.

Extractors find the story's container; what they bring along inside it (share bars,
"Read more" links, newsletter prompts, photo credits, a byline) is removed here, line by
line, with rules about the shape of such lines rather than about any one site.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

from lxml.html import HtmlElement

from pipeline.extract.agency import names_agency

logger = logging.getLogger(__name__)

LANGUAGE_SAMPLE_CHARS = 2000
_SPACES = re.compile(r"[ \t\u00a0\u2009\u200a\u202f]+")
_MIN_ANCHOR_CHARS = 12

_BOILERPLATE = [
    # share bars and social prompts
    re.compile(r"^(?:share|tweet|email|print|pin|whatsapp|facebook|twitter|linkedin|reddit|copy link|comments?|\d+)"
               r"(?:\s*(?:[|/•·,]\s*)?(?:share|tweet|email|print|pin|whatsapp|facebook|twitter|linkedin|reddit|copy link|comments?|\d+))*"
               r"\s*:?$", re.I),
    re.compile(r"^(?:share (?:this|on)|follow us on|like us on|click here to|tap here to)\b.{0,80}$", re.I),
    # newsletter and subscription prompts
    re.compile(r"^(?:sign up|subscribe|register)\b.{0,120}(?:newsletter|inbox|email|updates|digest|alerts?)\b.{0,60}$", re.I),
    re.compile(r"^.{0,60}\b(?:newsletter)\b.{0,60}(?:sign up|subscribe)\b.{0,40}$", re.I),
    re.compile(r"^(?:get|receive) (?:our|the) .{0,60}(?:newsletter|in your inbox|delivered)\b.{0,60}$", re.I),
    # related links and reading prompts
    re.compile(r"^(?:read|see|watch|listen)(?: (?:more|also|next|the full story|related))\s*[:>»-]?\s*.{0,150}$", re.I),
    re.compile(r"^(?:related|more|recommended|trending|most read|most popular|also on)(?: (?:stories|articles|coverage|content|news|links|reading|from [\w ]+))?\s*:?$", re.I),
    re.compile(r"^(?:related|more)\s*:\s*.{0,150}$", re.I),
    re.compile(r"^advertisement$|^ad$|^sponsored(?: content)?$|^story continues below(?: advertisement)?$|^continue reading(?: below)?$", re.I),
    # reprint and rights notices
    re.compile(r"^(?:this (?:article|story) (?:was|has been|is) (?:originally |first )?(?:published|republished|reproduced)).{0,160}$", re.I),
    re.compile(r"^(?:reprints?|permissions|all rights reserved)\b.{0,100}$", re.I),
    re.compile(r"^this copy is for your personal,? non-commercial use only\b.{0,300}$", re.I),
    re.compile(r"^(?:order|buy) reprints?$|^print (?:this )?(?:article|story|page)$", re.I),
    # a labelled link ("Listen: https://...") or a contact address standing alone; a bare
    # link is left alone, since articles list their sources and products that way
    re.compile(r"^[\w ]{1,30}:\s*(?:https?://|www\.)\S+$", re.I),
    re.compile(r"^(?:write to|contact|email|e-mail|reach)\b.{0,80}\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\.?$", re.I),
    # widgets talking to the reader
    re.compile(r"^(?:like|enjoy(?:ed)?|love) (?:this|the) (?:story|article|post)\?.{0,80}$", re.I),
    re.compile(r"^also on [\w.-]+\.[a-z]{2,}\b.{0,160}$", re.I),
    re.compile(r"^(?:an error (?:has )?occurred|something went wrong)\b.{0,60}$|^this (?:article|story) has been sent to\b.{0,60}$", re.I),
    re.compile(r"^(?:tags?|topics?|filed under|categories)\s*:?$", re.I),
    # image credits standing alone
    re.compile(r"^(?:photo|image|picture|file photo|photograph)\s*(?:credit)?\s*[:|]\s*.{0,100}$", re.I),
    re.compile(r"^\(?(?:photo|image|picture)(?: by)? [^.]{0,60}/\s*(?:getty|afp|reuters|ap|epa|shutterstock|anadolu)[^.]{0,40}\)?$", re.I),
]
# A byline alone on a line near the top: "By Jane Doe", "By Jane Doe and John Roe, Reuters"
_BYLINE = re.compile(r"^by\s+[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3}(?:\s*(?:,|and|&)\s*[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3}){0,3}(?:\s*[|,-]\s*.{0,60})?$")
_TIMESTAMP = re.compile(r"^(?:published|updated|posted|last updated|first published)\b[\s:]+.{0,60}\d.{0,40}$", re.I)
_BYLINE_ZONE = 3
# "- Print Article": a list item's marker is not part of what the line says.
_LIST_MARK = re.compile(r"^(?:[-–•·*]|\d{1,2}[.)])\s+")
# "© Example 2019", "Copyright 2019 Example", "... All rights reserved." (not "Copyright lawyers said")
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\))?\s*\d{4}|copyright\s*©).{0,160}$|^.{0,160}\ball rights reserved\.?$", re.I
)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of an extractor's text output: one per non-empty line, spaces normalised."""
    paragraphs = []
    for line in text.splitlines():
        line = _SPACES.sub(" ", unicodedata.normalize("NFC", line)).strip()
        if line:
            paragraphs.append(line)
    return paragraphs


def strip_boilerplate(paragraphs: list[str]) -> list[str]:
    """The paragraphs without share bars, prompts, credits, and a byline or timestamp at the top.

    A copyright line goes too, unless it credits a news agency: that one is left for
    `split_attribution` to read as the story's origin.
    """
    kept = []
    for index, para in enumerate(paragraphs):
        line = _LIST_MARK.sub("", para)
        if len(line) <= 200 and any(p.match(line) for p in _BOILERPLATE):
            continue
        if len(line) <= 200 and _COPYRIGHT.match(line) and not names_agency(line):
            continue
        if index < _BYLINE_ZONE and len(para) <= 120 and (_BYLINE.match(para) or _TIMESTAMP.match(para)):
            continue
        kept.append(para)
    return kept


def join_paragraphs(paragraphs: list[str]) -> str:
    """The contract's body shape: paragraphs separated by one blank line."""
    return "\n\n".join(paragraphs)


def detect_language(text: str, fallback: str | None) -> str | None:
    """ISO 639-1 code of the body (py3langid), the page's declared language when text is scarce."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if len(sample) < 40:
        return fallback
    code, _score = _langid().classify(sample)
    return code or fallback


@functools.cache
def _langid():  # type: ignore[no-untyped-def]
    """py3langid, imported once: its model takes ~0.7 s to load on first use."""
    import py3langid

    return py3langid


def anchor_texts(tree: HtmlElement) -> set[str]:
    """Normalised texts of the page's links, long enough to be headlines."""
    texts = set()
    for anchor in tree.iter("a"):
        text = _SPACES.sub(" ", anchor.text_content()).strip()
        if len(text) >= _MIN_ANCHOR_CHARS:
            texts.add(text)
    return texts


def link_share(paragraphs: list[str], anchors: set[str]) -> float:
    """Share of body characters in paragraphs that are, or open with, a link's text."""
    total = sum(len(p) for p in paragraphs)
    if not total or not anchors:
        return 0.0
    by_prefix: dict[str, list[str]] = {}
    for anchor in anchors:
        by_prefix.setdefault(anchor[:_MIN_ANCHOR_CHARS], []).append(anchor)
    linked = 0
    for para in paragraphs:
        if para in anchors:
            linked += len(para)
            continue
        for anchor in by_prefix.get(para[:_MIN_ANCHOR_CHARS], ()):
            if para.startswith(anchor) and len(anchor) >= 0.5 * len(para):
                linked += len(para)
                break
    return linked / total
