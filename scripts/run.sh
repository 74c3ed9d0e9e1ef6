#!/usr/bin/env bash
# The README's run command: installs, builds and starts the server on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The embedded default: data in ./data, the in-process simulated card gateway, loopback
# ports 7400 (debit stream) and 7401 (HTTP). Flags override (build/apps/ledgerd/ledgerd --help).
exec build/apps/ledgerd/ledgerd "$@"
