#pragma once
// The account actor: one per resident account. It owns its ledger::account, applies every
// command through the pure core, persists the outcome through the group-commit writer and
// answers only after the write returned. It sends card charges to the gateway actor after
// their intent is durable, and resolves open intents when it is activated.
//
// Messages: see messages.hpp. Spawned only by a directory shard (directory.hpp).

#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "actors/ledger_clock.hpp"
#include "actors/limits.hpp"
#include "ledger/account.hpp"
#include "ledger/policy.hpp"
#include "ledger/usage.hpp"

namespace ledger::storage {
class disk_monitor;
class group_commit_writer;
}  // namespace ledger::storage

namespace actors {

struct metrics;
class result_batcher;
class storage_readers;

// What every account actor of one server shares. Immutable after start.
struct account_context {
  ledger::policy rules;
  // Every read of storage that may wait for the disk goes through a reader
  // (storage_reader.hpp), never on a scheduler thread: neither the shards nor the accounts
  // hold the database itself. The one read on an account's thread is
  // readers->find_debit_in_memory, from memory only.
  const storage_readers* readers = nullptr;
  ledger::storage::group_commit_writer* writer = nullptr;
  size_t writer_queue_max = 0;  // the writer's queue_change_sets_max
  // The data directory's free space against its reserve (storage/disk_space.hpp); below it,
  // commands that add data are refused with storage_full. nullptr: not watched (tests).
  const ledger::storage::disk_monitor* disk = nullptr;
  gateway_actor gateway;
  metrics* counters = nullptr;
  // The time on journal entries (ledger_clock.hpp); the node starts it at the database's
  // clock floor. Shared: it is the one mutable part of the context.
  std::shared_ptr<ledger_clock> clock = std::make_shared<ledger_clock>();
  // Sends the stream's debit results once per write (debit_batch.hpp); used on the writer
  // thread only.
  result_batcher* batcher = nullptr;
  std::chrono::milliseconds idle_timeout = idle_timeout_default;
  std::chrono::milliseconds lookup_backoff_min = lookup_backoff_min_default;
  std::chrono::milliseconds lookup_backoff_max = lookup_backoff_max_default;
  // A planted bug for the crash drill's self-test only: answer debits before they are
  // durable. ledgerd accepts it only with LEDGER_ALLOW_PLANTED_BUGS=1 in its environment.
  bool planted_bug_ack_before_write = false;
  // Optional sink for account_event messages (`ledgerctl tail`). The account sends only
  // while *event_listeners > 0, so the hot path costs one relaxed load when nobody tails.
  caf::actor events;
  std::shared_ptr<const std::atomic<uint32_t>> event_listeners;
  // Called once when a durable write failed: memory may now be ahead of disk, so the
  // process must stop. The server logs the reason and exits; tests record it.
  std::function<void(const std::string& reason)> on_storage_failure;
};

// `exists`: false for an account that is being created (its create command persists it).
// `usage_tail`: its entries not yet merged into their hour (storage's read_usage_tail).
// The account answers its shard's eviction messages (evict_atom) to their sender. The
// context must outlive the actor (the node owns it, with the writer and database it names).
account_actor spawn_account(caf::actor_system& system, const account_context* context,
                            ledger::account state, bool exists,
                            const ledger::usage_tail& usage_tail);

}  // namespace actors
