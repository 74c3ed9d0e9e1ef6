#pragma once
// The debit stream's batched path (docs/benchmarks.md has the why and the numbers).
//
//   front end --debit_group (one per shard per client batch)--> shard
//   shard     --debit_group (one per account, in arrival order)--> account
//   account   applies its debits in order and submits ONE change_set for them
//   writer    after the write returned: result_batcher --debit_results_bundle
//             (one per front end per write)--> front end
//
// So a debit costs about one actor message (shard to account) instead of four, one
// change_set per account per batch instead of one per debit, and the acknowledgements of a
// whole write travel together. Results are still sent only after the write that holds them
// returned (or at once for a refusal that depends on nothing undurable).
//
// Credit control's operations (authorise, capture, extend, release a hold; SPEC 11) take
// the same path as hold_items in a group's `holds`, from the stream's hold batches and
// HTTP's hold routes alike: a group carries debits or holds, each in arrival order, and
// its results come back in debit_group_results::results or ::holds. The expiry sweep
// (hold_expiry.hpp) is a front end too: one group per shard per page, an expire_holds item
// per account, answered through the result_batcher like the others.

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "ledger/account.hpp"
#include "ledger/error.hpp"
#include "ledger/money.hpp"

namespace actors {

struct debit_item {
  uint64_t account_id = 0;
  uint64_t debit_id = 0;
  ledger::money amount;
  uint32_t index = 0;  // the debit's position in the front end's batch
};

// One credit-control operation; `now_ms` in each is the front end's clock. expire_holds
// comes only from the expiry sweep, in groups of its own (hold_expiry.hpp).
using hold_command =
    std::variant<commands::authorize_hold, commands::capture_hold, commands::extend_hold,
                 commands::release_hold, commands::expire_holds>;

struct hold_item {
  uint64_t account_id = 0;
  uint32_t index = 0;  // the operation's position in the front end's batch
  hold_command cmd;
};

// The hold id an operation names; 0 for the sweep's expire_holds, which names none.
uint64_t hold_id_of(const hold_command& cmd);

// Debits (or hold operations) in arrival order, all answered to reply_to with batch_id.
struct debit_group {
  caf::actor reply_to;
  uint64_t batch_id = 0;
  std::vector<debit_item> items;
  std::vector<hold_item> holds;
  // Set by the shard on the group that activated its account: every debit id of the group
  // was looked up with the account itself (one storage read, storage_reader.hpp), and these
  // are the ones stored. The account then needs no lookup of its own.
  std::optional<std::vector<ledger::debit_record>> stored;
  // With `stored`, when the activation read it (several debit ids, storage_reader.hpp): the
  // highest debit id the account had stored then (0: none), read in the same visit; the
  // account's later debits above it need no lookup.
  bool stored_highest_known = false;
  uint64_t stored_highest_debit_id = 0;
};

// True for the expiry sweep's groups: their hold items are expire_holds, and only theirs.
inline bool from_expiry_sweep(const debit_group& group) {
  return !group.holds.empty() &&
         std::holds_alternative<commands::expire_holds>(group.holds.front().cmd);
}

struct debit_outcome {
  uint32_t index = 0;
  ledger::error_code code = ledger::error_code::ok;
  ledger::money balance_after;
};

// The answer to one hold operation: the account's balance and what its open holds reserve
// after it, and the hold's record after it (for a duplicate, the original; none when the
// operation was refused before a hold was found).
struct hold_outcome {
  uint32_t index = 0;
  ledger::error_code code = ledger::error_code::ok;
  ledger::money balance;
  ledger::money held;
  std::optional<ledger::hold_record> hold;

  // Balance minus held: what the account can still spend (bounded: both are in range).
  ledger::money available() const {
    return ledger::money::from_micros(balance.micros() - held.micros());
  }
};

// Results of some debits (or hold operations) of one batch, in any order (matched by index).
struct debit_group_results {
  uint64_t batch_id = 0;
  std::vector<debit_outcome> results;
  std::vector<hold_outcome> holds;
};

// The results one write made durable for one front end, all batches together: one message
// (and, at the front end, one socket write per connection) per write instead of one per
// batch, which is what pipelined single-debit batches need.
struct debit_results_bundle {
  std::vector<debit_group_results> groups;
};

// Gathers the results that one write of the group_commit_writer made durable and sends
// them as one debit_results_bundle per front end after that write. Used only on the writer
// thread (from completions and writer_options::after_batch), so it needs no lock; the first
// thread to use it is taken for the writer's, and any other is a bug (asserted).
class result_batcher {
 public:
  void add(const caf::actor& reply_to, uint64_t batch_id, std::vector<debit_outcome>&& results,
           std::vector<hold_outcome>&& holds = {});
  void flush();

 private:
  void check_thread();

  std::thread::id owner_;
  struct entry {
    caf::actor reply_to;
    uint64_t batch_id = 0;
    std::vector<debit_outcome> results;
    std::vector<hold_outcome> holds;
  };
  std::vector<entry> entries_;  // a handful per write: a linear search is the fastest
};

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::debit_group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::debit_group_results)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::debit_results_bundle)
