#!/usr/bin/env bash
# Acknowledged timeline appends per second through the API, on SQLite and,
# when FIREBREAK_TEST_POSTGRES (or $1) holds a DSN, on PostgreSQL.
# Target (DESIGN.md §6): >= 1,000/s on SQLite on a 2-core machine.
# Usage: bash bench/appends.sh [postgres-dsn]   (env: DURATION=10s CLIENTS=16)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-16}
PG=${1:-${FIREBREAK_TEST_POSTGRES:-}}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/firebreak" ./cmd/firebreak
go build -o "$work/appendrate" ./bench/appendrate
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3), clients=$CLIENTS duration=$DURATION"

run() { # name, extra serve args...
  local name=$1; shift
  export FIREBREAK_ADMIN_PASSWORD=bench-password-123 FIREBREAK_PASSWORD_MEMORY_KIB=64 FIREBREAK_DATA="$work/data-$name"
  "$work/firebreak" serve --addr 127.0.0.1:18089 "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18089/readyz >/dev/null && break; sleep 0.1; done
  local tok ref
  tok=$("$work/firebreak" token create --user admin "$@")
  ref=$(curl -fs -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
        -d '{"title":"append benchmark"}' http://127.0.0.1:18089/api/v1/incidents | sed 's/.*"ref":"\([^"]*\)".*/\1/')
  printf '%-10s ' "$name"
  "$work/appendrate" -url http://127.0.0.1:18089 -token "$tok" -incident "$ref" -clients "$CLIENTS" -duration "$DURATION"
  "$work/firebreak" audit verify "$@" | sed 's/^/           /'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run sqlite
if [ -n "$PG" ]; then
  schema="bench_$$"
  psql "$PG" -qc "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case "$PG" in *\?*) sep='&';; esac
  run postgres --db "$PG${sep}search_path=$schema"
  psql "$PG" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
fi
