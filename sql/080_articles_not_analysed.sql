-- 080: the language gate. An article in a language without an installed pipeline (a spaCy
-- model and a trigger lexicon, see docs/languages.md) is stored with its text and metadata
-- but not analysed: no entities or events are read from it with another language's model.
-- not_analysed says so, and why; the dashboards see it through stg_articles.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

alter table articles
    add column not_analysed text check (not_analysed in ('language'));

alter table articles
    add constraint articles_not_analysed check (not_analysed is null or analyzed_at is null);

comment on column articles.not_analysed is 'Why the article was stored without analysis: ''language'' when no pipeline is installed for its language (WIREWATCH_LANGUAGES); null when analysed or not yet.';

create index articles_not_analysed_idx on articles (not_analysed) where not_analysed is not null;

-- Grain: one row per stored article; as in 040, with not_analysed added as the last column.
create or replace view stg_articles as
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
    a.first_run_id,
    a.not_analysed
from articles as a
inner join hosts as h on a.article_id = h.article_id
left join story_roots as sr on a.article_id = sr.article_id;

comment on view stg_articles is 'One row per article: outlet (site name, else URL host), load times, the near-duplicate story it belongs to, and not_analysed (''language'': stored without entities or events).';
