#pragma once
// node: one ledger in one process, wired together. Opens the database, starts the
// group-commit writer, the gateway actor and the directory shards, then resolves every
// charge intent left open by a previous run (by activating its account, which asks the
// gateway about the intent's key), and starts the hold expiry sweep (hold_expiry.hpp), which
// at once releases the holds that expired while the server was down. Front ends (the stream broker,
// the HTTP API, the admin actor) send to accounts().route(id).
//
// Stopping: stop() (or the destructor) ends the shards and their accounts and waits until
// every account actor has exited (they use the writer and the readers), then ends the
// gateway workers and the storage readers and waits for the readers, lets the writer write
// and answer everything it accepted, and closes the database. Should an account or a reader
// still run after the wait (a bug or a wedged disk), the database is left open rather than
// closed under it: the process is stopping anyway. The actor_system must outlive the node, and
// stop() must not run on one of its scheduler threads (it waits for actors that need them).

#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/directory.hpp"
#include "actors/hold_expiry.hpp"
#include "actors/interfaces.hpp"
#include "actors/limits.hpp"
#include "actors/metrics.hpp"
#include "ledger/expected.hpp"
#include "ledger/policy.hpp"
#include "storage/database.hpp"
#include "storage/disk_space.hpp"
#include "storage/writer.hpp"

namespace gateway {
class processor;
}

namespace actors {

class storage_readers;

struct node_options {
  std::string data_dir;
  ledger::storage::durability durability = ledger::storage::durability::process;
  size_t block_cache_bytes = size_t{256} << 20;
  // Below this much free space on the data directory's filesystem, commands that add data
  // are refused (storage_full) and start() refuses to open the database (disk_space.hpp).
  uint64_t disk_reserve_bytes = ledger::storage::disk_reserve_bytes_default;
  std::chrono::milliseconds disk_sample_interval = ledger::storage::disk_sample_interval_default;
  // Tests only: measures the disk instead of statvfs (disk_monitor_options::measure).
  std::function<ledger::expected<ledger::storage::disk_usage>(const std::string&)> measure_disk;
  ledger::policy rules;
  directory_options directory;
  size_t gateway_workers = gateway_workers_default;
  size_t storage_readers = storage_readers_default;
  std::chrono::milliseconds idle_timeout = idle_timeout_default;
  std::chrono::milliseconds lookup_backoff_min = lookup_backoff_min_default;
  std::chrono::milliseconds lookup_backoff_max = lookup_backoff_max_default;
  std::chrono::milliseconds hold_sweep_interval = hold_sweep_interval_default;
  ledger::storage::writer_options writer;
  std::shared_ptr<gateway::processor> processor;  // required
  bool planted_bug_ack_before_write = false;      // see account_context
  // Optional: where accounts send account_event while *event_listeners > 0 (the admin
  // console's tail). Both unset: no events.
  caf::actor events;
  std::shared_ptr<const std::atomic<uint32_t>> event_listeners;
  // Called when a durable write failed; the process must stop (see account_context).
  std::function<void(const std::string& reason)> on_storage_failure;
};

class node {
 public:
  // storage_failure when the database cannot be opened (foreign, newer, corrupt) or the
  // recovery scan fails, storage_full when the data directory's filesystem has less free
  // space than the reserve (checked before RocksDB opens: it writes as it opens),
  // malformed_request when the options are invalid; with a message.
  static ledger::expected<std::unique_ptr<node>> start(caf::actor_system& system,
                                                       node_options options);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  void stop();

  const directory& accounts() const { return directory_; }
  const gateway_actor& gateway() const { return gateway_; }
  metrics& counters() { return *counters_; }
  ledger::storage::database& database() { return *database_; }
  ledger::storage::group_commit_writer& writer() { return *writer_; }
  const ledger::storage::disk_monitor& disk() const { return *disk_; }
  // How long the oldest storage read in progress has run, in ms; 0 when none is (the
  // readers' watchdog, storage_reader.hpp's read_watch).
  int64_t longest_read_ms() const;
  const ledger::policy& rules() const { return context_->rules; }
  // The ledger clock now (µs since the epoch, UTC; ledger_clock.hpp): the time the next
  // journal entry gets at the earliest, so "now" for reads of entries by time.
  int64_t ledger_time_us() const;
  // Open charge intents found at start, and the accounts activated to resolve them.
  size_t recovered_intents() const { return recovered_intents_; }
  size_t recovered_accounts() const { return recovered_accounts_; }

 private:
  node() = default;
  // What a previous run left open: activates every account with an open charge intent.
  ledger::status resolve_open_intents();

  std::unique_ptr<metrics> counters_;
  std::unique_ptr<ledger::storage::disk_monitor> disk_;
  std::unique_ptr<ledger::storage::database> database_;
  std::unique_ptr<ledger::storage::group_commit_writer> writer_;
  std::shared_ptr<gateway::processor> processor_;
  std::shared_ptr<account_context> context_;
  std::unique_ptr<storage_readers> readers_;
  gateway_actor gateway_;
  directory directory_;
  hold_expiry_actor hold_expiry_;
  size_t recovered_intents_ = 0;
  size_t recovered_accounts_ = 0;
  bool stopped_ = false;
  bool actors_exited_ = false;  // every account and reader exited in stop()
};

}  // namespace actors
