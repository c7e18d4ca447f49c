#!/usr/bin/env bash
# Runs a command with BENCH_POSTGRES_URL pointing at a PostgreSQL database of the benchmarks' own (syncdesk_bench),
# starting the machine's cluster first as .ci/run does. A BENCH_POSTGRES_URL already set is used as it is.
#   bench/postgres.sh .venv/bin/python -m bench.review_board
set -euo pipefail
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then exec "$@"; fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
as_postgres() {
  if [ -z "$SUDO" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  $SUDO pg_createcluster "$version" main >/dev/null
fi
$SUDO pg_ctlcluster "$version" main start 2>/dev/null || true
pg_isready -h 127.0.0.1 -t 30 >/dev/null
as_postgres psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'syncdesk') THEN
    CREATE ROLE syncdesk LOGIN PASSWORD 'syncdesk';
  END IF;
END $$;
SQL
as_postgres psql -q -tc "SELECT 1 FROM pg_database WHERE datname = 'syncdesk_bench'" | grep -q 1 \
  || as_postgres createdb -O syncdesk syncdesk_bench
export BENCH_POSTGRES_URL="postgresql+psycopg://syncdesk:syncdesk@127.0.0.1:5432/syncdesk_bench"
exec "$@"
