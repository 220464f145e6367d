"""Every document the sample site serves, rendered once for the base URL it is served at.

Links, canonical URLs and feed entries are absolute, so they can only be written once
the server knows its port; rendering everything up front then gives each document
fixed bytes, hence a stable ETag, and a fixed Last-Modified taken from the stories'
dates, so a second poll of an unchanged site gets 304s.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import quote

from pipeline.sample_site.content import SECTIONS, SampleStory, load_stories

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SITE_NAME = "The Loopback Courier"
TAG_AUTHORITY = "loopback-courier.example"
TRACKING_QUERY = "utm_source=jsonfeed&utm_medium=feed"
BROKEN_FEED_BODY = (
    "<br />\n<b>Warning</b>:  mysqli_connect(): (HY000/1040): Too many connections in "
    "<b>/var/www/courier/feeds/regional.php</b> on line <b>12</b><br />\n"
    "Feed generator error: could not load stories, try again later & sorry\n"
)

_ATOM_NS = "http://www.w3.org/2005/Atom"
_DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", _ATOM_NS)
ET.register_namespace("dc", _DC_NS)


@dataclass(frozen=True, slots=True)
class FeedDefinition:
    """One feed of the site: where it is, its format and which stories it lists."""

    key: str
    path: str
    format: str
    title: str
    description: str


FEEDS: tuple[FeedDefinition, ...] = (
    FeedDefinition("world", "/feeds/world.rss", "rss", f"{SITE_NAME}: World", "World news from the Courier."),
    FeedDefinition(
        "conflict", "/feeds/conflict.atom", "atom", f"{SITE_NAME}: Conflict and security",
        "Wars, attacks, ceasefires and the people caught up in them.",
    ),
    FeedDefinition("latest", "/feeds/latest.json", "jsonfeed", f"{SITE_NAME}: Latest", "The newest stories."),
    FeedDefinition(
        "broken", "/feeds/broken.xml", "broken", f"{SITE_NAME}: Regional",
        "A feed whose generator fails: the body is a PHP error, not XML.",
    ),
)
OPML_PATH = "/feeds.opml"
FEED_LIST_PATH = "/feeds.txt"

_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
    "broken": "application/rss+xml; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Document:
    """A response body with the headers that describe it."""

    body: bytes
    content_type: str
    last_modified: datetime
    status: int = 200
    etag: str = field(init=False)
    gzipped: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # mtime=0 keeps the compressed bytes identical from run to run.
        object.__setattr__(self, "etag", '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"')
        object.__setattr__(self, "gzipped", gzip.compress(self.body, mtime=0))


def story_url(base_url: str, story: SampleStory) -> str:
    """The absolute URL of a story's page; feeds, canonical links and tests all use this."""
    return base_url.rstrip("/") + story.path


def feed_stories(key: str, stories: tuple[SampleStory, ...] | None = None) -> tuple[SampleStory, ...]:
    """The stories the feed `key` lists, newest first."""
    stories = load_stories() if stories is None else stories
    return tuple(story for story in stories if key in story.feeds)


def render_site(base_url: str) -> dict[str, Document]:
    """Every document of the site by path, with links absolute under `base_url`."""
    base = base_url.rstrip("/")
    stories = load_stories()
    newest = max(story.published for story in stories)
    docs: dict[str, Document] = {}
    for story in stories:
        docs[story.path] = _story_page(base, story, stories)
    docs["/"] = _index_page(base, "Latest news", stories, "home")
    for section, label in SECTIONS.items():
        docs[f"/{section}/"] = _index_page(base, label, tuple(s for s in stories if s.section == section), section)
    docs["/video/"] = _index_page(base, "Video", tuple(s for s in stories if s.kind == "video"), "video")
    for feed in FEEDS:
        docs[feed.path] = _feed_document(base, feed, stories, newest)
    docs[OPML_PATH] = Document(render_opml(base), "text/x-opml; charset=utf-8", newest)
    docs[FEED_LIST_PATH] = Document(render_feed_list(base), "text/plain; charset=utf-8", newest)
    docs["/robots.txt"] = Document(_robots(base), "text/plain; charset=utf-8", newest)
    docs["/sitemap.xml"] = Document(_sitemap(base, stories), "application/xml; charset=utf-8", newest)
    logger.debug("rendered %s sample-site documents for %s", len(docs), base)
    return docs


