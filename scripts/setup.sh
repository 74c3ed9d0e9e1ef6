#!/usr/bin/env bash
# Installs every Debian package the project needs, then configures and builds.
# Idempotent: packages already present are not fetched again.
#   scripts/setup.sh            release build in build/
#   scripts/setup.sh --sanitize ASan+UBSan build in build-asan/
#   scripts/setup.sh --packages-only  install packages, build nothing
# The browser tests (tests/browser/) also need Chromium, node >= 18 and npm (Debian's, unless
# node and npm are installed already, e.g. from nodesource: apt's npm conflicts with that
# nodejs) and playwright-core from tests/browser/package-lock.json (npm ci, no browsers
# downloaded: the tests use Debian's /usr/bin/chromium). The build needs npm too: the console's
# chart library comes from web/package-lock.json (npm ci) and is embedded into ledgerd.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  libcaf-dev librocksdb-dev libspdlog-dev libfmt-dev
  libsodium-dev nlohmann-json3-dev libcpp-httplib-dev libmicrohttpd-dev libssl-dev libedit-dev
  libjemalloc-dev
  libpq-dev libhiredis-dev
  chromium
)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "setup: node $(node --version) is too old for tests/browser (18 or newer)" >&2
  exit 1
fi
# npm ci only when the lock file changed since the last install: web/ (the console's chart
# library, embedded into ledgerd by web/CMakeLists.txt) and tests/browser/.
for npm_dir in web tests/browser; do
  stamp="$npm_dir/node_modules/.installed-from-lock"
  if ! cmp -s "$npm_dir/package-lock.json" "$stamp" 2>/dev/null; then
    echo "setup: npm ci in $npm_dir"
    (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp "$npm_dir/package-lock.json" "$stamp"
  fi
done

[ "${1:-}" = "--packages-only" ] && exit 0

build_dir=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Debug -DLEDGER_SANITIZE=ON)
fi

cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup: built in $build_dir/"
