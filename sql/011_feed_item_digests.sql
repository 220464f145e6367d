-- 011: fingerprints of the items each feed carried at its last changed poll (pipeline.feed_items),
-- so that the next changed body is parsed for its new items only.

create table feed_item_digests (
    feed_id     bigint primary key references feeds (feed_id) on delete cascade,
    digests     bytea not null check (length(digests) % 8 = 0),
    updated_at  timestamptz not null default now()
);

comment on table feed_item_digests is 'One row per feed: 8-byte BLAKE2b digests of the raw item/entry elements of its last parsed body.';
comment on column feed_item_digests.feed_id is 'The feed.';
comment on column feed_item_digests.digests is 'Concatenated 8-byte digests, one per item element, in document order.';
comment on column feed_item_digests.updated_at is 'When the digests were last replaced.';
