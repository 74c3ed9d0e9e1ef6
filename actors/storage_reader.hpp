#pragma once
// storage_reader: the only actors that read RocksDB. A small pool of detached actors (each on
// a thread of its own, never on CAF's scheduler), so that a read that goes to disk stalls
// one reader instead of a directory shard and every warm account behind it.
//
//   shard   --activation_batch-->                              reader  -> activations_read
//   account --debit_lookup-->                                  reader  -> debit_lookup_result
//   account --(read_recharge_atom, id, key)-->                 reader  -> recharge_read
//   account --(read_credentials_atom, id)-->                   reader  -> credentials_read
//   account --(read_hold_atom, id, hold ids, learn)-->         reader  -> holds_read
//   sweeper --due_holds_query-->                               reader  -> due_holds_read
//
// Every reply carries `failure`: empty on success, else RocksDB's message, already logged
// once by the reader (the requester answers its clients with storage_failure and need not
// log again). A requester that must keep an account's order (the account actor) waits with
// `.await`, which holds its later messages until the answer; the shard keeps order itself
// by holding an activating account's messages (directory.cpp).
//
// Requests to a reader carry no CAF timer (reader_wait): a reader always answers, and a read
// that does not return is reported by the readers' watchdog (read_watch) instead.

#include <atomic>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "ledger/account.hpp"
#include "ledger/credentials.hpp"
#include "ledger/hold.hpp"
#include "ledger/usage.hpp"
#include "storage/database.hpp"

namespace actors {

struct metrics;

using read_recharge_atom = caf::atom_constant<caf::atom("rdrecharge")>;
using read_credentials_atom = caf::atom_constant<caf::atom("rdcreds")>;
using read_hold_atom = caf::atom_constant<caf::atom("rdhold")>;

// The outcome of one read: `value` is meaningful only when `failure` is empty.
template <class T>
struct read_reply {
  T value{};
  std::string failure;  // empty: the read succeeded
  bool ok() const { return failure.empty(); }
};

// An account to activate, and the debit ids of the message that activates it: looked up in
// the same visit to storage, so that a cold account's first debits cost one hand-off to a
// reader, not two (TigerBeetle prefetches a batch's keys the same way). With
// learn_highest_debit_id (an activation by several debits) the reader also reads the
// account's highest stored debit id (one seek) and looks up only the ids at or below it, so
// that its next debits need no lookup either. An activation by one debit does not: with
// every debit on a cold account (10,000,000 accounts) the seek, which no filter helps,
// cost 15-45 % of the throughput (docs/performance.md).
struct account_activation {
  uint64_t account_id = 0;
  std::vector<uint64_t> debit_ids;  // each at most once
  bool learn_highest_debit_id = false;
};

struct activation_result {
  std::optional<ledger::account> account;           // nullopt: no such account
  std::vector<ledger::debit_record> stored_debits;  // of debit_ids, the stored ones
  bool highest_debit_id_known = false;              // learn_highest_debit_id was asked
  uint64_t highest_debit_id = 0;                    // then: the highest stored, 0 none
  // The account's usage tail recounted from the journal: its actor counts on from it
  // (ledger/usage.hpp, docs/storage.md "the usage tail").
  ledger::usage_tail usage_tail;
};
using account_read = read_reply<activation_result>;

// The accounts one routed batch found cold, read in one visit to a reader: one hand-off per
// shard and batch instead of one per account (a batch of 1000 debits spread over 1,000,000
// accounts activates hundreds).
struct activation_batch {
  std::vector<account_activation> accounts;
};
struct activations_read {
  std::vector<account_read> reads;  // one per account, in the request's order
};
using recharge_read = read_reply<std::optional<ledger::recharge_record>>;
using credentials_read = read_reply<std::optional<ledger::credentials>>;
// The stored records among some hold ids of one account (each in any state; an id never
// used has none), and, when asked, the account's highest stored hold id (one seek), which
// the account keeps so that ids above it need no lookup (ledger::learn_highest_hold_id).
struct hold_lookup_result {
  uint64_t highest_hold_id = 0;
  std::vector<ledger::hold_record> found;
};
using holds_read = read_reply<hold_lookup_result>;
// A page of the hold expiry index's entries due at now_ms, at most `limit`, earliest first,
// from the first entry or from the first after `after` (database::due_holds): the sweep
// reads a round page by page (hold_expiry.cpp).
struct due_holds_query {
  int64_t now_ms = 0;
  uint64_t limit = 0;
  std::optional<ledger::storage::hold_expiry_entry> after;
};
// Entries of the hold expiry index that are due, earliest first (database::due_holds).
using due_holds_read = read_reply<std::vector<ledger::storage::hold_expiry_entry>>;

// The storage half of an account's idempotency check for a group of debits (account actor,
// find_prior_debits): which of `debit_ids` are stored. With learn_highest the reader first
// reads the account's highest stored debit id H (one seek) and looks up only ids <= H.
struct debit_lookup {
  uint64_t account_id = 0;
  bool learn_highest = false;
  std::vector<uint64_t> debit_ids;  // each at most once
};

struct debit_lookup_result {
  uint64_t highest_debit_id = 0;  // with learn_highest only
  std::vector<ledger::debit_record> found;
};
using debit_lookup_read = read_reply<debit_lookup_result>;

// Answers are values, never CAF errors: a requester sees a CAF error only when the reader
// is gone (the node is stopping): requests to readers have no timeout (reader_wait).
using storage_reader = caf::typed_actor<
    caf::replies_to<activation_batch>::with<activations_read>,
    caf::replies_to<debit_lookup>::with<debit_lookup_read>,
    caf::replies_to<read_recharge_atom, uint64_t, std::string>::with<recharge_read>,
    caf::replies_to<read_credentials_atom, uint64_t>::with<credentials_read>,
    // (account id, hold ids): the records stored under them.
    // (account id, hold ids, learn_highest): with learn_highest the reader first reads the
    // account's highest stored hold id (one seek) and looks up only ids <= it.
    caf::replies_to<read_hold_atom, uint64_t, std::vector<uint64_t>, bool>::with<holds_read>,
    caf::replies_to<due_holds_query>::with<due_holds_read>>;

// The timeout of every request to a reader: none. CAF 0.17 never cancels a request's timer
// when its answer comes (a timer is a clock-thread entry and, 30 s later, a message), and
// with one per idempotency lookup, hold read and activation the clock thread took about 11 %
// of ledgerd's CPU and held some 630,000 timers (docs/performance.md, "Where the CPU per
// debit goes today"). Nothing is lost by it: a reader answers every request, a failed read
// as a value; a reader that exits fails its queued requests with a CAF error (the requester's
// error handler). What a timer bounded is a read that never returns, a wedged disk, which
// holds the writer too; read_watch reports it on /healthz instead of answering
// storage_failure after 30 s (docs/decisions.md, "Requests to the storage readers").
inline constexpr caf::infinite_t reader_wait{};

// The readers' watchdog. Each reader marks when its current read began and clears it when
// the read returns; /healthz says degraded while the oldest read in progress has run for
// read_stall_degraded or longer. Times are steady-clock milliseconds; each slot is written
// by its reader only and read by anyone (relaxed atomics).
class read_watch {
 public:
  explicit read_watch(size_t readers);
  void begin(size_t reader, int64_t now_ms);
  void end(size_t reader);
  // How long the oldest read in progress has run at `now_ms`, in ms; 0 when none is.
  int64_t longest_ms(int64_t now_ms) const;
  size_t readers() const { return readers_; }

