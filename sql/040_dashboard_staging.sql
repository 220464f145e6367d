-- 040: staging views for the dashboards: thin, cleaned shapes of the warehouse tables
-- that the dashboard views (041) build on. Nothing here aggregates; every view keeps
-- the grain of its source table and only renames, joins and derives columns, so the
-- dashboard views never repeat a join or a fallback rule.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

-- Grain: one row per stored article.
-- story_id is the root of the article's near-duplicate chain (articles.duplicate_of
-- followed to an article that duplicates nothing), so every copy of a story shares it.
create view stg_articles as
with recursive story_roots as (
    select
        a.article_id,
        a.article_id as story_id
    from articles as a
    where a.duplicate_of is null
    union all
    select
        copy.article_id,
        root.story_id
    from articles as copy
    inner join story_roots as root on copy.duplicate_of = root.article_id
),

hosts as (
    select
        a.article_id,
        lower(substring(a.url from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)')) as host
    from articles as a
)

select
    a.article_id,
    a.url,
    h.host,
    coalesce(nullif(btrim(a.sitename), ''), h.host) as outlet,
    a.title,
    a.published_at,
    a.fetched_at,
    a.extracted_at as loaded_at,
    a.analyzed_at,
    a.language,
    a.source_agency,
    a.dateline,
    coalesce(sr.story_id, a.article_id) as story_id,
    a.duplicate_of is not null as is_duplicate,
    a.first_run_id
from articles as a
inner join hosts as h on a.article_id = h.article_id
left join story_roots as sr on a.article_id = sr.article_id;

comment on view stg_articles is 'One row per article: outlet (site name, else URL host), load times and the near-duplicate story it belongs to.';

-- Grain: one row per event.
-- day is the event's own date, else its article's publication date, else the load date
-- (day_source says which); country is the place's country, else the source actor's,
-- else the target actor's (country_source says which), null when none is known.
create view stg_events as
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
    a.published_at
from events as e
inner join articles as a on e.article_id = a.article_id
left join locations as l on e.location_id = l.location_id;

comment on view stg_events is 'One row per event with its day (event date, else publication, else load), country (place, else actors), place and actors cleaned.';

-- Grain: one row per event and actor role (source or target) that names an actor.
create view stg_event_actors as
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
    se.fatalities
from roles as r
inner join stg_events as se on r.event_id = se.event_id
where r.actor is not null;

comment on view stg_event_actors is 'One row per event and role (source, target) naming an actor, with the event''s day, type and country.';
