"""When to poll a feed next: adaptive intervals, publisher hints and failure backoff.

Pure functions of a feed's history, so the maths is tested without a clock or a
network. The rules, after Media Cloud's crawler:

- a feed that yielded new items is polled sooner (interval halved), one that did not
  is polled later (interval × 1.5), always within [floor, ceiling];
- a publisher's hint (RSS `ttl`, `sy:updatePeriod`/`sy:updateFrequency`,
  Cache-Control `max-age`) is a lower bound: we never poll faster than asked;
- `Retry-After` on 429/503 is obeyed as given (bounded by the ceiling);
- errors back off exponentially from the floor: floor × 2^(errors-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

GROW = 1.5
SHRINK = 0.5

_SY_PERIODS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000, "yearly": 31_536_000}
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PollPlan:
    """The outcome of scheduling: wait `interval_s`, poll again at `next_poll_at`."""

    interval_s: int
    next_poll_at: datetime


def next_interval(
    current_s: int,
    *,
    new_items: int,
    floor_s: int,
    ceiling_s: int,
    hint_s: int | None = None,
) -> int:
    """The next polling interval after a successful poll."""
    interval = current_s * (SHRINK if new_items > 0 else GROW)
    if hint_s:
        interval = max(interval, hint_s)
    return int(min(max(interval, floor_s), ceiling_s))


def backoff_interval(consecutive_errors: int, *, floor_s: int, ceiling_s: int,
                     retry_after_s: float | None = None) -> int:
    """The wait after the `consecutive_errors`-th failure in a row (1 = first)."""
    if retry_after_s is not None and retry_after_s > 0:
        return int(min(max(retry_after_s, 1), ceiling_s))
    exponent = max(consecutive_errors - 1, 0)
    return int(min(floor_s * (2 ** min(exponent, 32)), ceiling_s))


def plan_success(now: datetime, current_s: int, *, new_items: int, floor_s: int,
                 ceiling_s: int, hint_s: int | None = None) -> PollPlan:
    interval = next_interval(current_s, new_items=new_items, floor_s=floor_s,
                             ceiling_s=ceiling_s, hint_s=hint_s)
    return PollPlan(interval, now + timedelta(seconds=interval))


def plan_failure(now: datetime, current_s: int, consecutive_errors: int, *, floor_s: int,
                 ceiling_s: int, retry_after_s: float | None = None) -> PollPlan:
    """Keep the feed's own interval; push only the next poll back."""
    wait = backoff_interval(consecutive_errors, floor_s=floor_s, ceiling_s=ceiling_s,
                            retry_after_s=retry_after_s)
    return PollPlan(current_s, now + timedelta(seconds=wait))


def hint_seconds(*, ttl_minutes: int | None = None, update_period: str | None = None,
                 update_frequency: int | None = None, cache_control: str | None = None) -> int | None:
    """The longest of the publisher's hints, in seconds, or None where none is given."""
    hints: list[int] = []
    if ttl_minutes and ttl_minutes > 0:
        hints.append(ttl_minutes * 60)
    if update_period:
        period = _SY_PERIODS.get(update_period.strip().lower())
        if period:
            hints.append(period // max(update_frequency or 1, 1))
    if cache_control:
        match = _MAX_AGE.search(cache_control)
        if match and int(match.group(1)) > 0:
            hints.append(int(match.group(1)))
    return max(hints) if hints else None
