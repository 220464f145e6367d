-- 001: the feeds we monitor, the pipeline runs that poll them, and every HTTP fetch.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

create table feeds (
    feed_id             bigint generated always as identity primary key,
    url                 text not null unique check (url ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:'),
    title               text,
    site_url            text,
    enabled             boolean not null default true,
    disabled_reason     text,
    etag                text,
    last_modified       text,
    body_hash           text,
    last_status         integer check (last_status between 100 and 599),
    last_error          text,
    consecutive_errors  integer not null default 0 check (consecutive_errors >= 0),
    last_polled_at      timestamptz,
    last_new_item_at    timestamptz,
    next_poll_at        timestamptz not null default now(),
    poll_interval_s     integer not null default 900 check (poll_interval_s > 0),
    items_seen          bigint not null default 0 check (items_seen >= 0),
    hub_url             text,
    self_url            text,
    created_at          timestamptz not null default now(),
    constraint feeds_disabled_has_reason check (enabled or disabled_reason is not null)
);

comment on table feeds is 'One row per monitored news feed (RSS, Atom or JSON Feed) and its polling state.';
comment on column feeds.url is 'The feed document''s URL as configured; unique.';
comment on column feeds.title is 'Feed title from the feeds file or the feed document.';
comment on column feeds.site_url is 'The publisher''s home page the feed belongs to.';
comment on column feeds.enabled is 'False once the feed is switched off (by hand or after too many consecutive errors).';
comment on column feeds.disabled_reason is 'Why the feed was switched off; required when enabled is false.';
comment on column feeds.etag is 'ETag of the last successful response, sent back as If-None-Match.';
comment on column feeds.last_modified is 'Last-Modified of the last successful response, sent back as If-Modified-Since.';
comment on column feeds.body_hash is 'sha256 of the last feed body, to notice unchanged feeds whose server ignores conditional requests.';
comment on column feeds.last_status is 'HTTP status of the last poll; null when no response arrived.';
comment on column feeds.last_error is 'One-line error of the last poll; null after a successful poll.';
comment on column feeds.consecutive_errors is 'Polls in a row that failed; reset to 0 by a successful poll.';
comment on column feeds.last_polled_at is 'When the feed was last polled, successfully or not.';
comment on column feeds.last_new_item_at is 'When a poll last found an entry not seen before.';
comment on column feeds.next_poll_at is 'When the feed is next due; the scheduler polls feeds whose time has come.';
comment on column feeds.poll_interval_s is 'Current adaptive polling interval in seconds.';
comment on column feeds.items_seen is 'Total of new entries this feed has contributed.';
comment on column feeds.hub_url is 'WebSub hub advertised by the feed (rel=hub), for push subscription.';
comment on column feeds.self_url is 'The feed''s own URL as it advertises it (rel=self).';
comment on column feeds.created_at is 'When the feed was first added.';

create index feeds_due_idx on feeds (next_poll_at) where enabled;

create table pipeline_runs (
    run_id       bigint generated always as identity primary key,
    kind         text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
    started_at   timestamptz not null default now(),
    finished_at  timestamptz,
    status       text not null default 'running' check (status in ('running', 'ok', 'failed')),
    counts       jsonb not null default '{}' check (jsonb_typeof(counts) = 'object'),
    timings      jsonb check (jsonb_typeof(timings) = 'object'),
    errors       jsonb check (jsonb_typeof(errors) = 'array'),
    host         text,
    constraint pipeline_runs_finished check ((status = 'running') = (finished_at is null)),
    constraint pipeline_runs_order check (finished_at is null or finished_at >= started_at)
);

comment on table pipeline_runs is 'One row per pipeline run (a monitoring cycle, a backfill, a reprocessing, a push delivery).';
comment on column pipeline_runs.kind is 'What ran: cycle, backfill, reprocess, push, ...';
comment on column pipeline_runs.started_at is 'When the run started.';
comment on column pipeline_runs.finished_at is 'When the run ended; null while it is running.';
comment on column pipeline_runs.status is 'running while in progress, then ok or failed.';
comment on column pipeline_runs.counts is 'Counters of the run: feeds_polled, feeds_unchanged, feeds_failed, entries_new, articles_new, articles_duplicate, pages_skipped, pages_failed, entities, events, ...';
comment on column pipeline_runs.timings is 'Seconds spent per stage, e.g. {"fetch": 3.2, "nlp": 10.5}.';
comment on column pipeline_runs.errors is 'List of {url, stage, error} for every failure the run recorded and went past.';
comment on column pipeline_runs.host is 'Host name of the machine that ran it.';

create index pipeline_runs_started_idx on pipeline_runs (started_at desc);

create table fetch_log (
    fetch_id    bigint generated always as identity primary key,
    run_id      bigint references pipeline_runs (run_id) on delete set null,
    feed_id     bigint references feeds (feed_id) on delete set null,
    url         text not null,
    kind        text not null check (kind in ('feed', 'page', 'robots', 'sitemap', 'other')),
    status      integer check (status between 100 and 599),
    error       text,
    bytes       integer check (bytes >= 0),
    elapsed_ms  integer check (elapsed_ms >= 0),
    fetched_at  timestamptz not null default now(),
    constraint fetch_log_outcome check (status is not null or error is not null)
);

comment on table fetch_log is 'One row per HTTP fetch, successful or not: politeness and failure audit.';
comment on column fetch_log.run_id is 'The run that made the fetch; null for fetches outside a recorded run.';
comment on column fetch_log.feed_id is 'The feed fetched, or whose entry was fetched; null otherwise.';
comment on column fetch_log.url is 'The URL requested.';
comment on column fetch_log.kind is 'What was fetched: feed, page, robots, sitemap or other.';
comment on column fetch_log.status is 'HTTP status; null when no response arrived.';
comment on column fetch_log.error is 'One-line error when the fetch failed.';
comment on column fetch_log.bytes is 'Body size received, in bytes.';
comment on column fetch_log.elapsed_ms is 'Wall time of the request in milliseconds.';
comment on column fetch_log.fetched_at is 'When the request was made.';

create index fetch_log_run_idx on fetch_log (run_id);
create index fetch_log_feed_idx on fetch_log (feed_id, fetched_at);
