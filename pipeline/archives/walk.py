"""What every archive walk shares: the breadth-first walk over linked documents, and the
date window its items are filtered by ([start, end), undated items on request)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


def walk_links(root: str, read: Callable[[str], tuple[Iterable[Item], Iterable[str]]], *, limit: int,
               what: str, failures: tuple[type[Exception], ...],
               skipped: list[tuple[str, str]] | None = None) -> Iterator[Item]:
    """The items of `root` and of the documents it links to, breadth first, each read once.

    `read(url)` gives a document's items and the URLs to go on to. A document whose
    read raises one of `failures` is logged (as a `what`), appended to `skipped` as
    (url, reason) and not followed; the root failing raises. At most `limit` documents
    are read.
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
        except failures as exc:
            if current == root:
                raise
            log.warning("%s %s skipped: %s", what, current, exc)
            if skipped is not None:
                skipped.append((current, str(exc)))
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
