#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan+UBSan), replays the seed corpus, then fuzzes
# each harness for FUZZ_SECONDS (default 30) in a scratch copy of the corpus. Fails on any
# crash, leak or sanitizer report. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --packages-only
packages=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEDGER_FUZZ=ON >/dev/null
cmake --build build-fuzz --target fuzz_frames fuzz_amount fuzz_http_json
seconds=${FUZZ_SECONDS:-30}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for harness in frames amount http_json; do
  echo "fuzz: $harness: replaying the corpus"
  build-fuzz/fuzz/fuzz_$harness -runs=0 fuzz/corpus/$harness
  mkdir -p "$scratch/$harness"
  cp fuzz/corpus/$harness/* "$scratch/$harness/"
  echo "fuzz: $harness: fuzzing for ${seconds}s"
  build-fuzz/fuzz/fuzz_$harness -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch/$harness" 2>&1 | tail -n 12
  if ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* >/dev/null 2>&1; then
    echo "fuzz: $harness found a failing input:" "$scratch"/crash-* "$scratch"/leak-* 2>/dev/null
    exit 1
  fi
done
echo "fuzz: ok"
