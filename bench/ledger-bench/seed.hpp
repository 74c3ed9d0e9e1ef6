#pragma once
// Fills a new data directory with funded accounts directly through ledger::storage, for
// benchmarks only: 100,000 accounts over HTTP (create, card, manual recharge: three
// requests and a card charge each) take far longer than the benchmark itself on a loaded
// 2-core machine. Each account gets exactly what ledgerd persists for a create followed by
// a support adjustment (ledger::adjust_balance): the account state and one journal entry.
// No cards: debits never need one while the balance is positive.

#include <cstdint>
#include <string>

#include "ledger/expected.hpp"

namespace bench {

struct seed_options {
  std::string data_dir;  // created; must not hold a database yet
  uint64_t first_account_id = 1;
  uint64_t accounts = 100'000;
  int64_t balance_micros = 1'000'000'000;  // $1000.00 each
};

// An error when the directory cannot be created or written.
ledger::status seed_accounts(const seed_options& options);

}  // namespace bench
