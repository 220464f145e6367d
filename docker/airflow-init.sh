#!/usr/bin/env bash
# One-shot set-up of the stack, run by the `airflow-init` service before anything else.
#
# Why one script: every long-running service waits for this one to finish
# (`service_completed_successfully`), so the order is fixed here: Airflow's metadata
# database and admin user (done by the image's /entrypoint, driven by
# _AIRFLOW_DB_MIGRATE and _AIRFLOW_WWW_USER_CREATE), then the pool the fetching tasks
# share, then the warehouse's migrations. Each step is idempotent: a restart of the
# stack runs it again and changes nothing.
#
# It runs as root, as the official Airflow compose file's init does, to hand the shared
# volumes to AIRFLOW_UID at the end.
set -euo pipefail

: "${AIRFLOW_UID:=50000}"
: "${FETCH_POOL_SLOTS:=8}"

if [[ -z "${WIREWATCH_DATABASE_URL:-}" ]]; then
    echo "airflow-init: WIREWATCH_DATABASE_URL is not set; set it in docker-compose.yml" >&2
    exit 1
fi

mkdir -p /opt/airflow/logs /opt/airflow/plugins

echo "airflow-init: Airflow metadata database and admin user"
/entrypoint airflow version

echo "airflow-init: pool wirewatch_fetch with ${FETCH_POOL_SLOTS} slots"
airflow pools set wirewatch_fetch "${FETCH_POOL_SLOTS}" \
    "Feed polling and article processing: caps concurrent fetches across all workers"

echo "airflow-init: warehouse migrations"
wirewatch db migrate

chown -R "${AIRFLOW_UID}:0" /opt/airflow/logs /opt/airflow/plugins
echo "airflow-init: done"
