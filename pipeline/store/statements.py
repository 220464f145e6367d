"""The statements of the migrations, loader, feeds, queue and runs' bookkeeping, with bound
parameters only (the store's smaller modules keep theirs beside the functions that run them).

Schema lives in `sql/0*.sql`; these are the statements that read and write it.
Identifiers that vary (table lists) are composed with `psycopg.sql`, never by string
formatting of values.
"""

from __future__ import annotations

from psycopg import sql

# --- migrations -----------------------------------------------------------------------------

#: arbitrary constants naming the advisory locks (pg_advisory_xact_lock takes a bigint)
MIGRATION_LOCK_KEY = 0x5757_4D49_4752  # "WWMIGR"
LOAD_LOCK_KEY = 0x5757_4C4F_4144  # "WWLOAD": the seed of the per-article lock keys
LOCATIONS_LOCK_KEY = 0x5757_4C4F_4354  # "WWLOCT": loads share it; dropping unused places takes it alone

ADVISORY_XACT_LOCK = "select pg_advisory_xact_lock(%s)"
ADVISORY_XACT_LOCK_SHARED = "select pg_advisory_xact_lock_shared(%s)"

# One transaction-scoped lock per article key (URL hashes, text hash), taken in key order
# so that two loads sharing keys queue behind each other instead of deadlocking; loads of
# different articles do not wait for each other at all.
LOCK_ARTICLE_KEYS = """
select pg_advisory_xact_lock(k.key)
from (select distinct hashtextextended(h, %(seed)s) as key from unnest(%(keys)s::text[]) as h order by 1) as k
"""

CREATE_SCHEMA_MIGRATIONS = """
create table if not exists schema_migrations (
    version     integer primary key check (version > 0),
    name        text not null unique,
    checksum    text not null check (checksum ~ '^[0-9a-f]{64}$'),
    applied_at  timestamptz not null default now()
)
"""

SELECT_MIGRATIONS = "select version, name, checksum from schema_migrations order by version"

SELECT_MIGRATION = "select name, checksum from schema_migrations where version = %s"

INSERT_MIGRATION = "insert into schema_migrations (version, name, checksum) values (%s, %s, %s)"

# --- staging tables for one load --------------------------------------------------------------

# Each staging table as column -> type. The DDL, the COPY column lists and the loader's rows
# (mappings keyed by these names) all come from here, so a value cannot land in the column
# beside its own. Temp tables live until the end of the load's transaction; `if not exists`
# + truncate lets the error probe reuse them across savepoints.
STAGE_TABLES: dict[str, dict[str, str]] = {
    "stage_articles": {
        "ord": "integer primary key",
        "first_ord": "integer not null",
        "dup_reason": "text",
        "entry_id": "bigint",
        "url": "text not null",
        "url_hash": "text not null",
        "canonical_url": "text not null",
        "canonical_url_hash": "text not null",
        "title": "text",
        "author": "text",
        "published_at": "timestamptz",
        "language": "text",
        "source_agency": "text",
        "dateline": "text",
        "sitename": "text",
        "text": "text",
        "content_hash": "text not null",
        "extractor": "text",
        "extractor_version": "text",
        "raw_page_hash": "text",
        "fetched_at": "timestamptz",
        "analyzer_version": "text not null",
        "model_version": "text not null",
        "run_id": "bigint",
        "article_id": "bigint",
        "is_new": "boolean not null default false",
    },
    "stage_raw_pages": {
        "content_hash": "text primary key",
        "body": "bytea not null",
        "content_type": "text",
        "encoding": "text",
        "original_bytes": "integer not null",
    },
    "stage_entities": {
        "ord": "integer not null",
        "seq": "integer not null",
        "label": "text",
        "canonical": "text",
        "mentions": "integer",
    },
    "stage_mentions": {
        "ord": "integer not null",
        "start_char": "integer",
        "end_char": "integer",
        "text": "text",
        "label": "text",
        "canonical": "text",
    },
    "stage_events": {
        "ord": "integer not null",
        "seq": "integer not null",
        "type": "text",
        "mode": "text",
        "trigger": "text",
        "actor1_text": "text",
        "actor1_canonical": "text",
        "actor1_type": "text",
        "actor1_country": "text",
        "actor2_text": "text",
        "actor2_canonical": "text",
        "actor2_type": "text",
        "actor2_country": "text",
        "loc_geonameid": "integer",
        "loc_name": "text",
        "loc_admin1": "text",
        "loc_country": "text",
        "loc_lat": "double precision",
        "loc_lon": "double precision",
        "loc_precision": "text",
        "location_text": "text",
        "location_source": "text",
        "event_date": "date",
        "date_text": "text",
        "date_precision": "text",
        "date_source": "text",
        "fatalities": "integer",
        "sentence": "text",
        "sent_start": "integer",
        "sent_end": "integer",
        "supporting": "jsonb",
        "confidence": "real",
        "speaker_text": "text",
        "speaker_canonical": "text",
        "speaker_type": "text",
        "speaker_country": "text",
    },
}

