// The account actor's hold operations (credit control, SPEC 11; account_state.hpp): every
// authorise, capture, extend and release, from the stream's hold batches or HTTP, arrives as
// hold_items in a debit_group (debit_batch.hpp) and takes this one path:
//   1. plan_hold_lookup: which hold ids only storage can answer for (ids unique forever): not
//      those open or in flight here, nor those above the highest hold id the account knows;
//   2. when there are any, one read_hold_atom to the account's storage reader, awaited (the
//      account's later messages wait; the scheduler thread does not), which also tells an
//      account that does not know it yet its highest stored hold id (learn_from_hold_lookup);
//   3. apply_hold_group: for each item in arrival order, the holds due at its time are
//      released, then the operation runs through the core, all into ONE change_set; the
//      results leave through the writer's result_batcher after the write.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/account_state.hpp"

namespace actors::account_detail {
namespace {

const ledger::hold_record* find_uncommitted_hold(const account_state& st, uint64_t hold_id) {
  if (!st.in_flight) return nullptr;
  const auto& uncommitted = st.in_flight->uncommitted_holds;
  auto it = uncommitted.find(hold_id);
  return it == uncommitted.end() ? nullptr : &it->second.record;
}

// The hold ids of `group` that are neither open here nor written and not yet durable: only
// storage knows what became of them (or that they were never used).
std::vector<uint64_t> plan_hold_lookup(const account_state& st, const debit_group& group) {
  std::vector<uint64_t> ids;
  for (const auto& item : group.holds) {
    const uint64_t id = hold_id_of(item.cmd);
    if (id == 0 || ledger::find_open_hold(st.acct, id) || find_uncommitted_hold(st, id) ||
        ledger::hold_id_unused(st.acct, id)) {
      continue;
    }
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The account learns its highest hold id from a lookup's answer: what storage held when the
// reader read it, and the holds written here that were not durable yet (an open hold is
// counted by the core).
void learn_from_hold_lookup(account_state& st, uint64_t stored_highest) {
  uint64_t highest = stored_highest;
  if (st.in_flight && !st.in_flight->uncommitted_holds.empty()) {
    highest = std::max(highest, st.in_flight->uncommitted_holds.rbegin()->first);  // a map
  }
  ledger::learn_highest_hold_id(st.acct, highest);
}

// Runs one operation through the core. `prior`: the hold's record when it is not open here
// (written earlier and not yet durable, else what the reader found), for replays and for
// the closed-hold refusals.
struct hold_visitor {
  ledger::account& acct;
  const ledger::policy& rules;
  int64_t entry_time_us;  // the ledger clock's, for a capture's journal entry
  const ledger::hold_record* prior;

  ledger::command_context at(int64_t now_ms) const { return {rules, now_ms, entry_time_us}; }

  ledger::outcome operator()(const commands::authorize_hold& cmd) const {
    return ledger::authorize_hold(acct, at(cmd.now_ms), cmd.request, prior);
  }
  ledger::outcome operator()(const commands::capture_hold& cmd) const {
    return ledger::capture_hold(acct, at(cmd.now_ms), cmd.hold_id, cmd.amount, prior);
  }
  ledger::outcome operator()(const commands::extend_hold& cmd) const {
    return ledger::extend_hold(acct, at(cmd.now_ms), cmd.extension, prior);
  }
  ledger::outcome operator()(const commands::release_hold& cmd) const {
    return ledger::release_hold(acct, at(cmd.now_ms), cmd.hold_id, prior);
  }
  // The sweep's groups go to handle_expiry_group (account_expiry.cpp), never here.
  ledger::outcome operator()(const commands::expire_holds&) const {
    ledger::outcome refused;
    refused.code = ledger::error_code::internal_error;
    return refused;
  }
};

int64_t now_of(const hold_command& cmd) {
  return std::visit([](const auto& c) { return c.now_ms; }, cmd);
}

const ledger::hold_record* find_prior_hold(const account_state& st, uint64_t hold_id,
                                           const std::vector<ledger::hold_record>& stored) {
  if (const auto* pending = find_uncommitted_hold(st, hold_id)) return pending;
  for (const auto& record : stored) {
    if (record.hold_id() == hold_id) return &record;
  }
  return nullptr;
}

// Applies one account's hold operations in arrival order and persists them as ONE
// change_set: each changed hold's expiry index entries and, once closed, its record, the
// capture's journal entry, a charge's intent, and the account state once when an operation
// needs it (an authorisation, extension or release, a due expiry, an event or a charge:
// ledger::needs_state_record). `stored`: what the reader found for the ids
// plan_hold_lookup named.
void apply_hold_group(account_self self, const debit_group& group,
                      const std::vector<ledger::hold_record>& stored) {
  auto& st = self->state;
  if (!st.exists) return refuse_group(self, group, ledger::error_code::account_not_found);
  if (!writer_has_room(self)) return refuse_group(self, group, ledger::error_code::limit_exceeded);
  ledger::storage::change_set changes;
  pending_commit work;
  std::vector<hold_outcome> results;
  results.reserve(group.holds.size());
  bool state_changed = false;
  for (const auto& item : group.holds) {
    // The index entries as they stand before this item: an earlier item of the group may
    // have moved one, and its put is in `changes` already.
    const hold_expiries indexed_before = open_hold_expiries(st.acct);
    state_changed |= release_due_holds(self, now_of(item.cmd), changes);
    const uint64_t hold_id = hold_id_of(item.cmd);
    ledger::outcome out =
        std::visit(hold_visitor{st.acct, context_of(self).rules, context_of(self).clock->now_us(),
                                find_prior_hold(st, hold_id, stored)},
                   item.cmd);
    if (out.ok()) {
      // A plain capture leaves the state record as it was: its journal entry and
      // the hold's closed record say what changed (ledger::needs_state_record).
      state_changed |= ledger::needs_state_record(out);
      if (out.entry) persist_journal(st, changes, *out.entry);
      if (out.charge) {
        changes.put_intent(st.acct.id, *out.charge);
        // One automatic charge at a time (SPEC 4): a group starts at most one.
        LEDGER_ASSERT(!work.charge_to_send);
        work.charge_to_send = out.charge;
      }
      persist_holds(self, changes, out, indexed_before);
      persist_notices(changes, st.acct, out);
    }
    count_events(self, out);
    hold_outcome answer{item.index, out.code, st.acct.balance, ledger::held(st.acct), {}};
    if (!out.holds.empty()) answer.hold = out.holds.back();
    results.push_back(std::move(answer));
  }
  if (state_changed) changes.put_account_state(st.acct);
  if (changes.empty() && nothing_pending(st)) {
    // Only refusals and replays, and everything they read is durable already.
    return send_group_results(self, group, {}, std::move(results));
  }
  submit_group(self, std::move(changes), group, {}, std::move(results), std::move(work));
}

}  // namespace

void handle_hold_group(account_self self, debit_group group) {
  auto& st = self->state;
  // Front ends send debits and hold operations in separate groups (debit_batch.hpp).
  LEDGER_ASSERT(group.items.empty());
  forget_durable(self);
  if (!st.exists) return refuse_group(self, group, ledger::error_code::account_not_found);
  // Every hold operation adds a record (a release too: an LSM deletes by writing).
  if (!disk_has_room(self)) return refuse_group(self, group, ledger::error_code::storage_full);
  std::vector<uint64_t> lookup = plan_hold_lookup(st, group);
  if (lookup.empty()) return apply_hold_group(self, group, {});
  // Nothing else runs on this account until the answer (or a CAF error) is handled: what
  // plan_hold_lookup saw open or uncommitted is unchanged when apply_hold_group runs.
  auto held = std::make_shared<debit_group>(std::move(group));
  bump(context_of(self).counters->hold_lookups);
  const bool learn = !(st.acct.extras && st.acct.extras->highest_hold_id);
  self->request(reader_of(self), reader_wait, read_hold_atom::value, st.acct.id, std::move(lookup),
                learn)
      .await(
          [self, held, learn](holds_read& read) {
            if (!read.ok()) return refuse_group(self, *held, ledger::error_code::storage_failure);
            if (learn) learn_from_hold_lookup(self->state, read.value.highest_hold_id);
            apply_hold_group(self, *held, read.value.found);
          },
          [self, held](caf::error& failure) {
            spdlog::error("account {}: hold lookup failed: {}", self->state.acct.id,
                          self->system().render(failure));
            refuse_group(self, *held, ledger::error_code::storage_failure);
          });
}

}  // namespace actors::account_detail
