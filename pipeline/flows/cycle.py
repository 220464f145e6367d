"""One monitoring cycle: due feeds → new entries → pages → articles → warehouse.

The cycle is cut into steps that take and return ids and counts, so that the same
functions run inside one process (`wirewatch run`) and as mapped Airflow tasks
(`dags/feed_monitor.py`): select due feeds in batches, poll each batch, select the
pending entries in batches, process each batch, finish the run. Every step opens
its own connection and commits its own work, so a retried step redoes only itself
and a rerun upserts rather than duplicates.

Entries are the durable queue between polling and processing: a feed poll only
records article URLs; processing drains whatever is pending, whoever put it there.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from pipeline import store
from pipeline.archives.raw_pages import RawPageStore
from pipeline.config import Settings
from pipeline.errors import FetchError, HostBusy, HTTPStatusError, MalformedFeed, RobotsDisallowed, describe
from pipeline.feeds import items as feed_items
from pipeline.feeds import schedule
from pipeline.feeds.parse import parse_feed
from pipeline.flows import stages
from pipeline.flows.claims import Claim
from pipeline.flows.isolation import isolated
from pipeline.flows.runs import chunk, get_analyzer, polite_fetcher, recorded_run
from pipeline.flows.stages import StepResult
from pipeline.http.fetch import FetchRequest, Fetcher
from pipeline.http.urls import canonicalize_url, host_of, url_hash
from pipeline.models import FeedEntry, FeedSpec, Page, ParsedFeed
from pipeline.websub.discovery import discover_hub

log = logging.getLogger(__name__)

#: at most this many pending entries are taken into one cycle
MAX_ENTRIES_PER_CYCLE = 5_000
#: feeds of a batch fetched at once (threads; politeness still paces each host)
POLL_WORKERS = 32


# --- the steps ---------------------------------------------------------------------------


def register_feeds(settings: Settings, specs: Sequence[FeedSpec]) -> list[int]:
    """Add or refresh feeds in the warehouse; returns their ids in the given order."""
    with store.connect(settings) as conn:
        ids = store.upsert_feeds(conn, specs)
        conn.commit()
    return ids


def select_feed_batches(settings: Settings, *, feed_ids: Sequence[int] | None = None,
                        force: bool = False, limit: int = 10_000) -> list[list[int]]:
    """Ids of the feeds to poll now, in batches of `settings.poll_batch_size`.

    Without `force` only enabled feeds whose `next_poll_at` has come are taken. Feeds
    of one host are kept together, so that one batch, and so one process's politeness,
    paces them: batches polled at once by Airflow tasks then rarely share a host.
    """
    now = datetime.now(timezone.utc)
    with store.connect(settings) as conn:
        feeds = store.list_feeds(conn, feed_ids) if force else store.due_feeds(conn, now, limit)
    wanted = None if feed_ids is None else set(feed_ids)
    chosen = [f for f in feeds if f.enabled and (wanted is None or f.feed_id in wanted)]
    ids = [f.feed_id for f in sorted(chosen, key=lambda f: host_of(f.url))]  # stable: due order within a host
    return chunk(ids, settings.poll_batch_size)


def poll_feed_batch(settings: Settings, feed_ids: Sequence[int], run_id: int | None = None,
                    *, fetcher: Fetcher | None = None) -> dict[str, Any]:
    """Poll each feed once; record new entries and each feed's next poll.

    The feeds are fetched by up to `POLL_WORKERS` threads at once (`Fetcher.fetch_many`:
    waiting on the network, not the CPU), a host's few at a time, each within
    `Settings.feed_timeout`, feeds that failed last time after their host's others: a
    host's slow feeds cannot push its other feeds out of the batch. Parsing happens
    here, one feed at a time, as the answers arrive, and touches no database. What the
    batch learnt (new entries, each feed's state and next poll, the fetch log) is written
    at its end in one transaction of a few round trips: a feed costs no transaction of
    its own, and no round trip that would leave this thread waiting for the GIL behind
    the fetchers.
    A batch that dies half-way writes nothing: its feeds stay due and are polled again
    from their old state, so nothing is lost and nothing queued twice.
    """
    [result] = poll_feed_batches(settings, [feed_ids], run_id, fetcher=fetcher)
    return result


def poll_feed_batches(settings: Settings, batches: Sequence[Sequence[int]], run_id: int | None = None,
                      *, fetcher: Fetcher | None = None) -> Iterator[dict[str, Any]]:
    """Poll several batches as one stream of fetches; each batch written (as `poll_feed_batch`
    does) as soon as its last feed has answered, and its result yielded then.

    What one process's cycle polls with: every host of every batch is fetched side by
    side, so the cycle takes about as long as its busiest host (its feeds paced one
    `host_delay` apart), not the sum of each batch's busiest host, as batches polled one
    after another would.
    """
    polls = [_BatchPoll() for _ in batches]
    with store.connect(settings) as conn, _fetcher(settings, fetcher) as client:
        store.relax_poll_commits(conn)  # a crash loses at most the last few polls' records, redone
        requests = []
        for number, (poll, feed_ids) in enumerate(zip(polls, batches, strict=True)):
            poll.feeds = {feed.feed_id: feed for feed in store.list_feeds(conn, feed_ids)}
            poll.ledger = _Ledger(seen=store.item_digests(conn, list(poll.feeds)))
            # feeds whose last poll failed (timed out, say) go after their host's healthy ones
            requests += [FetchRequest(f.url, etag=f.etag, last_modified=f.last_modified, kind="feed",
                                      key=(number, f.feed_id), last_failed=f.consecutive_errors > 0)
                         for f in poll.feeds.values()]
        conn.commit()
        for poll in polls:
            if not poll.feeds:
                yield poll.write(settings, conn)
        for request, outcome in client.fetch_many(requests, workers=POLL_WORKERS):
            number, feed_id = request.key
            poll = polls[number]
            _poll_feed(settings, poll.feeds[feed_id], outcome, run_id, poll.result, poll.ledger)
            poll.answered += 1
            if poll.answered == len(poll.feeds):
                yield poll.write(settings, conn)


def select_entry_batches(settings: Settings, *, limit: int = MAX_ENTRIES_PER_CYCLE) -> list[list[int]]:
    """Ids of the entries ready to be claimed, next due first, in batches of `settings.batch_size`.

    Selecting takes nothing: `process_entry_batch` claims what it is given, so two
    workers handed the same ids still never process one entry twice.
    """
    with store.connect(settings) as conn:
        entries = store.ready_entries(conn, limit)
    return chunk([e.entry_id for e in entries], settings.batch_size)


def process_entry_batch(settings: Settings, entry_ids: Sequence[int], run_id: int | None = None,
                        *, fetcher: Fetcher | None = None, analyzer=None) -> dict[str, Any]:
    """Claim these entries, then fetch, extract, analyse and load them; the load is one transaction.

    Only the entries this worker claims are worked on (another worker's, or ones not
    ready, are left alone); each is settled by this worker alone, from its claim: done or
    duplicate by the load, otherwise skipped, failed, retried later or dead, with a
    one-line reason. Each entry runs inside its own `isolated` boundary, so whatever
    one page raises fails that entry only.
    """
    result = StepResult()
    analyzer = analyzer or get_analyzer(settings)
    raw_store = RawPageStore(settings)
    worker = store.worker_id()
    with store.connect(settings) as conn, _fetcher(settings, fetcher) as client:
        batch = Claim(conn, worker, settings, result)
        entries = store.claim_entries(conn, worker, limit=max(len(entry_ids), 1), lease_s=settings.entry_lease,
                                      ids=entry_ids)
        known = store.known_article_hashes(conn, [e.url_hash for e in entries])
        conn.commit()
        todo = []
        for entry in entries:
            if entry.attempts > settings.max_entry_attempts:  # claimed again after its workers kept dying
                batch.give_up(entry, f"gave up after {entry.attempts - 1} attempts; the last never finished")
            elif entry.url_hash in known:
                batch.settle(entry, "duplicate")
                result.counts["articles_duplicate"] += 1
            else:
                todo.append(entry)
        fetched = [(entry, page) for entry in todo
                   if (page := _fetch_page(batch, client, entry, run_id)) is not None]

        def skip(index: int, state: str, reason: str, exc: BaseException | None) -> None:
            entry = fetched[index][0]
            if state == "skipped":
                batch.settle(entry, "skipped", error=describe(exc) if exc else None, skip_reason=reason)
            else:
                batch.fail(entry, exc or RuntimeError(reason), count=False)  # extract_pages counted it

        extracted = stages.extract_pages([page for _entry, page in fetched], result, settings=settings,
                                         on_skip=skip)
        items = [(fetched[i][0], fetched[i][1], article) for i, article in extracted]
        analyses = stages.analyze_gated(
            analyzer, settings, [article.language for _entry, _page, article in items],
            [(article.text, article.published_at or entry.published_at, article.dateline)
             for entry, _page, article in items],
            [page.final_url for _entry, page, _article in items], result)
        loadable = []
        for (entry, page, article), analysis in zip(items, analyses, strict=True):
            if analysis is None:
                batch.fail(entry, RuntimeError("analysis failed; see the run's errors"), count=False)
                continue
            with isolated("entry", entry.url) as unit:
                loadable.append((entry, page, stages.make_bundle(page, article, analysis, analyzer.version,
                                                                 raw_store, entry_id=entry.entry_id)))
            if unit.failed:
                batch.fail(entry, unit.error, stage="bundle")
        _load(conn, batch, loadable, raw_store, result, run_id)
        batch.release_rest()
    summary = result.to_dict()
    summary["claimed"] = len(entries)  # not a count of the run: how much of the batch was still there to take
    return summary


def _load(conn, batch: Claim, loadable: list, raw_store: RawPageStore, result: StepResult,
          run_id: int | None) -> None:
    """Load the batch in one transaction; if it is refused, each article alone, so one bad one fails alone."""
    if not loadable:
        return
    with isolated("batch", f"{len(loadable)} articles") as whole:
        with conn.transaction():
            stages.load_bundles(conn, [b for _e, _p, b in loadable], [p for _e, p, _b in loadable],
                                raw_store, result, run_id=run_id)
        conn.commit()
    if not whole.failed:
        batch.loaded(entry for entry, _page, _bundle in loadable)
        return
    conn.rollback()
    for entry, page, bundle in loadable:
        with isolated("entry", entry.url) as unit:
            with conn.transaction():
                stages.load_bundles(conn, [bundle], [page], raw_store, result, run_id=run_id)
            conn.commit()
        if unit.failed:
            conn.rollback()
            batch.fail(entry, unit.error, stage="load")
        else:
            batch.loaded([entry])


def run_cycle(settings: Settings, feeds: Sequence[FeedSpec] = (), *, force: bool = False,
              analyzer=None) -> dict[str, Any]:
    """The whole cycle in this process: what `wirewatch run` and tests call."""
    feed_ids = register_feeds(settings, feeds) if feeds else None
    with recorded_run(settings, "cycle") as run, polite_fetcher(settings) as fetcher:
        batches = select_feed_batches(settings, feed_ids=feed_ids, force=force)
        for step in poll_feed_batches(settings, batches, run.run_id, fetcher=fetcher):
            run.results.append(step)  # as each batch is written: a run that fails later still counts it
        for batch in select_entry_batches(settings):
            run.results.append(process_entry_batch(settings, batch, run.run_id, fetcher=fetcher,
                                                   analyzer=analyzer))
    return run.summary


def drain_queue(settings: Settings, kind: str = "push", *, budget_s: float = 300.0,
                analyzer=None) -> dict[str, Any]:
    """Process pending entries until none are left or `budget_s` has passed, as one run.

    What push does when woken: entries that arrive while it works are taken too, and the
    model stays loaded in this process; whatever is left waits for the next run.
    """
    started = time.monotonic()
    with recorded_run(settings, kind) as run, polite_fetcher(settings) as fetcher:
        while time.monotonic() - started < budget_s:
            batches = select_entry_batches(settings)
            if not batches:
                break
            claimed = 0
            for batch in batches:
                step = process_entry_batch(settings, batch, run.run_id, fetcher=fetcher, analyzer=analyzer)
                claimed += step["claimed"]
                run.results.append(step)
            if not claimed:  # every ready entry went to other workers meanwhile
                break
    return run.summary


# --- inside the steps --------------------------------------------------------------------


class _fetcher:
    """Use the caller's fetcher, or open (and close) one for this step."""

    def __init__(self, settings: Settings, given: Fetcher | None) -> None:
        self._given = given
        self._own = None if given else polite_fetcher(settings)

    def __enter__(self) -> Fetcher:
        return self._given or self._own.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._own is not None:
            self._own.__exit__(*exc)


@dataclass(slots=True)
class _ChangedFeed:
    """A feed whose body changed, parsed, its new entries not yet queued."""

    feed: Any
    page: Page  # without its body
    parsed: ParsedFeed
    pairs: list[tuple[FeedEntry, str]]  # (entry, hash of its canonical URL)
    skipped: int  # items seen at the last poll, not parsed again
    body_hash: str
    polled_at: datetime
    hub: Any = None  # the WebSub hub the feed names, if any


@dataclass(slots=True)
class _Ledger:
    """A batch's poll bookkeeping, written in one go by `flush` (one transaction, few round trips)."""

    changed: list[_ChangedFeed] = field(default_factory=list)  # queued by `_queue_new_entries`
    polls: list[store.FeedPoll] = field(default_factory=list)
    fetches: list[store.FetchLogRow] = field(default_factory=list)
    deferrals: list[tuple[int, datetime]] = field(default_factory=list)
    disables: list[tuple[int, str]] = field(default_factory=list)
    seen: dict[int, bytes] = field(default_factory=dict)  # item digests read at the start of the batch
    digests: list[tuple[int, bytes]] = field(default_factory=list)

    def flush(self, conn) -> None:
        with conn.transaction():
            store.record_feed_polls(conn, self.polls)
            for feed_id, when in self.deferrals:
                store.defer_feed(conn, feed_id, when)
            for feed_id, reason in self.disables:
                store.disable_feed(conn, feed_id, reason)
            store.save_item_digests(conn, self.digests)
            store.log_fetches(conn, self.fetches)
        self.polls, self.fetches, self.deferrals, self.disables, self.digests = [], [], [], [], []


@dataclass(slots=True)
class _BatchPoll:
    """One batch of `poll_feed_batches`: its feeds, what their polls taught, how many have answered."""

    feeds: dict[int, Any] = field(default_factory=dict)
    ledger: _Ledger = field(default_factory=_Ledger)
    result: StepResult = field(default_factory=StepResult)
    answered: int = 0

    def write(self, settings: Settings, conn) -> dict[str, Any]:
        """Entries, feed state and fetch log of the whole batch, all or none; the batch's result."""
        with conn.transaction():
            _queue_new_entries(settings, conn, self.ledger, self.result)
            self.ledger.flush(conn)
        self.ledger = _Ledger()  # the batch's memory is freed as it is written
        return self.result.to_dict()


def _poll_feed(settings: Settings, feed, fetched: Page | FetchError, run_id: int | None,
               result: StepResult, ledger: _Ledger) -> None:
    """Note one fetched feed in `ledger`: unchanged (no parse), changed (parsed), deferred or failed.

    The feed is one unit of work (`isolated`): whatever its body makes the parser or
    anything else raise, it fails alone, its reason recorded in its row (`feeds list`).
    """
    now = datetime.now(timezone.utc)
    result.counts["feeds_polled"] += 1
    started = time.perf_counter()
    page = fetched if isinstance(fetched, Page) else None
    if isinstance(fetched, HostBusy):
        _defer_feed(ledger, feed, fetched, now, result)
        _log_poll(ledger, feed, run_id, result, started, fetched.elapsed_ms, None, str(fetched), None)
        return
    with isolated("feed", feed.url) as unit:
        if isinstance(fetched, FetchError):
            raise fetched
        _note_feed_body(settings, feed, fetched, now, result, ledger)
    if unit.failed:
        _note_feed_failure(settings, feed, unit.error, unit.reason, now, result, ledger)
    status = page.status if page is not None else getattr(unit.error, "status", None)
    _log_poll(ledger, feed, run_id, result, started, fetched.elapsed_ms, status, unit.reason,
              len(page.content) if page is not None else None)


def _note_feed_body(settings: Settings, feed, page: Page, now: datetime, result: StepResult,
                    ledger: _Ledger) -> None:
    """A feed answered: unchanged (its poll noted) or changed (parsed, its entries to queue)."""
    body_hash = hashlib.sha256(page.content).hexdigest() if not page.not_modified else feed.body_hash
    if page.not_modified or body_hash == feed.body_hash:
        result.counts["feeds_unchanged"] += 1
        plan = schedule.plan_success(now, feed.poll_interval_s, new_items=0,
                                     floor_s=settings.min_poll_interval,
                                     ceiling_s=settings.max_poll_interval,
                                     hint_s=schedule.hint_seconds(cache_control=page.headers.get("cache-control")))
        ledger.polls.append(store.FeedPoll(feed.feed_id, status=page.status, etag=page.etag or feed.etag,
                                           last_modified=page.last_modified or feed.last_modified,
                                           body_hash=body_hash, error=None, new_items=0,
                                           next_poll_at=plan.next_poll_at, poll_interval_s=plan.interval_s,
                                           polled_at=now))
        return
    digests_before = len(ledger.digests)
    try:
        parsed, skipped = _parse_unseen(page, ledger, feed.feed_id)
        pairs = _entry_pairs(feed, parsed, result)
        hub = discover_hub(page.final_url, page.headers, parsed)  # Link headers first, then the document
    except BaseException:
        del ledger.digests[digests_before:]  # a feed that failed keeps its old item digests
        raise
    # the body is parsed: the batch keeps only the page's headers until its end
    ledger.changed.append(_ChangedFeed(feed, replace(page, content=b"", text=None), parsed, pairs, skipped,
                                       body_hash, now, hub))


def _entry_pairs(feed, parsed: ParsedFeed, result: StepResult) -> list[tuple[FeedEntry, str]]:
    """(entry, hash of its canonical URL) of each item with a link; an item whose link breaks that is left out."""
    pairs = []
    for entry in parsed.entries:
        if not entry.link:
            continue
        with isolated("item", entry.link) as unit:
            pairs.append((entry, url_hash(canonicalize_url(entry.link))))
        if unit.failed:
            result.counts["feed_items_invalid"] += 1
            result.error(entry.link, "item", RuntimeError(unit.reason))
    return pairs


def _note_feed_failure(settings: Settings, feed, exc: BaseException, reason: str, now: datetime,
                       result: StepResult, ledger: _Ledger) -> None:
    """A failed poll: the reason in the feed's row, the next poll backed off, disabled after too many."""
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
    status = exc.status if isinstance(exc, HTTPStatusError) else None
    errors = feed.consecutive_errors + 1
    plan = schedule.plan_failure(now, feed.poll_interval_s, errors,
                                 floor_s=settings.min_poll_interval,
                                 ceiling_s=settings.max_poll_interval, retry_after_s=retry_after)
    ledger.polls.append(store.FeedPoll(feed.feed_id, status=status, etag=feed.etag,
                                       last_modified=feed.last_modified, body_hash=feed.body_hash,
                                       error=reason, new_items=0, next_poll_at=plan.next_poll_at,
                                       poll_interval_s=plan.interval_s, polled_at=now))
    if errors >= settings.max_consecutive_errors:
        ledger.disables.append((feed.feed_id, f"{errors} consecutive errors, last: {reason}"))
        log.warning("feed %s disabled after %d consecutive errors", feed.url, errors)
    result.counts["feeds_failed"] += 1
    result.error(feed.url, "feed", RuntimeError(reason))


def _log_poll(ledger: _Ledger, feed, run_id: int | None, result: StepResult, started: float,
              fetch_ms: int | None, status: int | None, error: str | None, size: int | None) -> None:
    elapsed_ms = (fetch_ms or 0) + int((time.perf_counter() - started) * 1000)
    result.timings["poll_s"] += elapsed_ms / 1000
    ledger.fetches.append(store.FetchLogRow(url=feed.url, kind="feed", run_id=run_id, feed_id=feed.feed_id,
                                            status=status, error=error, bytes=size, elapsed_ms=elapsed_ms))


def _queue_new_entries(settings: Settings, conn, ledger: _Ledger, result: StepResult) -> None:
    """Queue the changed feeds' entries in one round trip, then note their polls in `ledger`.

    A feed's next poll follows how many of its entries were new to the warehouse.
    """
    changed, ledger.changed = ledger.changed, []
    counts = store.add_feed_entries(conn, [(c.feed.feed_id, c.pairs) for c in changed])
    for c, new_items in zip(changed, counts, strict=True):
        parsed, page = c.parsed, c.page
        result.counts["entries_new"] += new_items
        result.counts["feed_items_skipped"] += c.skipped
        hint = schedule.hint_seconds(ttl_minutes=parsed.ttl_seconds // 60 if parsed.ttl_seconds else None,
                                     update_period=parsed.update_period,
                                     update_frequency=parsed.update_frequency,
                                     cache_control=page.headers.get("cache-control"))
        plan = schedule.plan_success(c.polled_at, c.feed.poll_interval_s, new_items=new_items,
                                     floor_s=settings.min_poll_interval,
                                     ceiling_s=settings.max_poll_interval, hint_s=hint)
        hub = c.hub
        ledger.polls.append(store.FeedPoll(c.feed.feed_id, status=page.status, etag=page.etag,
                                           last_modified=page.last_modified, body_hash=c.body_hash, error=None,
                                           new_items=new_items, next_poll_at=plan.next_poll_at,
                                           poll_interval_s=plan.interval_s, polled_at=c.polled_at,
                                           title=parsed.title, site_url=parsed.site_url,
                                           hub_url=hub.hub_url if hub else None,
                                           self_url=hub.topic_url if hub else parsed.self_url))
        log.info("feed %s: %d entries (%d seen before, not parsed), %d new", c.feed.url,
                 len(parsed.entries) + c.skipped, c.skipped, new_items)


def _parse_unseen(page: Page, ledger: _Ledger, feed_id: int) -> tuple[ParsedFeed, int]:
    """Parse a changed feed body for the items not seen at the last poll; (feed, items left out)."""
    document, digests, skipped = feed_items.unseen_document(page.content, feed_items.digests_of(
        ledger.seen.get(feed_id)))
    if digests:
        ledger.digests.append((feed_id, digests))
    if document is not None:
        try:
            return parse_feed(document, page.final_url, headers=page.headers), skipped
        except MalformedFeed:
            log.debug("feed %s: cut document did not parse; parsing it whole", page.url)
    return parse_feed(page.content, page.final_url, headers=page.headers), 0


def _defer_feed(ledger: _Ledger, feed, exc: HostBusy, now: datetime, result: StepResult) -> None:
    """Not polled now, without counting an error: after the host's wait if it asked for one,
    else (our own limits were in the way) at the very next cycle, its next poll left as it was."""
    result.counts["feeds_deferred"] += 1
    if exc.held:
        ledger.deferrals.append((feed.feed_id, now + timedelta(seconds=max(exc.retry_after, 1.0))))
        log.warning("feed %s deferred %.0fs: %s", feed.url, exc.retry_after, exc)
    else:
        log.warning("feed %s deferred to the next cycle: %s", feed.url, exc)


def _fetch_page(batch: Claim, fetcher: Fetcher, entry, run_id: int | None) -> Page | None:
    """The entry's page, or None with the entry settled and the run's counts saying why."""
    result = batch.result
    batch.track(entry)
    started = time.perf_counter()
    page: Page | None = None
    with isolated("page", entry.url) as unit:
        page = fetcher.fetch(entry.url, kind="page")
    error = unit.error
    if isinstance(error, HostBusy):  # left pending, not an attempt: the host asked us to come back later
        result.counts["pages_deferred"] += 1
        batch.defer(entry, error.retry_after, unit.reason)
    elif isinstance(error, RobotsDisallowed):
        result.counts["pages_skipped"] += 1
        result.counts["skipped_robots"] += 1
        batch.settle(entry, "skipped", skip_reason="robots", error=unit.reason)
    elif error is not None:
        batch.fail(entry, error, stage="fetch")
    elapsed = time.perf_counter() - started
    result.timings["fetch_s"] += elapsed
    store.log_fetches(batch.conn, [store.FetchLogRow(
        url=entry.url, kind="page", run_id=run_id, feed_id=entry.feed_id,
        status=page.status if page else getattr(error, "status", None),
        error=unit.reason, bytes=len(page.content) if page else None,
        elapsed_ms=int(elapsed * 1000))])
    batch.conn.commit()
    return page