STAGE_ARTICLE_COLUMNS = tuple(STAGE_TABLES["stage_articles"])
STAGE_RAW_COLUMNS = tuple(STAGE_TABLES["stage_raw_pages"])
STAGE_ENTITY_COLUMNS = tuple(STAGE_TABLES["stage_entities"])
STAGE_MENTION_COLUMNS = tuple(STAGE_TABLES["stage_mentions"])
STAGE_EVENT_COLUMNS = tuple(STAGE_TABLES["stage_events"])


def _create_temp(table: str, columns: dict[str, str]) -> sql.Composed:
    return sql.SQL("create temp table if not exists {} ({}) on commit drop").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                           for name, kind in columns.items()),
    )


CREATE_STAGING = sql.SQL(";\n").join([
    *(_create_temp(table, columns) for table, columns in STAGE_TABLES.items()),
    sql.SQL("truncate {}").format(sql.SQL(", ").join(map(sql.Identifier, STAGE_TABLES))),
])


def copy_into(table: str, columns: tuple[str, ...]) -> sql.Composed:
    """`copy <table> (<columns>) from stdin` with quoted identifiers."""
    return sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def _source(expr: str) -> sql.Composable:
    """`alias.column` as quoted identifiers; a call such as `now()` as written."""
    return sql.SQL(expr) if expr.endswith("()") else sql.Identifier(*expr.split("."))


def _insert_select(table: str, values: dict[str, str], rest: str) -> sql.Composed:
    """`insert into <table> (<columns>) select <sources> <rest>`: each column beside its source by name."""
    return sql.SQL("insert into {} ({}) select {} ").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(_source, values.values())),
    ) + sql.SQL(rest)


def insert_row(table: str, columns: tuple[str, ...], conflict: str = "") -> sql.Composed:
    """`insert into <table> (<columns>) values (%(column)s, ...)`: parameters are passed by column name."""
    return sql.SQL("insert into {} ({}) values ({}) ").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(map(sql.Placeholder, columns)),
    ) + sql.SQL(conflict)


# --- loading articles -----------------------------------------------------------------------

# A batch's first occurrences that are already stored: same canonical or fetched URL first
# (the same article again), then same text (a syndicated copy under another URL).
RESOLVE_BY_URL = """
update stage_articles s
set article_id = coalesce(
        (select au.article_id from article_urls au where au.url_hash = s.canonical_url_hash),
        (select a.article_id from articles a where a.url_hash = s.canonical_url_hash),
        (select au.article_id from article_urls au where au.url_hash = s.url_hash)),
    dup_reason = 'url'
where s.ord = s.first_ord and s.article_id is null
  and (exists (select 1 from article_urls au where au.url_hash in (s.canonical_url_hash, s.url_hash))
       or exists (select 1 from articles a where a.url_hash = s.canonical_url_hash))
"""

