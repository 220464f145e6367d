from datetime import datetime, timedelta, timezone

import pytest

from pipeline.feeds import schedule
from pipeline.http.fetch import parse_retry_after

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("current", "new_items", "hint", "expected"),
    [
        (900, 3, None, 600),       # halved, held at the 600 s floor
        (2400, 1, None, 1200),     # halved
        (900, 0, None, 1350),      # grows by half
        (80_000, 0, None, 86_400), # held at the ceiling
        (900, 5, 3600, 3600),      # ttl of an hour: never faster than asked
    ],
)
def test_schedule_next_interval_adapts_within_bounds(current, new_items, hint, expected):
    got = schedule.next_interval(current, new_items=new_items, floor_s=600, ceiling_s=86_400, hint_s=hint)
    assert got == expected


@pytest.mark.parametrize(("errors", "expected"), [(1, 600), (2, 1200), (3, 2400), (12, 86_400)])
def test_schedule_backoff_doubles_per_error(errors, expected):
    assert schedule.backoff_interval(errors, floor_s=600, ceiling_s=86_400) == expected


def test_schedule_retry_after_wins_over_backoff():
    plan = schedule.plan_failure(NOW, 900, 4, floor_s=600, ceiling_s=86_400, retry_after_s=120)
    assert plan.next_poll_at == NOW + timedelta(seconds=120)
    assert plan.interval_s == 900


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"ttl_minutes": 60}, 3600),
        ({"update_period": "daily", "update_frequency": 4}, 21_600),
        ({"cache_control": "public, max-age=1800"}, 1800),
        ({"ttl_minutes": 5, "cache_control": "max-age=7200"}, 7200),
        ({}, None),
        ({"update_period": "fortnightly"}, None),
    ],
)
def test_schedule_hint_seconds_reads_publisher_hints(kwargs, expected):
    assert schedule.hint_seconds(**kwargs) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("Wed, 25 Nov 2026 12:05:00 GMT", 300.0), ("soon", None), (None, None),
     ("¹", None), ("٣", None)],  # digits to str.isdigit, not delta-seconds (found by tests/fuzz)
)
def test_schedule_parse_retry_after(header, expected):
    assert parse_retry_after(header, NOW) == expected  # an HTTP header, read by the fetcher
