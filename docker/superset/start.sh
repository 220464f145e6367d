#!/usr/bin/env bash
# Start-up of the Superset service: metadata, admin, the warehouse and its dashboards,
# then the web server.
#
# Why at every start: each step is idempotent, so a fresh volume and a restarted
# container reach the same state, and a dashboard edited in the repository is
# re-imported on the next `docker compose up`.
set -euo pipefail

: "${SUPERSET_ADMIN_USERNAME:=admin}"
: "${SUPERSET_ADMIN_PASSWORD:=admin}"
: "${DASHBOARDS_DIR:=/app/wirewatch/dashboards}"
: "${WAREHOUSE_DATABASE_NAME:=Wirewatch warehouse}"

if [[ -z "${WAREHOUSE_READER_URI:-}" ]]; then
    echo "superset: WAREHOUSE_READER_URI is not set; set it in docker-compose.yml" >&2
    exit 1
fi

superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USERNAME" --password "$SUPERSET_ADMIN_PASSWORD" \
    --firstname Wirewatch --lastname Admin --email admin@wirewatch.invalid
superset init

python /app/wirewatch/import_dashboards.py --dir "$DASHBOARDS_DIR" --uri "$WAREHOUSE_READER_URI" \
    --username "$SUPERSET_ADMIN_USERNAME" --database-name "$WAREHOUSE_DATABASE_NAME"

if [[ -x /usr/bin/run-server.sh ]]; then
    exec /usr/bin/run-server.sh
fi
exec superset run --host 0.0.0.0 --port "${SUPERSET_PORT:-8088}" --with-threads
