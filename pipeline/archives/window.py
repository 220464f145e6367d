"""The date window every archive walk filters by: [start, end), undated items on request."""

from __future__ import annotations

from datetime import datetime


def in_window(when: datetime | None, start: datetime | None, end: datetime | None, *,
              include_undated: bool = False) -> bool:
    """Whether an item dated `when` belongs to [`start`, `end`); None bounds are open.

    An item without a date cannot be placed in any day, so it is taken only when asked
    (`include_undated`), never silently.
    """
    if when is None:
        return include_undated
    return (start is None or when >= start) and (end is None or when < end)
