#!/usr/bin/env bash
# Installs the peers of the comparison from Debian 12: PostgreSQL 15 and Redis 7, and the
# Python clients of peer_load.py.
# Debian's /usr/bin/python3 gets the modules (a pyenv python3 on PATH would not see them).
# Only for bench/peers/run.sh; not part of scripts/setup.sh or CI.
set -euo pipefail
if command -v redis-server >/dev/null && [ -x /usr/lib/postgresql/15/bin/postgres ] &&
  /usr/bin/python3 -c 'import psycopg2, redis' 2>/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends postgresql-15 postgresql-client-15 redis-server redis-tools \
  python3-psycopg2 python3-redis
