"""Resolve a date expression ("on Saturday", "last month") against a publication date.

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
from datetime import date, datetime

from dateparser.date import DateDataParser

from pipeline.errors import InputError

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


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    """A calendar date, how precise it is, and the words that gave it."""

    date: str
    precision: str
    text: str


def to_date(value: date | datetime | str | None) -> date | None:
    """A publication date given as a date, datetime or ISO 8601 string; None stays None."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise InputError(f"publication date {value!r} is not ISO 8601: give it as YYYY-MM-DD") from None


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
    settings: dict[str, object] = {"PREFER_DATES_FROM": "current_period", "RETURN_TIME_AS_PERIOD": False}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    return DateDataParser(languages=["en"], settings=settings)
