#pragma once
// Counters the actors update and /metrics, `ledgerctl stats` and the benchmarks read.
// Relaxed atomics: each is an independent count, read approximately.

#include <array>
#include <atomic>
#include <cstdint>

#include "ledger/error.hpp"

namespace actors {

struct metrics {
  std::atomic<uint64_t> activations{0};
  std::atomic<uint64_t> passivations{0};
  std::atomic<int64_t> resident_accounts{0};
  // Account actors spawned and not yet exited, including those a shard has already let go
  // (passivating): what node::stop() waits for before it closes the writer and database.
  std::atomic<int64_t> live_account_actors{0};
  // Storage readers spawned and not yet exited: node::stop() closes the database after.
  std::atomic<int64_t> live_readers{0};
  std::atomic<uint64_t> debits_applied{0};
  std::atomic<uint64_t> debits_rejected{0};
  std::atomic<uint64_t> charges_started{0};
  std::atomic<uint64_t> charges_captured{0};
  std::atomic<uint64_t> charges_failed{0};
  std::atomic<uint64_t> charges_unknown{0};
  std::atomic<int64_t> charges_in_flight{0};
  std::atomic<uint64_t> suspensions{0};
  std::array<std::atomic<uint64_t>, ledger::error_code_count> replies_by_code{};

  void count_reply(ledger::error_code code) {
    replies_by_code[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
};

inline void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace actors
