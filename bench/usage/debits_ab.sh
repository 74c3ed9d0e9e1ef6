#!/usr/bin/env bash
# Issue 19's throughput target, measured A/B in one invocation: debits at batch 1000 against
# the build before usage counters (A: OLD_BUILD, e.g. a worktree of commit 2e34809 built with
# its own ledgerd and ledger-bench) and with them (B: NEW_BUILD), interleaved A B A B, each
# on a copy of its own seeded template (100,000 accounts; an old ledgerd cannot read the
# timed entries a new seeding writes).
#   [ROUNDS=2] bench/usage/debits_ab.sh OLD_BUILD NEW_BUILD [DURABILITY]
set -eu
old=$1 new=$2 durability=${3:-fsync}
run() { # $1 label, $2 build dir, $3 template
  echo "== $1"
  "$2/bench/ledger-bench/ledger-bench" --ledgerd "$2/apps/ledgerd/ledgerd" --template "$3" \
    --seed-storage --durability "$durability" --accounts 100000 --connections 8 \
    --batch-size 1000 --duration 15 --warmup 3 --work-dir /tmp/usage-ab-run --quiet 2>&1 |
    grep -E "throughput|p50|p99|CPU" || true
}
run "A before usage counters (seeding)" "$old" /tmp/usage-ab-old >/dev/null
run "B with usage counters (seeding)" "$new" /tmp/usage-ab-new >/dev/null
for round in $(seq 1 "${ROUNDS:-2}"); do
  run "A before usage counters, round $round" "$old" /tmp/usage-ab-old
  run "B with usage counters, round $round" "$new" /tmp/usage-ab-new
done