 private:
  size_t readers_;
  std::unique_ptr<std::atomic<int64_t>[]> started_ms_;  // 0: no read in progress
};

// The pool. An account always uses the same reader (by id), so its reads stay in order even
// without .await; readers share nothing but the database, which RocksDB makes thread-safe.
class storage_readers {
 public:
  storage_readers() = default;
  // Spawns `count` (>= 1) detached readers of `database`. Each counts itself in
  // counters->live_readers until it exits: what node::stop() waits for before closing the
  // database. Each marks its reads in watch().
  storage_readers(caf::actor_system& system, const ledger::storage::database* database,
                  metrics* counters, size_t count);
  // Readers spawned by the caller (tests use readers that answer from memory; they mark
  // nothing in watch()).
  explicit storage_readers(std::vector<storage_reader> workers)
      : workers_(std::move(workers)), watch_(std::make_unique<read_watch>(0)) {}

  // The one read a scheduler thread may make itself: a debit id looked up in the memtables
  // and the block cache only, never the disk (database::find_debit_in_memory;
  // docs/decisions.md). Unanswered (ask a reader) when a block it needs is not cached, when
  // the read fails (the reader will say how), and always for readers spawned by the caller.
  ledger::storage::debit_in_memory find_debit_in_memory(uint64_t account_id,
                                                        uint64_t debit_id) const;

  const storage_reader& for_account(uint64_t account_id) const {
    return workers_[account_id % workers_.size()];
  }
  const std::vector<storage_reader>& workers() const { return workers_; }
  const read_watch& watch() const { return *watch_; }
  // watch().longest_ms at the steady clock's now: how long the oldest read in progress has
  // run, in ms; 0 when none is.
  int64_t longest_read_ms() const;

 private:
  std::vector<storage_reader> workers_;
  std::unique_ptr<read_watch> watch_;                    // its address is given to the readers
  const ledger::storage::database* database_ = nullptr;  // null: readers of the caller's
};

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::activation_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::activations_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::recharge_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::credentials_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::debit_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::debit_lookup_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::holds_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::due_holds_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::due_holds_read)
