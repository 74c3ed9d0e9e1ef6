#!/usr/bin/env bash
# Issue 7, two targets, end to end (see README.md in this folder):
#   1. N accounts on disk served with a bounded resident set: RSS and resident account
#      actors sampled while ledger-bench --connect debits uniformly over all N accounts;
#   2. restart to serving after kill -9 under that load: exec -> "ready" line, and exec ->
#      first successful HTTP debit, repeated.
# Usage: bench/restart/run.sh [--accounts N] [--seconds S] [--repeats R] [--bin DIR] ...
#        bench/restart/run.sh --help
set -euo pipefail

accounts=1000000
seconds=60
warmup=5
repeats=5
kill_after=15
bin_dir=""
work_dir=/tmp/ledger-restart
template=""
connections=8
batch=1000
sample_every=2
ledgerd_flags=()

usage() {
  cat <<'EOF'
usage: bench/restart/run.sh [flags]
  --accounts N       accounts on disk (default 1000000)
  --seconds S        measured seconds of the RSS run (default 60; plus --warmup)
  --warmup S         ledger-bench warm-up of the RSS run (default 5)
  --repeats R        kill -9 / restart rounds (default 5)
  --kill-after S     seconds of load before each kill -9 (default 15)
  --bin DIR          build directory holding apps/ledgerd/ledgerd and
                     bench/ledger-bench/ledger-bench (default: <repo>/build-bench)
  --template DIR     seeded template (default /tmp/lbt-<accounts>); seeded if missing
  --work-dir DIR     run directory: data copy, logs, samples (default /tmp/ledger-restart)
  --connections N    ledger-bench connections (default 8)
  --batch N          debits per batch (default 1000)
  --sample-every S   RSS / metrics sampling period (default 2)
  --ledgerd-flag F   extra ledgerd flag, repeatable (e.g. --ledger.resident-accounts-max=200000)
Prints a summary; everything is kept under --work-dir (summary.txt, rss.csv, restarts.csv).
EOF
}

while (($#)); do
  case "$1" in
    --accounts) accounts=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --kill-after) kill_after=$2; shift 2 ;;
    --bin) bin_dir=$2; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --sample-every) sample_every=$2; shift 2 ;;
    --ledgerd-flag) ledgerd_flags+=("$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown flag: $1" >&2; usage >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=${bin_dir:-$repo/build-bench}
template=${template:-/tmp/lbt-$accounts}
ledgerd=$bin_dir/apps/ledgerd/ledgerd
bench=$bin_dir/bench/ledger-bench/ledger-bench
for program in "$ledgerd" "$bench"; do
  [[ -x $program ]] || { echo "missing $program (build ledgerd and ledger-bench)" >&2; exit 2; }
done

mkdir -p "$work_dir"
data=$work_dir/data
summary=$work_dir/summary.txt
: >"$summary"

# ---- helpers ---------------------------------------------------------------------------

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }   # bash 5: no fork
say() { echo "$*" | tee -a "$summary"; }
rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
value_of() {  # value_of METRICS_TEXT NAME -> integer value or "?"
  awk -v name="$2" '$1 == name {printf "%d", $2; found = 1} END {if (!found) printf "?"}' <<<"$1"
}
# WAL replay of the last open, from RocksDB's LOG: recovery_started -> recovery_finished (ms)
replay_ms() {
  awk '/"event": "recovery_started"/ {match($0, /"time_micros": [0-9]+/); s = substr($0, RSTART + 15, RLENGTH - 15)}
       /"event": "recovery_finished"/ {match($0, /"time_micros": [0-9]+/); f = substr($0, RSTART + 15, RLENGTH - 15)}
       END {if (s != "" && f != "") printf "%d", (f - s) / 1000; else printf "0"}' "$data/LOG"
}
wal_mib() {
  find "$data" -maxdepth 1 -name '*.log' -printf '%s\n' 2>/dev/null |
    awk '{s += $1} END {printf "%.0f", s / 1048576}'
}

ledgerd_pid=""
stream_port=""
http_port=""

