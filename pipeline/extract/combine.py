"""The article body, chosen among extractors by agreement.

No single extractor or setting wins on every page: trafilatura's fast mode and its
precision mode each lose some pages badly, readability-lxml finds bodies that trafilatura
cuts short and adds boilerplate elsewhere. Three different readings of the page vote: the
one that shares most token shingles with the other two is kept (an outlier loses, whoever
it is). One failure survives a vote: every trafilatura setting stopping at the same
in-article break (an ad slot, a "read more" block), so the winner is a prefix of
readability's much longer body. Only then is jusText, a fourth algorithm, asked whether the
longer body is the story, and also picks between two readings when the third shares
almost nothing with either (it cannot be let vote). No rule names a site.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass

import trafilatura
from lxml import html as lxml_html
from lxml.html import HtmlElement
from trafilatura.readability_lxml import Document as ReadabilityDocument

from pipeline.extract.gate import MIN_BODY_CHARS

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_TEXT_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"})
# A winner this much contained in readability's body, which is this much longer, is truncated.
TRUNCATED_CONTAINMENT = 0.8
TRUNCATED_LENGTH_RATIO = 1.6
# Run readability-lxml only when the page's left-out prose is this share of the chosen body.
SKIPPED_PROSE_SHARE = 0.5
PROSE_MIN_CHARS = 120
PROSE_PROBE_CHARS = 60
# A candidate sharing less than this with every other is an outlier; two candidates this
# close need no referee.
OUTLIER_AGREEMENT = 0.3
CLOSE_AGREEMENT = 0.98


@dataclass(frozen=True, slots=True)
class Body:
    """The chosen body text (one paragraph a line) and the candidate that gave it."""

    text: str
    method: str


def extract_body(tree: HtmlElement, html: str, url: str | None, declared: str | None = None) -> Body:
    """The article body of a parsed page (`html` is its decoded source, for readability-lxml).

    `declared` is the page's own JSON-LD `articleBody`: used only when every extractor
    comes back with a stub, as on pages that render the story from script data.
    """
    candidates: dict[str, str] = {
        "trafilatura-fast": _trafilatura(tree, url, fast=True),
        "trafilatura-precision": _trafilatura(tree, url, favor_precision=True),
        "readability-tree": _readability_tree(tree),
    }
    method = _referee_outlier(candidates, html) or choose_by_agreement(candidates)
    if len(candidates[method]) < MIN_BODY_CHARS:
        # Two candidates agreeing on a stub lose to one that found a body: the page
        # would otherwise be refused as too short although an extractor read an article.
        method = max(candidates, key=lambda name: len(candidates[name]))
    chosen = candidates[method]
    if len(chosen) < MIN_BODY_CHARS and declared:
        declared_text = _declared_text(declared)
        if len(declared_text) > max(len(chosen), MIN_BODY_CHARS):
            logger.debug("no extractor found a body in %s; JSON-LD articleBody used", url)
            return Body(declared_text, "json-ld")
    # The expensive check runs only where the page has prose the winner left out.
    if chosen and skipped_prose(tree, chosen) >= SKIPPED_PROSE_SHARE * len(chosen):
        longer = _readability(html)
        if _looks_truncated(chosen, longer):
            referee = _justext(html)
            if similarity(referee, longer) > similarity(referee, chosen):
                logger.debug("body of %s looked truncated; readability's longer body kept", url)
                return Body(longer, "readability")
    return Body(chosen, method)


def _referee_outlier(candidates: dict[str, str], html: str) -> str | None:
    """With one candidate agreeing with nobody, jusText picks between the other two.

    A candidate that shares almost nothing with the others (a precision mode that kept
    only a caption) must not vote: its few shared shingles would decide between two
    serious readings. jusText, a fourth algorithm, decides instead; None when no such
    outlier exists or the referee cannot tell.
    """
    shingled = {name: shingles(text) for name, text in candidates.items()}
    outliers = [
        name for name, own in shingled.items()
        if own and max(_dice(own, other) for other_name, other in shingled.items() if other_name != name) < OUTLIER_AGREEMENT
    ]
    rest = [name for name in candidates if name not in outliers]
    if len(outliers) != 1 or len(rest) != 2 or _dice(shingled[rest[0]], shingled[rest[1]]) >= CLOSE_AGREEMENT:
        return None
    referee = shingles(_justext(html))
    scores = {name: _dice(shingled[name], referee) for name in rest}
    if max(scores.values()) == 0 or scores[rest[0]] == scores[rest[1]]:
        return None
    return max(rest, key=lambda name: scores[name])


def skipped_prose(tree: HtmlElement, chosen: str) -> int:
    """Characters of long, link-poor <p> paragraphs on the page that `chosen` does not hold."""
    squashed = _SPACES.sub(" ", chosen)
    missing = 0
    for paragraph in tree.iter("p"):
        text = _SPACES.sub(" ", paragraph.text_content()).strip()
        if len(text) < PROSE_MIN_CHARS:
            continue
        linked = sum(len(a.text_content()) for a in paragraph.iter("a"))
        if linked > 0.3 * len(text):
            continue
        if text[:PROSE_PROBE_CHARS] not in squashed:
            missing += len(text)
    return missing


def choose_by_agreement(candidates: dict[str, str]) -> str:
    """The name of the candidate whose text agrees most with all the others."""
    shingled = {name: shingles(text) for name, text in candidates.items()}
    best, best_score = next(iter(candidates)), -1.0
    for name, own in shingled.items():
        score = sum(_dice(own, other) for other_name, other in shingled.items() if other_name != name)
        if score > best_score:
            best, best_score = name, score
    return best


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of `size`-token shingles (the ScrapingHub benchmark's unit of agreement)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' shingle multisets, 0 to 1."""
    return _dice(shingles(a), shingles(b))


