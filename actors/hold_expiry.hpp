#pragma once
// The hold expiry sweep (SPEC 11): releases holds that were neither captured nor released
// by their expiry, durably, also those of passivated accounts and across restarts.
//
// Expiry is an absolute time stored with each open hold and in storage's expiry index
// (column hold_expiry, sorted by time). Every sweep interval, and at once after a start, a
// round begins: it fixes its time `now`, and reads the index entries due at `now` on a
// storage reader, page by page (hold_sweep_page_max entries), each page from where the last
// one ended. The entries go to their accounts on the hold operations' batched path
// (debit_batch.hpp): one debit_group per shard, with one commands::expire_holds per account;
// the account releases everything due at `now` in one write, and answers through the
// writer's result_batcher after the write. An account named once in a round is not named
// again in it: its first command released all its holds due at `now`.
//
// A released hold's index entry is not erased one by one: once every account the round
// named has answered (its release durable) and the index was read to the end, one range
// erase removes every entry due at `now` (change_set::erase_due_hold_expiries). A tombstone
// per expired hold cost the writer more than the rest of the release (docs/performance.md).
// The range ends below any entry written since the round began (database::
// begin_expiry_watch): an authorisation stamped before `now` with an expiry at or before it
// but written after the round's reads passed its key keeps its entry, and the next round
// releases it. Until the erase, an index entry of a hold that expired stays; a restart in
// between reads it again, its account has nothing due, and that round's erase removes it
// (verify counts such entries apart from problems: swept_index_entries).
//
// The sweep keeps at most hold_sweep_accounts_in_flight_max accounts unanswered, and reads
// the next page while those are written: its share of the writer's queue is bounded, so a
// debit submitted meanwhile waits behind at most that many of its writes. While clients are
// being served (a debit or hold operation completed, or refused for a full writer queue or
// disk, within hold_sweep_quiet_after: foreground_watch) the window is
// hold_sweep_accounts_in_flight_busy: debits come first, and the sweep takes longer under load. A
// refusal (a full writer queue) or a failed read ends the round without the range erase;
// the next round starts from the first entry. Debits never wait for the sweep otherwise: it reads
// on a reader, and the accounts handle its groups between their other messages.

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>

#include "actors/debit_batch.hpp"
#include "actors/directory.hpp"
#include "actors/messages.hpp"

namespace ledger::storage {
class database;
class group_commit_writer;
}  // namespace ledger::storage

namespace actors {

class storage_readers;
struct metrics;

// Whether clients are being served, from a count of their completed operations sampled now
// and then: busy from a sample that saw the count move until `quiet_after` passes without
// one. The first sample, and a rebase (each round starts with one), only set the baseline:
// what clients did between two rounds does not count as a move.
class foreground_watch {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit foreground_watch(std::chrono::milliseconds quiet_after) : quiet_after_(quiet_after) {}

  void observe(uint64_t completed, time_point now) {
    if (sampled_ && completed != completed_) last_moved_ = now;
    sampled_ = true;
    completed_ = completed;
  }
  void rebase(uint64_t completed) {
    sampled_ = true;
    completed_ = completed;
  }
  bool busy(time_point now) const { return moved_ever() && now - last_moved_ < quiet_after_; }

 private:
  bool moved_ever() const { return last_moved_ != time_point{}; }

  std::chrono::milliseconds quiet_after_;
  bool sampled_ = false;
  uint64_t completed_ = 0;
  time_point last_moved_{};
};

// The debits and hold operations of clients completed so far, and those refused because
// the writer's queue or the disk was full (what foreground_watch samples).
uint64_t client_operations_completed(const metrics& counters);

// Its own timer, and the answers of the accounts it sent expire_holds (through the result
// batcher, or at once for a refusal or when nothing was written).
using hold_expiry_actor =
    caf::typed_actor<caf::reacts_to<sweep_atom>, caf::reacts_to<debit_results_bundle>,
                     caf::reacts_to<debit_group_results>,
                     caf::reacts_to<swept_atom, uint64_t, ledger::error_code>>;

// Starts sweeping at once. `db`, `writer`, `readers` and `counters` must outlive the actor
// (the node's do).
hold_expiry_actor spawn_hold_expiry(caf::actor_system& system, directory accounts,
                                    ledger::storage::database* db,
                                    ledger::storage::group_commit_writer* writer,
                                    const storage_readers* readers, const metrics* counters,
                                    std::chrono::milliseconds interval);

}  // namespace actors
