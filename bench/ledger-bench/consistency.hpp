#pragma once
// The peers' consistency check (issue 20): after a run against PostgreSQL or Redis, what the
// peer holds must match what ledger-bench saw acknowledged. Pure: the totals are read by the
// peer's channel (peer_postgres.hpp, peer_redis.hpp) before and after the run; this file
// only compares them.

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// What a peer holds, read in one pass.
struct peer_totals {
  uint64_t journal_rows = 0;
  // Journal rows whose debit id an earlier row (of any account) has too: 0 when every
  // debit was applied at most once.
  uint64_t duplicate_debit_ids = 0;
  // The balances of the workload's accounts, summed; micro-dollars.
  int64_t balance_sum_micros = 0;
};

// What the client saw: every debit answered ok over the whole run (warm-up and the final
// drain included) and the sum of their amounts in micro-dollars.
struct acknowledged_totals {
  uint64_t debits = 0;
  int64_t amount_micros = 0;
};

struct consistency_verdict {
  bool holds = false;
  std::string text;  // one line per check, each ending in "ok" or "MISMATCH"
};

// Holds when the journal grew by exactly the acknowledged debits, the balances fell by
// exactly the acknowledged amounts, and no debit id appears twice in the journal.
consistency_verdict check_consistency(const peer_totals& before, const peer_totals& after,
                                      const acknowledged_totals& acknowledged);

// The number of entries of `ids` equal to an earlier one (sorts `ids`).
uint64_t count_duplicates(std::vector<uint64_t>& ids);

}  // namespace bench
