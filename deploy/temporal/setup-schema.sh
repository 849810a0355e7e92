#!/bin/sh
# Temporal's persistence schema and Elasticsearch visibility index, as production sets them up:
# run by the temporalio/admin-tools image before the server starts (docker-compose.yml's
# temporal-schema service). Safe to run again: it only brings the schema up to date.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?}" "${ES_HOST:?}" "${ES_VISIBILITY_INDEX:?}"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
  -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db temporal "$@"; }

# The database is created by the Postgres init script (deploy/postgres/init-temporal.sh),
# owned by the temporal user; a first run lays down the base schema, every run the updates.
if ! sql update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned 2>/dev/null; then
  sql setup-schema -v 0.0
  sql update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
fi

es="${ES_SCHEME:-http}://$ES_HOST:${ES_PORT:-9200}"
curl -fsS -X PUT "$es/_template/temporal_visibility_v1_template" -H 'Content-Type: application/json' \
  --data-binary "@/etc/temporal/schema/elasticsearch/visibility/index_template_${ES_VERSION:-v7}.json"
curl -fsS --head "$es/$ES_VISIBILITY_INDEX" >/dev/null 2>&1 || curl -fsS -X PUT "$es/$ES_VISIBILITY_INDEX"
echo "temporal schema and visibility index are up to date"
