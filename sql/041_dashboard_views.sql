-- 041: the dashboard views analysts open every morning, built on the staging views (040).
-- Aggregates over events are materialized (dash_events_daily, dash_event_map,
-- dash_actors_daily, dash_actor_pairs_daily, dash_fatalities_daily, dash_stories), each
-- with a unique index on its grain so `refresh materialized view concurrently` can
-- rebuild it while dashboards keep reading (pipeline.dashboards.refresh_views, run by the
-- refresh_dashboards DAG when new articles land). Feed health, pipeline lag and run
-- statistics are plain views: they are small and must be current.
-- A null country means neither the place nor the actors named one.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

-- Grain: one row per day, PLOVER event type and country.
create materialized view dash_events_daily as
with daily as (
    select
        se.day,
        se.type,
        se.country,
        count(*) as events,
        count(distinct se.article_id) as articles,
        count(se.fatalities) as events_with_fatalities,
        coalesce(sum(se.fatalities), 0) as fatalities,
        avg(se.confidence) as mean_confidence
    from stg_events as se
    group by se.day, se.type, se.country
)

select
    d.day,
    d.type,
    d.country,
    d.events,
    d.articles,
    d.events_with_fatalities,
    d.fatalities,
    round(d.mean_confidence::numeric, 3) as mean_confidence
from daily as d;

create unique index dash_events_daily_grain_idx on dash_events_daily (day, type, country) nulls not distinct;

comment on materialized view dash_events_daily is 'One row per day, PLOVER event type and country: events, articles they came from, fatalities.';

-- Grain: one row per event with a geocoded place.
-- Only city-level places are drawn as points (is_point); admin1 and country-level places
-- are guesses at an area, flagged by geo_precision, and keep their centroid (or none) in
-- lat/lon for region-level maps but never pose as a city dot.
create materialized view dash_event_map as
with placed as (
    select
        se.event_id,
        se.article_id,
        se.day,
        se.type,
        se.mode,
        se.country,
        se.place,
        se.admin1,
        se.geo_precision,
        se.lat,
        se.lon,
        se.actor1,
        se.actor2,
        se.fatalities,
        se.sentence
    from stg_events as se
    where se.location_id is not null
)

select
    p.event_id,
    p.article_id,
    p.day,
    p.type,
    p.mode,
    p.country,
    p.place,
    p.admin1,
    p.geo_precision,
    p.geo_precision = 'city' and p.lat is not null as is_point,
    p.geo_precision = 'country' as is_country_guess,
    p.lat,
    p.lon,
    p.actor1,
    p.actor2,
    coalesce(p.fatalities, 0) as fatalities,
    p.sentence
from placed as p;

create unique index dash_event_map_grain_idx on dash_event_map (event_id);

comment on materialized view dash_event_map is 'One row per geocoded event; is_point marks city-level places, country-level guesses are flagged and never drawn as city dots.';

-- Grain: one row per actor, day, PLOVER event type and event country.
create materialized view dash_actors_daily as
with per_actor as (
    select
        sea.actor,
        sea.day,
        sea.type,
        sea.country,
        mode() within group (order by sea.actor_type) as actor_type,
        mode() within group (order by sea.actor_country) as actor_country,
        count(distinct sea.event_id) as events,
        count(*) filter (where sea.role = 'source') as as_source,
        count(*) filter (where sea.role = 'target') as as_target,
        coalesce(sum(sea.fatalities), 0) as fatalities
    from stg_event_actors as sea
    group by sea.actor, sea.day, sea.type, sea.country
)

select
    pa.actor,
    pa.day,
    pa.type,
    pa.country,
    pa.actor_type,
    pa.actor_country,
    pa.events,
    pa.as_source,
    pa.as_target,
    pa.fatalities
from per_actor as pa;

create unique index dash_actors_daily_grain_idx on dash_actors_daily (actor, day, type, country) nulls not distinct;

comment on materialized view dash_actors_daily is 'One row per actor, day, event type and country: events it took part in as source or target; sum over days for top actors.';

-- Grain: one row per ordered actor pair (source, target), day, PLOVER event type and country.
create materialized view dash_actor_pairs_daily as
with pairs as (
    select
        se.actor1 as source_actor,
        se.actor2 as target_actor,
        se.day,
        se.type,
        se.country,
        count(*) as events,
        coalesce(sum(se.fatalities), 0) as fatalities
    from stg_events as se
    where se.actor1 is not null
        and se.actor2 is not null
        and lower(se.actor1) <> lower(se.actor2)
    group by se.actor1, se.actor2, se.day, se.type, se.country
)

select
    p.source_actor,
    p.target_actor,
    p.source_actor || ' → ' || p.target_actor as pair,
    p.day,
    p.type,
    p.country,
    p.events,
    p.fatalities
from pairs as p;

