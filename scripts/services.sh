#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis the tests use when they are not running, creates the
# test database, and installs the Debian tools the tests call (promtool, from the prometheus
# package; chromium). Changes nothing but the test database when all are there.
set -euo pipefail

missing=""
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"  # promtool checks /metrics
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"    # renders the quality report
if [ -n "$missing" ]; then
  echo "== installing Debian packages:$missing"
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PG_HOST=127.0.0.1 PG_PORT=5432
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
  echo "== starting PostgreSQL"
  cluster="$(ls /etc/postgresql | sort -V | tail -n 1)"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
fi
pg_isready -h "$PG_HOST" -p "$PG_PORT"

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"

db="${HAWIYA_TEST_PG_DB:-hawiya_test}"
# A fresh database every run: tables left by an earlier run (or an older schema) must not decide
# whether this one passes.
echo "== recreating database $db"
psql -h "$PG_HOST" -U postgres -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql -h "$PG_HOST" -U postgres -q -c "CREATE DATABASE $db" >/dev/null
