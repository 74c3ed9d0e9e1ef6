#!/usr/bin/env bash
# The README's run command: installs, builds and starts the server on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -x build/apps/ledgerd ]; then
  echo "run: the server (ledgerd) does not exist yet; see README.md, 'Status'." >&2
  exit 1
fi
exec build/apps/ledgerd "$@"