create unique index dash_actor_pairs_daily_grain_idx
    on dash_actor_pairs_daily (source_actor, target_actor, day, type, country) nulls not distinct;

comment on materialized view dash_actor_pairs_daily is 'One row per source→target actor pair, day, event type and country: events between them.';

-- Grain: one row per day, PLOVER event type and country with at least one event that reports deaths.
create materialized view dash_fatalities_daily as
with fatal as (
    select
        se.day,
        se.type,
        se.country,
        count(*) as fatal_events,
        sum(se.fatalities) as fatalities,
        max(se.fatalities) as deadliest_event
    from stg_events as se
    where se.fatalities > 0
    group by se.day, se.type, se.country
)

select
    f.day,
    f.type,
    f.country,
    f.fatal_events,
    f.fatalities,
    f.deadliest_event
from fatal as f;

create unique index dash_fatalities_daily_grain_idx on dash_fatalities_daily (day, type, country) nulls not distinct;

comment on materialized view dash_fatalities_daily is 'One row per day, event type and country with reported deaths: fatal events, people killed, the deadliest event''s toll.';

-- Grain: one row per story (a near-duplicate cluster of articles).
-- Outlets: the outlet of every stored copy (site name, else host), and the host of every
-- other URL a copy was seen under (a syndicated copy with identical text is stored once).
create materialized view dash_stories as
with members as (
    select
        sa.story_id,
        sa.article_id,
        sa.host,
        sa.outlet,
        sa.published_at,
        sa.loaded_at
    from stg_articles as sa
),

