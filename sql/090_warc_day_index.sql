-- 090: where each UTC day's records sit in a WARC file, learnt on the first pass over the
-- file, so that a backfill reads a file once whatever its window and a per-day task seeks
-- straight to its day's records (an empty day reads nothing).
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

create table warc_indexes (
    path         text primary key check (length(path) > 0),
    size         bigint not null check (size >= 0),
    mtime_ns     bigint not null,
    records      bigint not null check (records >= 0),
    days         integer not null check (days >= 0),
    built_at     timestamptz not null default now(),
    run_id       bigint references pipeline_runs (run_id) on delete set null
);

comment on table warc_indexes is 'One row per WARC file read to its end by a backfill: which file, as it was then (size and modification time), so a changed file is read again.';
comment on column warc_indexes.path is 'The file''s absolute path.';
comment on column warc_indexes.size is 'The file''s size in bytes when it was indexed; another size makes the index stale.';
comment on column warc_indexes.mtime_ns is 'The file''s modification time (nanoseconds since the epoch) when it was indexed; another time makes the index stale.';
comment on column warc_indexes.records is 'How many WARC records the indexing pass read.';
comment on column warc_indexes.days is 'How many UTC days hold at least one response or resource record.';
comment on column warc_indexes.built_at is 'When the indexing pass ended.';
comment on column warc_indexes.run_id is 'The pipeline run whose pass built the index.';

create table warc_index_days (
    path     text not null references warc_indexes (path) on delete cascade,
    day      date not null,
    offsets  bigint[] not null check (cardinality(offsets) > 0),
    primary key (path, day)
);

comment on table warc_index_days is 'One row per WARC file and UTC day holding records: where reading must start (in file order) to find them.';
comment on column warc_index_days.path is 'The indexed file (warc_indexes.path).';
comment on column warc_index_days.day is 'The UTC day of the records'' WARC-Date (capture time).';
comment on column warc_index_days.offsets is 'Byte offsets, ascending, of the units holding the day''s response and resource records: a gzip member in a .warc.gz, a record in a plain .warc.';
