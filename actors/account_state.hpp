#pragma once
// Private to the account actor's translation units (account_*.cpp); includes caf/all.hpp,
// which those files parse once through the library's precompiled header. Nothing outside
// actors/ includes it.
//
// The account actor, by responsibility:
//   account_actor.cpp     behaviour, submit and commit, passivation, the exception handler
//   account_debits.cpp    debit groups: idempotency lookups (off the scheduler), apply, submit
//   account_holds.cpp     groups of hold operations (credit control): lookups, apply
//   account_expiry.cpp    the expiry sweep's groups: release what is due
//   account_commands.cpp  every other command, billing credentials included
//   account_charges.cpp   card charges: sending intents, answers, lookups with backoff

#include <caf/all.hpp>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "actors/account_actor.hpp"
#include "actors/debit_batch.hpp"
#include "actors/debit_window.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "actors/recent_debit_ids.hpp"
#include "actors/storage_reader.hpp"
#include "actors/wall_clock.hpp"
#include "storage/disk_space.hpp"
#include "storage/writer.hpp"

namespace actors::account_detail {

// Work that waits for one submitted change_set to become durable, in submission order.
struct pending_commit {
  uint32_t token = 0;
  caf::typed_response_promise<account_reply> promise;  // commands: the request to answer
  bool has_promise = false;
  account_reply reply;
  std::optional<ledger::charge_intent> charge_to_send;  // durable now: send to the gateway
  std::optional<std::string> recharge_to_forget;
};

// A hold record written and not yet durable, with the writer's ticket of its write (0 until
// the write is submitted): forget_durable drops it once the writer has made that ticket
// durable, as it does for debits, with no message to the account.
struct uncommitted_hold {
  ledger::hold_record record;
  uint64_t ticket = 0;
};

// What an account holds only while it has work in flight: writes not yet durable, debits
// and recharge keys applied but not yet durable, manual recharges waiting for the gateway.
// Allocated when the work starts and freed when it is all done, so that an account at rest
// costs one pointer for all of it. The whole account_state is kept at 192 bytes: CAF puts
// the actor (1,024 bytes with the state) after a 64-byte control block, and 1,280 bytes is
// a jemalloc size class (1,344 would cost 1,536; docs/performance.md, memory per account).
struct in_flight_state {
  // Waiting for a committed message, in submission order. Debit and hold groups
  // (debit_batch.hpp) need none unless they started a charge: their results go to the front end
  // through the writer's result_batcher, and the debit window's ticket says when they are durable.
  // A std::list, not a std::deque: libstdc++'s deque allocates ~600 bytes even when empty.
  std::list<pending_commit> pending;
  // Debits applied but not yet durable (debit_window.hpp), and the ticket of the last
  // debit write, which later answers wait for.
  debit_window debits;
  std::map<std::string, ledger::recharge_record> uncommitted_recharges;
  // Hold records written and not yet durable, by hold id: storage cannot answer for them.
  std::map<uint64_t, uncommitted_hold> uncommitted_holds;
  // Manual recharges whose requester waits for the gateway's answer, by charge_seq.
  std::map<uint64_t, caf::typed_response_promise<account_reply>> recharge_waiters;
  // The records of manual recharges whose charge is at the gateway, by charge_seq: written
  // again with the charge's outcome, for replays (after a restart they are read back).
  std::map<uint64_t, ledger::recharge_record> recharges_in_flight;
  std::map<uint64_t, std::chrono::milliseconds> lookup_backoff;  // by charge_seq