RESOLVE_BY_CONTENT = """
update stage_articles s
set article_id = a.article_id, dup_reason = 'content'
from articles a
where s.ord = s.first_ord and s.article_id is null and a.content_hash = s.content_hash
"""

SELECT_UNRESOLVED = "select ord from stage_articles where ord = first_ord and article_id is null order by ord"

#: `raw_pages` columns, as a load and `store_raw_page` write them
RAW_PAGE_COLUMNS = ("content_hash", "body", "content_type", "encoding", "original_bytes")

INSERT_RAW_PAGES = _insert_select(
    "raw_pages", {name: f"r.{name}" for name in RAW_PAGE_COLUMNS},
    "from stage_raw_pages r on conflict (content_hash) do nothing",
)

#: `articles` column -> its value in `stage_articles s` (the article is keyed by its canonical URL)
ARTICLE_VALUES = {
    **{name: f"s.{name}" for name in (
        "url", "canonical_url", "title", "author", "published_at", "language", "source_agency", "dateline",
        "sitename", "text", "content_hash", "extractor", "extractor_version", "raw_page_hash", "fetched_at",
        "analyzer_version")},
    "url_hash": "s.canonical_url_hash",
    "analyzed_at": "now()",
    "first_run_id": "s.run_id",
}

INSERT_ARTICLES = sql.SQL("with inserted as (") + _insert_select("articles", ARTICLE_VALUES, """
    from stage_articles s
    where s.ord = s.first_ord and s.article_id is null
    order by s.ord
    on conflict do nothing
    returning article_id, url_hash
)
update stage_articles s
set article_id = i.article_id, is_new = true
from inserted i
where s.ord = s.first_ord and s.canonical_url_hash = i.url_hash
""")

# Later occurrences in the batch point where their first occurrence ended up.
RESOLVE_IN_BATCH = """
update stage_articles s
set article_id = f.article_id
from stage_articles f
where s.ord <> s.first_ord and f.ord = s.first_ord
"""

INSERT_ARTICLE_URLS = """
insert into article_urls (url_hash, url, article_id)
select distinct on (u.url_hash) u.url_hash, u.url, u.article_id
from (
    select ord, 0 as pos, canonical_url_hash as url_hash, canonical_url as url, article_id from stage_articles
    union all
    select ord, 1 as pos, url_hash, url, article_id from stage_articles
) u
order by u.url_hash, u.ord, u.pos
on conflict (url_hash) do nothing
"""

SELECT_NEW_ARTICLES = "select ord, article_id from stage_articles where is_new order by ord"

INSERT_ENTITIES = """
insert into entities (article_id, canonical, label, mentions)
select s.article_id, e.canonical, e.label, e.mentions
from stage_entities e join stage_articles s on s.ord = e.ord
order by e.ord, e.seq
"""

INSERT_MENTIONS = """
insert into entity_mentions (article_id, start_char, end_char, text, label, canonical, entity_id)
select s.article_id, m.start_char, m.end_char, m.text, m.label, m.canonical, en.entity_id
from stage_mentions m
join stage_articles s on s.ord = m.ord
join entities en on en.article_id = s.article_id and en.label = m.label and en.canonical = m.canonical
"""

INSERT_LOCATIONS = """
insert into locations (geonameid, name, admin1, country, lat, lon, precision)
select distinct on (coalesce(loc_geonameid, -1), loc_name, coalesce(loc_admin1, ''),
                    coalesce(loc_country, ''), loc_precision)
       loc_geonameid, loc_name, loc_admin1, loc_country, loc_lat, loc_lon, loc_precision
from stage_events
where loc_name is not null
order by coalesce(loc_geonameid, -1), loc_name, coalesce(loc_admin1, ''), coalesce(loc_country, ''),
         loc_precision, ord, seq
on conflict ((coalesce(geonameid, -1)), name, (coalesce(admin1, '')), (coalesce(country, '')), precision)
do nothing
"""

