"""Reading WARC and WARC.gz files as a stream of HTML pages, in constant memory.

A crawl archive can be tens of gigabytes, most of it images, scripts, robots.txt and
request records, and now and then a record cut short or corrupted on disk. So:

- The file is read in chunks; a `.warc.gz` is decompressed one gzip member at a time
  (one record per member is the convention), so memory holds one record's headers and
  at most one payload under the size cap, whatever the file's size.
- Records are filtered on their headers first (record type, capture date, HTTP status,
  content type, declared language) and their block is skipped unread when they fail;
  only the pages that pass are read, de-chunked and decompressed.
- A record that cannot be read is skipped with a WARNING naming the file, the byte
  offset and the reason, and reading goes on: after a corrupt gzip member the reader
  looks for the next gzip header; in an uncompressed file, for the next `WARC/` line.
  `WarcReader.counts` tallies what was read and why each skipped record was skipped.

Each page comes with the byte offset it started at, a point reading can be resumed
from (`start_offset`), which is how a killed backfill picks up where it stopped. A
reader given `units` reads only the units (gzip members, or records of a plain file)
starting at those offsets; `on_dated` is told where each dated page record's unit
starts, which is how a backfill's first pass maps a file's days (`warc_index`).
The record parsing is ours rather than warcio's iterator because warcio stops at the
first damaged record; warcio writes the files the tests read.
"""

from __future__ import annotations

import base64
import dataclasses
import glob
import hashlib
import io
import itertools
import logging
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from pipeline.dates import parse_timestamp
from pipeline.errors import ArchiveError
from pipeline.http.charsets import decode_text
from pipeline.http.compression import InflatedTooLarge, inflate
from pipeline.models import Page

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency through fetch
    brotli = None

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK_BYTES = 256 * 1024
MAX_LINE_BYTES = 64 * 1024
MAX_HEADER_BYTES = 256 * 1024
SNIFF_BYTES = 4096
HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_RECORD_TYPES = ("response", "resource")

