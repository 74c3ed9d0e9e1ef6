#!/usr/bin/env bash
# A profile of one build's ledgerd under the A/B load of debits_ab.sh (100,000 seeded
# accounts, 8 connections, batches of 1000): ledger-bench runs 14 s after 3 s of warm-up and
# `perf record -F 499 -g` samples ledgerd for 6 s from its 7th second. Compare two builds with
# `perf report -i OUT.perf --no-children --sort sym -g none`.
#   bench/usage/profile_ab.sh LABEL BUILD_DIR TEMPLATE [OUT_DIR]   (writes OUT_DIR/LABEL.perf)
set -u
label=$1 build=$2 template=$3 out=${4:-/tmp/ab}
mkdir -p "$out"
"$build/bench/ledger-bench/ledger-bench" --ledgerd "$build/apps/ledgerd/ledgerd" \
  --template "$template" --seed-storage --durability fsync --accounts 100000 --connections 8 \
  --batch-size 1000 --duration 14 --warmup 3 --work-dir /tmp/usage-ab-run --quiet \
  >"$out/$label.out" 2>&1 &
sleep 7
pid=$(pgrep -n -x ledgerd)
perf record -F 499 -g -p "$pid" -o "$out/$label.perf" -- sleep 6 >/dev/null 2>&1
wait
grep -E "throughput|CPU" "$out/$label.out"
