"""What every archive walk shares: the breadth-first walk over linked documents, and the
date window its items are filtered by ([start, end), undated items on request)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from pipeline.errors import describe, one_line

log = logging.getLogger(__name__)

Item = TypeVar("Item")


def walk_links(root: str, read: Callable[[str], tuple[Iterable[Item], Iterable[str]]], *, limit: int,
               what: str, failures: tuple[type[Exception], ...],
               skipped: list[tuple[str, str]] | None = None) -> Iterator[Item]:
    """The items of `root` and of the documents it links to, breadth first, each read once.

    `read(url)` gives a document's items and the URLs to go on to. Each document is a
    unit of work that fails alone: one whose read raises is appended to `skipped` as
    (url, one-line reason) and not followed, logged as a warning when it raised one of
    `failures` (expected: unreachable, not a sitemap) and with its traceback otherwise (a
    bug met on that document). The root failing raises. At most `limit` documents are read.
    """
    queue: deque[str] = deque([root])
    seen: set[str] = set()
    while queue and len(seen) < limit:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        try:
            items, onward = read(current)
        except Exception as exc:  # noqa: BLE001 - one document fails alone; see the docstring
            if current == root:
                raise
            if isinstance(exc, failures):
                reason = one_line(exc) or type(exc).__name__
                log.warning("%s %s skipped: %s", what, current, reason)
            else:
                reason = describe(exc)
                log.error("%s %s skipped on a bug: %s", what, current, reason, exc_info=True)
            if skipped is not None:
                skipped.append((current, reason))
            continue
        queue.extend(url for url in onward if url not in seen)
        yield from items
    if queue:
        log.warning("%s walk from %s stopped after %d documents", what, root, limit)


def in_window(when: datetime | None, start: datetime | None, end: datetime | None, *,
              include_undated: bool = False) -> bool:
    """Whether an item dated `when` belongs to [`start`, `end`); None bounds are open.

    An item without a date cannot be placed in any day, so it is taken only when asked
    (`include_undated`), never silently.
    """
    if when is None:
        return include_undated
    return (start is None or when >= start) and (end is None or when < end)