cleanup() {  # only this shell's own background jobs that are still running
  local pid
  for pid in $(jobs -p); do
    kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Starts ledgerd on $data; sets ledgerd_pid, stream_port, http_port, started_ms, ready_ms.
# stdout lines are stamped (epoch ms) as they arrive, so "ready" is timed to the line.
start_ledgerd() {
  local tag=$1 out=$work_dir/ledgerd-$1.out
  : >"$out"
  started_ms=$(now_ms)
  "$ledgerd" "--ledger.data-dir=$data" --net.stream-port=0 --net.http-port=0 \
    --net.admin-port=0 "${ledgerd_flags[@]}" \
    > >(while IFS= read -r line; do t=$EPOCHREALTIME; echo "$((${t/./} / 1000)) $line"; done >"$out") \
    2>"$work_dir/ledgerd-$tag.log" &
  ledgerd_pid=$!
  local line=""
  for ((i = 0; i < 60000; i++)); do    # up to 10 min (a slow WAL replay is a result too)
    line=$(grep -m1 ' ready ' "$out" 2>/dev/null || true)
    [[ -n $line ]] && break
    kill -0 "$ledgerd_pid" 2>/dev/null || { echo "ledgerd died: see $work_dir/ledgerd-$tag.log" >&2; exit 1; }
    sleep 0.01
  done
  [[ -n $line ]] || { echo "ledgerd never became ready" >&2; exit 1; }
  ready_ms=${line%% *}
  stream_port=$(sed -E 's/.*stream=([0-9]+).*/\1/' <<<"$line")
  http_port=$(sed -E 's/.*http=([0-9]+).*/\1/' <<<"$line")
}

# One debit over HTTP with the platform key, retried until 200; prints the ms of the 200.
first_debit_ms() {
  local key id body code
  key=$(cat "$data-platform.key")
  id=$((RANDOM * 32768 + RANDOM))
  id=$((id % accounts + 1))
  body="{\"debit_id\": \"$(date +%s%N)\", \"amount\": \"0.0001\"}"
  for ((i = 0; i < 3000; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
      -H "X-Platform-Key: $key" -d "$body" "http://127.0.0.1:$http_port/v1/accounts/$id/debits" || true)
    [[ $code == 200 ]] && { now_ms; return; }
    sleep 0.01
  done
  echo "-1"
}

# ms since the epoch of a spdlog line's stamp (local time), first line matching $2.
log_ms() {
  local stamp
  stamp=$(grep -m1 -- "$2" "$1" | cut -d' ' -f1 || true)
  [[ -n $stamp ]] && date -d "$stamp" +%s%3N || echo ""
}

sampler() {  # sampler OUT: one line per sample, one /metrics request each
  local t0 out=$1 text t1 t2
  t0=$(now_ms)
  echo "t_s,rss_mib,accounts_resident,activations,passivations,metrics_ms,load1" >"$out"
  while kill -0 "$ledgerd_pid" 2>/dev/null; do
    t1=$(now_ms)
    text=$(curl -s --max-time 10 "http://127.0.0.1:$http_port/metrics" 2>/dev/null || true)
    t2=$(now_ms)
    echo "$(((t1 - t0) / 1000)),$(rss_mib "$ledgerd_pid"),$(value_of "$text" ledger_accounts_resident),$(value_of "$text" ledger_account_activations_total),$(value_of "$text" ledger_account_passivations_total),$((t2 - t1)),$(cut -d' ' -f1 /proc/loadavg)" >>"$out"
    sleep "$sample_every"
  done
}

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# ---- 1. the template -------------------------------------------------------------------

say "== restart bench: $accounts accounts, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -Is)"
say "binaries: $bin_dir ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "ledgerd flags: ${ledgerd_flags[*]:-(defaults)}"
if [[ -f $template/.ledger-bench-ready ]] && grep -q "^$accounts accounts" "$template/.ledger-bench-ready"; then
  say "template: $template (existing, $(du -sh "$template/data" | cut -f1))"
else
  say "seeding $template with $accounts accounts (load $(load_avg)) ..."
  rm -rf "$template"
  seed_start=$(now_ms)
  # ledger-bench seeds the template, then copies it and runs a 1 s load on it: the seed time
  # is taken when the template's marker appears.
  "$bench" --ledgerd "$ledgerd" --seed-storage --template "$template" --accounts "$accounts" \
    --work-dir "$work_dir/seed-run" --duration 1 --warmup 0 --quiet >"$work_dir/seed-run.out" 2>&1 &
  seed_pid=$!
  seed_peak=0
  while [[ ! -f $template/.ledger-bench-ready ]]; do
    kill -0 "$seed_pid" 2>/dev/null || { echo "seeding failed: $work_dir/seed-run.out" >&2; cat "$work_dir/seed-run.out" >&2; exit 1; }
    r=$(rss_mib "$seed_pid"); ((r > seed_peak)) && seed_peak=$r
    sleep 1
  done
  seed_ms=$(($(now_ms) - seed_start))
  wait "$seed_pid" || { echo "seed run failed: $work_dir/seed-run.out" >&2; exit 1; }
  rm -rf "$work_dir/seed-run"
  say "seeded in $((seed_ms / 1000)) s ($((accounts * 1000 / (seed_ms + 1))) accounts/s), seeder peak RSS ${seed_peak} MiB, on disk $(du -sh "$template/data" | cut -f1), $(ls "$template/data" | grep -c '\.sst$') SST files (load $(load_avg))"
fi

# ---- 2. RSS under uniform load over every account ---------------------------------------

rm -rf "$data" "$data-platform.key" "$data"-*
cp -a "$template/data" "$data"
start_ledgerd first
say "first start on the copy: ready in $((ready_ms - started_ms)) ms (load $(load_avg))"
sampler "$work_dir/rss.csv" &
sampler_pid=$!
say "RSS run: $connections connections, batch $batch, uniform over $accounts, ${warmup} s warm-up + ${seconds} s (load at start $(load_avg))"
"$bench" --connect "127.0.0.1:$stream_port" --accounts "$accounts" --connections "$connections" \
  --batch-size "$batch" --duration "$seconds" --warmup "$warmup" --seed 11 --quiet \
  --json "$work_dir/rss-run.json" >"$work_dir/rss-run.out" 2>&1 || true
sleep "$sample_every"
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sed 's/^/  /' "$work_dir/rss-run.out" | tee -a "$summary"
say "  samples every ${sample_every} s (all in rss.csv; every 5th shown):"
say "    $(head -1 "$work_dir/rss.csv")"
awk 'NR > 1 {print "    " $0}' "$work_dir/rss.csv" >>"$summary"
awk 'NR > 1 && NR % 5 == 2 {print "    " $0}' "$work_dir/rss.csv"
read -r rss_max res_max < <(awk -F, 'NR > 1 {if ($2 > r) r = $2; if ($3 > a) a = $3} END {print r + 0, a + 0}' "$work_dir/rss.csv")
rss_end=$(rss_mib "$ledgerd_pid")
say "RSS: max ${rss_max} MiB, after the run ${rss_end} MiB; resident accounts max ${res_max} (load $(load_avg))"

# ---- 3. kill -9 under load, restart -----------------------------------------------------

echo "round,wal_mib_at_kill,rss_mib_at_kill,ready_ms,first_debit_ms,open_ms,wal_replay_ms,load1" >"$work_dir/restarts.csv"
for ((round = 1; round <= repeats; round++)); do
  "$bench" --connect "127.0.0.1:$stream_port" --accounts "$accounts" --connections "$connections" \
    --batch-size "$batch" --duration $((kill_after + 120)) --warmup 0 --seed $((100 + round)) \
    --quiet >"$work_dir/load-$round.out" 2>&1 &
  load_pid=$!
  sleep "$kill_after"
  wal=$(wal_mib)
  rss=$(rss_mib "$ledgerd_pid")
  kill -9 "$ledgerd_pid"
  wait "$ledgerd_pid" 2>/dev/null || true
  kill "$load_pid" 2>/dev/null || true
  wait "$load_pid" 2>/dev/null || true
  start_ledgerd "restart-$round"
  debit_ms=$(first_debit_ms)
  log=$work_dir/ledgerd-restart-$round.log
  opened=$(log_ms "$log" 'data directory')
  open_ms=$([[ -n $opened ]] && echo $((opened - started_ms)) || echo "?")
  replay=$(replay_ms)
  cp "$data/LOG" "$work_dir/rocksdb-restart-$round.LOG"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  echo "$round,$wal,$rss,$((ready_ms - started_ms)),$((debit_ms - started_ms)),$open_ms,$replay,$load1" >>"$work_dir/restarts.csv"
  say "restart $round: WAL at kill ${wal} MiB, RSS at kill ${rss} MiB; exec -> ready $((ready_ms - started_ms)) ms, -> first debit $((debit_ms - started_ms)) ms; exec -> storage open done ${open_ms} ms, of which RocksDB WAL replay ${replay} ms; load $load1"
done

stats() {  # column name of restarts.csv
  local col
  col=$(head -1 "$work_dir/restarts.csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1)
  local values
  values=$(awk -F, -v c="$col" 'NR > 1 {print $c}' "$work_dir/restarts.csv")
  echo "min $(sort -n <<<"$values" | head -1) / median $(median <<<"$values") / max $(sort -n <<<"$values" | tail -1) ms"
}
say ""
say "== summary ($accounts accounts, load now $(load_avg))"
say "data on disk: $(du -sh "$data" | cut -f1)"
say "throughput (RSS run): $(grep -m1 '^throughput' "$work_dir/rss-run.out" || echo '?')"
say "RSS under uniform load: max ${rss_max} MiB, resident accounts max ${res_max}"
say "restart exec -> ready:       $(stats ready_ms) over $repeats kills"
say "restart exec -> first debit: $(stats first_debit_ms)"
say "restart WAL replay:          $(stats wal_replay_ms) (WAL at kill: $(stats wal_mib_at_kill | sed 's/ ms/ MiB/'))"
say "files: $work_dir/{summary.txt,rss.csv,restarts.csv,ledgerd-*.log}"
