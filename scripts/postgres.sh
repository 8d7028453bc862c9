#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on 127.0.0.1:${PGPORT:-54329} for the test suite
# and prints the URL to export as ATENDE_TEST_POSTGRES_URL. Installs Debian's server
# package when missing. Idempotent: a server already answering on the port is reused.
set -euo pipefail
PGPORT="${PGPORT:-54329}"
DATA="${PGDATA_DIR:-/tmp/atende-pg}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$BIN" ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
URL="postgres://atende:atende@127.0.0.1:${PGPORT}/atende"
if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
  echo "$URL"
  exit 0
fi
run_as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
rm -rf "$DATA"
mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
run_as_pg "'$BIN/initdb' -D '$DATA' -A trust -U postgres" >/dev/null
run_as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/log' -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' -w start" >&2
"$BIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE ROLE atende LOGIN PASSWORD 'atende' CREATEDB" >&2
"$BIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE atende OWNER atende" >&2
echo "$URL"
