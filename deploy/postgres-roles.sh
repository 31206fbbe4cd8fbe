#!/bin/sh
# Run once by the postgres image when it creates the database: the login role the web, worker and beat use.
# Migration 0007 grants `backoffice_app` what the application may do (on audit tables: SELECT and INSERT only).
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$APP_DB_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE backoffice_app NOLOGIN;
CREATE ROLE backoffice_web LOGIN PASSWORD :'pw' IN ROLE backoffice_app;
SQL
