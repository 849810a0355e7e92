#!/bin/sh
# Run once by the postgres image on an empty data directory: Temporal gets its own user and
# database, so neither Shopflow nor Temporal can read or lock the other's tables.
set -eu
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'pw';
CREATE DATABASE temporal OWNER temporal;
SQL