#: `events` column -> its value: staged event `e` (same name), its article `s`, its place `l`
EVENT_VALUES = {
    "article_id": "s.article_id",
    **{name: f"e.{name}" for name in STAGE_EVENT_COLUMNS if name != "ord" and not name.startswith("loc_")},
    "location_id": "l.location_id",
    "analyzer_version": "s.analyzer_version",
    "model_version": "s.model_version",
}

INSERT_EVENTS = _insert_select("events", EVENT_VALUES, """
from stage_events e
join stage_articles s on s.ord = e.ord
left join locations l
       on coalesce(l.geonameid, -1) = coalesce(e.loc_geonameid, -1)
      and l.name = e.loc_name
      and coalesce(l.admin1, '') = coalesce(e.loc_admin1, '')
      and coalesce(l.country, '') = coalesce(e.loc_country, '')
      and l.precision = e.loc_precision
order by e.ord, e.seq
""")

# An entry already final with the same article is left as it is, so reloading changes nothing.
UPDATE_LOADED_ENTRIES = """
update entries e
set state = case when s.is_new then 'done' else 'duplicate' end,
    article_id = s.article_id, last_error = null, skip_reason = null,
    claimed_by = null, lease_until = null,
    attempts = case when e.state = 'claimed' then e.attempts else e.attempts + 1 end, updated_at = now()
from stage_articles s
where e.entry_id = s.entry_id
  and (e.state not in ('done', 'duplicate') or e.article_id is distinct from s.article_id)
"""

#: read into `rows.LoadOutcome` by column name
SELECT_OUTCOMES = """
select entry_id, url, article_id, not is_new as duplicate, case when is_new then null else dup_reason end as reason
from stage_articles order by ord
"""

# --- reprocessing -----------------------------------------------------------------------------

#: read as a mapping (the stored keys of an article being reanalysed)
LOCK_ARTICLE = """
select url, canonical_url, url_hash, content_hash from articles where article_id = %s for no key update
"""

DELETE_EVENTS = "delete from events where article_id = %s returning location_id"

DELETE_MENTIONS = "delete from entity_mentions where article_id = %s"

DELETE_ENTITIES = "delete from entities where article_id = %s"

# Places only the replaced events used go too, so a reprocessing leaves no orphans.
DELETE_UNUSED_LOCATIONS = """
delete from locations l
where l.location_id = any(%s)
  and not exists (select 1 from events e where e.location_id = l.location_id)
"""

MARK_ANALYZED = ("update articles set analyzed_at = now(), analyzer_version = %s, not_analysed = null "
                 "where article_id = %s")

# Stored with text and metadata, no entities or events: why (sql/080), and no analyzer stamp.
MARK_NOT_ANALYSED = """
update articles set analyzed_at = null, analyzer_version = null, not_analysed = %s
where article_id = any(%s)
"""

# --- near-duplicates (pipeline.dedup) ---------------------------------------------------------

SET_SIMHASH = "update articles set simhash = %(simhash)s where article_id = %(article_id)s returning article_id"

UPSERT_MINHASH = """
insert into article_minhashes (article_id, signature, bands)
values (%(article_id)s, %(signature)s, %(bands)s)
on conflict (article_id) do update set signature = excluded.signature, bands = excluded.bands
"""

# Earlier articles sharing a band (GIN index of 010), oldest first, with the article each
# points to as its first copy.
SELECT_MINHASH_CANDIDATES = """
select m.article_id, coalesce(a.duplicate_of, a.article_id) as first_copy, m.signature
from article_minhashes m
join articles a on a.article_id = m.article_id
where m.bands && %(bands)s and m.article_id < %(article_id)s
order by m.article_id
"""

SET_DUPLICATE_OF = """
update articles set duplicate_of = %(first_copy)s
where article_id = %(article_id)s and duplicate_of is null
"""

# --- feeds ------------------------------------------------------------------------------------

UPSERT_FEED = """
insert into feeds (url, title, site_url, poll_interval_s)
values (%(url)s, %(title)s, %(site_url)s, %(poll_interval_s)s)
on conflict (url) do update
set title = coalesce(excluded.title, feeds.title),
    site_url = coalesce(excluded.site_url, feeds.site_url)
returning feed_id
"""

