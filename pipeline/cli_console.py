"""The backfill's face on the command line: a rich progress bar and a summary table.

Kept apart from `pipeline.flows.backfill`, which reports progress through a callback and
knows nothing of terminals. Everything is written to standard error, so standard
output keeps the one-line summary scripts read.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from pipeline.flows.backfill import Progress as BackfillProgress

SUMMARY_KEYS = (
    "days_done", "days_skipped", "days_failed", "days_empty", "files_indexed", "files_from_index", "records", "pages", "urls_listed", "entries_new",
    "articles_new", "articles_duplicate", "pages_skipped", "pages_failed", "skipped_corrupt",
    "skipped_language", "skipped_date", "entities", "events",
)


class BackfillBar:
    """Two bars, days and the current day (bytes of WARC or entries), with records/s and ETA."""

    def __init__(self, days: int, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=self._console, transient=True,
        )
        self._days = self._progress.add_task("days", total=days, rate="")
        self._day = self._progress.add_task("day", total=None, rate="")
        self._current: date | None = None
        self._met: set[date] = set()  # a WARC file's days come interleaved: each counted once
        self._started = time.monotonic()
        self._units_before = 0

    def __enter__(self) -> BackfillBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)

    def update(self, report: BackfillProgress) -> None:
        """The callback `backfill_range` calls after each committed batch."""
        if report.day != self._current:
            if self._current is not None and self._current not in self._met:
                self._met.add(self._current)
                self._progress.advance(self._days)
            self._current = report.day
        elapsed = max(time.monotonic() - self._started, 1e-6)
        done = report.counts.get("records", 0) or report.counts.get("urls_listed", 0)
        rate = f"{done / elapsed:,.1f} records/s" if done else ""
        self._progress.update(self._day, description=f"{report.day} ({report.unit})", total=report.total,
                              completed=report.done, rate=rate)

    @staticmethod
    def summarise(summary: dict[str, Any], source: str, console: Console | None = None) -> None:
        """A table of the run's counts and its errors, on standard error."""
        console = console or Console(stderr=True)
        counts, timings = summary.get("counts", {}), summary.get("timings", {})
        table = Table(title=f"backfill of {source}")
        table.add_column("count")
        table.add_column("value", justify="right")
        for key in SUMMARY_KEYS:
            if counts.get(key):
                table.add_row(key, f"{counts[key]:,}")
        for key, seconds in sorted(timings.items()):
            table.add_row(key, f"{seconds:,.1f}")
        console.print(table)
        for error in summary.get("errors", [])[:10]:
            console.print(f"[yellow]{error.get('stage')}[/] {error.get('url')}: {error.get('error')}")
