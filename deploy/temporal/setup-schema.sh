#!/bin/sh
# Creates and migrates Temporal's two PostgreSQL databases with temporal-sql-tool, run by the
# `temporal-schema` job of docker-compose.yml in the official temporalio/admin-tools image.
# Idempotent: a database that is already set up is only migrated to the schema this image ships.
# Connection settings come from the tool's own variables: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER,
# SQL_PASSWORD.
set -eu

SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

setup_database() {
  db="$1"
  dir="$2"
  if temporal-sql-tool --db "$db" update-schema -d "$dir" >/dev/null 2>&1; then
    echo "database $db: already set up, migrated to the latest schema in $dir"
    return
  fi
  # A fresh database: create it (PostgreSQL may have created it already: POSTGRES_DB), then install
  # the versioning tables and apply every versioned schema.
  temporal-sql-tool --db "$db" create-database || echo "database $db: exists, setting up its schema"
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$dir"
  echo "database $db: schema set up from $dir"
}

setup_database "${TEMPORAL_DB:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
setup_database "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
