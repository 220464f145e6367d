-- 070: the dashboards count an event once per story and only when the analyzer is sure
-- enough of it.
--
-- Before this file every dashboard aggregate over events read stg_events, which keeps the
-- events of every stored copy of a syndicated story: a wire report run by three outlets
-- counted its events and its dead three times. And every event counted whatever its
-- confidence. Two rules now decide what the dashboards count, written once, in staging:
--
-- 1. once per story: events of an article that nearly duplicates another stored article
--    (articles.duplicate_of is not null, set by pipeline.dedup) are left out; the story's
--    first stored copy, which duplicates nothing, carries its events;
-- 2. a confidence threshold: events with confidence below
--    wirewatch_dashboard_min_confidence() (default 0.8; the event model is calibrated so
--    that events at 0.8 or above are right at least 90% of the time) are left out.
--
-- stg_events and stg_event_actors keep their grain and meaning (every event of every
-- stored article) and gain is_duplicate and is_counted; the dashboard views (041's
-- materialized views, recreated here with the same columns and grains) read only the
-- rows where is_counted. Plain views and the tables are untouched.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

-- The one place the dashboards' confidence threshold is set. To change it, replace the
-- function in a new migration (or, as the warehouse owner:
-- `create or replace function wirewatch_dashboard_min_confidence() returns real
-- language sql immutable parallel safe return 0.7;`), then refresh the dashboards
-- (`pipeline.dashboards.refresh_views`, the refresh_dashboards DAG): the materialized
-- views read it when they are refreshed, the staging views on every query.
create function wirewatch_dashboard_min_confidence() returns real
    language sql
    immutable
    parallel safe
    return 0.8;

comment on function wirewatch_dashboard_min_confidence() is 'Events with confidence below this value (default 0.8) are left out of the dashboard views; replace the function and refresh the dashboards to change it.';

-- The materialized views read stg_events; they are recreated below with the new rules.
drop materialized view dash_events_daily;
drop materialized view dash_event_map;
drop materialized view dash_actors_daily;
drop materialized view dash_actor_pairs_daily;
drop materialized view dash_fatalities_daily;
drop materialized view dash_stories;

-- Grain: one row per event (of every stored article, copies included, at any confidence).
-- day is the event's own date, else its article's publication date, else the load date
-- (day_source says which); country is the place's country, else the source actor's,
-- else the target actor's (country_source says which), null when none is known.
-- is_duplicate: the event's article nearly duplicates another stored article.
-- is_counted: the dashboards count the event: its article is not such a copy and its
-- confidence is at least wirewatch_dashboard_min_confidence().
create or replace view stg_events as
select
    e.event_id,
    e.article_id,
    e.seq,
    e.type,
    e.mode,
    e.trigger,
    coalesce(e.event_date, (a.published_at at time zone 'UTC')::date, (a.extracted_at at time zone 'UTC')::date) as day,
    case
        when e.event_date is not null then 'event'
        when a.published_at is not null then 'publication'
        else 'load'
    end as day_source,
    e.date_precision,
    coalesce(l.country, e.actor1_country, e.actor2_country) as country,
    case
        when l.country is not null then 'location'
        when e.actor1_country is not null then 'actor1'
        when e.actor2_country is not null then 'actor2'
    end as country_source,
    nullif(btrim(coalesce(e.actor1_canonical, e.actor1_text)), '') as actor1,
    e.actor1_type,
    e.actor1_country,
    nullif(btrim(coalesce(e.actor2_canonical, e.actor2_text)), '') as actor2,
    e.actor2_type,
    e.actor2_country,
    e.location_id,
    coalesce(l.name, e.location_text) as place,
    l.admin1,
    l.country as place_country,
    l.lat,
    l.lon,
    l.precision as geo_precision,
    e.fatalities,
    e.confidence,
    e.sentence,
    a.published_at,
    a.duplicate_of is not null as is_duplicate,
    a.duplicate_of is null and e.confidence >= wirewatch_dashboard_min_confidence() as is_counted
from events as e
inner join articles as a on e.article_id = a.article_id
left join locations as l on e.location_id = l.location_id;

comment on view stg_events is 'One row per event of every stored article (copies and low-confidence events included) with its day, country, place and actors cleaned; is_counted marks the events the dashboards count.';
comment on column stg_events.is_duplicate is 'The event''s article nearly duplicates another stored article (articles.duplicate_of): its story''s events are counted from the first copy.';
comment on column stg_events.is_counted is 'The dashboard views count this event: its article is no near-duplicate copy and confidence >= wirewatch_dashboard_min_confidence() (default 0.8).';