def render_not_found(base_url: str, path: str) -> Document:
    """The 404 page for `path`."""
    main = _template("notfound.html").substitute(base=html.escape(base_url), path=html.escape(path))
    body = _page(base_url, "Page not found", "Page not found.", main, "error", "", "").encode("utf-8")
    return Document(body, "text/html; charset=utf-8", max(s.published for s in load_stories()), status=404)


def render_opml(base_url: str) -> bytes:
    """The OPML 2.0 list of the site's feeds, the broken one included."""
    base = base_url.rstrip("/")
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{SITE_NAME} feeds"
    ET.SubElement(head, "ownerName").text = "Wirewatch sample site"
    body = ET.SubElement(opml, "body")
    group = ET.SubElement(body, "outline", text=SITE_NAME, title=SITE_NAME)
    for feed in FEEDS:
        ET.SubElement(
            group, "outline", type="rss", text=feed.title, title=feed.title,
            xmlUrl=base + feed.path, htmlUrl=base + "/",
        )
    return _xml_bytes(opml)


def render_feed_list(base_url: str) -> bytes:
    """The feeds as a plain list, one URL a line, with a comment line as such files have."""
    base = base_url.rstrip("/")
    lines = [f"# {SITE_NAME} feeds"] + [base + feed.path for feed in FEEDS]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _feed_document(base: str, feed: FeedDefinition, stories: tuple[SampleStory, ...], newest: datetime) -> Document:
    listed = feed_stories(feed.key, stories)
    modified = max((story.published for story in listed), default=newest)
    if feed.format == "rss":
        body = _rss(base, feed, listed)
    elif feed.format == "atom":
        body = _atom(base, feed, listed)
    elif feed.format == "jsonfeed":
        body = _json_feed(base, feed, listed)
    else:
        body = BROKEN_FEED_BODY.encode("utf-8")
    return Document(body, _CONTENT_TYPES[feed.format], modified)


def _rss(base: str, feed: FeedDefinition, stories: tuple[SampleStory, ...]) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = feed.title
    ET.SubElement(channel, "link").text = base + "/"
    ET.SubElement(channel, "description").text = feed.description
    ET.SubElement(channel, "language").text = "en-gb"
    ET.SubElement(channel, f"{{{_ATOM_NS}}}link", href=base + feed.path, rel="self", type="application/rss+xml")
    if stories:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(stories[0].published)
    ET.SubElement(channel, "ttl").text = "15"
    for story in stories:
        url = story_url(base, story)
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = story.title
        ET.SubElement(item, "link").text = url
        ET.SubElement(item, "guid", isPermaLink="true").text = url
        ET.SubElement(item, "pubDate").text = format_datetime(story.published)
        ET.SubElement(item, f"{{{_DC_NS}}}creator").text = story.author
        ET.SubElement(item, "category").text = SECTIONS[story.section]
        ET.SubElement(item, "description").text = story.summary
    return _xml_bytes(rss)


def _atom(base: str, feed: FeedDefinition, stories: tuple[SampleStory, ...]) -> bytes:
    root = ET.Element("feed", xmlns=_ATOM_NS)
    ET.SubElement(root, "id").text = f"tag:{TAG_AUTHORITY},2005:{feed.path}"
    ET.SubElement(root, "title").text = feed.title
    ET.SubElement(root, "subtitle").text = feed.description
    if stories:
        ET.SubElement(root, "updated").text = stories[0].published.isoformat()
    ET.SubElement(root, "link", rel="self", type="application/atom+xml", href=base + feed.path)
    ET.SubElement(root, "link", rel="alternate", type="text/html", href=base + "/conflict/")
    author = ET.SubElement(root, "author")
    ET.SubElement(author, "name").text = SITE_NAME
    for story in stories:
        entry = ET.SubElement(root, "entry")
        # tag: ids do not depend on the port, so an entry keeps its id between runs.
        entry_id = f"tag:{TAG_AUTHORITY},{story.published:%Y-%m-%d}:{story.slug}"
        ET.SubElement(entry, "id").text = entry_id
        ET.SubElement(entry, "title").text = story.title
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=story_url(base, story))
        ET.SubElement(entry, "published").text = story.published.isoformat()
        ET.SubElement(entry, "updated").text = story.published.isoformat()
        entry_author = ET.SubElement(entry, "author")
        ET.SubElement(entry_author, "name").text = story.author
        ET.SubElement(entry, "category", term=story.section, label=SECTIONS[story.section])
        ET.SubElement(entry, "summary", type="text").text = story.summary
    return _xml_bytes(root)


