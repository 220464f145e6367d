-- 020: backfill bookkeeping (one row per source and day, for resuming), raw pages kept on
-- disk as well as in the warehouse, and what reprocessing selects on.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

create table backfill_progress (
    source       text not null check (length(source) > 0),
    day          date not null,
    kind         text not null check (kind in ('warc', 'sitemap', 'feed')),
    state        text not null default 'running' check (state in ('running', 'done', 'failed')),
    cursor       jsonb not null default '{}' check (jsonb_typeof(cursor) = 'object'),
    counts       jsonb not null default '{}' check (jsonb_typeof(counts) = 'object'),
    run_id       bigint references pipeline_runs (run_id) on delete set null,
    attempts     integer not null default 1 check (attempts >= 1),
    last_error   text,
    started_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    finished_at  timestamptz,
    primary key (source, day),
    constraint backfill_progress_finished check ((state = 'done') = (finished_at is not null)),
    constraint backfill_progress_order check (updated_at >= started_at)
);

comment on table backfill_progress is 'One row per backfill source and day: how far the backfill of that day got, so a rerun does only what is missing.';
comment on column backfill_progress.source is 'The source as given: a WARC path or glob, a sitemap URL or a feed URL.';
comment on column backfill_progress.day is 'The UTC day (one Airflow data interval) being backfilled.';
comment on column backfill_progress.kind is 'warc, sitemap or feed.';
comment on column backfill_progress.state is 'running (started, perhaps interrupted), done, or failed (last_error says why).';
comment on column backfill_progress.cursor is 'Where to resume: for WARC files {"files": {path: byte offset of the next unread record}, "finished": [paths]}; committed with each batch it covers.';
comment on column backfill_progress.counts is 'Counters added up over every attempt: records, pages, articles_new, articles_duplicate, skipped_<reason>, ...';
comment on column backfill_progress.run_id is 'The pipeline run of the latest attempt.';
comment on column backfill_progress.attempts is 'How many times the day was started.';
comment on column backfill_progress.last_error is 'One-line error of the last failed attempt.';
comment on column backfill_progress.finished_at is 'When the day was completed; null until then.';

create index backfill_progress_state_idx on backfill_progress (state, day);

-- Raw pages may be kept on disk (WIREWATCH_RAW_STORE=dir:/path) and only indexed here.
alter table raw_pages alter column body drop not null;
alter table raw_pages add column stored_in text not null default 'database'
    check (stored_in in ('database', 'dir'));
alter table raw_pages add constraint raw_pages_body_stored
    check ((stored_in = 'database') = (body is not null));

comment on column raw_pages.body is 'The body, gzip-compressed; null when it is kept on disk (stored_in = dir).';
comment on column raw_pages.stored_in is 'Where the body is: database (body column) or dir (<raw store>/<hash[0:2]>/<hash>.gz).';

create index articles_extractor_idx on articles (extractor_version);

-- One row per backfill source: how many days are done, running or failed, and articles counted.
create view backfill_status as
with days as (
    select
        bp.source,
        bp.kind,
        count(*) filter (where bp.state = 'done') as days_done,
        count(*) filter (where bp.state = 'running') as days_running,
        count(*) filter (where bp.state = 'failed') as days_failed,
        min(bp.day) as first_day,
        max(bp.day) as last_day,
        sum(coalesce((bp.counts ->> 'articles_new')::bigint, 0)) as articles_new,
        max(bp.updated_at) as last_update
    from backfill_progress as bp
    group by bp.source, bp.kind
)
select
    d.source,
    d.kind,
    d.days_done,
    d.days_running,
    d.days_failed,
    d.first_day,
    d.last_day,
    d.articles_new,
    d.last_update
from days as d;

comment on view backfill_status is 'One row per backfill source: days done, running and failed, and the articles it added.';