SELECT_FEEDS = "select * from feeds order by feed_id"

SELECT_FEEDS_BY_ID = "select * from feeds where feed_id = any(%s) order by feed_id"

SELECT_DUE_FEEDS = """
select * from feeds
where enabled and next_poll_at <= %s
order by next_poll_at, feed_id
limit %s
"""

RECORD_FEED_POLL = """
update feeds
set last_status = %(status)s,
    etag = coalesce(%(etag)s, etag),
    last_modified = coalesce(%(last_modified)s, last_modified),
    body_hash = coalesce(%(body_hash)s, body_hash),
    last_error = %(error)s,
    consecutive_errors = case when %(error)s::text is null then 0 else consecutive_errors + 1 end,
    last_polled_at = %(polled_at)s,
    last_new_item_at = case when %(new_items)s > 0 then %(polled_at)s else last_new_item_at end,
    items_seen = items_seen + %(new_items)s,
    next_poll_at = %(next_poll_at)s,
    poll_interval_s = %(poll_interval_s)s,
    title = coalesce(%(title)s, title),
    site_url = coalesce(%(site_url)s, site_url),
    hub_url = coalesce(%(hub_url)s, hub_url),
    self_url = coalesce(%(self_url)s, self_url)
where feed_id = %(feed_id)s
returning feed_id
"""

SET_FEED_ENABLED = """
update feeds set enabled = %(enabled)s, disabled_reason = %(reason)s
where feed_id = %(feed_id)s
returning feed_id
"""

# Back from disabled: a fresh start, due now, its error count cleared so one more failure
# does not switch it off again.
ENABLE_FEED = """
update feeds
set enabled = true, disabled_reason = null, consecutive_errors = 0, next_poll_at = now()
where feed_id = %(feed_id)s
returning feed_id
"""

DEFER_FEED = """
update feeds set next_poll_at = greatest(next_poll_at, %(next_poll_at)s)
where feed_id = %(feed_id)s
returning feed_id
"""

# Publishing rate per feed over the last week, from the items' own dates where they give one
# (a new feed's backlog, discovered at once, would otherwise look like a burst).
SELECT_FEED_RATES = """
select f.feed_id,
       count(e.entry_id)::float8 / %(days)s as items_per_day
from feeds f
left join entries e
  on e.feed_id = f.feed_id
 and coalesce(e.published_at, e.discovered_at) >= now() - make_interval(days => %(days)s)
group by f.feed_id
order by f.feed_id
"""

SELECT_FEED_BY_URL = "select feed_id from feeds where url = %s"

# For this session only: a commit returns before its WAL reaches the disk.
ASYNCHRONOUS_COMMIT = "set synchronous_commit = off"

SELECT_ITEM_DIGESTS = "select feed_id, digests from feed_item_digests where feed_id = any(%s)"

UPSERT_ITEM_DIGESTS = """
insert into feed_item_digests (feed_id, digests)
values (%(feed_id)s, %(digests)s)
on conflict (feed_id) do update set digests = excluded.digests, updated_at = now()
"""

# --- entries (the queue) --------------------------------------------------------------------

#: `entries` columns a queued URL writes, passed by name
ENTRY_COLUMNS = ("feed_id", "source", "url", "url_hash", "title", "summary", "guid", "published_at")

INSERT_ENTRY = insert_row("entries", ENTRY_COLUMNS, "on conflict (url_hash) do nothing returning entry_id")

#: an entry a worker may take now: pending and due, or claimed by a worker whose lease ran out
_READY = """(e.state = 'pending' and e.next_attempt_at <= now())
       or (e.state = 'claimed' and e.lease_until < now())"""

SELECT_READY_ENTRIES = f"""
select * from entries e
where {_READY}
order by e.next_attempt_at, e.entry_id
limit %s
"""

SELECT_ENTRIES_BY_ID = "select * from entries where entry_id = any(%s) order by entry_id"

