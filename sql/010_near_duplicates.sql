-- 010: MinHash fingerprints of article texts, to link near-duplicates (pipeline.dedup).
-- One row per fingerprinted article. A later article whose fingerprint shares a band with an
-- earlier one is a candidate; its estimated Jaccard similarity decides, and a copy is linked
-- through articles.duplicate_of to the first article stored, never dropped.

create table article_minhashes (
    article_id  bigint primary key references articles (article_id) on delete cascade,
    signature   bytea not null check (length(signature) > 0 and length(signature) % 4 = 0),
    bands       bigint[] not null check (cardinality(bands) > 0),
    created_at  timestamptz not null default now()
);

comment on table article_minhashes is 'One row per article: MinHash signature and LSH band keys of its text, for near-duplicate lookup.';
comment on column article_minhashes.article_id is 'The article fingerprinted.';
comment on column article_minhashes.signature is 'MinHash signature of the text''s word 3-shingles: unsigned 32-bit little-endian values, one per permutation (datasketch, seed 1).';
comment on column article_minhashes.bands is 'LSH keys: one 64-bit hash per band of the signature (band number included), GIN-indexed; sharing one makes two articles candidates.';
comment on column article_minhashes.created_at is 'When the fingerprint was taken.';

create index article_minhashes_bands_idx on article_minhashes using gin (bands);

comment on column articles.simhash is '64-bit SimHash of text (word 3-shingles, pipeline.dedup): a compact fingerprint; near-duplicate decisions use article_minhashes.';
comment on column articles.duplicate_of is 'The first stored article this one nearly duplicates (same story, small edits); null for an original. Count stories with duplicate_of is null.';
