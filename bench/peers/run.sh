#!/usr/bin/env bash
# Runs the same workload against Contacto Ledger, PostgreSQL 15 and Redis 7, each at both
# durabilities, one after the other on this machine, all driven by ledger-bench (the same
# generator, connections, depth, clock and histogram), and prints a table.
#
#   bench/peers/run.sh [--build-dir DIR] [--duration S] [--warmup S] [--accounts N]
#                      [--connections N] [--batch N] [--depth N] [--rate N]
#                      [--debit-ids ordered|scattered] [--coalesce]
#                      [--modes "process fsync"] [--only ours|postgres|redis]
#
# --depth: batches in flight per connection, for every system (default 1: closed loop, one
# request in flight, issue 20's workload). ledgerd pipelines frames; PostgreSQL gets libpq's
# pipeline mode (one transaction per batch); Redis gets pipelined FCALLs. --rate: open loop
# at that many debits/s in all. --coalesce: every batch that is due is written at once.
# Unbatched debits: --batch 1.
#
# Workload: --connections connections (8), --batch debits per request (1000), uniform over
# --accounts accounts (100,000), a unique debit id per debit (time-ordered unless
# --debit-ids scattered). Each peer in its best shape: PostgreSQL one call of debit_batch
# (schema.sql) per batch, Redis one FCALL of debit_batch (ledger.lua) per batch. After each
# peer's run ledger-bench checks it (journal rows added = debits acknowledged, balance
# decrements = their amounts, no debit id twice) and fails when that does not hold; this
# script then runs the rest and exits 1. Durability:
#   process-crash safe:  ours `process`;  PostgreSQL fsync=off, synchronous_commit=on;
#                        Redis appendonly yes, appendfsync no
#   power-loss safe:     ours `fsync`;    PostgreSQL fsync=on, synchronous_commit=on;
#                        Redis appendonly yes, appendfsync always
# Both peers are spared log compaction during a run: PostgreSQL checkpoints after 8 GB of
# WAL or 30 min, Redis rewrites its AOF after 8 GB.
# Everything lives under /tmp/ledger-peers (deleted and recreated per peer run, except the
# prepared ledger data template, kept to save the account set-up between runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
duration=20
warmup=5
accounts=100000
connections=8
batch=1000
depth=1
modes="process fsync"
only=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --rate) extra+=(--rate "$2"); shift 2 ;;
    --debit-ids) extra+=(--debit-ids "$2"); shift 2 ;;
    --coalesce) extra+=(--coalesce); shift ;;
    --modes) modes=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
bench="$build/bench/ledger-bench/ledger-bench"
[ -x "$bench" ] || { echo "no $bench: build it (scripts/setup.sh)" >&2; exit 2; }
work=/tmp/ledger-peers
mkdir -p "$work"
results="$work/results.jsonl"
: > "$results"
"$here/install.sh"
pgbin=/usr/lib/postgresql/15/bin
pgport=55432
redisport=56379
load=(--connections "$connections" --batch-size "$batch" --depth "$depth"
      --accounts "$accounts" --duration "$duration" --warmup "$warmup" --quiet
      ${extra[@]+"${extra[@]}"})
failed=0

# Whatever happens, leave no server of ours running.
cleanup() {
  if [ -f "$work/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
  "$(date -u +%Y-%m-%dT%H:%MZ), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Runs ledger-bench with a label; its JSON report, marked with system and label, goes to
# the results. A failed run (a connection, or a peer's consistency) is noted, not fatal.
bench_run() {  # system label ledger-bench-flags...
  local system=$1 label=$2
  shift 2
  echo "== $system $label" >&2
  if ! "$bench" "$@" "${load[@]}" --json "$work/$system-$label.json" >&2; then
    echo "== $system $label FAILED" >&2
    failed=1
  fi
  [ -s "$work/$system-$label.json" ] || return 0
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["peer"]=sys.argv[2]; d["label"]=sys.argv[3]; print(json.dumps(d))' \
    "$work/$system-$label.json" "$system" "$label" >> "$results"
}

run_ours() {  # durability
  rm -f "$work/ours-$1.json"
  bench_run ours "$1" --durability "$1" --seed-storage \
    --template "$work/ledger-template-$accounts" --work-dir "$work/ledger"
}

run_postgres() {  # label fsync(on|off)
  cleanup
  rm -rf "$work/pg" "$work/postgres-$1.json"
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
  bench_run postgres "$1" --target postgres --connect "127.0.0.1:$pgport"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
}

run_redis() {  # label appendfsync(no|always)
  redis-cli -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work/redis" "$work/redis-$1.json"
  mkdir -p "$work/redis"
  # The AOF is not rewritten below 8 GB, as PostgreSQL's checkpoints wait for 8 GB of WAL
  # or 30 min: neither peer compacts its log during a run (ledgerd's RocksDB does). With
  # Redis's default of 64 MB it rewrote every few seconds: 51,833 against 76,667 debits/s.
  redis-server --port "$redisport" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --appendfsync "$2" --auto-aof-rewrite-min-size 8gb --save "" --daemonize yes \
    --logfile "$work/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$redisport" -x FUNCTION LOAD REPLACE < "$here/ledger.lua" >/dev/null
  redis-cli -p "$redisport" FCALL create_accounts 0 1 "$accounts" 1000000000 >/dev/null
  bench_run redis "$1" --target redis --connect "127.0.0.1:$redisport"
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
exit "$failed"
