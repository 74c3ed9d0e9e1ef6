#pragma once
// Counters the actors update and /metrics, `ledgerctl stats` and the benchmarks read.
// Relaxed atomics: each is an independent count, read approximately.

#include <array>
#include <atomic>
#include <cstdint>

#include "ledger/error.hpp"

namespace actors {

using counter = std::atomic<uint64_t>;  // only grows
using gauge = std::atomic<int64_t>;     // goes up and down

struct metrics {
  // Residency (directory.cpp).
  counter activations{0}, passivations{0};
  gauge resident_accounts{0};

  // What node::stop() waits for before it closes the writer and the database: account
  // actors spawned and not yet exited (including those a shard has already let go), and
  // storage readers spawned and not yet exited.
  gauge live_account_actors{0}, live_readers{0};

  // Debits and their answers, by code.
  counter debits_applied{0}, debits_rejected{0};
  std::array<counter, ledger::error_code_count> replies_by_code{};

  // Card charges and what they led to.
  counter charges_started{0}, charges_captured{0}, charges_failed{0}, charges_unknown{0};
  gauge charges_in_flight{0};
  counter suspensions{0};
  // Automatic charges the velocity cap held back (issue 17), once per hold-back.
  counter velocity_capped{0};
  // The card gateway's health (issue 18): charge answers in a row that were "unknown" (no
  // answer from the processor), and since when (ms since the Unix epoch; 0: it answers).
  // From gateway_unanswered_degraded on, /healthz says "degraded".
  gauge gateway_unanswered_in_a_row{0};
  gauge gateway_unanswered_since_ms{0};

  // Credit control: holds authorised (in full or in part), captured, released by clients,
  // and released by the server at their expiry.
  counter holds_authorized{0}, holds_captured{0}, holds_released{0}, holds_expired{0};

  // Idempotency lookups sent to the storage readers: debit groups with an id only storage
  // can clear (below the account's highest debit id), hold groups with an id only storage
  // can clear (not above the account's highest hold id, or that highest not yet known).
  counter debit_lookups{0}, hold_lookups{0};
  // Debit lookups the memtables and block cache answered on the account's own thread, with
  // no reader (storage_readers::find_debit_in_memory).
  counter debit_lookups_in_memory{0};

  void count_reply(ledger::error_code code) {
    replies_by_code[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
};

inline constexpr int64_t gateway_unanswered_degraded = 3;

inline bool gateway_degraded(const metrics& counters) {
  return counters.gateway_unanswered_in_a_row.load(std::memory_order_relaxed) >=
         gateway_unanswered_degraded;
}

inline void bump(counter& value) {
  value.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace actors
