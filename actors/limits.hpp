#pragma once
// Every limit and default of the actor layer, in one place. Options (node_options,
// directory_options, account_context) take their defaults from here, and ledgerd's
// configuration (config/) takes its defaults from those options: each is declared once.
// No CAF.

#include <algorithm>
#include <chrono>
#include <cstddef>

#include "storage/writer.hpp"

namespace actors {

// ---- directory and accounts ----
inline constexpr size_t shard_count_default = 2;
inline constexpr size_t resident_accounts_max_default = 1'000'000;  // over all shards
// An account with nothing in flight passivates after this long without a message.
inline constexpr std::chrono::milliseconds idle_timeout_default{std::chrono::seconds(60)};
// Over its resident maximum, a shard asks this many of its least recently used accounts to
// leave per activation (only the idle ones do): enough to keep up with activations when a
// few of them are busy, few enough that one activation stays cheap.
inline constexpr size_t eviction_asks_per_activation = 8;
// The idle sweep runs every idle_timeout / 2, but at most this often.
inline constexpr std::chrono::milliseconds sweep_period_min{10};
// How stale an account's place in its shard's recency order may get: an account routed to
// again within this keeps its place, so that a debit does not move three cold list nodes.
// At most idle_timeout / 16, so the idle sweep stays right to within 1/16 of its timeout.
inline constexpr std::chrono::milliseconds recency_granularity_max{std::chrono::seconds(1)};
inline constexpr int recency_granularity_divisor = 16;

inline std::chrono::milliseconds sweep_period(std::chrono::milliseconds idle_timeout) {
  return std::max(sweep_period_min, idle_timeout / 2);
}
inline std::chrono::milliseconds recency_granularity(std::chrono::milliseconds idle_timeout) {
  return std::min(recency_granularity_max, idle_timeout / recency_granularity_divisor);
}

// ---- storage ----
// Readers of RocksDB (storage_reader.hpp): activation loads and idempotency lookups. Two
// keep one read going while the other waits for the disk on this two-core machine.
inline constexpr size_t storage_readers_default = 2;
// A storage read (a point lookup, a page of the expiry index) takes microseconds to a few
// milliseconds; one that has run this long is a wedged disk or a bug, and /healthz says
// degraded (the readers' watchdog, storage_reader.hpp's read_watch).
inline constexpr auto read_stall_degraded = std::chrono::seconds(10);
// The most accounts one activation read carries: a routed batch that finds more cold
// accounts splits them over several reads, so that the first are forwarded while the rest
// load.
inline constexpr size_t activation_batch_max = 64;
// Room kept free in the writer's queue for submissions racing the room check: one per
// scheduler thread would do; 64 covers any core count this runs on.
inline constexpr size_t writer_reserve = 64;
// The smallest writer queue ledgerd accepts: a queue barely above the reserve would refuse
// nearly every write.
inline constexpr size_t writer_queue_min = 1024;
static_assert(writer_queue_min >= 16 * writer_reserve, "the reserve is a small part of the queue");
static_assert(ledger::storage::queue_change_sets_max_default >= writer_queue_min,
              "the writer's default queue must be one ledgerd accepts");

// ---- guarded charging (issue 17) ----
// A held-back charge whose window has room but whose writer has none tries again after this.
inline constexpr std::chrono::milliseconds velocity_wake_retry{std::chrono::seconds(1)};

// ---- credit control (hold_expiry.hpp) ----
// How often the expiry sweep looks for due holds: a hold outlives its expiry by at most
// this (plus the time to write its release), and a due hold is refused as expired at once.
inline constexpr std::chrono::milliseconds hold_sweep_interval_default{std::chrono::seconds(1)};
// The most expiry index entries one read of the sweep returns (a page of its round).
inline constexpr size_t hold_sweep_page_max = 1024;
// The most accounts the sweep has sent expire_holds and not heard back from. Each is one
// change_set in the writer's queue (the closed record of each hold it releases, its state
// and its one notice, which is two records), so this is the sweep's share of the queue, and
// what a debit submitted during a mass expiry may wait behind: 128 accounts of 10 holds are
// about 1,700 records, a few ms of the writer's time
// (docs/performance.md, "Expiry after a restart"). Several times what one write of the
// writer takes under a debit load, so that the sweep keeps it busy between debit writes.
inline constexpr size_t hold_sweep_accounts_in_flight_max = 128;
static_assert(hold_sweep_accounts_in_flight_max + writer_reserve <= writer_queue_min,
              "the sweep alone never fills the smallest queue");
static_assert(hold_sweep_accounts_in_flight_max <= hold_sweep_page_max,
              "a page read ahead refills the whole window");
// The window while clients are being served: a debit submitted during a mass expiry waits
// behind at most this many accounts' releases in the writer's queue. With 128 a debit batch
// waited a median 24-44 ms during the sweep of 1.9 M holds, with 8 about 10 ms; the sweep
// then takes longer (docs/performance.md, "Write stalls, then the sweep yielding to
// clients"). Debits come first.
inline constexpr size_t hold_sweep_accounts_in_flight_busy = 8;
static_assert(hold_sweep_accounts_in_flight_busy >= 1 &&
                  hold_sweep_accounts_in_flight_busy <= hold_sweep_accounts_in_flight_max,
              "the busy window is a smaller, non-empty window");
// Clients count as being served for this long after the last debit or hold operation the
// sweep saw completed or refused (client_operations_completed).
inline constexpr std::chrono::milliseconds hold_sweep_quiet_after{1000};
static_assert(hold_sweep_quiet_after <= hold_sweep_interval_default,
              "a sweep after a quiet interval runs at its full window");
// The most accounts a round remembers having named (to name none twice: an account's first
// command releases all its holds due in the round). Past it, an account may be named again;
// it finds nothing due then (account_expiry.cpp): only work is repeated. About 40 bytes
// each, freed when the round ends.
inline constexpr size_t hold_sweep_round_accounts_max = 1'000'000;

// ---- card charges ----
inline constexpr size_t gateway_workers_default = 4;
// First and longest wait before asking the gateway again about an unknown outcome.
inline constexpr std::chrono::milliseconds lookup_backoff_min_default{200};
inline constexpr std::chrono::milliseconds lookup_backoff_max_default{std::chrono::seconds(30)};
static_assert(lookup_backoff_min_default <= lookup_backoff_max_default);

}  // namespace actors
