-- 050: who an event's sentence is attributed to ("..., a monitor said", "according to
-- officials"), read by pipeline.nlp as Event.speaker: a quoted claim and the narrator's own
-- statement are different evidence, so analysts must be able to tell them apart.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

alter table events
    add column speaker_text      text,
    add column speaker_canonical text,
    add column speaker_type      text,
    add column speaker_country   text check (speaker_country ~ '^[A-Z]{3}$');

comment on column events.speaker_text is 'Who the sentence quotes or reports the event from, as written ("the Syrian Observatory for Human Rights"); null when the article states it in its own voice.';
comment on column events.speaker_canonical is 'The speaker''s document-level canonical name (aliases and acronyms merged).';
comment on column events.speaker_type is 'The speaker''s sector (GOV, MIL, REB, CVL, IGO, MED, ...), when known.';
comment on column events.speaker_country is 'The speaker''s country, ISO 3166-1 alpha-3, when known.';
