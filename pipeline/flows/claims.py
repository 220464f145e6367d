"""The entries one worker claimed for one batch, and how each is settled: the queue's policy.

Every outcome commits at once (a settled entry is visible to other workers and survives
the batch dying later):

- `settle`: a final or explicit state (done by a load, duplicate, skipped, …);
- `fail`: a failed attempt, disposed of as the error says (`pipeline.errors.disposition`):
  retried later with exponential backoff when it may succeed (a timeout, a 5xx, a bug
  met on the input), `failed` when it never will (a 404, a blocked address, a page that
  is not readable), `dead` once its attempts are used up;
- `defer`: not an attempt (the host asked us to wait): pending again after the wait.

A claim lost meanwhile (the lease ran out and another worker took the entry) is not
overwritten: the other worker's outcome stands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import Disposition, describe, disposition
from pipeline.flows.stages import StepResult

log = logging.getLogger(__name__)


class Claim:
    """The entries one worker claimed in one batch; see the module doc."""

    def __init__(self, conn, worker: str, settings: Settings, result: StepResult) -> None:
        self.conn, self.worker, self.settings, self.result = conn, worker, settings, result
        self.open: dict[int, Any] = {}

    def track(self, entry) -> None:
        self.open[entry.entry_id] = entry

    def settle(self, entry, state: str, **fields: Any) -> None:
        self.open.pop(entry.entry_id, None)
        if not store.settle_entry(self.conn, entry.entry_id, self.worker, state, **fields):
            self.result.counts["entries_lost_claim"] += 1
            log.warning("entry %s (%s): claim lost before it was settled %s; the other worker's outcome stands",
                        entry.entry_id, entry.url, state)
        self.conn.commit()

    def fail(self, entry, exc: BaseException, *, stage: str = "entry", count: bool = True) -> None:
        """A failed attempt: retried later with backoff when `exc` says it may succeed, else `failed`;
        `dead` when its attempts are used up."""
        reason = describe(exc)
        if count:
            self.result.counts["pages_failed"] += 1
            self.result.errors.append({"url": entry.url, "stage": stage, "error": reason})
        if disposition(exc) is Disposition.FAIL:
            self.settle(entry, "failed", error=reason)
        elif entry.attempts >= self.settings.max_entry_attempts:
            self.give_up(entry, reason)
        else:
            self.result.counts["entries_retry"] += 1
            self.settle(entry, "pending", error=reason,
                        next_attempt_at=store.backoff(entry.attempts, self.settings.retry_delay))

    def give_up(self, entry, reason: str) -> None:
        self.result.counts["entries_dead"] += 1
        log.warning("entry %s (%s) is a dead letter after %d attempts: %s", entry.entry_id, entry.url,
                    entry.attempts, reason)
        self.settle(entry, "dead", error=reason)

    def defer(self, entry, seconds: float, reason: str) -> None:
        """Not an attempt: the host asked us to come back later."""
        self.settle(entry, "pending", error=reason, refund=True,
                    next_attempt_at=datetime.now(timezone.utc) + timedelta(seconds=max(seconds, 1.0)))

    def loaded(self, entries: Iterable) -> None:
        for entry in entries:  # the load itself moved them to done or duplicate
            self.open.pop(entry.entry_id, None)

    def release_rest(self) -> None:
        """Entries nothing settled (cannot happen by design): back to the queue, not left claimed."""
        for entry in list(self.open.values()):
            self.fail(entry, RuntimeError("left unsettled by its batch"))
