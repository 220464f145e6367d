-- 003: what the analyzer read from each article: entities, their mentions, places and PLOVER events.
-- Rows here are replaced as a whole per article when it is reprocessed with a newer analyzer.

create table entities (
    entity_id   bigint generated always as identity primary key,
    article_id  bigint not null references articles (article_id) on delete cascade,
    canonical   text not null check (length(canonical) > 0),
    label       text not null check (label ~ '^[A-Z_]+$'),
    mentions    integer not null check (mentions > 0),
    unique (article_id, label, canonical)
);

comment on table entities is 'One row per document-level entity of an article: all mentions sharing a canonical name and label.';
comment on column entities.canonical is 'Document-level name all mentions share ("Islamic State" for IS, Daesh, ...).';
comment on column entities.label is 'spaCy OntoNotes label: PERSON, NORP, FAC, ORG, GPE, LOC, EVENT, DATE, ...';
comment on column entities.mentions is 'How many mentions in the text refer to it.';

create index entities_canonical_idx on entities (label, canonical);

create table entity_mentions (
    article_id  bigint not null references articles (article_id) on delete cascade,
    start_char  integer not null check (start_char >= 0),
    end_char    integer not null,
    text        text not null,
    label       text not null,
    canonical   text not null,
    entity_id   bigint not null references entities (entity_id) on delete cascade,
    primary key (article_id, start_char, end_char),
    check (start_char < end_char),
    check (length(text) = end_char - start_char)
);

comment on table entity_mentions is 'One row per entity mention: a span of the article text.';
comment on column entity_mentions.start_char is 'Offset of the first character in articles.text.';
comment on column entity_mentions.end_char is 'Offset after the last character; text = substring of articles.text.';
comment on column entity_mentions.text is 'The mention as written.';
comment on column entity_mentions.entity_id is 'The document-level entity the mention belongs to.';

create index entity_mentions_entity_idx on entity_mentions (entity_id);

create table locations (
    location_id  bigint generated always as identity primary key,
    geonameid    integer,
    name         text not null check (length(name) > 0),
    admin1       text,
    country      char(3) check (country ~ '^[A-Z]{3}$'),
    lat          double precision check (lat between -90 and 90),
    lon          double precision check (lon between -180 and 180),
    precision    text not null check (precision in ('city', 'admin1', 'country')),
    check ((lat is null) = (lon is null))
);

comment on table locations is 'One row per distinct geocoded place events happened in; shared by events.';
comment on column locations.geonameid is 'GeoNames id, when the place came from GeoNames.';
comment on column locations.name is 'Resolved place name.';
comment on column locations.admin1 is 'First-level subdivision (governorate, province, state).';
comment on column locations.country is 'ISO 3166 alpha-3 country code.';
comment on column locations.lat is 'Latitude in degrees (WGS84).';
comment on column locations.lon is 'Longitude in degrees (WGS84).';
comment on column locations.precision is 'How exact the place is: city, admin1 or country.';

create unique index locations_key_idx
    on locations ((coalesce(geonameid, -1)), name, (coalesce(admin1, '')), (coalesce(country, '')), precision);

create table events (
    event_id           bigint generated always as identity primary key,
    article_id         bigint not null references articles (article_id) on delete cascade,
    seq                integer not null check (seq >= 0),
    type               text not null check (type in (
                           'AGREE', 'AID', 'ASSAULT', 'COERCE', 'CONCEDE', 'CONSULT', 'COOPERATE',
                           'DEMAND', 'DISAPPROVE', 'FIGHT', 'INVESTIGATE', 'MOBILIZE', 'PROTEST',
                           'REJECT', 'RETREAT', 'SANCTION', 'SUPPORT', 'THREATEN')),
    mode               text,
    trigger            text,
    actor1_text        text,
    actor1_canonical   text,
    actor1_type        text,
    actor1_country     text check (actor1_country ~ '^[A-Z]{3}$'),
    actor2_text        text,
    actor2_canonical   text,
    actor2_type        text,
    actor2_country     text check (actor2_country ~ '^[A-Z]{3}$'),
    location_id        bigint references locations (location_id),
    location_text      text,
    location_source    text,
    event_date         date,
    date_text          text,
    date_precision     text check (date_precision in ('day', 'month', 'year')),
    date_source        text,
    fatalities         integer check (fatalities >= 0),
    sentence           text not null check (length(sentence) > 0),
    sent_start         integer not null check (sent_start >= 0),
    sent_end           integer not null,
    supporting         jsonb not null default '[]' check (jsonb_typeof(supporting) = 'array'),
    confidence         real not null check (confidence between 0 and 1),
    analyzer_version   text not null,
    model_version      text not null,
    created_at         timestamptz not null default now(),
    unique (article_id, seq),
    check (sent_start < sent_end)
);

comment on table events is 'One row per PLOVER event read from an article: who did what to whom, where and when.';
comment on column events.seq is 'Order of the event in its article, from 0.';
comment on column events.type is 'One of the 18 PLOVER event types.';
comment on column events.mode is 'PLOVER mode where one applies (ASSAULT: bomb, firearms, aerial, ...).';
comment on column events.trigger is 'The word or phrase that signalled the event.';
comment on column events.actor1_text is 'Source actor as written.';
comment on column events.actor1_canonical is 'Source actor''s document-level canonical name.';
comment on column events.actor1_type is 'Source actor''s sector: GOV, MIL, REB, CVL, IGO, MED, ...';
comment on column events.actor1_country is 'Source actor''s country, ISO 3166 alpha-3.';
comment on column events.actor2_text is 'Target actor as written.';
comment on column events.actor2_canonical is 'Target actor''s document-level canonical name.';
comment on column events.actor2_type is 'Target actor''s sector.';
comment on column events.actor2_country is 'Target actor''s country, ISO 3166 alpha-3.';
comment on column events.location_id is 'The geocoded place, when the location could be resolved.';
comment on column events.location_text is 'The place as written.';
comment on column events.location_source is 'Where the location came from: sentence, dateline, article, ...';
comment on column events.event_date is 'Date of the event itself, resolved against the publication date; first day of the month/year for coarser precision.';
comment on column events.date_text is 'The words that gave the date.';
comment on column events.date_precision is 'day, month or year.';
comment on column events.date_source is 'Where the date came from: sentence, article, publication, ...';
comment on column events.fatalities is 'People killed in this event; null where the text gives none.';
comment on column events.sentence is 'The sentence the event was read from.';
comment on column events.sent_start is 'Sentence start offset in articles.text.';
comment on column events.sent_end is 'Sentence end offset in articles.text.';
comment on column events.supporting is 'Other spans supporting the event, as a JSON list of [start, end].';
comment on column events.confidence is 'Analyzer confidence, 0 to 1.';
comment on column events.analyzer_version is 'Wirewatch analyzer version that produced the event.';
comment on column events.model_version is 'spaCy model name and version used.';
comment on column events.created_at is 'When the event row was written.';

create index events_type_date_idx on events (type, event_date);
create index events_date_idx on events (event_date);
create index events_location_idx on events (location_id) where location_id is not null;
