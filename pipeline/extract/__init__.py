"""Article extraction: an HTML page (or a plain-text wire report) to an `Article`.

    extract_article(html, url)   body, metadata, agency and dateline, or NotAnArticle
    clean_plain_text(text)       the same cleanup for `.txt` documents (no markup)
    read_document(path)          a file or `-` as bytes, gunzipped by magic
    EXTRACTOR_VERSION            bumped whenever output for the same page may change

Bytes are decoded by `pipeline.http.charsets.decode_text`, the decoder of every path.
"""

from pipeline.extract.article import EXTRACTOR, EXTRACTOR_VERSION, clean_plain_text, extract_article
from pipeline.extract.document import read_document

__all__ = [
    "EXTRACTOR",
    "EXTRACTOR_VERSION",
    "clean_plain_text",
    "extract_article",
    "read_document",
]
