#!/usr/bin/env bash
# Two ledgerd binaries measured A/B in one invocation, interleaved A B A B, with one
# ledger-bench and one seeded template (so both read the same data layout): the way a
# change on the debit path is measured on this noisy 2-core machine (about 10 % between
# runs of one binary). Prints each run's throughput, latency and ledgerd's CPU per debit.
#   [ROUNDS=2] [DURATION=15] bench/ab.sh LEDGERD_A LEDGERD_B [ledger-bench flags...]
# e.g. bench/ab.sh /tmp/ab/ledgerd-before build/apps/ledgerd/ledgerd --debit-ids scattered
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=${LEDGER_BENCH:-$here/../build/bench/ledger-bench/ledger-bench}
a=$1 b=$2
shift 2
extra=("$@")
template=/tmp/ab-template
run() { # $1 label, $2 ledgerd
  echo "== $1"
  "$bench" --ledgerd "$2" --template "$template" --seed-storage --durability fsync \
    --accounts 100000 --connections 8 --batch-size 1000 --depth 1 --duration "${DURATION:-15}" \
    --warmup 3 --work-dir /tmp/ab-run --quiet ${extra[@]+"${extra[@]}"} 2>&1 |
    grep -E "throughput|p50|p99|CPU" || true
}
run "seeding the template" "$a" >/dev/null
for round in $(seq 1 "${ROUNDS:-2}"); do
  run "A $a, round $round" "$a"
  run "B $b, round $round" "$b"
done
