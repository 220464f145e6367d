#!/usr/bin/env bash
# Databases and roles of the stack's one PostgreSQL server.
#
# The postgres image runs this once, on an empty data volume, from
# /docker-entrypoint-initdb.d, connected as the server's superuser (POSTGRES_USER), which
# no service uses. It creates three databases, each with its own owner, so that no
# service can touch another's tables:
#   - Airflow's metadata database (AIRFLOW_DB, owned by AIRFLOW_DB_USER);
#   - the warehouse (WAREHOUSE_DB, owned by WAREHOUSE_USER), migrated by `wirewatch db migrate`;
#   - Superset's metadata database (SUPERSET_DB, owned by SUPERSET_DB_USER);
#   - the dashboards' role READER_USER: it may connect to the warehouse, every
#     transaction it opens is read-only, and it can read nothing until the warehouse's
#     migrations grant it SELECT on the dashboard views.
# Nobody else may connect to the warehouse.
set -euo pipefail

: "${AIRFLOW_DB:=airflow}"
: "${AIRFLOW_DB_USER:=airflow}"
: "${AIRFLOW_DB_PASSWORD:=airflow}"
: "${WAREHOUSE_DB:=wirewatch}"
: "${WAREHOUSE_USER:=wirewatch}"
: "${WAREHOUSE_PASSWORD:=wirewatch}"
: "${READER_USER:=wirewatch_reader}"
: "${READER_PASSWORD:=wirewatch_reader}"
: "${SUPERSET_DB:=superset}"
: "${SUPERSET_DB_USER:=superset}"
: "${SUPERSET_DB_PASSWORD:=superset}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v airflow_db="$AIRFLOW_DB" \
    -v airflow_user="$AIRFLOW_DB_USER" \
    -v airflow_password="$AIRFLOW_DB_PASSWORD" \
    -v warehouse_db="$WAREHOUSE_DB" \
    -v warehouse_user="$WAREHOUSE_USER" \
    -v warehouse_password="$WAREHOUSE_PASSWORD" \
    -v reader_user="$READER_USER" \
    -v reader_password="$READER_PASSWORD" \
    -v superset_db="$SUPERSET_DB" \
    -v superset_user="$SUPERSET_DB_USER" \
    -v superset_password="$SUPERSET_DB_PASSWORD" <<'EOSQL'
create role :"airflow_user" login password :'airflow_password';
create database :"airflow_db" owner :"airflow_user";
revoke all on database :"airflow_db" from public;
grant connect, temporary on database :"airflow_db" to :"airflow_user";

create role :"warehouse_user" login password :'warehouse_password';
create database :"warehouse_db" owner :"warehouse_user";
revoke all on database :"warehouse_db" from public;
grant connect, temporary on database :"warehouse_db" to :"warehouse_user";

create role :"reader_user" login password :'reader_password';
alter role :"reader_user" set default_transaction_read_only = on;
grant connect on database :"warehouse_db" to :"reader_user";

create role :"superset_user" login password :'superset_password';
create database :"superset_db" owner :"superset_user";
revoke all on database :"superset_db" from public;
grant connect, temporary on database :"superset_db" to :"superset_user";

\connect :"warehouse_db"
revoke create on schema public from public;
-- the dashboards' reader must not take the advisory locks loads use (see sql/060, which
-- does this itself when a superuser migrates): only the warehouse owner may call them
select format('revoke execute on function %s from public', p.oid::regprocedure),
       format('grant execute on function %s to %I', p.oid::regprocedure, :'warehouse_user')
from pg_catalog.pg_proc p
where p.pronamespace = 'pg_catalog'::regnamespace and p.proname like 'pg\_%advisory\_%'
\gexec
EOSQL
