#pragma once
// group_commit_writer: the one thread that writes to the database.
//
// Callers (account actors) submit change_sets with a completion callback. The writer thread
// takes everything waiting (up to batch_change_sets_max / batch_bytes_max), writes it as ONE
// RocksDB WriteBatch with sync = (mode == fsync), and only after that write returned calls
// each callback, in submission order, with ok or storage_failure. While one batch is being
// written the next one gathers in the queue, so under load one fsync covers many commands.
//
// Ordering: one queue and one thread, so change_sets are applied in the order submit()
// accepted them; what one thread submits in order is applied in that order.
//
// Back-pressure: the queue holds at most queue_change_sets_max change_sets. submit() never
// blocks: when the queue is full it returns limit_exceeded and the callback is not called.
// The callers are actors on a two-thread scheduler; blocking one of those threads would
// stall every other actor on it, so the caller turns limit_exceeded into a refusal its
// client retries (debits are idempotent by id), or holds the command and tries again later.
//
// Fail-stop: if a write fails, its callbacks and those of every change_set still queued get
// storage_failure, and every later submit() returns storage_failure at once. The owner's
// memory may be ahead of the disk, so it must stop the process (failed(), failure_message()).
//
// Callbacks run on the writer thread: they must be short, must not throw, and may call
// submit() (it does not block). CAF-free: the account actors wrap them into messages.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/error.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"

namespace ledger::storage {

// Change_sets waiting for the disk before submit() refuses. Above the debit stream's
// debits_in_flight_max (server/stream), so that the stream's own back-pressure, not a
// refusal, holds a full load back (config/ ties the two with a static_assert).
inline constexpr size_t queue_change_sets_max_default = 300'000;

struct writer_options {
  durability mode = durability::process;
  size_t queue_change_sets_max = queue_change_sets_max_default;
  // Large enough that under load a write holds many accounts' records: sorted inserts that
  // land close together in the memtable are cheaper (docs/performance.md).
  size_t batch_change_sets_max = 16384;
  size_t batch_bytes_max = size_t{16} << 20;  // a batch stops growing past this many bytes
  // Called on the writer thread after the completions of each written batch (ok or not),
  // so that completions can gather answers and send them once per batch instead of once
  // per change_set. Must be short and must not throw.
  std::function<void()> after_batch;
};

// Batches by change_set count: bucket k counts batches of [2^k, 2^(k+1)) change_sets.
inline constexpr size_t batch_size_buckets = 16;

// Writes by how long they took (the fdatasync included in fsync mode), in microseconds:
// bucket k counts writes of at most write_latency_bounds_us[k] and above the bound before;
// the last bucket counts the rest. The tail of these is the tail every acknowledgement
// waits behind (docs/performance.md, "The authorise tail at half rate, taken apart").
inline constexpr std::array<uint64_t, 12> write_latency_bounds_us = {
    250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};
inline constexpr size_t write_latency_buckets = write_latency_bounds_us.size() + 1;

constexpr bool strictly_ascending(const std::array<uint64_t, write_latency_bounds_us.size()>& a) {
  for (size_t k = 1; k < a.size(); ++k) {
    if (a[k - 1] >= a[k]) return false;
  }
  return true;
}
// The bucket search and every percentile read from the histogram rely on it.
static_assert(strictly_ascending(write_latency_bounds_us));

// The bucket of a write that took `latency_ns`: the first whose bound it does not exceed.
constexpr size_t write_latency_bucket(uint64_t latency_ns) {
  size_t bucket = 0;
  while (bucket < write_latency_bounds_us.size() &&
         latency_ns > write_latency_bounds_us[bucket] * 1'000)
    ++bucket;
  return bucket;
}
static_assert(write_latency_bucket(250'000) == 0 && write_latency_bucket(250'001) == 1);

struct writer_stats {
  uint64_t batches_written = 0;
  uint64_t change_sets_written = 0;
  uint64_t records_written = 0;
  uint64_t bytes_written = 0;
  uint64_t batch_change_sets_max = 0;
  uint64_t write_latency_ns_sum = 0;
  uint64_t write_latency_ns_max = 0;
  uint64_t rejected_queue_full = 0;
  uint64_t batch_size_histogram[batch_size_buckets] = {};
  uint64_t write_latency_histogram[write_latency_buckets] = {};
};

class group_commit_writer {
 public:
  using completion = std::function<void(error_code)>;

  // The database must outlive the writer.
  group_commit_writer(database& db, writer_options options);
  // Writes everything accepted so far, calls its callbacks, then joins the thread.
  ~group_commit_writer();
  group_commit_writer(const group_commit_writer&) = delete;
  group_commit_writer& operator=(const group_commit_writer&) = delete;

  // ok: accepted, `changes` and `done` were moved from, and `done` will be called exactly
  // once. Otherwise both are left untouched (so the caller may retry them) and `done` is
  // never called: limit_exceeded (queue full), storage_failure (the writer failed or is
  // stopping) or internal_error (the change_set is invalid: changes.validity()).
  [[nodiscard]] error_code submit(change_set&& changes, completion&& done);
  // The same; on ok, `ticket` is the change_set's position in the write order (1, 2, ...).
  [[nodiscard]] error_code submit(change_set&& changes, completion&& done, uint64_t& ticket);

  // Every change_set with a ticket <= this is durable (its write returned ok). A caller that
  // kept the ticket of its last submission knows without a message whether anything of it
  // is still waiting for the disk. Never advances after a failed write.
  uint64_t durable_ticket() const { return durable_ticket_.load(std::memory_order_acquire); }

  // Same as the destructor; later submits get storage_failure.
  void stop();

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // RocksDB's status text of the write that failed; empty while not failed.
  std::string failure_message() const;
  writer_stats stats() const;
  // Change_sets accepted and not yet taken for a write; lock-free (callers check it before
  // every command).
  size_t queue_depth() const { return queued_.load(std::memory_order_relaxed); }
  durability mode() const { return options_.mode; }

 private:
  struct pending {
    change_set changes;
    completion done;
    uint64_t ticket = 0;
  };

  void run();
  // Moves the next batch out of the queue; false when stopping and nothing is left.
  bool take_batch(std::deque<pending>& batch);
  void write_batch(std::deque<pending>& batch);
  void record(const std::deque<pending>& batch, uint64_t latency_ns);

  database& db_;
  const writer_options options_;

  // What the callers read without the lock (durable_ticket(), failed(), queue_depth()) sits
  // on its own cache line, apart from the queue and its mutex, which every submit writes:
  // sharing a line made each account's read of the durable ticket a miss.
  alignas(64) std::atomic<uint64_t> durable_ticket_{0};
  std::atomic<bool> failed_{false};
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without the lock

  alignas(64) mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  size_t queued_bytes_ = 0;      // guarded by mutex_: byte_size() of what is in queue_
  bool writer_waiting_ = false;  // guarded by mutex_: the writer sleeps on wake_
  bool stopping_ = false;
  std::string failure_message_;
  uint64_t last_ticket_ = 0;  // guarded by mutex_

  mutable std::mutex stats_mutex_;
  writer_stats stats_;

  std::thread thread_;  // last: started after everything above is initialized
};

}  // namespace ledger::storage
