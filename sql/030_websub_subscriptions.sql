-- 030: WebSub (push) subscriptions: one row per hub and topic we subscribe to.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

create table websub_subscriptions (
    subscription_id   bigint generated always as identity primary key,
    feed_id           bigint references feeds (feed_id) on delete set null,
    hub_url           text not null check (hub_url ~ '^https?://'),
    topic_url         text not null check (topic_url ~ '^https?://'),
    callback_id       text not null unique check (callback_id ~ '^[A-Za-z0-9_-]{16,64}$'),
    secret            text not null check (length(secret) between 16 and 199),
    state             text not null default 'subscribing'
                      check (state in ('subscribing', 'active', 'unsubscribing', 'unsubscribed',
                                       'denied', 'failed')),
    lease_seconds     integer check (lease_seconds > 0),
    lease_expires_at  timestamptz,
    requested_at      timestamptz not null default now(),
    last_verified_at  timestamptz,
    last_push_at      timestamptz,
    pushes_received   bigint not null default 0 check (pushes_received >= 0),
    pushes_refused    bigint not null default 0 check (pushes_refused >= 0),
    entries_pushed    bigint not null default 0 check (entries_pushed >= 0),
    last_error        text,
    created_at        timestamptz not null default now(),
    constraint websub_subscriptions_hub_topic unique (hub_url, topic_url),
    constraint websub_subscriptions_active_verified check (state <> 'active' or last_verified_at is not null),
    constraint websub_subscriptions_lease check ((lease_seconds is null) = (lease_expires_at is null))
);

comment on table websub_subscriptions is 'One row per WebSub subscription (hub and topic): its secret, state and lease.';
comment on column websub_subscriptions.feed_id is 'The monitored feed the topic belongs to; null once the feed is deleted (then unsubscribed).';
comment on column websub_subscriptions.hub_url is 'The hub that pushes the topic (rel=hub).';
comment on column websub_subscriptions.topic_url is 'The topic URL subscribed to (rel=self, else the feed URL).';
comment on column websub_subscriptions.callback_id is 'Random, unguessable last path segment of the callback URL: <public base URL>/websub/<callback_id>.';
comment on column websub_subscriptions.secret is 'Per-subscription HMAC secret given to the hub; pushes must be signed with it.';
comment on column websub_subscriptions.state is 'subscribing (request sent), active (verified), unsubscribing, unsubscribed, denied (by the hub) or failed (the hub refused the request).';
comment on column websub_subscriptions.lease_seconds is 'Lease the hub granted at its last verification.';
comment on column websub_subscriptions.lease_expires_at is 'When the lease ends; renewed before (see pipeline.websub.leases).';
comment on column websub_subscriptions.requested_at is 'When the last (un)subscribe request was sent to the hub.';
comment on column websub_subscriptions.last_verified_at is 'When the hub last verified our intent.';
comment on column websub_subscriptions.last_push_at is 'When the hub last pushed content that was stored.';
comment on column websub_subscriptions.pushes_received is 'Pushes stored and acknowledged.';
comment on column websub_subscriptions.pushes_refused is 'Pushes refused: unsigned, badly signed or not a feed.';
comment on column websub_subscriptions.entries_pushed is 'Entries the pushes added to the queue that were new.';
comment on column websub_subscriptions.last_error is 'One-line reason of the last refused request, push or denial.';

create index websub_subscriptions_feed_idx on websub_subscriptions (feed_id);
create index websub_subscriptions_renewal_idx on websub_subscriptions (lease_expires_at) where state = 'active';
