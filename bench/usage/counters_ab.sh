#!/usr/bin/env bash
# Issue 19's throughput target, the usage counters alone: this tree's ledgerd with and
# without them, measured by bench/ab.sh in one invocation (interleaved, one ledger-bench,
# one template). A is the tree with bench/usage/without_counters.patch applied (no usage
# tail, no usage merge, no tail read at activation; entry times are kept, as in B), built in
# build/ and copied out; then the patch is taken back and B is this tree as it is.
#   [ROUNDS=2] [DURATION=90] bench/usage/counters_ab.sh
# 90 s runs: each account then takes about 90 debits, so every tail fills and merges.
set -eu
cd "$(dirname "$0")/../.."
patch=bench/usage/without_counters.patch
patched="storage/change_set.cpp actors/account_actor.cpp actors/storage_reader.cpp"
# shellcheck disable=SC2086
if ! git diff --quiet -- $patched; then
  echo "counters_ab: $patched have local changes; commit or stash them first" >&2
  exit 2
fi
out=${OUT:-/tmp/usage-counters-ab}
mkdir -p "$out"
git apply "$patch"
trap 'git apply -R "$patch"' EXIT
ninja -C build apps/ledgerd/ledgerd >/dev/null
cp build/apps/ledgerd/ledgerd "$out/ledgerd-without-counters"
git apply -R "$patch"
trap - EXIT
ninja -C build apps/ledgerd/ledgerd >/dev/null
cp build/apps/ledgerd/ledgerd "$out/ledgerd-with-counters"
DURATION=${DURATION:-90} bench/ab.sh "$out/ledgerd-without-counters" "$out/ledgerd-with-counters"
