"""The WARC reader on WARC files written by warcio at test time, intact and damaged."""

from __future__ import annotations

import gzip
import logging
import tracemalloc
from datetime import datetime, timezone

import pytest

from pipeline.archives.warc import RecordFilter, WarcReader, expand_warc_paths, read_warc
from pipeline.errors import ArchiveError

from fixture_modules import fixture_module

warcs = fixture_module("archives/warcs.py")

ENGLISH = [warcs.ARTICLES[name][0] for name in ("bombing", "protest", "talks")]
ALL_HTML = [warcs.ARTICLES[name][0] for name in ("bombing", "protest", "french", "talks")]


def _urls(reader) -> list[str]:
    return [item.page.url for item in reader]


@pytest.fixture(params=[True, False], ids=["warc.gz", "warc"])
def sample(request, tmp_path):
    path = tmp_path / ("sample.warc.gz" if request.param else "sample.warc")
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=request.param)
    return path, offsets, request.param


def test_warc_reads_html_pages_and_skips_the_rest(sample):
    path, _offsets, _gz = sample
    reader = WarcReader(path)
    pages = list(reader)
    assert [p.page.url for p in pages] == ALL_HTML
    assert reader.counts["records"] == 8  # warcinfo + 7
    assert reader.counts["pages"] == 4
    assert reader.counts["skipped_type"] == 2  # warcinfo, request
    assert reader.counts["skipped_content_type"] == 1
    assert reader.counts["skipped_status"] == 1
    bombing = pages[0].page
    assert bombing.content == warcs.page("bombing")
    assert bombing.status == 200 and bombing.encoding == "utf-8"
    assert bombing.fetched_at == datetime(2024, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert pages[0].record_id and pages[0].record_id.startswith("<urn:uuid:")


def test_warc_decodes_gzip_content_encoding(sample):
    path, _offsets, _gz = sample
    protest = next(p for p in read_warc(path) if "santiago" in p.page.url)
    assert protest.page.content == warcs.page("protest")


def test_warc_filters_language_from_html_lang(sample):
    path, _offsets, _gz = sample
    reader = WarcReader(path, RecordFilter(languages=("en",)))
    assert _urls(reader) == ENGLISH
    assert reader.counts["skipped_language"] == 1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-03-03", "2024-03-04", ALL_HTML[1:3]),
        ("2024-03-04", None, ALL_HTML[3:]),
        (None, "2024-03-03", ALL_HTML[:1]),
        ("2025-01-01", None, []),
    ],
)
def test_warc_filters_capture_date(sample, start, end, expected):
    path, _offsets, _gz = sample
    day = lambda text: datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None  # noqa: E731
    assert _urls(read_warc(path, RecordFilter(start=day(start), end=day(end)))) == expected


def test_warc_skips_pages_over_the_size_cap(sample):
    path, _offsets, _gz = sample
    reader = WarcReader(path, RecordFilter(max_bytes=1200))
    urls = _urls(reader)
    assert warcs.ARTICLES["bombing"][0] not in urls  # 1493 bytes
    assert reader.counts["skipped_too_large"] >= 1


def test_warc_resumes_from_an_offset(sample):
    path, offsets, _gz = sample
    pages = list(read_warc(path))
    resumed = list(read_warc(path, start_offset=pages[2].offset))
    assert [p.page.url for p in resumed] == [p.page.url for p in pages[2:]]
    assert [p.offset for p in resumed] == [p.offset for p in pages[2:]]


