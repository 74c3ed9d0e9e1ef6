#!/usr/bin/env bash
# Installs the peers of the comparison from Debian 12: PostgreSQL 15 and Redis 7 (the
# servers; ledger-bench drives them through libpq and hiredis, which scripts/setup.sh
# installs as build dependencies), and python3 for run.sh's table.
# Only for bench/peers/run.sh; not part of scripts/setup.sh or CI.
set -euo pipefail
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null &&
  [ -x /usr/lib/postgresql/15/bin/postgres ] && command -v psql >/dev/null &&
  [ -x /usr/bin/python3 ]; then
  exit 0
fi
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q --no-install-recommends postgresql-15 postgresql-client-15 \
  redis-server redis-tools python3
