"""Date resolution against the publication date."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipeline.dates import parse_timestamp, read_timestamp, resolve_date, to_date
from pipeline.errors import InputError

PUBLISHED = date(2017, 11, 4)  # a Saturday


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("Saturday", "2017-11-04", "day"),
        ("on Friday", "2017-11-03", "day"),
        ("Thursday", "2017-11-02", "day"),
        ("last month", "2017-10-01", "month"),
        ("three years ago", "2014-01-01", "year"),
        ("2014", "2014-01-01", "year"),
        ("9 November", "2017-11-09", "day"),
        ("Nov. 3", "2017-11-03", "day"),
    ],
)
def test_dates_resolve_relative_to_publication(text, expected, precision):
    resolved = resolve_date(text, PUBLISHED)
    assert resolved is not None
    assert (resolved.date, resolved.precision, resolved.text) == (expected, precision, text)


@pytest.mark.parametrize("text", ["two days", "the past three years", "decades", "the second day", "18-year"])
def test_dates_durations_are_not_dates(text):
    assert resolve_date(text, PUBLISHED) is None


def test_dates_relative_without_publication_date_is_unknown():
    assert resolve_date("Saturday", None) is None
    assert resolve_date("March 2014", None).date == "2014-03-01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2017-11-04", PUBLISHED), ("2017-11-04T10:00:00Z", PUBLISHED), (datetime(2017, 11, 4, 9), PUBLISHED),
     (PUBLISHED, PUBLISHED), (None, None), ("", None)],
)
def test_dates_to_date_accepts_iso_strings(value, expected):
    assert to_date(value) == expected


def test_dates_to_date_rejects_garbage():
    with pytest.raises(InputError, match="ISO 8601"):
        to_date("next tuesday-ish")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-02T09:30:00+01:00", datetime(2024, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))),
        ("2024-03-02T09:30:00Z", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),
        ("2024-03-02T09:30:00", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),  # naive means UTC
        (" 2024-03-02 ", datetime(2024, 3, 2, tzinfo=UTC)),  # a date alone is its midnight
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Sat, 02 Mar 2024 09:30:00 GMT", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),
        ("Sat, 02 Mar 2024 09:30:00 -0000", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),
        ("March 2, 2024", datetime(2024, 3, 2, tzinfo=UTC)),
        ("02.03.2024", datetime(2024, 3, 2, tzinfo=UTC)),
        ("2024-03-02 09:30 CET (updated)", datetime(2024, 3, 2, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_dates_read_timestamp_is_aware(text, expected):
    when = read_timestamp(text)
    assert when == expected
    assert when is None or when.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["last Tuesday", "2024-13", "soon"])
def test_dates_read_timestamp_rejects_what_names_no_date(text):
    with pytest.raises(InputError, match="neither ISO 8601 nor RFC 2822"):
        read_timestamp(text)


def test_dates_parse_timestamp_logs_unreadable_dates(caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.dates"):
        assert parse_timestamp("last Tuesday", source="https://news.example/a: publication date") is None
        assert parse_timestamp("", source="https://news.example/b: publication date") is None
    [record] = caplog.records
    assert record.getMessage().startswith("https://news.example/a: publication date: date 'last Tuesday'")
    assert record.getMessage().endswith("kept without a date")