def test_warc_gz_damaged_member_is_skipped_and_the_rest_read(tmp_path, caplog):
    path = tmp_path / "damaged.warc.gz"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=True)
    data = bytearray(path.read_bytes())
    protest_start, protest_end = offsets[3], offsets[4]
    middle = (protest_start + protest_end) // 2
    data[middle:middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    reader = WarcReader(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.archives.warc"):
        urls = _urls(reader)
    assert urls == [u for u in ALL_HTML if "santiago" not in u]
    assert reader.counts["skipped_corrupt"] == 1
    assert any(f"byte {protest_start}" in r.getMessage() and "damaged gzip member" in r.getMessage()
               for r in caplog.records)


def test_warc_gz_truncated_file_gives_what_precedes_the_cut(tmp_path, caplog):
    path = tmp_path / "truncated.warc.gz"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=True)
    data = path.read_bytes()
    path.write_bytes(data[:offsets[6] + 200])  # cut inside the last record (talks)
    reader = WarcReader(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.archives.warc"):
        urls = _urls(reader)
    assert urls == ALL_HTML[:3]
    assert reader.counts["skipped_corrupt"] == 1
    assert any("truncated" in r.getMessage() for r in caplog.records)


def test_warc_gz_garbage_between_members_is_skipped(tmp_path):
    path = tmp_path / "garbage.warc.gz"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=True)
    data = path.read_bytes()
    path.write_bytes(data[:offsets[3]] + b"this is not gzip at all\n" * 10 + data[offsets[3]:])
    reader = WarcReader(path)
    assert _urls(reader) == ALL_HTML
    assert reader.counts["skipped_corrupt"] == 1


def test_warc_wrong_content_length_is_skipped_and_reading_resyncs(tmp_path, caplog):
    path = tmp_path / "bad-length.warc"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=False)
    data = path.read_bytes()
    record = data[offsets[1]:offsets[2]]
    length_at = record.index(b"Content-Length: ")
    line_end = record.index(b"\r\n", length_at)
    length = int(record[length_at + 16:line_end])
    damaged = record[:length_at] + b"Content-Length: %d" % (length + 5000) + record[line_end:]
    path.write_bytes(data[:offsets[1]] + damaged + data[offsets[2]:])
    reader = WarcReader(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.archives.warc"):
        urls = _urls(reader)
    assert urls == ALL_HTML[1:]
    assert reader.counts["skipped_corrupt"] == 1
    assert any(f"byte {offsets[1]}" in r.getMessage() for r in caplog.records)


def test_warc_block_digest_mismatch_is_skipped(tmp_path, caplog):
    path = tmp_path / "digest.warc"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=False)
    data = bytearray(path.read_bytes())
    at = data.index(b"Kirkuk on Saturday", offsets[1])
    data[at:at + 6] = b"Mosul!"
    path.write_bytes(bytes(data))
    reader = WarcReader(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.archives.warc"):
        urls = _urls(reader)
    assert urls == ALL_HTML[1:]
    assert any("WARC-Block-Digest" in r.getMessage() for r in caplog.records)


def test_warc_garbage_in_plain_file_is_skipped(tmp_path):
    path = tmp_path / "garbage.warc"
    offsets = warcs.write_warc(path, warcs.sample_records(), gzip=False)
    data = path.read_bytes()
    path.write_bytes(data[:offsets[5]] + b"garbage line\r\nmore garbage\r\n" + data[offsets[5]:])
    assert _urls(read_warc(path)) == ALL_HTML


def test_warc_skipping_a_large_record_does_not_hold_it_in_memory(tmp_path):
    path = tmp_path / "large.warc.gz"
    big = warcs.Record("https://news.example.org/video.mp4", "2024-03-02T10:00:00Z",
                       bytes(range(256)) * (120 * 1024), headers=[("Content-Type", "video/mp4")])  # 30 MB
    warcs.write_warc(path, [big, warcs.article_record("talks")], gzip=True)
    tracemalloc.start()
    try:
        urls = _urls(read_warc(path))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert urls == [warcs.ARTICLES["talks"][0]]
    assert peak < 5 * 1024 * 1024, peak


def test_warc_whole_file_gzip_is_read(tmp_path):
    """Some tools gzip the whole file as one member instead of one member a record."""
    plain = tmp_path / "plain.warc"
    warcs.write_warc(plain, warcs.sample_records(), gzip=False)
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    assert _urls(read_warc(path)) == ALL_HTML


def test_expand_warc_paths_sorts_a_glob_and_refuses_nothing(tmp_path):
    for name in ("b.warc.gz", "a.warc.gz"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in expand_warc_paths(tmp_path / "*.warc.gz")] == ["a.warc.gz", "b.warc.gz"]
    with pytest.raises(ArchiveError, match="no WARC file"):
        expand_warc_paths(tmp_path / "*.warc")


def test_warc_unreadable_file_raises_archive_error(tmp_path):
    with pytest.raises(ArchiveError, match="cannot open"):
        list(read_warc(tmp_path / "missing.warc.gz"))


def test_warc_end_offset_resumes_after_the_record(sample):
    path, _offsets, _gz = sample
    pages = list(read_warc(path))
    after_first = list(read_warc(path, start_offset=pages[0].end_offset))
    assert [p.page.url for p in after_first] == [p.page.url for p in pages[1:]]
    assert all(p.end_offset > p.offset for p in pages)


def test_warc_gz_records_larger_than_the_read_buffer(tmp_path):
    """Members bigger than a read chunk end with input left over: offsets must stay exact."""
    path = tmp_path / "big.warc.gz"
    big = bytes(__import__("random").Random(7).getrandbits(8) for _ in range(600_000))
    records = [warcs.Record(f"https://news.example.org/big-{n}", "2024-03-02T10:00:00Z",
                            b"<html lang='en'><body>" + big + b"</body></html>") for n in range(3)]
    offsets = warcs.write_warc(path, records + [warcs.article_record("talks")], gzip=True)
    pages = list(read_warc(path))
    assert [p.offset for p in pages] == offsets
    assert [p.end_offset for p in pages] == offsets[1:] + [path.stat().st_size]


def test_warc_on_dated_maps_each_day_to_the_units_holding_it(sample):
    from datetime import date

    from pipeline.archives.warc_index import IndexBuilder
    from pipeline.models import FileIdentity

    path, offsets, _gz = sample
    builder = IndexBuilder(FileIdentity.of(path))
    reader = WarcReader(path, RecordFilter(start=datetime(2024, 3, 4, tzinfo=timezone.utc)), on_dated=builder)
    assert _urls(reader) == [warcs.ARTICLES["talks"][0]]  # the filter does not limit what is indexed
    index = builder.build(reader.counts["records"])
    # records: request, bombing, image, protest, 404, french, talks (the request is not a page record)
    assert index.days == {date(2024, 3, 2): (offsets[1], offsets[2]),
                          date(2024, 3, 3): (offsets[3], offsets[4], offsets[5]),
                          date(2024, 3, 4): (offsets[6],)}
    assert index.records == 8
    assert list(index.offsets_between(date(2024, 3, 3), date(2030, 1, 1))) == [date(2024, 3, 3), date(2024, 3, 4)]


def test_warc_units_reads_only_the_records_there(sample):
    path, offsets, _gz = sample
    reader = WarcReader(path, units=[offsets[1], offsets[5]])
    assert _urls(reader) == [warcs.ARTICLES["bombing"][0], warcs.ARTICLES["french"][0]]
    assert reader.counts["records"] == 2  # nothing before, between or after them was read
    assert _urls(WarcReader(path, units=[])) == []


def test_warc_gz_units_of_a_multi_record_member_read_the_member_once(tmp_path):
    plain = tmp_path / "sample.warc"
    warcs.write_warc(plain, warcs.sample_records(), gzip=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))  # one member holding every record
    found = []
    reader = WarcReader(whole, on_dated=lambda offset, _when: found.append(offset))
    assert _urls(reader) == ALL_HTML
    assert set(found) == {0}
    again = WarcReader(whole, units=[0])
    assert _urls(again) == ALL_HTML and again.counts["records"] == 8
