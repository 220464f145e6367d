"""Where each UTC day's records sit in a WARC file: the map a backfill draws on its first
pass over the file, so later passes (another window, a per-day task) seek straight to a
day's records and an empty day reads nothing.

An offset names a unit reading can start at: a gzip member of a `.warc.gz` (one record,
usually), a record of a plain `.warc`. The index belongs to the file as it was: its size
and modification time are kept, and a file that changed since is indexed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from pipeline.models import FileIdentity, WarcDayIndex


@dataclass(slots=True)
class IndexBuilder:
    """Collects (unit offset, capture time) as a reader meets dated records; `WarcReader.on_dated`."""

    file: FileIdentity
    days: dict[date, list[int]] = field(default_factory=dict)

    def __call__(self, offset: int, captured: datetime) -> None:
        offsets = self.days.setdefault(captured.astimezone(timezone.utc).date(), [])
        if not offsets or offsets[-1] != offset:  # several records of one gzip member: one unit
            offsets.append(offset)

    def build(self, records: int) -> WarcDayIndex:
        """The index, once the pass has read the whole file (never from a pass cut short)."""
        return WarcDayIndex(file=self.file, records=records,
                            days={day: tuple(offsets) for day, offsets in self.days.items()})
