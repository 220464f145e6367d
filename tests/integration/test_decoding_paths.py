"""The same bytes give the same text however the page arrives: fetched, from a WARC, or re-read raw.

The page is windows-1251 served with `charset=windows-1251` but declaring koi8-r in a
`<meta>`: the transport charset must win on every path (WHATWG), so a path that ignored
the Content-Type would read it as koi8-r and give other text.
"""

from __future__ import annotations

import psycopg
from pytest_httpserver import HTTPServer

from pipeline import store
from pipeline.archives.raw_pages import RawPageStore
from pipeline.archives.warc import WarcReader
from pipeline.config import Settings
from pipeline.extract import extract_article
from pipeline.flows.stages import StepResult, extract_pages
from pipeline.http.fetch import Fetcher

from fixture_modules import fixture_module

warcs = fixture_module("archives/warcs.py")

URL_PATH = "/world/2024/03/02/car-bomb-market"
CONTENT_TYPE = "text/html; charset=windows-1251"
QUOTE = "«Чёрная суббота»"


def _page_bytes() -> bytes:
    html = warcs.page("bombing").decode("utf-8")
    html = html.replace('<meta charset="utf-8">', '<meta charset="koi8-r">')
    html = html.replace("police said.</p>", f"police said. Residents called it {QUOTE}.</p>", 1)
    assert QUOTE in html
    return html.encode("cp1251")


def test_decoding_paths_agree_on_the_same_bytes(httpserver: HTTPServer, tmp_path, db: psycopg.Connection) -> None:
    body = _page_bytes()
    httpserver.expect_request(URL_PATH).respond_with_data(body, content_type=CONTENT_TYPE)
    url = httpserver.url_for(URL_PATH)
    settings = Settings(allow_private=("127.0.0.1", "localhost"), user_agent="WirewatchTest/1")

    with Fetcher(settings) as fetcher:
        live = fetcher.fetch(url)
    warc = tmp_path / "crawl.warc.gz"
    warcs.write_warc(warc, [warcs.Record(url, "2024-03-02T09:00:00Z", body, headers=[("Content-Type", CONTENT_TYPE)])])
    (archived,) = [item.page for item in WarcReader(warc)]
    key = store.store_raw_page(db, body, CONTENT_TYPE, live.encoding)
    raw = RawPageStore(settings).read(db, key)

    assert archived.content == live.content == raw.body == body
    assert (archived.text, archived.encoding) == (live.text, live.encoding) == (body.decode("cp1251"), "cp1251")
    (_, from_live), (_, from_warc) = extract_pages([live, archived], StepResult(), settings=settings)
    from_raw = extract_article(raw.body, url, content_type=raw.content_type, settings=settings)
    assert QUOTE in from_live.text
    assert from_warc.text == from_live.text == from_raw.text
    assert from_warc.title == from_live.title == from_raw.title
