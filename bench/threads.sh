#!/usr/bin/env bash
# ledgerd's CPU per operation, thread by thread, over ledger-bench's measured window: how a
# change that moves work between threads (or takes some away) is measured at a fixed
# open-loop rate, where the CPU per operation varies much less between runs than the
# maximum or the tail on this 2-core machine.
#   [WARMUP=10] [DURATION=20] [DURABILITY=fsync] bench/threads.sh LEDGERD [ledger-bench flags...]
# e.g. bench/threads.sh build/apps/ledgerd/ledgerd --workload sessions --call-ms 1000 \
#        --batch-size 100 --depth 8 --rate 27000
# ledgerd runs on a copy of bench/ab.sh's 100,000-account template (/tmp/ab-template, seeded
# here when missing), stream port 7640, HTTP 7641. Prints, per thread name (threads of one
# name summed; the writer, the storage readers and the disk monitor carry the program's
# name), the CPU in us per operation, then ledger-bench's summary and the writer's counters.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=${LEDGER_BENCH:-$here/../build/bench/ledger-bench/ledger-bench}
ledgerd=$1
shift
warmup=${WARMUP:-10} duration=${DURATION:-20}
template=/tmp/ab-template
work=$(mktemp -d /tmp/ledger-threads-XXXXXX)
server=
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
if [[ ! -d $template/data ]]; then
  "$bench" --ledgerd "$ledgerd" --template "$template" --seed-storage --accounts 100000 \
    --duration 1 --warmup 0 --work-dir "$work/seed" --quiet >/dev/null
fi
cp -a "$template/data" "$work/data"
"$ledgerd" --ledger.data-dir="$work/data" --ledger.durability="\"${DURABILITY:-fsync}\"" \
  --net.stream-port=7640 --net.http-port=7641 --net.admin-port=0 --http.open-access \
  >"$work/ledgerd.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  grep -q "ready " "$work/ledgerd.log" && break
  sleep 0.05
done
# CPU ticks (utime + stime) by thread name.
snapshot() {
  for task in /proc/"$server"/task/*; do
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    name=${stat#*(}
    name=${name%%)*}
    read -r -a fields <<<"${stat##*) }"
    echo "${name// /_} $((fields[11] + fields[12]))"
  done | awk '{ticks[$1] += $2} END {for (n in ticks) print n, ticks[n]}' | sort
}
"$bench" --connect 127.0.0.1:7640 --accounts 100000 --duration "$duration" --warmup "$warmup" \
  "$@" >"$work/bench.out" 2>&1 &
load=$!
sleep "$warmup"
snapshot >"$work/before"
wait "$load"
snapshot >"$work/after"
# Operations in the measured window: ledger-bench's "throughput N <unit>/s" line.
per_second=$(awk '/^throughput/ {print $2; exit}' "$work/bench.out")
ticks_per_second=$(getconf CLK_TCK)
join "$work/before" "$work/after" |
  awk -v ops="$per_second" -v d="$duration" -v hz="$ticks_per_second" '{
    us = ($3 - $2) * 1e6 / hz
    if (us > 0) printf "%-18s %6.2f us per operation\n", $1, us / (ops * d)
  }' | sort -k2 -nr
grep -E "^(throughput|batch latency|sessions|authorise|capture)" "$work/bench.out"
curl -s localhost:7641/metrics | grep -E "^ledger_writer_(batches|change_sets|records|latency)_"