seen_hosts as (
    select
        m.story_id,
        m.host as own_host,
        lower(substring(au.url from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)')) as host
    from article_urls as au
    inner join members as m on au.article_id = m.article_id
),

outlets as (
    select
        m.story_id,
        m.outlet
    from members as m
    union
    select
        sh.story_id,
        sh.host as outlet
    from seen_hosts as sh
    where sh.host is distinct from sh.own_host
),

outlet_lists as (
    select
        o.story_id,
        count(*) as outlets,
        string_agg(o.outlet, ', ' order by o.outlet) as outlet_names
    from outlets as o
    where o.outlet is not null
    group by o.story_id
),

member_stats as (
    select
        m.story_id,
        count(*) as articles,
        min(m.published_at) as first_published_at,
        max(m.published_at) as last_published_at,
        min(m.loaded_at) as first_loaded_at
    from members as m
    group by m.story_id
),

url_counts as (
    select
        m.story_id,
        count(au.url_hash) as urls
    from members as m
    left join article_urls as au on m.article_id = au.article_id
    group by m.story_id
),

event_stats as (
    select
        m.story_id,
        count(e.event_id) as events,
        mode() within group (order by e.type) as main_event_type,
        coalesce(sum(e.fatalities), 0) as fatalities
    from members as m
    left join events as e on m.article_id = e.article_id
    group by m.story_id
)

select
    ms.story_id,
    root.title as headline,
    root.url,
    (coalesce(ms.first_published_at, ms.first_loaded_at) at time zone 'UTC')::date as day,
    ms.first_published_at,
    ms.last_published_at,
    ms.articles,
    ms.articles - 1 as copies,
    coalesce(ol.outlets, 0) as outlets,
    ol.outlet_names,
    uc.urls,
    es.events,
    es.main_event_type,
    es.fatalities
from member_stats as ms
inner join stg_articles as root on ms.story_id = root.article_id
left join outlet_lists as ol on ms.story_id = ol.story_id
inner join url_counts as uc on ms.story_id = uc.story_id
inner join event_stats as es on ms.story_id = es.story_id;

create unique index dash_stories_grain_idx on dash_stories (story_id);

comment on materialized view dash_stories is 'One row per story (near-duplicate cluster via articles.duplicate_of): headline, copies, the outlets that ran it, its events.';

-- Grain: one row per monitored feed.
-- health: disabled, never_polled, failing (last poll failed), quiet (no new item for
-- 7 days or ever), else ok. The fetch figures cover the last 7 days of fetch_log.
create view dash_feed_health as
with entry_stats as (
    select
        en.feed_id,
        count(*) as entries,
        count(*) filter (where en.state = 'pending') as entries_pending,
        count(*) filter (where en.state = 'done') as entries_done,
        count(*) filter (where en.state = 'duplicate') as entries_duplicate,
        count(*) filter (where en.state = 'skipped') as entries_skipped,
        count(*) filter (where en.state = 'failed') as entries_failed
    from entries as en
    where en.feed_id is not null
    group by en.feed_id
),

recent_fetches as (
    select
        fl.feed_id,
        count(*) as fetches_7d,
        count(*) filter (where fl.error is not null or fl.status >= 400) as fetch_errors_7d,
        percentile_cont(0.5) within group (order by fl.elapsed_ms) as median_fetch_ms_7d
    from fetch_log as fl
    where fl.feed_id is not null
        and fl.kind = 'feed'
        and fl.fetched_at >= now() - interval '7 days'
    group by fl.feed_id
)

select
    f.feed_id,
    coalesce(nullif(btrim(f.title), ''), f.url) as feed,
    f.url,
    f.enabled,
    case
        when not f.enabled then 'disabled'
        when f.last_polled_at is null then 'never_polled'
        when f.consecutive_errors > 0 then 'failing'
        when f.last_new_item_at is null or f.last_new_item_at < now() - interval '7 days' then 'quiet'
        else 'ok'
    end as health,
    f.last_status,
    f.last_error,
    f.disabled_reason,
    f.consecutive_errors,
    f.last_polled_at,
    f.last_new_item_at,
    f.next_poll_at,
    f.poll_interval_s,
    f.items_seen,
    coalesce(es.entries, 0) as entries,
    coalesce(es.entries_pending, 0) as entries_pending,
    coalesce(es.entries_done, 0) as articles,
    coalesce(es.entries_duplicate, 0) as entries_duplicate,
    coalesce(es.entries_skipped, 0) as entries_skipped,
    coalesce(es.entries_failed, 0) as entries_failed,
    coalesce(rf.fetches_7d, 0) as fetches_7d,
    coalesce(rf.fetch_errors_7d, 0) as fetch_errors_7d,
    round((rf.fetch_errors_7d::numeric / nullif(rf.fetches_7d, 0)), 3) as error_rate_7d,
    rf.median_fetch_ms_7d
from feeds as f
left join entry_stats as es on f.feed_id = es.feed_id
left join recent_fetches as rf on f.feed_id = rf.feed_id;

comment on view dash_feed_health is 'One row per feed: health (ok, quiet, failing, disabled, never_polled), last poll, queue states, fetch errors over 7 days.';

-- Grain: one row per article.
-- Lags in seconds: published → fetched → loaded (text stored); null where a time is missing.
create view dash_pipeline_lag as
with times as (
    select
        sa.article_id,
        sa.outlet,
        sa.published_at,
        sa.fetched_at,
        sa.loaded_at,
        sa.analyzed_at
    from stg_articles as sa
)

select
    t.article_id,
    t.outlet,
    (t.loaded_at at time zone 'UTC')::date as day,
    t.published_at,
    t.fetched_at,
    t.loaded_at,
    t.analyzed_at,
    extract(epoch from t.fetched_at - t.published_at)::bigint as publish_to_fetch_s,
    extract(epoch from t.loaded_at - t.fetched_at)::bigint as fetch_to_load_s,
    extract(epoch from t.loaded_at - t.published_at)::bigint as publish_to_load_s
from times as t;

comment on view dash_pipeline_lag is 'One row per article: seconds from publication to fetch, fetch to load, and publication to load.';

-- Grain: one row per pipeline run.
create view dash_run_stats as
with runs as (
    select
        pr.run_id,
        pr.kind,
        pr.status,
        pr.started_at,
        pr.finished_at,
        pr.host,
        pr.counts,
        coalesce(pr.timings, '{}'::jsonb) as timings,
        coalesce(jsonb_array_length(pr.errors), 0) as errors
    from pipeline_runs as pr
)

select
    r.run_id,
    r.kind,
    r.status,
    (r.started_at at time zone 'UTC')::date as day,
    r.started_at,
    r.finished_at,
    extract(epoch from r.finished_at - r.started_at)::numeric(12, 3) as duration_s,
    coalesce((r.counts ->> 'feeds_polled')::bigint, 0) as feeds_polled,
    coalesce((r.counts ->> 'feeds_unchanged')::bigint, 0) as feeds_unchanged,
    coalesce((r.counts ->> 'feeds_failed')::bigint, 0) as feeds_failed,
    coalesce((r.counts ->> 'entries_new')::bigint, 0) as entries_new,
    coalesce((r.counts ->> 'articles_new')::bigint, 0) as articles_new,
    coalesce((r.counts ->> 'articles_duplicate')::bigint, 0) as articles_duplicate,
    coalesce((r.counts ->> 'pages_skipped')::bigint, 0) as pages_skipped,
    coalesce((r.counts ->> 'pages_failed')::bigint, 0) as pages_failed,
    coalesce((r.counts ->> 'entities')::bigint, 0) as entities,
    coalesce((r.counts ->> 'events')::bigint, 0) as events,
    r.errors,
    (r.timings ->> 'fetch_s')::numeric as fetch_s,
    (r.timings ->> 'extract_s')::numeric as extract_s,
    (r.timings ->> 'analyze_s')::numeric as analyze_s,
    (r.timings ->> 'load_s')::numeric as load_s,
    r.host
from runs as r;

comment on view dash_run_stats is 'One row per pipeline run: kind, status, duration, the counts a person checks first, seconds per stage.';