  bool empty() const {
    return pending.empty() && debits.empty() && uncommitted_recharges.empty() &&
           uncommitted_holds.empty() && recharge_waiters.empty() && recharges_in_flight.empty() &&
           lookup_backoff.empty();
  }
};

// What an account knows of the highest debit id it holds (account_debits.cpp).
enum class debit_ids : uint8_t {
  unknown,         // just activated
  looked_up_once,  // one debit needed a storage lookup: the next learns the highest id
  known,           // recent_ids holds the highest ids stored or in flight
};

struct account_state {
  // Not owned: the node owns the context (and the writer and database it points to, which
  // every account uses anyway) and outlives its accounts. A shared_ptr here cost the 8
  // bytes that recent_ids needs within the 192 (see in_flight_state).
  const account_context* context = nullptr;
  ledger::account acct;
  std::unique_ptr<in_flight_state> in_flight;  // null while nothing is in flight
  // With debit_ids_state == known: the highest debit ids of this account, stored or in
  // flight; an id above the lowest of them that is not among them is new without a storage
  // lookup (recent_debit_ids.hpp). One 64-byte allocation, made when the ids are learned.
  std::unique_ptr<recent_debit_ids> recent_ids;
  // The entries journaled since the last merge into their hour's usage totals, allocated
  // with the first such entry (ledger/usage.hpp; persist_journal). Null: none.
  std::unique_ptr<ledger::usage_tail> usage_tail;
  // Routed messages, compared by the shard on passivation. 32 bits wrap harmlessly: the
  // shard's count wraps the same way and only equality is compared.
  uint32_t messages_received = 0;
  // Tokens are compared for equality with the oldest pending one; 24 bits wrap as
  // harmlessly (16 million writes of one account would have to be pending at once), and
  // leave the byte the flags below share.
  uint32_t next_token : 24;
  // acct.billing_credentials are read from storage on the first credentials command.
  bool credentials_loaded : 1;
  bool exists : 1;
  // A velocity_atom is on its way (schedule_velocity_wake): one timer at a time.
  bool velocity_wake_scheduled : 1;
  debit_ids debit_ids_state : 2;

  static inline const char* name = "account";

