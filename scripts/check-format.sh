#!/usr/bin/env bash
# Fails if any tracked C++ source differs from .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.hpp' | xargs -r clang-format --dry-run --Werror
echo "format: ok"
