-- 042: the dashboards' read-only role `wirewatch_reader`: it may select from the
-- staging and dashboard views (040, 041) and nothing else, and every transaction it
-- opens is read-only.
--
-- Roles belong to the server, not to one database: the role is created only when it is
-- missing and the migrating user may create roles (docker/postgres/init-databases.sh
-- creates it, with a password, before the warehouse is migrated by a user who may not).
-- A role created here has no password; give it one (`alter role wirewatch_reader
-- password '...'`) before it has to log in over a password-checked connection.
-- Grants are made only when the role exists, so a migration never fails on it. Views
-- added by later migrations grant themselves to the role in their own file.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wirewatch_reader') then
        if exists (
            select from pg_catalog.pg_roles
            where rolname = current_user and (rolsuper or rolcreaterole)
        ) then
            create role wirewatch_reader login;
            alter role wirewatch_reader set default_transaction_read_only = on;
        else
            raise notice 'role wirewatch_reader is missing and % may not create it: dashboards get no grants', current_user;
        end if;
    end if;

    if exists (select from pg_catalog.pg_roles where rolname = 'wirewatch_reader') then
        execute format('grant usage on schema %I to wirewatch_reader', current_schema());
        grant select on
            stg_articles,
            stg_events,
            stg_event_actors,
            dash_events_daily,
            dash_event_map,
            dash_actors_daily,
            dash_actor_pairs_daily,
            dash_fatalities_daily,
            dash_stories,
            dash_feed_health,
            dash_pipeline_lag,
            dash_run_stats
        to wirewatch_reader;
    end if;
end
$$;