-- Grain: one row per event and actor role (source or target) that names an actor.
-- is_counted is the event's (stg_events.is_counted).
create or replace view stg_event_actors as
with roles as (
    select
        se.event_id,
        'source' as role,
        se.actor1 as actor,
        se.actor1_type as actor_type,
        se.actor1_country as actor_country,
        se.actor2 as counterpart
    from stg_events as se
    union all
    select
        se.event_id,
        'target' as role,
        se.actor2 as actor,
        se.actor2_type as actor_type,
        se.actor2_country as actor_country,
        se.actor1 as counterpart
    from stg_events as se
)

select
    r.event_id,
    r.role,
    r.actor,
    r.actor_type,
    r.actor_country,
    r.counterpart,
    se.day,
    se.type,
    se.country,
    se.fatalities,
    se.is_counted
from roles as r
inner join stg_events as se on r.event_id = se.event_id
where r.actor is not null;

comment on view stg_event_actors is 'One row per event and role (source, target) naming an actor, with the event''s day, type, country and whether the dashboards count it.';
comment on column stg_event_actors.is_counted is 'The dashboard views count the event (stg_events.is_counted).';

-- Every view below counts only stg_events.is_counted events: once per story (no
-- near-duplicate copy) and confidence >= wirewatch_dashboard_min_confidence() (0.8).

-- Grain: one row per day, PLOVER event type and country.
-- articles counts the articles the counted events came from (one per story).
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
    where se.is_counted
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

comment on materialized view dash_events_daily is 'One row per day, PLOVER event type and country: events, articles they came from, fatalities; each story counted once, events with confidence >= wirewatch_dashboard_min_confidence() (0.8) only.';

-- Grain: one row per counted event with a geocoded place.
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
        and se.is_counted
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

comment on materialized view dash_event_map is 'One row per geocoded event (each story once, confidence >= wirewatch_dashboard_min_confidence(), 0.8); is_point marks city-level places, country-level guesses are flagged and never drawn as city dots.';

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
    where sea.is_counted
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

comment on materialized view dash_actors_daily is 'One row per actor, day, event type and country: events it took part in as source or target (each story once, confidence >= wirewatch_dashboard_min_confidence(), 0.8); sum over days for top actors.';

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
    where se.is_counted
        and se.actor1 is not null
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

comment on materialized view dash_actor_pairs_daily is 'One row per source→target actor pair, day, event type and country: events between them (each story once, confidence >= wirewatch_dashboard_min_confidence(), 0.8).';

-- Grain: one row per day, PLOVER event type and country with at least one counted event
-- that reports deaths.
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
    where se.is_counted
        and se.fatalities > 0
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

comment on materialized view dash_fatalities_daily is 'One row per day, event type and country with reported deaths: fatal events, people killed, the deadliest event''s toll; each story counted once, confidence >= wirewatch_dashboard_min_confidence() (0.8) only.';

-- Grain: one row per story (a near-duplicate cluster of articles).
-- Outlets: the outlet of every stored copy (site name, else host), and the host of every
-- other URL a copy was seen under (a syndicated copy with identical text is stored once).
-- Events and fatalities are the story's counted events: those of its first copy (copies
-- are never counted) with confidence >= wirewatch_dashboard_min_confidence().
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
        count(se.event_id) as events,
        mode() within group (order by se.type) as main_event_type,
        coalesce(sum(se.fatalities), 0) as fatalities
    from members as m
    left join stg_events as se on m.article_id = se.article_id and se.is_counted
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

comment on materialized view dash_stories is 'One row per story (near-duplicate cluster via articles.duplicate_of): headline, copies, the outlets that ran it, its events counted once (confidence >= wirewatch_dashboard_min_confidence(), 0.8).';

-- The read-only role lost its grants on the dropped views (042 explains when it exists).
do $$
begin
    if exists (select from pg_catalog.pg_roles where rolname = 'wirewatch_reader') then
        grant select on
            dash_events_daily,
            dash_event_map,
            dash_actors_daily,
            dash_actor_pairs_daily,
            dash_fatalities_daily,
            dash_stories
        to wirewatch_reader;
        grant execute on function wirewatch_dashboard_min_confidence() to wirewatch_reader;
    end if;
end
$$;
