"""The PostgreSQL warehouse: connection, migrations, loading, and the cycle's bookkeeping.

    database    where the warehouse is (a configured server or the embedded one), connect
    migrations  apply `sql/NNN_*.sql` once each, in order, checksummed
    loader      articles with entities and events, a batch per transaction
    raw_pages   raw pages one at a time: kept in the warehouse, or listed when kept on disk
    feeds       feeds and their polling state; queueing article URLs
    websub      WebSub subscriptions: requests, verifications, push counters; feeds' hubs
    queue       the entries queue: claims with a lease, retries, dead letters
    articles    stored articles read back for reprocessing; their extraction replaced
    backfill    backfill progress: a row per source and day, with the cursor to resume from
    runs        pipeline runs and the fetch log; what a run loaded, for its report
    dashboards  the dashboards' materialized views, listed in dependency order, refreshed
    statements  the statements of migrations, loader, feeds, queue and runs' bookkeeping
                (the other modules keep theirs beside the functions that run them)

No module outside this package runs SQL or imports psycopg (`tests/unit/test_layers.py`): callers
pass the `Connection` that `connect()` returns (re-exported here for their annotations);
nothing here reads the environment.
"""

from psycopg import Connection

from pipeline.store.database import (
    PGDATA_DIR,
    check_connection,
    connect,
    conninfo_from,
    database_url,
    describe_server,
    ping,
    start_embedded,
    stop_embedded,
)
from pipeline.store.articles import (
    StoredArticle,
    get_stored_articles,
    mark_extracted,
    replace_extraction,
    stale_analyses,
    stale_extractions,
)
from pipeline.store.backfill import (
    BackfillProgress,
    backfill_progress,
    begin_backfill_day,
    finish_backfill_day,
    save_backfill_cursor,
)
from pipeline.store.dashboards import MaterializedView, list_materialized_views, refresh_materialized_view
from pipeline.store.feeds import (
    add_entries,
    add_feed_entries,
    defer_feed,
    disable_feed,
    due_feeds,
    enable_feed,
    feed_rates,
    find_feed,
    item_digests,
    known_article_hashes,
    list_feeds,
    record_feed_polls,
    relax_poll_commits,
    remove_feed,
    save_item_digests,
    upsert_feeds,
)
from pipeline.store.loader import (
    content_hash,
    load_articles,
    link_duplicate,
    mark_not_analysed,
    record_fingerprint,
    replace_analysis,
)
from pipeline.store.raw_pages import StoredRawPage, get_raw_page, record_raw_page_on_disk, store_raw_page
from pipeline.store.queue import (
    backoff,
    claim_entries,
    get_entries,
    list_entries,
    pending_entry_ids,
    ready_entries,
    requeue_entries,
    settle_entry,
    worker_id,
)
from pipeline.store.websub import (
    HubFeed,
    Subscription,
    count_push,
    count_refused_push,
    defer_feed_polling,
    hub_feeds_to_subscribe,
    leased_subscriptions,
    list_subscriptions,
    record_subscription_error,
    record_verified,
    set_feed_hub,
    set_subscription_state,
    subscription_by_callback,
    subscriptions_to_cancel,
    upsert_subscription,
)
from pipeline.store.migrations import SQL_DIR, find_migrations, migrate, pending_migrations
from pipeline.store.rows import EntryRow, FeedPoll, FeedState, FetchLogRow, LoadOutcome, RunRow
from pipeline.store.runs import (
    EventExample,
    EventTypeCount,
    abandon_dead_runs,
    finish_run,
    get_run,
    latest_run_id,
    log_fetches,
    run_event_counts,
    run_event_examples,
    start_run,
)

__all__ = [
    "Connection",
    "abandon_dead_runs",
    "PGDATA_DIR",
    "SQL_DIR",
    "EntryRow",
    "FeedPoll",
    "FeedState",
    "FetchLogRow",
    "LoadOutcome",
    "RunRow",
    "add_entries",
    "add_feed_entries",
    "check_connection",
    "connect",
    "conninfo_from",
    "ping",
    "content_hash",
    "database_url",
    "defer_feed",
    "describe_server",
    "disable_feed",
    "due_feeds",
    "enable_feed",
    "feed_rates",
    "find_feed",
    "find_migrations",
    "finish_run",
    "get_entries",
    "get_run",
    "item_digests",
    "known_article_hashes",
    "link_duplicate",
    "list_feeds",
    "load_articles",
    "log_fetches",
    "mark_not_analysed",
    "migrate",
    "pending_migrations",
    "ready_entries",
    "requeue_entries",
    "settle_entry",
    "list_entries",
    "claim_entries",
    "backoff",
    "worker_id",
    "record_feed_polls",
    "remove_feed",
    "record_fingerprint",
    "HubFeed",
    "Subscription",
    "count_push",
    "count_refused_push",
    "defer_feed_polling",
    "hub_feeds_to_subscribe",
    "leased_subscriptions",
    "list_subscriptions",
    "record_subscription_error",
    "record_verified",
    "set_feed_hub",
    "set_subscription_state",
    "subscription_by_callback",
    "subscriptions_to_cancel",
    "upsert_subscription",
    "replace_analysis",
    "save_item_digests",
    "start_embedded",
    "start_run",
    "stop_embedded",
    "store_raw_page",
    "upsert_feeds",
    "EventExample",
    "EventTypeCount",
    "latest_run_id",
    "run_event_counts",
    "run_event_examples",
    "BackfillProgress",
    "backfill_progress",
    "begin_backfill_day",
    "finish_backfill_day",
    "save_backfill_cursor",
    "pending_entry_ids",
    "StoredArticle",
    "get_stored_articles",
    "mark_extracted",
    "replace_extraction",
    "stale_analyses",
    "stale_extractions",
    "StoredRawPage",
    "get_raw_page",
    "record_raw_page_on_disk",
    "MaterializedView",
    "list_materialized_views",
    "refresh_materialized_view",
    "relax_poll_commits",
]
