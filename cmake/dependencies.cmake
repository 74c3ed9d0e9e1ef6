# Third-party libraries, all from Debian 12 packages (scripts/setup.sh installs them).
# Each is an imported target, so its headers are SYSTEM and -Werror applies to our code only.

find_package(Threads REQUIRED)
find_package(RocksDB REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(nlohmann_json REQUIRED CONFIG)
find_package(benchmark REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)

# CAF 0.17 (libcaf-dev) ships no CMake package.
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(caf_deps INTERFACE)
add_library(dep::caf ALIAS caf_deps)
target_link_libraries(caf_deps INTERFACE ${CAF_IO_LIBRARY} ${CAF_CORE_LIBRARY} Threads::Threads)

# cpp-httplib (libcpp-httplib-dev) is a compiled library in Debian: its header must see the
# CPPHTTPLIB_* definitions the library was built with, which pkg-config supplies.
pkg_check_modules(ledger_httplib_pc REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(httplib_deps INTERFACE)
add_library(dep::httplib ALIAS httplib_deps)
target_link_libraries(httplib_deps INTERFACE PkgConfig::ledger_httplib_pc Threads::Threads)

add_library(dep::rocksdb ALIAS RocksDB::rocksdb)

# jemalloc (libjemalloc-dev) for the server and the benchmarks that measure it: with glibc's
# malloc, ledgerd spent 4-5 % of its CPU in malloc_consolidate/unlink_chunk under the debit
# stream, and jemalloc gave 20-70 % more debits/s (docs/performance.md). Not with the
# sanitizers, which bring their own allocator.
add_library(ledger_allocator INTERFACE)
add_library(dep::allocator ALIAS ledger_allocator)
if(NOT LEDGER_SANITIZE)
  pkg_check_modules(jemalloc REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(ledger_allocator INTERFACE PkgConfig::jemalloc)
endif()

# The peers of ledger-bench's comparison (bench/ledger-bench/peers.hpp): libpq (libpq-dev)
# for PostgreSQL and hiredis (libhiredis-dev) for Redis.
pkg_check_modules(ledger_libpq_pc REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(ledger_hiredis_pc REQUIRED IMPORTED_TARGET hiredis)
add_library(peer_client_deps INTERFACE)
add_library(dep::peer_clients ALIAS peer_client_deps)
target_link_libraries(peer_client_deps INTERFACE PkgConfig::ledger_libpq_pc PkgConfig::ledger_hiredis_pc)
