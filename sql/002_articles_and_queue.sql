-- 002: raw pages, articles, the URLs they were seen under, and the queue of entries to fetch.

create table raw_pages (
    content_hash    text primary key check (content_hash ~ '^[0-9a-f]{64}$'),
    body            bytea not null,
    content_type    text,
    encoding        text,
    original_bytes  integer not null check (original_bytes >= 0),
    stored_at       timestamptz not null default now()
);

comment on table raw_pages is 'Content-addressed raw HTML as fetched, kept so articles can be re-extracted later.';
comment on column raw_pages.content_hash is 'sha256 (hex) of the uncompressed body; the key, so identical pages are stored once.';
comment on column raw_pages.body is 'The body, gzip-compressed.';
comment on column raw_pages.content_type is 'Content-Type header of the response.';
comment on column raw_pages.encoding is 'Character encoding the body was decoded with.';
comment on column raw_pages.original_bytes is 'Size of the uncompressed body in bytes.';
comment on column raw_pages.stored_at is 'When the page was first stored.';

create table articles (
    article_id         bigint generated always as identity primary key,
    url                text not null,
    canonical_url      text not null,
    url_hash           text not null unique check (length(url_hash) between 8 and 128),
    title              text,
    author             text,
    published_at       timestamptz,
    language           text check (language ~ '^[a-z]{2,3}([-_][A-Za-z0-9]{1,8})*$'),
    source_agency      text,
    dateline           text,
    sitename           text,
    text               text not null check (length(text) > 0),
    content_hash       text not null unique check (content_hash ~ '^[0-9a-f]{64}$'),
    simhash            bigint,
    duplicate_of       bigint references articles (article_id) on delete set null
                       check (duplicate_of <> article_id),
    extractor          text not null,
    extractor_version  text not null,
    raw_page_hash      text references raw_pages (content_hash) on delete set null,
    fetched_at         timestamptz,
    extracted_at       timestamptz not null default now(),
    analyzed_at        timestamptz,
    analyzer_version   text,
    first_run_id       bigint references pipeline_runs (run_id) on delete set null,
    constraint articles_analyzed check ((analyzed_at is null) = (analyzer_version is null))
);

comment on table articles is 'One row per distinct article: cleaned text and metadata. Exact copies (same canonical URL or same text) are not stored again; their URLs go to article_urls.';
comment on column articles.url is 'The URL the article was first fetched from.';
comment on column articles.canonical_url is 'The canonical URL (rel=canonical / og:url, else the normalised fetched URL).';
comment on column articles.url_hash is 'Hash of the canonicalised canonical URL (pipeline.urls.url_hash); unique.';
comment on column articles.published_at is 'Publication time from the page metadata; midnight UTC when only a date is known.';
comment on column articles.language is 'ISO 639-1 language code of the text.';
comment on column articles.source_agency is 'Wire agency credited (AFP, Reuters, AP, ...), when the text names one.';
comment on column articles.dateline is 'Dateline place of the report ("BEIRUT"), when there is one.';
comment on column articles.sitename is 'Publisher name from the page metadata.';
comment on column articles.text is 'The article body only, paragraphs separated by a blank line.';
comment on column articles.content_hash is 'sha256 (hex) of text; unique, so a syndicated copy with identical text is stored once.';
comment on column articles.simhash is '64-bit simhash of text for near-duplicate search (filled later).';
comment on column articles.duplicate_of is 'The article this one nearly duplicates (filled later by near-duplicate detection).';
comment on column articles.extractor is 'Extractor name and version that produced text, as the extract command reports it.';
comment on column articles.extractor_version is 'Wirewatch extraction version, to select articles for re-extraction.';
comment on column articles.raw_page_hash is 'The raw page the text was extracted from, when raw pages are kept.';
comment on column articles.fetched_at is 'When the page was fetched.';
comment on column articles.extracted_at is 'When the text was extracted and stored.';
comment on column articles.analyzed_at is 'When entities and events were last (re)computed.';
comment on column articles.analyzer_version is 'Wirewatch analyzer version that produced the current entities and events, to select articles for reprocessing.';
comment on column articles.first_run_id is 'The pipeline run that stored the article, for per-run reports; null when loaded outside a run.';

create index articles_published_idx on articles (published_at);
create index articles_analyzer_idx on articles (analyzer_version);
create index articles_first_run_idx on articles (first_run_id);
create index articles_duplicate_of_idx on articles (duplicate_of) where duplicate_of is not null;

create table article_urls (
    url_hash       text primary key check (length(url_hash) between 8 and 128),
    url            text not null,
    article_id     bigint not null references articles (article_id) on delete cascade,
    first_seen_at  timestamptz not null default now()
);

comment on table article_urls is 'Every URL an article was seen under (its own, its canonical one, syndicated copies); one row per URL.';
comment on column article_urls.url_hash is 'Hash of the canonicalised URL; the key.';
comment on column article_urls.url is 'The URL as seen.';
comment on column article_urls.article_id is 'The article stored for this URL.';
comment on column article_urls.first_seen_at is 'When this URL was first linked to the article.';

create index article_urls_article_idx on article_urls (article_id);

create table entries (
    entry_id       bigint generated always as identity primary key,
    feed_id        bigint references feeds (feed_id) on delete set null,
    source         text not null default 'feed' check (source ~ '^[a-z][a-z0-9_]*$'),
    url            text not null,
    url_hash       text not null unique check (length(url_hash) between 8 and 128),
    title          text,
    summary        text,
    guid           text,
    published_at   timestamptz,
    discovered_at  timestamptz not null default now(),
    state          text not null default 'pending'
                   check (state in ('pending', 'done', 'skipped', 'failed', 'duplicate')),
    attempts       integer not null default 0 check (attempts >= 0),
    last_error     text,
    skip_reason    text,
    article_id     bigint references articles (article_id) on delete set null,
    updated_at     timestamptz not null default now(),
    constraint entries_skipped_has_reason check (state <> 'skipped' or skip_reason is not null)
);

comment on table entries is 'The durable queue of article URLs to fetch, found in feeds, pushed by WebSub or listed by a backfill; one row per canonical URL.';
comment on column entries.feed_id is 'The feed the entry came from; null for other sources.';
comment on column entries.source is 'Where the URL came from: feed, push, backfill, sitemap, ...';
comment on column entries.url is 'The article URL as found.';
comment on column entries.url_hash is 'Hash of the canonicalised URL; unique, so a URL is queued once.';
comment on column entries.title is 'Title given by the feed item.';
comment on column entries.summary is 'Summary or description given by the feed item.';
comment on column entries.guid is 'The feed item''s id/guid.';
comment on column entries.published_at is 'Publication time given by the feed item.';
comment on column entries.discovered_at is 'When the URL was first queued.';
comment on column entries.state is 'pending (to fetch), done (article stored), duplicate (copy of a stored article), skipped (not an article) or failed.';
comment on column entries.attempts is 'Processing attempts so far.';
comment on column entries.last_error is 'One-line error of the last failed attempt.';
comment on column entries.skip_reason is 'Why the entry was skipped (not_article, blocked, too_large, ...).';
comment on column entries.article_id is 'The stored article this entry became or duplicates.';
comment on column entries.updated_at is 'When the state last changed.';

create index entries_pending_idx on entries (discovered_at, entry_id) where state = 'pending';
create index entries_feed_idx on entries (feed_id, discovered_at);
create index entries_article_idx on entries (article_id) where article_id is not null;