def _json_feed(base: str, feed: FeedDefinition, stories: tuple[SampleStory, ...]) -> bytes:
    items = [
        {
            "id": f"tag:{TAG_AUTHORITY},{story.published:%Y-%m-%d}:{story.slug}",
            # Tracking parameters, as newsletter-style feeds add them: URL
            # canonicalisation must strip them to see the story is already known.
            "url": f"{story_url(base, story)}?{TRACKING_QUERY}",
            "title": story.title,
            "summary": story.summary,
            "date_published": story.published.isoformat(),
            "authors": [{"name": story.author}],
            "tags": [SECTIONS[story.section]],
        }
        for story in stories
    ]
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": feed.description,
        "home_page_url": base + "/",
        "feed_url": base + feed.path,
        "language": "en-GB",
        "items": items,
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _story_page(base: str, story: SampleStory, stories: tuple[SampleStory, ...]) -> Document:
    url = story_url(base, story)
    related = "\n".join(_story_link(base, s) for s in _related(story, stories))
    if story.is_article:
        main = _template("article.html").substitute(
            base=html.escape(base),
            section=story.section,
            section_label=html.escape(SECTIONS[story.section]),
            title=html.escape(story.title),
            title_quoted=quote(story.title),
            author=html.escape(story.author),
            published_iso=story.published.isoformat(),
            published_human=_human_date(story.published),
            url=html.escape(url),
            url_quoted=quote(url, safe=""),
            paragraphs="\n".join(f"    <p>{html.escape(p, quote=False)}</p>" for p in story.paragraphs),
            attribution_html=_attribution_html(story),
            related=related,
        )
    else:
        main = _template("video.html").substitute(
            base=html.escape(base),
            slug=story.slug,
            title=html.escape(story.title),
            published_iso=story.published.isoformat(),
            published_human=_human_date(story.published),
            caption=html.escape(story.paragraphs[0]),
            related=related,
        )
    head = _story_head(url, story)
    popular = [s for s in stories if s is not story and s.is_article][:5]
    most_read = "\n".join(_story_link(base, s, indent=6) for s in popular)
    page = _page(base, story.title, story.summary, main, "article" if story.is_article else "video",
                 head, most_read, section=story.section, charset=story.encoding)
    # A page in a legacy charset: characters it lacks become character references.
    body = page.encode(story.encoding, errors="xmlcharrefreplace")
    return Document(body, f"text/html; charset={story.encoding}", story.published)