_HTML_LANG = re.compile(rb"""<html\b[^>]{0,400}?\blang\s*=\s*["']?\s*([A-Za-z]{2,3})\b""", re.I)
_META_LANG = re.compile(
    rb"""<meta\b[^>]{0,200}?http-equiv\s*=\s*["']?content-language["']?[^>]{0,200}?content\s*=\s*["']?\s*([A-Za-z]{2,3})\b""",
    re.I,
)
# ISO 639-3 codes Common Crawl writes in WARC-Identified-Content-Language, for the
# languages news is mostly in; others are compared by their first two letters.
_ISO639_3 = {
    "eng": "en", "fra": "fr", "deu": "de", "spa": "es", "por": "pt", "ita": "it", "nld": "nl",
    "rus": "ru", "ara": "ar", "zho": "zh", "jpn": "ja", "kor": "ko", "tur": "tr", "pol": "pl",
    "ukr": "uk", "fas": "fa", "hin": "hi", "urd": "ur", "ind": "id", "swe": "sv", "dan": "da",
    "nor": "no", "fin": "fi", "ces": "cs", "ell": "el", "heb": "he", "hun": "hu", "ron": "ro",
}


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records are worth extracting: decided from headers, before any heavy work.

    `start` is inclusive and `end` exclusive, compared with the record's WARC-Date
    (the capture time). `languages` holds ISO 639-1 codes; a record whose language
    cannot be told from its headers or `<html lang>` passes, and extraction decides.
    """

    start: datetime | None = None
    end: datetime | None = None
    content_types: tuple[str, ...] = HTML_TYPES
    languages: tuple[str, ...] = ()
    max_bytes: int = 10 * 1024 * 1024

    def accepts_date(self, when: datetime | None) -> bool:
        if when is None:
            return self.start is None and self.end is None
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)

    def accepts_language(self, language: str | None) -> bool:
        return not self.languages or language is None or language in self.languages


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """A page read from an archive, and where in the file its record started."""

    page: Page
    source: str
    offset: int
    language: str | None = None
    record_id: str | None = None
    #: where reading resumes to skip this record (its gzip member's start when the
    #: member holds more records, since a member cannot be entered midway)
    end_offset: int | None = None


class _Skip(Exception):
    """This record is not read further; `reason` is the counter key, `detail` the log text."""

    def __init__(self, reason: str, detail: str = "", *, corrupt: bool = False) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail
        self.corrupt = corrupt


class _Corrupt(Exception):
    """The byte stream itself is damaged (bad gzip data, cut short)."""


def expand_warc_paths(pattern: str | Path) -> list[Path]:
    """The files a path or glob names, sorted; an `ArchiveError` when there are none."""
    text = str(pattern)
    paths = sorted(Path(p) for p in glob.glob(text)) if glob.has_magic(text) else [Path(text)]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        raise ArchiveError(f"{text}: no WARC file there; give a .warc or .warc.gz path or a glob", source=text)
    return paths


def read_warc(path: str | Path, record_filter: RecordFilter | None = None, *,
              start_offset: int = 0) -> Iterator[ArchivedPage]:
    """The HTML pages of one WARC file that pass `record_filter` (see `WarcReader`)."""
    return iter(WarcReader(path, record_filter, start_offset=start_offset))


class WarcReader:
    """Iterates the pages of one WARC or WARC.gz file; `counts` says what happened to each record.

    Counter keys: `records` (every record seen), `pages` (given out), and one
    `skipped_<reason>` per reason: `type` (not a response/resource), `date`,
    `status`, `content_type`, `language`, `too_large`, `corrupt` (damaged, logged).

    `units`: read only the units starting at these offsets (ascending), not the whole
    file from `start_offset`. `on_dated(offset, captured)`: called for every response
    or resource record with a capture date, whatever the filter decides.
    """

    def __init__(self, path: str | Path, record_filter: RecordFilter | None = None, *,
                 start_offset: int = 0, units: Sequence[int] | None = None,
                 on_dated: Callable[[int, datetime], None] | None = None) -> None:
        self.path = Path(path)
        self.filter = record_filter or RecordFilter()
        self.start_offset = start_offset
        self.units = units
        self.on_dated = on_dated
        self.counts: Counter[str] = Counter()

    def __iter__(self) -> Iterator[ArchivedPage]:
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise ArchiveError(f"{self.path}: cannot open ({exc.strerror}); check the path", source=str(self.path)) from None
        with raw:
            head = raw.read(len(GZIP_MAGIC))
            starts, single = ((self.start_offset,), False) if self.units is None else (self.units, True)
            if head == GZIP_MAGIC:
                for start in starts:
                    raw.seek(start)
                    yield from self._read_members(raw, single=single)
            else:
                stream = io.BufferedReader(raw, buffer_size=CHUNK_BYTES)  # type: ignore[arg-type]
                for start in starts:
                    stream.seek(start)
                    yield from self._read_plain(stream, single=single)

    # --- framing -------------------------------------------------------------------------

    def _read_plain(self, stream: io.BufferedReader, *, single: bool = False) -> Iterator[ArchivedPage]:
        for _ in range(1) if single else itertools.count():
            offset = stream.tell()
            line = _next_nonblank_line(stream)
            if not line:
                return
            if not line.startswith(b"WARC/"):
                self._corrupt(offset, f"expected a WARC/ version line, found {line[:40]!r}")
                self._resync_plain(stream)
                continue
            try:
                page = self._read_record(stream, offset, line)
            except _Skip as skip:
                self._skipped(offset, skip)
                if skip.corrupt:
                    # A wrong Content-Length may have swallowed good records: look again
                    # from the line after the damaged record's version line.
                    stream.seek(offset)
                    _next_nonblank_line(stream)
                    self._resync_plain(stream)
                continue
            if page is not None:
                yield dataclasses.replace(page, end_offset=stream.tell())

    def _resync_plain(self, stream: io.BufferedReader) -> None:
        """Move to the next line that starts a record."""
        while True:
            peek = stream.peek(8)[:8]
            if not peek or peek.startswith((b"WARC/1.", b"WARC/0.")):
                return
            stream.readline(MAX_LINE_BYTES)

    def _read_members(self, raw: BinaryIO, *, single: bool = False) -> Iterator[ArchivedPage]:
        offset = raw.tell()
        while True:
            raw.seek(offset)
            head = raw.read(len(GZIP_MAGIC))
            if head != GZIP_MAGIC:
                if not head.strip() and not raw.read(1):
                    return  # end of file, perhaps after a stray newline
                self._corrupt(offset, "no gzip header where a member should start")
                found = None if single else _find_magic(raw, offset + 1)
                if found is None:
                    return
                offset = found
                continue
            raw.seek(offset)
            member = _GzipMember(raw, offset)
            stream = io.BufferedReader(member, buffer_size=CHUNK_BYTES)
            # A page is handed out once the next record (or the member's CRC) has been
            # read, so a member found damaged at its end gives nothing of itself.
            held: ArchivedPage | None = None
            try:
                for page in self._read_member_records(stream, offset):
                    if held is not None:
                        yield held
                    held = page
                _drain(stream)
            except _Corrupt as exc:
                self._corrupt(offset, f"damaged gzip member: {exc}")
                if held is not None:
                    self.counts["pages"] -= 1
                found = None if single else _find_magic(raw, offset + 1)
                if found is None:
                    return
                offset = found
                continue
            assert member.end_offset is not None
            if held is not None:
                yield dataclasses.replace(held, end_offset=member.end_offset)
            if single:
                return
            offset = member.end_offset

    def _read_member_records(self, stream: io.BufferedReader, offset: int) -> Iterator[ArchivedPage]:
        """The records in one gzip member (one, usually); a bad record ends the member."""
        while True:
            line = _next_nonblank_line(stream)
            if not line:
                return
            if not line.startswith(b"WARC/"):
                self._corrupt(offset, f"expected a WARC/ version line, found {line[:40]!r}")
                return
            try:
                page = self._read_record(stream, offset, line)
            except _Skip as skip:
                self._skipped(offset, skip)
                if skip.corrupt:
                    return
                continue
            if page is not None:
                yield dataclasses.replace(page, end_offset=offset)

    # --- one record ----------------------------------------------------------------------

    def _read_record(self, stream: io.BufferedReader, offset: int, version: bytes) -> ArchivedPage | None:
        """Read one record after its version line; None when the filter skipped it (counted)."""
        self.counts["records"] += 1
        headers = _read_headers(stream, MAX_HEADER_BYTES)
        try:
            length = int(headers["content-length"])
        except (KeyError, ValueError):
            raise _Skip("corrupt", "record has no valid Content-Length", corrupt=True) from None
        block = _Block(stream, length, headers.get("warc-block-digest"))
        try:
            page = self._page(block, headers, offset)
        except _Skip as skip:
            if not skip.corrupt:
                block.skip_rest()
                _end_of_record(stream)
            raise
        block.skip_rest()
        _end_of_record(stream)
        return page

    def _page(self, block: _Block, warc: dict[str, str], offset: int) -> ArchivedPage:
        record_type = warc.get("warc-type", "").lower()
        if record_type not in PAGE_RECORD_TYPES:
            raise _Skip("type")
        captured = _parse_warc_date(warc.get("warc-date"))
        if captured is not None and self.on_dated is not None:
            self.on_dated(offset, captured)
        if not self.filter.accepts_date(captured):
            raise _Skip("date")
        url = warc.get("warc-target-uri", "").strip().strip("<>")
        if not url:
            raise _Skip("corrupt", "record has no WARC-Target-URI")
        language = _language_code(warc.get("warc-identified-content-language"))
        status, http = 200, {}
        content_type = warc.get("content-type")
        if record_type == "response":
            if not (content_type or "").lower().startswith("application/http"):
                raise _Skip("type")
            status, http = _read_http_head(block)
            if not 200 <= status < 300:
                raise _Skip("status")
            content_type = http.get("content-type")
            language = _language_code(http.get("content-language")) or language
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in self.filter.content_types:
            raise _Skip("content_type")
        if not self.filter.accepts_language(language):
            raise _Skip("language")
        if block.remaining > self.filter.max_bytes:
            raise _Skip("too_large")
        body = _decode_body(block.read_all(), http, self.filter.max_bytes)
        block.check_digest()
        if language is None:
            language = _sniff_language(body[:SNIFF_BYTES])
            if not self.filter.accepts_language(language):
                raise _Skip("language")
        text, encoding = decode_text(body, content_type)  # as the fetcher decodes a live page
        page = Page(
            url=url,
            final_url=url,
            status=status,
            content=body,
            text=text,
            encoding=encoding,
            content_type=content_type,
            fetched_at=captured or datetime.now(timezone.utc),
            headers=http,
        )
        self.counts["pages"] += 1
        return ArchivedPage(page=page, source=str(self.path), offset=offset, language=language,
                            record_id=warc.get("warc-record-id"))

    # --- bookkeeping ---------------------------------------------------------------------

    def _skipped(self, offset: int, skip: _Skip) -> None:
        self.counts[f"skipped_{skip.reason}"] += 1
        if skip.reason == "corrupt":
            log.warning("%s: record at byte %d skipped: %s", self.path, offset, skip.detail or skip.reason)
        else:
            log.debug("%s: record at byte %d skipped (%s)", self.path, offset, skip.reason)

    def _corrupt(self, offset: int, detail: str) -> None:
        self.counts["skipped_corrupt"] += 1
        log.warning("%s: record at byte %d skipped: %s", self.path, offset, detail)


class _Block:
    """A record's block: read at most `length` bytes, hashing them for WARC-Block-Digest."""

    def __init__(self, stream: io.BufferedReader, length: int, digest: str | None) -> None:
        self._stream = stream
        self.remaining = length
        self._digest = digest
        self._sha1 = hashlib.sha1() if digest and digest.lower().startswith("sha1:") else None
        self._hashed_all = True

    def readline(self) -> bytes:
        if not self.remaining:
            return b""
        line = self._stream.readline(min(MAX_LINE_BYTES, self.remaining))
        return self._take(line, 1)

    def read_all(self) -> bytes:
        data = _read_exactly(self._stream, self.remaining)
        return self._take(data, self.remaining)

    def skip_rest(self) -> None:
        if self.remaining:
            self._hashed_all = False
            _skip_exactly(self._stream, self.remaining)
            self.remaining = 0

    def check_digest(self) -> None:
        if self._sha1 is None or not self._hashed_all:
            return
        expected = self._digest.split(":", 1)[1].strip().upper()
        actual = base64.b32encode(self._sha1.digest()).decode()
        if expected not in (actual, self._sha1.hexdigest().upper()):
            raise _Skip("corrupt", "WARC-Block-Digest does not match the block")

    def _take(self, data: bytes, wanted: int) -> bytes:
        if wanted and not data:
            raise _Skip("corrupt", f"record cut short: {self.remaining} block bytes missing", corrupt=True)
        if self._sha1 is not None:
            self._sha1.update(data)
        self.remaining -= len(data)
        return data


