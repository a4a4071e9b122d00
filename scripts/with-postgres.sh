#!/usr/bin/env bash
# Runs the given command with DATABASE_URL pointing at a PostgreSQL server the tests may use:
# $DATABASE_URL, else 127.0.0.1:5432 (user postgres), else a throwaway cluster started here with
# initdb/pg_ctl (and stopped afterwards). Drops the test databases of interrupted runs first.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_up() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

throwaway=""
cleanup() {
  if [ -n "$throwaway" ]; then
    "$PG_BIN/pg_ctl" -D "$throwaway/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$throwaway"
  fi
}
trap cleanup EXIT

if ! command -v psql >/dev/null; then
  echo "$0: psql not found; install PostgreSQL (apt-get install postgresql) to run the tests" >&2
  exit 1
fi

if [ -n "${DATABASE_URL:-}" ] && pg_up "$DATABASE_URL"; then
  echo "PostgreSQL: using DATABASE_URL"
elif pg_up "postgres://postgres@127.0.0.1:5432/postgres"; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  echo "PostgreSQL: using the local server at 127.0.0.1:5432"
else
  PG_BIN="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1)")"
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "$0: no PostgreSQL reachable and no server binaries (initdb, pg_ctl) installed;" >&2
    echo "  install them (apt-get install postgresql) or set DATABASE_URL to a server" >&2
    exit 1
  fi
  throwaway="$(mktemp -d /tmp/switchboard-pg.XXXXXX)"
  port=$((20000 + RANDOM % 20000))
  runas=()
  if [ "$(id -u)" = 0 ]; then
    chown -R nobody "$throwaway" 2>/dev/null || true
    id postgres >/dev/null 2>&1 && { chown -R postgres "$throwaway"; runas=(runuser -u postgres --); }
  fi
  "${runas[@]}" "$PG_BIN/initdb" -D "$throwaway/data" -U postgres -A trust >/dev/null
  "${runas[@]}" "$PG_BIN/pg_ctl" -D "$throwaway/data" -o "-p $port -k $throwaway -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" -l "$throwaway/log" -w start >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL: started a throwaway cluster on port $port"
fi

# Leftovers of interrupted runs: test databases nobody is connected to. Databases in use belong to
# another run on the same server (a second suite, a developer's filter run) and are left alone.
for db in $(psql "$DATABASE_URL" -Atqc "select d.datname from pg_database d where d.datname like 'sb_test_%' \
    and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)"); do
  psql "$DATABASE_URL" -qc "drop database if exists $db" >/dev/null 2>&1 || true
done

echo "Backends under test: postgres ($DATABASE_URL) and sqlite (temporary files)"
"$@"