def _story_head(url: str, story: SampleStory) -> str:
    if story.is_article:
        linked: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "description": story.summary,
            "datePublished": story.published.isoformat(),
            "dateModified": story.published.isoformat(),
            "author": [{"@type": "Organization", "name": story.author}],
            "publisher": {"@type": "Organization", "name": SITE_NAME},
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "url": url,
            "articleSection": SECTIONS[story.section],
            "inLanguage": "en",
            "isAccessibleForFree": True,
            "license": story.attribution.license_url,
        }
        if story.attribution.source_url:
            linked["isBasedOn"] = story.attribution.source_url
    else:
        linked = {
            "@context": "https://schema.org",
            "@type": "VideoObject",
            "name": story.title,
            "description": story.summary,
            "uploadDate": story.published.isoformat(),
            "url": url,
        }
    ld = json.dumps(linked, indent=1, ensure_ascii=False).replace("</", "<\\/")
    meta = [
        f'<link rel="canonical" href="{html.escape(url)}">',
        f'<meta property="og:type" content="{"article" if story.is_article else "video.other"}">',
        f'<meta property="og:site_name" content="{SITE_NAME}">',
        f'<meta property="og:title" content="{html.escape(story.title)}">',
        f'<meta property="og:description" content="{html.escape(story.summary)}">',
        f'<meta property="og:url" content="{html.escape(url)}">',
        '<meta property="og:locale" content="en_GB">',
        f'<meta property="article:published_time" content="{story.published.isoformat()}">',
        f'<meta property="article:section" content="{html.escape(SECTIONS[story.section])}">',
        f'<meta name="author" content="{html.escape(story.author)}">',
        '<meta name="twitter:card" content="summary">',
        f'<script type="application/ld+json">\n{ld}\n</script>',
    ]
    return "\n".join(meta)


def _index_page(base: str, heading: str, stories: tuple[SampleStory, ...], page_type: str) -> Document:
    items = "\n".join(
        f'    <li><a href="{html.escape(story_url(base, s))}">{html.escape(s.title)}</a>'
        f' <time datetime="{s.published.isoformat()}">{_human_date(s.published)}</time>'
        f"<p>{html.escape(s.summary)}</p></li>"
        for s in stories
    )
    main = _template("home.html").substitute(stories=items).replace("Latest news", html.escape(heading), 1)
    canonical = f'<link rel="canonical" href="{html.escape(base)}/{"" if page_type == "home" else page_type + "/"}">'
    most_read = "\n".join(_story_link(base, s, indent=6) for s in load_stories()[:5])
    page = _page(base, heading, f"{heading} from {SITE_NAME}.", main, page_type, canonical, most_read)
    newest = max((s.published for s in stories), default=max(s.published for s in load_stories()))
    return Document(page.encode("utf-8"), "text/html; charset=utf-8", newest)


def _page(base: str, title: str, description: str, main: str, page_type: str, head_extra: str,
          most_read: str, *, section: str = "", charset: str = "utf-8") -> str:
    return _template("base.html").substitute(
        base=html.escape(base),
        charset=charset,
        page_title=html.escape(title),
        description=html.escape(description),
        head_extra=head_extra,
        page_type=page_type,
        section=section,
        ticker=html.escape(load_stories()[0].title),
        main=main,
        most_read=most_read,
    )


def _attribution_html(story: SampleStory) -> str:
    a = story.attribution
    licence = f'<a rel="license" href="{html.escape(a.license_url)}">{html.escape(a.license)}</a>'
    if a.source_url:
        source = f'<a href="{html.escape(a.source_url)}">{html.escape(a.source_title or a.source)}</a>'
        return (f"Adapted from {source}, {html.escape(a.source)}, by {html.escape(a.authors)}; "
                f"licence: {licence}. {html.escape(a.changes)}")
    return f"Original material by {html.escape(a.authors)}; licence: {licence}. {html.escape(a.changes)}"


def _related(story: SampleStory, stories: tuple[SampleStory, ...]) -> list[SampleStory]:
    """Three other stories of the same section, the nearest in date first."""
    others = [s for s in stories if s is not story and s.section == story.section and s.is_article]
    others.sort(key=lambda s: abs((s.published - story.published).total_seconds()))
    return others[:3]


def _story_link(base: str, story: SampleStory, indent: int = 4) -> str:
    return f'{" " * indent}<li><a href="{html.escape(story_url(base, story))}">{html.escape(story.title)}</a></li>'


def _human_date(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def _robots(base: str) -> bytes:
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /search",
        "Disallow: /newsletters/subscribe",
        "",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sitemap(base: str, stories: tuple[SampleStory, ...]) -> bytes:
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    urlset = ET.Element("urlset", xmlns=ns)
    for story in stories:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = story_url(base, story)
        ET.SubElement(url, "lastmod").text = story.published.date().isoformat()
    return _xml_bytes(urlset)


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
