"""One unit of work fails alone: the boundary every feed poll, entry, WARC record, sitemap and push runs in.

    with isolated("feed", feed.url) as unit:
        ...                      # anything may raise here
    if unit.failed:
        record(unit.reason)      # one line, stored where `feeds list` / the entry / the run shows it

Inside the boundary *any* exception becomes the unit's failure: a `WirewatchError` is
an expected one (logged as a warning with its one-line message); anything else is a
bug met on this input (a codec lookup, a port out of range, a parser's IndexError),
logged as an error *with its traceback* and recorded as `TypeName: message`. Either way
the caller goes on with the next unit: a batch, cycle, drain or backfill never dies of
one input.

Not caught: `KeyboardInterrupt`, `SystemExit` and the like (not `Exception`s: someone
asked the process to stop), and `DatabaseUnavailable` (the warehouse is gone for every
unit alike; the step fails and is retried whole).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pipeline.errors import DatabaseUnavailable, WirewatchError, describe

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Unit:
    """What became of one unit of work: `failed` with a one-line `reason`, and the error itself."""

    kind: str
    name: str
    error: BaseException | None = None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@contextmanager
def isolated(kind: str, name: str, *, passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[Unit]:
    """Run one unit of work (`kind` "feed", "page", "record", …; `name` its URL); see the module doc.

    `passthrough`: errors that are not the unit's own (a backfill's lost database) and
    stop the caller instead.
    """
    unit = Unit(kind, name)
    try:
        yield unit
    except (DatabaseUnavailable, *passthrough):
        raise
    except WirewatchError as exc:
        unit.error, unit.reason = exc, describe(exc)
        log.warning("%s %s failed: %s", kind, name, unit.reason)
    except Exception as exc:  # noqa: BLE001 - the point of the boundary; logged with traceback
        unit.error, unit.reason = exc, describe(exc)
        log.error("%s %s failed on a bug: %s", kind, name, unit.reason, exc_info=True)
