"""The time budget of a parse of outside input: 0.05 s plus 2 s per MB of input (issue 14).

Generous on purpose (a linear parser does a megabyte in well under a second here), so
that a test failing on it means super-linear work, not a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

BASE_S = 0.05
PER_MB_S = 2.0


def budget_s(size: int) -> float:
    """Seconds allowed for an input of `size` bytes (or characters)."""
    return BASE_S + PER_MB_S * size / 1_000_000


def timed(call: Callable[[], T]) -> tuple[T | BaseException, float]:
    """`(result or the exception raised, seconds)` of one call."""
    started = time.perf_counter()
    try:
        result: T | BaseException = call()
    except Exception as exc:  # noqa: BLE001 - the caller judges which errors are allowed
        result = exc
    return result, time.perf_counter() - started