class _GzipMember(io.RawIOBase):
    """One gzip member of `raw` as a readable stream; `end_offset` is set at its end."""

    def __init__(self, raw: BinaryIO, start: int) -> None:
        self._raw = raw
        self._start = start
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = b""
        self.end_offset: int | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self.end_offset is not None:
            return 0
        while True:
            data = self._pending or self._raw.read(CHUNK_BYTES)
            if not data:
                raise _Corrupt("file ends inside the member (truncated)")
            try:
                out = self._inflate.decompress(data, len(buffer))
            except zlib.error as exc:
                raise _Corrupt(str(exc)) from None
            self._pending = self._inflate.unconsumed_tail
            if self._inflate.eof:
                # What was fed is always a suffix of what was read, and what follows the
                # member is a suffix of what was fed (unconsumed_tail is not cleared at
                # the end of a stream, so it must not be counted again).
                self.end_offset = self._raw.tell() - len(self._inflate.unused_data)
                self._pending = b""
            if out or self.end_offset is not None:
                buffer[:len(out)] = out
                return len(out)


def _find_magic(raw: BinaryIO, start: int) -> int | None:
    """Offset of the next gzip header at or after `start`, scanning in chunks."""
    raw.seek(start)
    position = start
    carry = b""
    while True:
        chunk = raw.read(CHUNK_BYTES)
        if not chunk:
            return None
        data = carry + chunk
        found = data.find(GZIP_MAGIC)
        if found >= 0:
            return position - len(carry) + found
        carry = data[-(len(GZIP_MAGIC) - 1):]
        position += len(chunk)


