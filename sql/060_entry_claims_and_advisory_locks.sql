-- 060: the entries queue behaves like one, and the dashboards' reader cannot take locks.
--
-- Claims: a worker takes pending entries with `for update skip locked` and marks them
-- `claimed` by itself (`claimed_by`) until `lease_until`; only the claim's holder may
-- settle an entry, and an entry whose lease ran out (its worker died) is claimed again.
-- Retries: a failed attempt puts the entry back to `pending` with `next_attempt_at`
-- pushed back exponentially; after the configured number of attempts it is `dead`
-- (a dead letter) until `wirewatch entries retry` requeues it.
--
-- Advisory locks: every PostgreSQL role may call the advisory-lock functions through
-- PUBLIC, so the read-only dashboard role (042) could take the locks loads use and freeze
-- ingestion. EXECUTE on them is revoked from PUBLIC in this database and granted back to
-- the migrating role and the database's owner (the pipeline's roles). Only a superuser may change these grants: when the
-- migrating role is not one, a notice says so and nothing else changes (the docker stack's
-- init script, run as the superuser, is where to do it then).
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

alter table entries drop constraint entries_state_check;
alter table entries add constraint entries_state_check
    check (state in ('pending', 'claimed', 'done', 'skipped', 'failed', 'duplicate', 'dead'));

alter table entries
    add column claimed_by      text,
    add column lease_until     timestamptz,
    add column next_attempt_at timestamptz not null default now();

alter table entries add constraint entries_claim_has_lease
    check (state <> 'claimed' or (claimed_by is not null and lease_until is not null));

comment on column entries.state is 'pending (to fetch, from next_attempt_at), claimed (a worker holds it until lease_until), done (article stored), duplicate (copy of a stored article), skipped (not an article), failed (will not succeed: a 404, a blocked address) or dead (gave up after repeated failures; `wirewatch entries retry` requeues it).';
comment on column entries.attempts is 'Processing attempts so far (counted when a worker claims the entry).';
comment on column entries.claimed_by is 'The worker (host:pid:token) holding the claim; null unless claimed.';
comment on column entries.lease_until is 'When the claim expires: after it any worker may claim the entry again.';
comment on column entries.next_attempt_at is 'A pending entry is not taken before this (backoff after a failure, or the host asked us to wait).';

drop index entries_pending_idx;
create index entries_ready_idx on entries (next_attempt_at, entry_id) where state = 'pending';
create index entries_lease_idx on entries (lease_until) where state = 'claimed';
create index entries_dead_idx on entries (updated_at) where state = 'dead';

do $$
declare
    fn regprocedure;
begin
    if not exists (select from pg_catalog.pg_roles where rolname = current_user and rolsuper) then
        raise notice 'role % is not a superuser: advisory-lock functions stay executable by every role', current_user;
        return;
    end if;
    for fn in
        select p.oid::regprocedure
        from pg_catalog.pg_proc p
        where p.pronamespace = 'pg_catalog'::regnamespace
          and p.proname like 'pg\_%advisory\_%'
    loop
        execute format('revoke execute on function %s from public', fn);
        execute format('grant execute on function %s to %I', fn, current_user);
        execute format('grant execute on function %s to %I', fn,
                       (select pg_catalog.pg_get_userbyid(d.datdba) from pg_catalog.pg_database d
                        where d.datname = current_database()));
    end loop;
end
$$;
