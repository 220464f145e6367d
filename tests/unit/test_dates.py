"""Date resolution against the publication date."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipeline.dates import resolve_date, to_date
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
