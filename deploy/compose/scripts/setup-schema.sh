#!/bin/sh
# One-shot of docker-compose.yml (temporalio/admin-tools): creates the Temporal and visibility
# databases on PostgreSQL and brings both schemas to the version of this admin-tools image.
# Rerunning it is safe: an existing database is kept and update-schema only applies what is new,
# so upgrading the image tags upgrades the schema before the new server starts.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"   # SQL_PASSWORD is read by temporal-sql-tool
schemas=/etc/temporal/schema/postgresql/v12

for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p 5432 -u "$POSTGRES_USER" --db "$db" "$@"; }
  sql create || echo "setup-schema: database $db already exists"
  sql setup-schema -v 0.0
  sql update-schema -d "$schemas/$dir/versioned"
done
echo "setup-schema: done"