def _dice(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return 2 * sum((a & b).values()) / (sum(a.values()) + sum(b.values()))


def _looks_truncated(chosen: str, longer: str) -> bool:
    if not chosen or len(longer) < TRUNCATED_LENGTH_RATIO * len(chosen):
        return False
    own, other = shingles(chosen), shingles(longer)
    return sum((own & other).values()) >= TRUNCATED_CONTAINMENT * sum(own.values())


def _trafilatura(tree: HtmlElement, url: str | None, **options: bool) -> str:
    return trafilatura.extract(tree, url=url, include_comments=False, **options) or ""


def _readability_tree(tree: HtmlElement) -> str:
    """trafilatura's port of readability on the already parsed tree (no second parse)."""
    try:
        return _block_text(ReadabilityDocument(deepcopy(tree)).summary())
    except Exception as exc:  # the port raises on degenerate trees
        logger.debug("readability (tree) failed: %s", exc)
        return ""


def _readability(html: str) -> str:
    """readability-lxml's article, as one block of text a line."""
    from readability import Document  # noqa: PLC0415 - heavy import, only where used

    try:
        summary = Document(html).summary(html_partial=True)
    except Exception as exc:  # readability raises bare Unparseable/ValueError/TypeError on odd markup
        logger.debug("readability failed: %s", exc)
        return ""
    return _block_text(summary)


def _justext(html: str) -> str:
    """jusText's non-boilerplate paragraphs: an independent referee, English stop words."""
    import justext  # noqa: PLC0415 - heavy import, only where used

    try:
        paragraphs = justext.justext(html.encode("utf-8", errors="replace"), _stoplist())
    except Exception as exc:  # jusText raises lxml errors on fragments
        logger.debug("justext failed: %s", exc)
        return ""
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


@functools.cache
def _stoplist() -> frozenset[str]:
    import justext  # noqa: PLC0415

    return frozenset(justext.get_stoplist("English"))


def _declared_text(declared: str) -> str:
    """JSON-LD `articleBody` as one block a line (some publishers put HTML in it)."""
    if "<" in declared and ">" in declared:
        return _block_text(declared) or _SPACES.sub(" ", lxml_html.fromstring(declared).text_content()).strip()
    return declared.strip()


def _block_text(fragment: str) -> str:
    if not fragment.strip():
        return ""
    try:
        root = lxml_html.fromstring(fragment)
    except Exception:  # lxml's ParserError on empty documents
        return ""
    lines = []
    for element in root.iter(*_TEXT_BLOCKS):
        # Nested blocks (a <p> in an <li>) would repeat text: take innermost blocks only.
        if any(child.tag in _TEXT_BLOCKS for child in element.iterdescendants()):
            continue
        text = _SPACES.sub(" ", element.text_content()).strip()
        if text:
            lines.append(text)
    return "\n".join(lines)

