#!/usr/bin/env bash
# Hold expiry after a restart with debits during it (issue 16; docs/performance.md,
# "Sessions", "With debits during it"). Starts ledgerd on a copy of DATA_DIR (a data
# directory whose open holds expired while it was down), at once runs an open-loop debit
# load for 8 s, waits until the sweep's count of expired holds has not moved for 2 s, then
# runs the same load again: "during" and "after". Prints the sweep's log line, both loads'
# latency lines and when the count last moved (s after ready).
#
# usage: expiry_during.sh BUILD_DIR DATA_DIR [STREAM_PORT]   (HTTP on STREAM_PORT + 1)
set -uo pipefail
build=$1 source_dir=$2 port=${3:-7540}
work=$(mktemp -d /tmp/expiry-during.XXXXXX)
cp -a "$source_dir" "$work/data"
sync  # or the copy's write-back lands in the measured seconds
"$build/apps/ledgerd/ledgerd" --ledger.data-dir="$work/data" --net.stream-port="$port" \
  --net.http-port=$((port + 1)) --net.admin-port=0 --http.open-access >"$work/ledgerd.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  grep -q "ready " "$work/ledgerd.log" && break
  kill -0 $server 2>/dev/null || { tail -3 "$work/ledgerd.log" >&2; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)
expired() {
  curl -s "localhost:$((port + 1))/metrics" | awk '/ledger_holds_total\{outcome="expired"\}/ {print $2}'
}
load() {
  "$build/bench/ledger-bench/ledger-bench" --connect "127.0.0.1:$port" --accounts 100000 \
    --batch-size 100 --depth 8 --rate 20000 --duration 8 --warmup 0 2>&1 | grep -E "^throughput|^batch latency"
}
( while true; do echo "$(date +%s.%N) $(expired)"; sleep 0.25; done ) >"$work/poll" &
poller=$!
echo "during:"; load
while true; do  # until the count has not moved for 2 s
  last=$(tail -1 "$work/poll" | cut -d' ' -f2)
  [ -n "$last" ] && [ "$(tail -8 "$work/poll" | cut -d' ' -f2 | sort -u | wc -l)" = 1 ] &&
    [ "$(wc -l <"$work/poll")" -ge 8 ] && break
  sleep 0.25
done
kill $poller
moved=$(awk -v n="$last" '$2 == n {print $1; exit}' "$work/poll")
echo "sweep: $last expired, the count last moved $(echo "$moved - $ready" | bc) s after ready (to 0.25 s)"
grep "hold expiry:" "$work/ledgerd.log" | head -3
echo "after:"; load
