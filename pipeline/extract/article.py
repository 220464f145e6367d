"""One page in, one `Article` out: body, metadata, agency and dateline, or `NotAnArticle`.

The steps run in the order their inputs become available: decode and parse once, read
what the page declares about itself, choose the body, strip what is not the story, cut
the agency credit and dateline into metadata, then refuse pages that are not articles.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import extract_metadata

from pipeline.config import Settings
from pipeline.dates import parse_timestamp
from pipeline.errors import NotAnArticle
from pipeline.extract.agency import normalise_agency, split_attribution
from pipeline.http.charsets import decode_text
from pipeline.extract.body import (
    anchor_texts,
    detect_language,
    join_paragraphs,
    link_share,
    split_paragraphs,
    strip_boilerplate,
)
from pipeline.extract.combine import extract_body
from pipeline.extract.document import parse_html
from pipeline.extract.gate import check_article, split_paywall_prompts
from pipeline.extract.metadata import PageMetadata, read_metadata
from pipeline.http.urls import canonicalize_url, is_http_url, registrable_domain
from pipeline.models import Article

logger = logging.getLogger(__name__)

# Bump whenever the text or metadata produced for the same page may change: stored
# articles with an older version are candidates for reprocessing.
EXTRACTOR_VERSION = "wirewatch-extract/5"  # 5: one WHATWG decoder for every path (transport charset on WARC and raw pages)
# How many leading paragraphs may hold a copy of the headline.
HEADLINE_WINDOW = 4
#: a claimed canonical URL longer than this is cut (it is only kept to be shown)
MAX_CLAIM_CHARS = 2048
PRE_HEADLINE_MAX_CHARS = 400
EXTRACTOR = f"{EXTRACTOR_VERSION} (trafilatura {trafilatura.__version__})"


def extract_article(html: str | bytes, url: str | None = None, *, content_type: str | None = None,
                    settings: Settings | None = None) -> Article:
    """The article in an HTML page; raises `NotAnArticle` (with `reason`) for other pages.

    Bytes are decoded by `decode_text` with `content_type` (the Content-Type the page
    came with: its charset is the transport's), as the fetcher decodes live pages.

    `settings.max_body_bytes` (default `Settings()`'s) bounds the page parsed, the same
    bound fetching enforces, so that pages read from disk, archives or standard input
    cannot make extraction the pipeline's bottleneck; a larger page is refused as
    `too_large`. Nothing else is configurable: the same page always gives the same
    article, which is what lets `EXTRACTOR_VERSION` say when stored articles are stale.
    """
    limit = (settings or Settings()).max_body_bytes
    size = len(html) if isinstance(html, bytes) else len(html.encode("utf-8", errors="replace"))
    if size > limit:
        raise NotAnArticle(
            f"{url or 'the page'} is not an article (too_large): {size} bytes is over WIREWATCH_MAX_BODY_BYTES={limit}; "
            "skip it or raise the limit",
            url=url,
            reason="too_large",
        )
    text = decode_text(html, content_type)[0] if isinstance(html, bytes) else html
    tree = parse_html(text)
    if tree is None:
        raise NotAnArticle(f"{url or 'the page'} is not an article (empty): no HTML in it; skip it", url=url, reason="empty")
    meta = read_metadata(tree)
    if None in (meta.title, meta.author, meta.published_at, meta.sitename):
        meta = meta.filled_from(_trafilatura_metadata(tree, url))
    body = extract_body(tree, text, url, meta.article_body)
    paragraphs = strip_boilerplate(_drop_headline(split_paragraphs(body.text), meta.title))
    paragraphs, prompts = split_paywall_prompts(paragraphs)
    attribution = split_attribution(paragraphs)
    paragraphs = list(attribution.paragraphs)
    share = link_share(paragraphs, anchor_texts(tree))
    body_text = join_paragraphs(paragraphs)
    check_article(body_text, tree, meta, url, share, paywall_prompts=len(prompts))
    logger.debug("extracted %s: %s characters by %s", url, len(body_text), body.method)
    canonical, claimed = _canonical_and_claim(meta.canonical_url, url)
    return Article(
        url=url,
        canonical_url=canonical,
        claimed_canonical_url=claimed,
        title=meta.title,
        author=meta.author,
        published_at=parse_timestamp(meta.published_at, source=f"{url or 'the page'}: publication date"),
        language=detect_language(body_text, meta.html_lang),
        text=body_text,
        extractor=f"{EXTRACTOR_VERSION} ({body.method}; trafilatura {trafilatura.__version__})",
        source_agency=attribution.agency or (normalise_agency(meta.author) if meta.author else None),
        dateline=attribution.dateline,
        sitename=meta.sitename,
        paywalled=meta.free is False or bool(prompts),
    )


def clean_plain_text(text: str, url: str | None = None) -> Article:
    """A plain-text document (a `.txt` wire report) as an `Article`, credits and dateline cut.

    Plain text has no markup to judge, so nothing is refused: an empty body stays empty.
    """
    attribution = split_attribution(split_paragraphs(text))
    body_text = join_paragraphs(list(attribution.paragraphs))
    return Article(
        url=url,
        canonical_url=_canonical_and_claim(None, url)[0],
        title=None,
        author=None,
        published_at=None,
        language=detect_language(body_text, None),
        text=body_text,
        extractor=f"{EXTRACTOR_VERSION} (plain text)",
        source_agency=attribution.agency,
        dateline=attribution.dateline,
    )


def _drop_headline(paragraphs: list[str], title: str | None) -> list[str]:
    """The paragraphs without the headline (metadata, not body) and what precedes it.

    Extractors sometimes start a little above the story's header: a kicker, a teaser of a
    related story, then the headline. Whatever stands before a copy of the headline in the
    first few paragraphs belongs to the page, not to the story.
    """
    if not title:
        return paragraphs
    headline = _squash(title)
    for index, paragraph in enumerate(paragraphs[:HEADLINE_WINDOW]):
        squashed = _squash(paragraph)
        # Past the first paragraph only a near-whole headline counts, not a phrase of it.
        if len(squashed) >= 10 and squashed in headline and (index == 0 or len(squashed) >= 0.5 * len(headline)):
            before = paragraphs[:index]
            if all(len(p) < PRE_HEADLINE_MAX_CHARS for p in before):
                return paragraphs[index + 1 :]
            return before + paragraphs[index + 1 :]
    return paragraphs


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _trafilatura_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """trafilatura's heuristic metadata (htmldate for the date), lowest precedence."""
    document = extract_metadata(tree, url, None, False)
    return PageMetadata(
        title=document.title or None,
        author=document.author or None,
        published_at=document.date or None,
        sitename=document.sitename or None,
    )


def _canonical_and_claim(declared: str | None, url: str | None) -> tuple[str | None, str | None]:
    """`(article key, claim)`: the publisher's canonical URL where it can be trusted, else the fetched URL.

    Publishers leave campaign parameters even in `<link rel=canonical>`; canonicalising
    both gives one spelling per article, the one `url_hash` keys. A page may only name
    a canonical URL on its own registrable domain: a page on one site claiming another
    site's article URL would otherwise make the real article a "duplicate". And a
    canonical that is the site's home page, on a page that is not, would collapse every
    article of the site into one. Either is kept as the claim, not the key.
    """
    fetched = canonicalize_url(url) if url else None
    if not declared:
        return fetched, None
    try:
        absolute = urljoin(url, declared.strip()) if url else declared.strip()
    except ValueError:
        return fetched, None
    if not is_http_url(absolute):
        return fetched, None
    claimed = canonicalize_url(absolute)[:MAX_CLAIM_CHARS]
    if fetched is None:
        return claimed, None  # nothing to check it against (a file read from disk)
    if registrable_domain(claimed) != registrable_domain(fetched):
        return fetched, claimed
    if _is_home_page(claimed) and not _is_home_page(fetched):
        return fetched, claimed
    return claimed, None


def _is_home_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query