# Rows another worker is claiming right now are skipped, not waited for; the claim counts
# an attempt, so an entry that kills its worker every time still ends up a dead letter.
CLAIM_ENTRIES = f"""
with picked as (
    select e.entry_id from entries e
    where ({_READY})
      and (%(ids)s::bigint[] is null or e.entry_id = any(%(ids)s::bigint[]))
    order by e.next_attempt_at, e.entry_id
    limit %(limit)s
    for update skip locked
)
update entries e
set state = 'claimed', claimed_by = %(worker)s, lease_until = now() + make_interval(secs => %(lease_s)s),
    attempts = e.attempts + 1, updated_at = now()
from picked
where e.entry_id = picked.entry_id
returning e.*
"""

# Only the worker holding the claim moves the entry on; false (no row) when it lost it.
SETTLE_ENTRY = """
update entries
set state = %(state)s, last_error = %(error)s, skip_reason = %(skip_reason)s,
    claimed_by = null, lease_until = null, updated_at = now(),
    next_attempt_at = coalesce(%(next_attempt_at)s, next_attempt_at),
    attempts = greatest(attempts - %(refund)s, 0),
    article_id = coalesce(%(article_id)s, article_id)
where entry_id = %(entry_id)s and state = 'claimed' and claimed_by = %(worker)s
returning entry_id
"""

REQUEUE_ENTRIES = """
update entries
set state = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, updated_at = now()
where state = any(%(states)s) and (%(ids)s::bigint[] is null or entry_id = any(%(ids)s::bigint[]))
returning entry_id
"""

SELECT_ENTRIES_IN_STATE = """
select * from entries
where (%(state)s::text is null or state = %(state)s)
order by updated_at desc, entry_id desc
limit %(limit)s
"""

SELECT_PENDING_BY_URL_HASH = """
select entry_id from entries where url_hash = any(%s) and state = 'pending' order by entry_id
"""

SELECT_KNOWN_ARTICLE_HASHES = """
select url_hash from article_urls where url_hash = any(%(hashes)s)
union
select url_hash from articles where url_hash = any(%(hashes)s)
"""

# --- runs and the fetch log -----------------------------------------------------------------

INSERT_RUN = "insert into pipeline_runs (kind, host, owner_pid) values (%s, %s, %s) returning run_id"

SELECT_OWNED_RUNNING = """
select run_id, owner_pid from pipeline_runs
where status = 'running' and host = %s and owner_pid is not null and owner_pid <> %s
"""

ABANDON_RUN = """
update pipeline_runs
set status = 'failed', finished_at = greatest(now(), started_at),
    errors = coalesce(errors, '[]'::jsonb) || %(errors)s
where run_id = %(run_id)s and status = 'running'
"""

FINISH_RUN = """
update pipeline_runs
set status = %(status)s, finished_at = greatest(now(), started_at), counts = %(counts)s,
    timings = %(timings)s, errors = %(errors)s
where run_id = %(run_id)s
returning run_id
"""

SELECT_RUN = "select * from pipeline_runs where run_id = %s"

FETCH_LOG_COLUMNS = ("run_id", "feed_id", "url", "kind", "status", "error", "bytes", "elapsed_ms", "fetched_at")

# --- housekeeping (tests, reset) ------------------------------------------------------------

DATA_TABLES = (
    "feed_item_digests", "article_minhashes",
    "events", "locations", "entity_mentions", "entities", "entries", "article_urls",
    "articles", "raw_pages", "fetch_log", "pipeline_runs", "feeds",
)


def truncate_all() -> sql.Composed:
    """Empty every data table (not `schema_migrations`) and restart the identities."""
    return sql.SQL("truncate {} restart identity cascade").format(
        sql.SQL(", ").join(map(sql.Identifier, DATA_TABLES))
    )

SCHEMA_MIGRATIONS_EXISTS = "select to_regclass('schema_migrations') is not null"

DELETE_FEED = "delete from feeds where feed_id = %(feed_id)s returning feed_id"
