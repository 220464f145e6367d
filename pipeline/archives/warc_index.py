"""Where each UTC day's records sit in a WARC file: the map a backfill draws on its first
pass over the file, so later passes (another window, a per-day task) seek straight to a
day's records and an empty day reads nothing.

An offset names a unit reading can start at: a gzip member of a `.warc.gz` (one record,
usually), a record of a plain `.warc`. The index belongs to the file as it was: its size
and modification time are kept, and a file that changed since is indexed again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """A file as it is now: absolute path, size, modification time (ns)."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> FileIdentity:
        resolved = Path(path).resolve()
        stat = os.stat(resolved)
        return cls(path=str(resolved), size=stat.st_size, mtime_ns=stat.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class WarcDayIndex:
    """One file's units by capture day (offsets ascending), and how many records the pass read."""

    file: FileIdentity
    records: int
    days: Mapping[date, tuple[int, ...]]

    def offsets_between(self, first: date, last: date) -> dict[date, tuple[int, ...]]:
        """The days of [`first`, `last`] that hold records, each with its units' offsets."""
        return {day: offsets for day, offsets in sorted(self.days.items()) if first <= day <= last}


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
