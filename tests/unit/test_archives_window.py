from datetime import datetime, timezone

import pytest

from pipeline.archives.window import in_window

UTC = timezone.utc
DAY = datetime(2024, 3, 3, tzinfo=UTC)
NEXT = datetime(2024, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "start", "end", "undated", "expected"),
    [
        (datetime(2024, 3, 3, 12, tzinfo=UTC), DAY, NEXT, False, True),
        (DAY, DAY, NEXT, False, True),          # start is inside
        (NEXT, DAY, NEXT, False, False),        # end is not
        (datetime(2024, 3, 2, 23, 59, tzinfo=UTC), DAY, NEXT, False, False),
        (datetime(1999, 1, 1, tzinfo=UTC), None, NEXT, False, True),   # open start
        (None, DAY, NEXT, False, False),        # undated: not unless asked
        (None, DAY, NEXT, True, True),
    ],
)
def test_archives_window_is_half_open(when, start, end, undated, expected):
    assert in_window(when, start, end, include_undated=undated) is expected