  // Bit-fields take no default member initializers before C++20.
  account_state()
      : next_token(1),
        credentials_loaded(false),
        exists(false),
        velocity_wake_scheduled(false),
        debit_ids_state(debit_ids::unknown) {}
  account_state(const account_state&) = delete;
  account_state& operator=(const account_state&) = delete;
  // Runs when the actor exits (CAF destroys the state in on_exit): the node counts the
  // accounts that may still touch its writer (spawn_account counts up).
  ~account_state() {
    if (context) context->counters->live_account_actors.fetch_sub(1, std::memory_order_release);
  }
};
static_assert(sizeof(account_state) <= 192, "see in_flight_state: memory per account");

// The account actor's `self` (its interface: interfaces.hpp).
using account_self = account_actor::stateful_pointer<account_state>;
using reply_promise = caf::typed_response_promise<account_reply>;

inline const account_context& context_of(account_self self) {
  return *self->state.context;
}

// What the core is told with each command: the node's rules, the server's clock now (ms, as
// the command carries it) and the time for its journal entry (µs, the ledger clock).
inline ledger::command_context command_context_of(account_self self, int64_t now_ms) {
  const account_context& context = *self->state.context;
  return ledger::command_context{context.rules, now_ms, context.clock->now_us()};
}

inline const storage_reader& reader_of(account_self self) {
  return self->state.context->readers->for_account(self->state.acct.id);
}

inline in_flight_state& in_flight_of(account_state& st) {
  if (!st.in_flight) st.in_flight = std::make_unique<in_flight_state>();
  return *st.in_flight;
}

// Nothing submitted is still waiting for the disk (as of the last forget_durable).
inline bool nothing_pending(const account_state& st) {
  return !st.in_flight ||
         (st.in_flight->pending.empty() && !st.in_flight->debits.anything_undurable());
}

// Gives back what an account holds only while work is in flight, once it is all done.
inline void release_idle_memory(account_state& st) {
  if (st.in_flight && st.in_flight->empty()) st.in_flight.reset();
}

// True when the writer has room for one more change_set. Checked before a command touches
// memory, so that a refused submit can never leave memory ahead of disk. writer_reserve
// covers the other scheduler threads submitting between this check and submit().
inline bool writer_has_room(account_self self) {
  const auto& ctx = context_of(self);
  return ctx.writer->queue_depth() + writer_reserve < ctx.writer_queue_max;
}

// False while the data directory's free space is below its reserve (disk_space.hpp). A
// command that adds data asks before it touches memory, like writer_has_room, and is refused
// with storage_full: the writer itself never refuses for space, since what it is handed has
// been applied in memory already. What is written anyway below the reserve (charge answers,
// hold expiries, credentials, intents already decided) is bounded by what exists, and the
// reserve holds it (docs/decisions.md, "Disk space").
inline bool disk_has_room(account_self self) {
  const auto* disk = context_of(self).disk;
  return disk == nullptr || !disk->below_reserve();
}

// The expiry each open hold is indexed at (storage's hold_expiry column), by hold id.
using hold_expiries = std::map<uint64_t, int64_t>;

// ---- account_actor.cpp ----
// Records what an accepted outcome changed. Cards are written only when they changed (added
// and removed by their commands; marked unusable by a charge's hard decline).
void persist_outcome(account_state& st, ledger::storage::change_set& changes,
                     const ledger::outcome& out);
// A journal entry, through the account's usage tail: its hour's totals are merged only every
// usage_tail_entries_max entries and when the hour changes (ledger/usage.hpp).
void persist_journal(account_state& st, ledger::storage::change_set& changes,
                     const ledger::journal_entry& entry);
// The notices an accepted outcome tells (ledger/notice.hpp), into the outbox in the same
// write as the change (persist_outcome does it too).
void persist_notices(ledger::storage::change_set& changes, const ledger::account& acct,
                     const ledger::outcome& out);
// Records the holds an accepted outcome changed, with their expiry index entries;
// `indexed_before`: the open holds' expiries before the command. An expired hold's entry is
// left for the sweep's range erase (change_set::put_swept_hold). Each record goes into
// uncommitted_holds until it is durable (mark_submitted, forget_durable).
void persist_holds(account_self self, ledger::storage::change_set& changes,
                   const ledger::outcome& out, const hold_expiries& indexed_before);
hold_expiries open_hold_expiries(const ledger::account& acct);
// Before a hold operation (or the sweep's command) looks at the account, the holds due at
// its time are released, in the same write: nothing ever sees a hold past its expiry as
// open; their index entries are left to the sweep's range erase. True when it released any
// (the caller then writes the account state).
bool release_due_holds(account_self self, int64_t now_ms, ledger::storage::change_set& changes);
// Publishes an accepted outcome to `ledgerctl tail`, counts charges, logs suspensions.
void count_events(account_self self, const ledger::outcome& out);
// Submits a change_set whose completion comes back as (committed_atom, token, code), then
// on_committed answers `work` in submission order.
void submit(account_self self, ledger::storage::change_set changes, pending_commit work);
// The writer accepted the account's next change_set as `ticket`: the debits and hold records
// added since the last call are durable once the writer's durable ticket reaches it.
void mark_submitted(in_flight_state& in_flight, uint64_t ticket);
// Forgets the debits and hold records the writer has made durable (storage answers for them
// now).
void forget_durable(account_self self);
// Memory may be ahead of disk: the process must stop (account_context::on_storage_failure).
void fail_storage(account_self self, const std::string& reason);

// ---- account_debits.cpp ----
// A group's debits; a group of hold operations goes on to handle_hold_group.
void handle_debit_group(account_self self, debit_group group);
// Submits one group's change_set; its results go out through the writer's result_batcher
// after the write (debit_batch.hpp). `work` is kept until the write is durable when it
// has a charge to send or hold records to forget.
void submit_group(account_self self, ledger::storage::change_set changes, const debit_group& group,
                  std::vector<debit_outcome> results, std::vector<hold_outcome> holds,
                  pending_commit work);

// Sends a group's results now (refusals that wait for nothing), counted.
void send_group_results(account_self self, const debit_group& group,
                        std::vector<debit_outcome> results, std::vector<hold_outcome> holds);
// Answers every item of the group with `code`: nothing of it was applied.
void refuse_group(account_self self, const debit_group& group, ledger::error_code code);

// ---- account_holds.cpp ----
void handle_hold_group(account_self self, debit_group group);

// ---- account_expiry.cpp ----
// A group from the expiry sweep (from_expiry_sweep): one expire_holds per item.
void handle_expiry_group(account_self self, debit_group group);

// ---- account_commands.cpp ----
// Answers `promise` (made by the behaviour, which returns it to CAF) when the command is
// decided and, if it changed anything, durable.
void handle_command(account_self self, const account_request& request, reply_promise promise);

// ---- account_charges.cpp ----
void send_charge(account_self self, const ledger::charge_intent& intent, bool lookup_only);
void handle_charge_answer(account_self self, const charge_answer& answer);
void retry_lookup(account_self self, uint64_t charge_seq);
// After activation: every intent that survived in storage is resolved by asking the gateway
// about its key, never by charging blindly.
void resolve_open_intents(account_self self);
// When the velocity cap holds an automatic charge back, a velocity_atom comes when its
// window frees room; the account stays resident meanwhile (is_idle).
void schedule_velocity_wake(account_self self);
// The velocity_atom: starts the held-back charge (ledger::resume_deferred_charge) if the
// window has room now, else waits again.
void resume_held_back_charge(account_self self);

}  // namespace actors::account_detail