def _next_nonblank_line(stream: io.BufferedReader) -> bytes:
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line or line.strip():
            return line


def _read_headers(stream, limit: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """`Name: value` lines up to a blank line, names lower-cased, continuations joined."""
    headers: dict[str, str] = {}
    total = 0
    last: str | None = None
    while True:
        line = stream.readline()
        total += len(line)
        if total > limit:
            raise _Skip("corrupt", f"headers longer than {limit} bytes", corrupt=True)
        if not line:
            raise _Skip("corrupt", "record cut short inside its headers", corrupt=True)
        if line in (b"\r\n", b"\n"):
            return headers
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if text[:1] in (" ", "\t") and last is not None:
            headers[last] += " " + text.strip()
            continue
        name, sep, value = text.partition(":")
        if not sep:
            raise _Skip("corrupt", f"malformed header line {text[:60]!r}", corrupt=True)
        last = name.strip().lower()
        headers[last] = value.strip()


def _read_http_head(block: _Block) -> tuple[int, dict[str, str]]:
    status_line = block.readline()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise _Skip("corrupt", f"response block does not start with an HTTP status line: {status_line[:40]!r}")
    return int(parts[1]), _read_headers(block, MAX_HEADER_BYTES)


def _end_of_record(stream: io.BufferedReader) -> None:
    """Consume the CRLF CRLF after a block; anything else means Content-Length was wrong."""
    tail = stream.peek(4)[:4]
    if tail.startswith(b"\r\n\r\n"):
        stream.read(4)
    elif tail.startswith(b"\n\n"):
        stream.read(2)
    elif tail and not tail.startswith((b"\r\n", b"\n")):
        raise _Skip("corrupt", "block not followed by CRLF CRLF (wrong Content-Length?)", corrupt=True)


def _read_exactly(stream: io.BufferedReader, size: int) -> bytes:
    parts = []
    while size > 0:
        data = stream.read(min(size, CHUNK_BYTES))
        if not data:
            break
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _skip_exactly(stream: io.BufferedReader, size: int) -> None:
    while size > 0:
        data = stream.read(min(size, CHUNK_BYTES))
        if not data:
            raise _Skip("corrupt", f"record cut short: {size} block bytes missing", corrupt=True)
        size -= len(data)


def _drain(stream: io.BufferedReader) -> None:
    """Read a member to its end, so its CRC is checked and its end offset known."""
    while stream.read(CHUNK_BYTES):
        pass


def _decode_body(body: bytes, http: dict[str, str], cap: int) -> bytes:
    """The payload as the server meant it: de-chunked and decompressed, within `cap`."""
    if "chunked" in http.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    encoding = http.get("content-encoding", "").strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return _inflate(body, 31, cap)
        if encoding == "deflate":
            try:
                return _inflate(body, 15, cap)
            except zlib.error:
                return _inflate(body, -15, cap)
        if encoding == "br" and brotli is not None:
            out = brotli.decompress(body)
            if len(out) > cap:
                raise _Skip("too_large")
            return out
    except (zlib.error, getattr(brotli, "error", zlib.error)):
        # Archivers often store the decoded body but keep the header: use it as it is.
        return body
    return body


def _inflate(body: bytes, wbits: int, cap: int) -> bytes:
    try:
        return inflate(body, cap, wbits)
    except InflatedTooLarge:
        raise _Skip("too_large") from None


def _dechunk(body: bytes) -> bytes:
    """Undo chunked transfer coding; a body that is not chunked after all is kept as it is."""
    out = []
    position = 0
    while True:
        end = body.find(b"\r\n", position)
        if end < 0:
            return body
        size_text = body[position:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return body
        if size == 0:
            return b"".join(out)
        start = end + 2
        out.append(body[start:start + size])
        position = start + size + 2
        if position > len(body):
            return b"".join(out)


def _parse_warc_date(value: str | None) -> datetime | None:
    return parse_timestamp(value, source="WARC-Date")


def _language_code(value: str | None) -> str | None:
    """The first language of a header value as ISO 639-1 ("en-GB" -> en, "eng,fra" -> en)."""
    if not value:
        return None
    first = re.split(r"[,;\s]", value.strip(), maxsplit=1)[0].lower()
    code = re.split(r"[-_]", first, maxsplit=1)[0]
    if len(code) == 3:
        return _ISO639_3.get(code, code)
    return code if len(code) == 2 and code.isalpha() else None


def _sniff_language(head: bytes) -> str | None:
    match = _HTML_LANG.search(head) or _META_LANG.search(head)
    return _language_code(match.group(1).decode("ascii")) if match else None
