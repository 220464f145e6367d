"""Read dates that come in as text, and resolve date expressions against a publication date.

`parse_timestamp` is the one rule for a date or date-time written by someone else (a
page's metadata, a feed item, a sitemap, a WARC header): read it once where it enters,
and hand on an aware `datetime` or None. Naive means UTC; unreadable is None with a
logged reason, never a silent one.

`resolve_date` resolves a date expression ("on Saturday", "last month") against a publication date.

Only the short DATE spans spaCy finds are parsed, never whole texts: dateparser's
`search_dates` over a page is slow and finds "dates" in ordinary words. Relative
expressions are anchored on the publication date (`RELATIVE_BASE`) and read as the
current period, so "Saturday" in a Saturday paper is that day and "Friday" the day before.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from pipeline.errors import InputError

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

logger = logging.getLogger(__name__)

_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|few|some|many)"
# Durations and ordinals that name no calendar date.
_NOT_A_DATE = re.compile(
    rf"^(?:the\s+)?(?:(?:past|last|next|first|recent|coming)\s+)?{_NUMBER}[\s-]+"
    r"(?:day|week|month|year|decade|hour|minute)s?(?:[\s-]+(?:long|old))?$"
    r"|^(?:the\s+)?(?:first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s+(?:day|week|round)"
    r"|^(?:decades?|years?|months?|weeks?|days?)$"
    r"|^(?:recent|earlier|later|previous)\s",
    re.I,
)
_PERIOD_PRECISION = {"day": "day", "time": "day", "week": "month", "month": "month", "year": "year"}
#: W3C's coarser dates (sitemaps, some metadata): a year, or a year and month
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_ISO_DAY_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: what publishers write besides ISO 8601 and RFC 2822, tried in this order
_DAY_FORMATS = ("%Y/%m/%d", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y")


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    """A calendar date, how precise it is, and the words that gave it."""

    date: str
    precision: str
    text: str


def read_timestamp(text: str | None) -> datetime | None:
    """`text` as an aware datetime; None for empty text, `InputError` when it names no date-time.

    Read, in order: ISO 8601 / RFC 3339 (`Z` included); W3C's `YYYY` and `YYYY-MM` (their
    first day); RFC 2822 (`Sat, 02 Mar 2024 09:00:00 GMT`, as HTTP and RSS write); the
    day-first and month-name dates of `_DAY_FORMATS`; and last the `YYYY-MM-DD` an
    otherwise unreadable ISO-looking text starts with. A date alone is its midnight. A
    time without an offset is UTC; a given offset is kept (the publisher's own day is
    what relative dates in its text are read against).
    """
    value = (text or "").strip()
    if not value:
        return None
    when = _read(value)
    if when is None:
        raise InputError(f"date {value[:80]!r} is neither ISO 8601 nor RFC 2822: "
                         "give it as YYYY-MM-DD[THH:MM[:SS][+HH:MM]]")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_timestamp(text: str | None, *, source: str) -> datetime | None:
    """`read_timestamp` for text from outside: unreadable text is None, logged with `source` (a URL, a field)."""
    try:
        return read_timestamp(text)
    except InputError as exc:
        logger.warning("%s: %s; kept without a date", source, exc)
        return None


def _read(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)  # Python 3.11 reads `Z` and the basic format too
    except ValueError:
        pass
    coarse = _YEAR_MONTH.match(value)
    if coarse:
        year, month = int(coarse.group(1)), int(coarse.group(2) or 1)
        return datetime(year, month, 1) if 1 <= month <= 12 else None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    if _ISO_DAY_PREFIX.match(value):
        try:
            return datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def to_date(value: date | datetime | str | None) -> date | None:
    """A publication date given as a date, datetime or text (`read_timestamp`); None stays None."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    when = read_timestamp(value)
    return when.date() if when is not None else None


def resolve_date(text: str, published: date | None) -> ResolvedDate | None:
    """The date `text` names, resolved against `published`; None for durations and non-dates.

    Month and year precision dates are given as the first day of that month or year.
    """
    words = re.sub(r"^(?:on|in|since|by|from|during|until)\s+", "", text.strip(), flags=re.I)
    words = words.strip(" ,.;:")
    if not words or _NOT_A_DATE.search(words):
        return None
    if published is None and not re.search(r"\b\d{4}\b", words):
        return None
    try:
        data = _parser(published).get_date_data(words)
    except (OverflowError, ValueError) as exc:  # "date value out of range" on odd numerals
        logger.debug("no date from %r: %s", words, exc)
        return None
    if data.date_obj is None:
        return None
    precision = _PERIOD_PRECISION.get(data.period or "day", "day")
    day = data.date_obj.date()
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return ResolvedDate(day.isoformat(), precision, text)


@functools.lru_cache(maxsize=64)
def _parser(published: date | None) -> DateDataParser:
    """One parser per publication date: dateparser fixes its settings at construction."""
    from dateparser.date import DateDataParser  # slow import: only the NLP stage needs it

    settings: dict[str, object] = {"PREFER_DATES_FROM": "current_period", "RETURN_TIME_AS_PERIOD": False}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    return DateDataParser(languages=["en"], settings=settings)
