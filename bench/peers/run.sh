#!/usr/bin/env bash
# Runs the same workload against Contacto Ledger (ledger-bench), PostgreSQL 15 and Redis 7,
# each at both durabilities, one after the other on this machine, and prints a table.
#
#   bench/peers/run.sh [--build-dir DIR] [--duration S] [--warmup S] [--accounts N]
#                      [--connections N] [--batch N] [--depth N] [--modes "process fsync"]
#                      [--only ours|postgres|redis] [--coalesce]
#
# --depth: requests in flight per connection: ours pipelines --depth batches (default 4);
# Redis sends --depth calls per round trip in a pipeline (default 1); PostgreSQL's call is
# synchronous (one in flight). Unbatched debits: --batch 1 --depth 16.
# --coalesce: ours writes every batch that is due and fits its window in one write, as
# redis-py's pipeline writes its --depth calls at once (ledger-bench --coalesce); without
# it, ours writes each batch on its own.
#
# Workload: --connections connections (8), --batch debits per call (1000), uniform over
# --accounts accounts (100,000), a unique debit id per debit, closed loop. Durability:
#   process-crash safe:  ours `process`;  PostgreSQL fsync=off, synchronous_commit=on;
#                        Redis appendonly yes, appendfsync no
#   power-loss safe:     ours `fsync`;    PostgreSQL fsync=on, synchronous_commit=on;
#                        Redis appendonly yes, appendfsync always
# Everything lives under /tmp/ledger-peers (deleted and recreated per peer run, except the
# prepared ledger data template, kept to save the account set-up between runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build-bench"
duration=20
warmup=3
accounts=100000
connections=8
batch=1000
depth=""
modes="process fsync"
only=""
ours_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --coalesce) ours_flags+=(--coalesce); shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
work=/tmp/ledger-peers
mkdir -p "$work"
results="$work/results.jsonl"
: > "$results"
"$here/install.sh"
pgbin=/usr/lib/postgresql/15/bin
pgport=55432
redisport=56379
load=(--connections "$connections" --batch "$batch" --accounts "$accounts"
      --duration "$duration" --warmup "$warmup")

# Whatever happens, leave no server of ours running.
cleanup() {
  if [ -f "$work/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

run_ours() {  # durability
  "$build/bench/ledger-bench/ledger-bench" --durability "$1" --seed-storage \
    --template "$work/ledger-template-$accounts" \
    --work-dir "$work/ledger" --connections "$connections" --batch-size "$batch" --depth "${depth:-4}" \
    --accounts "$accounts" --duration "$duration" --warmup "$warmup" --quiet \
    ${ours_flags[@]+"${ours_flags[@]}"} --json "$work/ours-$1.json" >&2
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["peer"]="ours"; d["label"]=sys.argv[2]; print(json.dumps(d))' \
    "$work/ours-$1.json" "$1" >> "$results"
}

run_postgres() {  # label fsync(on|off)
  cleanup
  rm -rf "$work/pg"
  mkdir -p "$work/pg"
  chown postgres "$work/pg"
  runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w -o \
    "-p $pgport -k /tmp -c fsync=$2 -c synchronous_commit=on -c shared_buffers=512MB \
     -c wal_buffers=64MB -c max_wal_size=8GB -c checkpoint_timeout=30min \
     -c wal_level=minimal -c max_wal_senders=0" start >/dev/null
  local psql=(psql -q -h 127.0.0.1 -p "$pgport" -U postgres -v ON_ERROR_STOP=1)
  "${psql[@]}" -c "CREATE DATABASE ledger" >/dev/null
  "${psql[@]}" -d ledger -f "$here/schema.sql" >/dev/null
  "${psql[@]}" -d ledger -c "INSERT INTO accounts SELECT g, 1000000000, 0 FROM generate_series(1, $accounts) g" \
    -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
  /usr/bin/python3 "$here/peer_load.py" --peer postgres --port "$pgport" "${load[@]}" --label "$1" >> "$results"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
}

run_redis() {  # label appendfsync(no|always)
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work/redis"
  mkdir -p "$work/redis"
  redis-server --port "$redisport" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --appendfsync "$2" --save "" --daemonize yes --logfile "$work/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$redisport" -x FUNCTION LOAD REPLACE < "$here/ledger.lua" >/dev/null
  redis-cli -p "$redisport" FCALL create_accounts 0 1 "$accounts" 1000000000 >/dev/null
  /usr/bin/python3 "$here/peer_load.py" --peer redis --port "$redisport" "${load[@]}" \
    --pipeline "${depth:-1}" --label "$1" >> "$results"
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
}

for mode in $modes; do
  if [ -z "$only" ] || [ "$only" = ours ]; then run_ours "$mode"; fi
  if [ -z "$only" ] || [ "$only" = postgres ]; then
    run_postgres "$mode" "$([ "$mode" = fsync ] && echo on || echo off)"
  fi
  if [ -z "$only" ] || [ "$only" = redis ]; then
    run_redis "$mode" "$([ "$mode" = fsync ] && echo always || echo no)"
  fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 "$here/table.py" "$results"
