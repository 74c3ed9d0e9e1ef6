#pragma once
// Storage reports outcomes with the tree's one status and expected<T> (ledger/expected.hpp):
// storage_failure for I/O and corruption, internal_error for a caller's bug, and RocksDB's
// message, which the caller logs; this library never logs itself.

#include "ledger/expected.hpp"

namespace ledger::storage {

using ledger::expected;
using ledger::status;

}  // namespace ledger::storage
