// The account actor's debits (account_state.hpp): every debit, from the stream or HTTP,
// arrives in a debit_group (debit_batch.hpp) and takes this one path:
//   1. plan_lookup: which debit ids only storage can tell apart from retries;
//   2. when there are any, one debit_lookup to the account's storage reader, awaited (the
//      account's later messages wait; the scheduler thread does not);
//   3. apply_debit_group: each item through ledger::apply_debit, in arrival order, into ONE
//      change_set; its results leave through the writer's result_batcher after the write.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/account_state.hpp"

namespace actors::account_detail {
namespace {

const ledger::debit_record* find_uncommitted_debit(const account_state& st, uint64_t debit_id) {
  return st.in_flight ? st.in_flight->debits.find(debit_id) : nullptr;
}

// The debit ids of `group` that may be stored: not in flight (the window answers for those)
// and not certainly new by the account's recent debit ids (above its highest, or between
// the ids it keeps: recent_debit_ids.hpp). Debit ids that grow over time (time-ordered ids,
// as usage platforms mint them on several nodes, so a little out of order) need no lookup
// once the account knows its highest id, which it learns with one seek in the read that
// activates it for several debits (storage_reader.cpp), or else on its second lookup, or on
// its first when that covers several debits. A non-positive amount is refused by the core
// before any lookup matters.
debit_lookup plan_lookup(const account_state& st, const debit_group& group) {
  debit_lookup lookup;
  lookup.account_id = st.acct.id;
  for (const auto& item : group.items) {
    if (!item.amount.is_positive() || find_uncommitted_debit(st, item.debit_id)) continue;
    if (st.debit_ids_state == debit_ids::known && st.recent_ids->certainly_new(item.debit_id))
      continue;
    lookup.debit_ids.push_back(item.debit_id);
  }
  std::sort(lookup.debit_ids.begin(), lookup.debit_ids.end());
  lookup.debit_ids.erase(std::unique(lookup.debit_ids.begin(), lookup.debit_ids.end()),
                         lookup.debit_ids.end());
  lookup.learn_highest =
      !lookup.debit_ids.empty() &&
      (st.debit_ids_state == debit_ids::looked_up_once ||
       (st.debit_ids_state == debit_ids::unknown && lookup.debit_ids.size() > 1));
  return lookup;
}

// The account learned its highest stored debit id: with what is in flight (not in storage
// yet), its recent debit ids start from there.
void know_debit_ids(account_state& st, uint64_t stored_highest) {
  const uint64_t in_flight = st.in_flight ? st.in_flight->debits.highest_debit_id() : 0;
  st.recent_ids = std::make_unique<recent_debit_ids>(std::max(stored_highest, in_flight));
  st.debit_ids_state = debit_ids::known;
}

// A group waiting for its reader's answer, with what memory answered already.
struct awaited_lookup {
  debit_group group;
  debit_lookup lookup;
  std::vector<ledger::debit_record> found_in_memory;
};

// Takes out of `lookup` the ids that the memtables and the block cache answer for (no disk:
// storage_readers::find_debit_in_memory), so that only the rest costs a hand-off to a
// reader and back; the stored ones among them are returned. Scattered debit ids (below the
// account's highest at random) are mostly answered here while their blocks stay cached.
std::vector<ledger::debit_record> answer_from_memory(account_self self, debit_lookup& lookup) {
  std::vector<ledger::debit_record> found;
  const auto& readers = *context_of(self).readers;
  auto unanswered = lookup.debit_ids.begin();
  for (const uint64_t debit_id : lookup.debit_ids) {
    const auto answer = readers.find_debit_in_memory(lookup.account_id, debit_id);
    if (!answer.answered) {
      *unanswered++ = debit_id;
    } else if (answer.stored) {
      found.push_back(answer.record);
    }
  }
  lookup.debit_ids.erase(unanswered, lookup.debit_ids.end());
  return found;
}

// What the reader's answer teaches the account about its highest debit id.
void learn_from_lookup(account_state& st, const debit_lookup& asked,
                       const debit_lookup_result& answer) {
  if (asked.learn_highest) {
    know_debit_ids(st, answer.highest_debit_id);
  } else if (st.debit_ids_state == debit_ids::unknown) {
    st.debit_ids_state = debit_ids::looked_up_once;
  }
}

// The earlier debit with this id, if any: in flight (the window), else among the stored
// ones the lookup found (in memory or by a reader). An id that was neither in flight nor
// looked up is not stored (plan_lookup). The window is not forgotten between plan_lookup and
// here, so what was in flight then is still found in it.
const ledger::debit_record* find_prior_debit(const account_state& st, uint64_t debit_id,
                                             const std::vector<ledger::debit_record>& stored) {
  if (const auto* pending = find_uncommitted_debit(st, debit_id)) return pending;
  for (const auto& record : stored) {
    if (record.debit_id == debit_id) return &record;
  }
  return nullptr;
}

// Keeps recent_ids true after a new debit was applied (it is in flight now).
void note_applied_debit(account_state& st, uint64_t debit_id) {
  if (st.debit_ids_state == debit_ids::known) st.recent_ids->add(debit_id);
}

// Applies one account's debits in arrival order and persists them as ONE change_set: a
// debit record and a journal entry per accepted debit; the account state only when a debit
// changed more than the balance (ledger::needs_state_record). `stored`: the group's debits that
// the reader found in storage (plan_lookup).
void apply_debit_group(account_self self, const debit_group& group,
                       const std::vector<ledger::debit_record>& stored) {
  auto& st = self->state;
  if (!writer_has_room(self)) return refuse_group(self, group, ledger::error_code::limit_exceeded);
  auto* counters = context_of(self).counters;
  std::vector<debit_outcome> results;
  results.reserve(group.items.size());
  ledger::storage::change_set changes;
  pending_commit work;
  bool state_changed = false;
  // One clock reading for the group: the velocity cap's window (issue 17).
  const ledger::command_context ctx = command_context_of(self, wall_clock_ms());
  for (const auto& item : group.items) {
    ledger::outcome out = ledger::apply_debit(st.acct, ctx, item.debit_id, item.amount,
                                              find_prior_debit(st, item.debit_id, stored));
    bump(out.ok() ? counters->debits_applied : counters->debits_rejected);
    if (out.ok()) {
      const ledger::debit_record record{item.debit_id, item.amount, out.entry->seq};
      in_flight_of(st).debits.add(record);
      note_applied_debit(st, record.debit_id);
      changes.put_debit(st.acct.id, record);
      persist_journal(st, changes, *out.entry);
      persist_notices(changes, st.acct, out);
      if (out.charge) {
        changes.put_intent(st.acct.id, *out.charge);
        work.charge_to_send = out.charge;
      }
      state_changed = state_changed || ledger::needs_state_record(out);
    }
    count_events(self, out);
    results.push_back(debit_outcome{item.index, out.code, st.acct.balance});
  }
  if (state_changed) changes.put_account_state(st.acct);
  if (changes.empty() && nothing_pending(st)) {
    // Only refusals, and everything they read is durable already: answer at once.
    return send_group_results(self, group, std::move(results), {});
  }
  if (context_of(self).planted_bug_ack_before_write) {
    send_group_results(self, group, std::move(results), {});  // the bug: before the write
    results.clear();
  }
  submit_group(self, std::move(changes), group, std::move(results), {}, std::move(work));
}

}  // namespace

void send_group_results(account_self self, const debit_group& group,
                        std::vector<debit_outcome> results, std::vector<hold_outcome> holds) {
  auto* counters = context_of(self).counters;
  for (const auto& r : results)
    counters->count_reply(r.code);
  for (const auto& h : holds)
    if (!from_expiry_sweep(group)) counters->count_reply(h.code);
  caf::anon_send(group.reply_to,
                 debit_group_results{group.batch_id, std::move(results), std::move(holds)});
}

void refuse_group(account_self self, const debit_group& group, ledger::error_code code) {
  const auto& acct = self->state.acct;
  std::vector<debit_outcome> results;
  results.reserve(group.items.size());
  for (const auto& item : group.items)
    results.push_back(debit_outcome{item.index, code, acct.balance});
  std::vector<hold_outcome> holds;
  holds.reserve(group.holds.size());
  for (const auto& item : group.holds)
    holds.push_back(hold_outcome{item.index, code, acct.balance, ledger::held(acct), {}});
  send_group_results(self, group, std::move(results), std::move(holds));
}

// The completion (on the writer thread) hands the results to the result_batcher, which
// sends them after the write; the actor hears back only when `work` must wait for the
// write. Either way the debit window's ticket keeps later refusals and passivation waiting
// until the group is durable.
void submit_group(account_self self, ledger::storage::change_set changes, const debit_group& group,
                  std::vector<debit_outcome> results, std::vector<hold_outcome> holds,
                  pending_commit work) {
  auto& st = self->state;
  const account_context* ctx = st.context;
  const bool needs_message = work.charge_to_send.has_value();
  // The sweep's answers are not clients' replies (ledger_replies_total).
  const bool counted = !from_expiry_sweep(group);
  work.token = st.next_token++;
  account_actor me = needs_message ? caf::actor_cast<account_actor>(self) : account_actor{};
  auto done = [ctx, me, counted, token = work.token, reply_to = group.reply_to,
               batch_id = group.batch_id, results = std::move(results),
               holds = std::move(holds)](ledger::error_code code) mutable {
    for (auto& r : results) {
      if (code != ledger::error_code::ok) r.code = code;
      ctx->counters->count_reply(r.code);
    }
    for (auto& h : holds) {
      if (code != ledger::error_code::ok) h.code = code;
      if (counted) ctx->counters->count_reply(h.code);
    }
    if (!results.empty() || !holds.empty()) {
      ctx->batcher->add(reply_to, batch_id, std::move(results), std::move(holds));
    }
    if (me) caf::anon_send(me, committed_atom::value, token, code);
    if (code != ledger::error_code::ok && !me) {
      ctx->on_storage_failure("durable write of a debit group failed");
    }
  };
  uint64_t ticket = 0;
  const auto accepted = ctx->writer->submit(std::move(changes), std::move(done), ticket);
  if (accepted != ledger::error_code::ok) {
    // writer_has_room() said there was room: a failed or stopping writer, or a bug.
    refuse_group(self, group, accepted);
    return fail_storage(self, "cannot submit a group to the writer");
  }
  mark_submitted(in_flight_of(st), ticket);
  if (needs_message) in_flight_of(st).pending.push_back(std::move(work));
}

void handle_debit_group(account_self self, debit_group group) {
  auto& st = self->state;
  if (from_expiry_sweep(group)) return handle_expiry_group(self, std::move(group));
  if (!group.holds.empty()) return handle_hold_group(self, std::move(group));
  forget_durable(self);
  if (!st.exists) return refuse_group(self, group, ledger::error_code::account_not_found);
  if (!disk_has_room(self)) return refuse_group(self, group, ledger::error_code::storage_full);
  if (group.stored) {
    // Looked up with the account's activation (directory.cpp), which read its highest
    // stored debit id in the same visit when the group had several ids; else that was the
    // first lookup, and the next learns the highest.
    if (group.stored_highest_known && st.debit_ids_state != debit_ids::known) {
      know_debit_ids(st, group.stored_highest_debit_id);
    } else if (st.debit_ids_state == debit_ids::unknown) {
      st.debit_ids_state = debit_ids::looked_up_once;
    }
    return apply_debit_group(self, group, *group.stored);
  }
  debit_lookup lookup = plan_lookup(st, group);
  if (lookup.debit_ids.empty()) return apply_debit_group(self, group, {});
  // A lookup that learns the account's highest id goes to the reader whole (its seek
  // spares every later lookup of ids above it); otherwise memory answers what it can.
  std::vector<ledger::debit_record> found;
  if (!lookup.learn_highest) found = answer_from_memory(self, lookup);
  if (lookup.debit_ids.empty()) {
    bump(context_of(self).counters->debit_lookups_in_memory);
    // Counted like a reader's lookup: the next one learns the highest id.
    if (st.debit_ids_state == debit_ids::unknown) st.debit_ids_state = debit_ids::looked_up_once;
    return apply_debit_group(self, group, found);
  }
  // Nothing else runs on this account until the answer (or a CAF error) is handled: the
  // window that plan_lookup relied on is unchanged when apply_debit_group reads it.
  auto held =
      std::make_shared<awaited_lookup>(awaited_lookup{std::move(group), lookup, std::move(found)});
  bump(context_of(self).counters->debit_lookups);
  self->request(reader_of(self), reader_wait, std::move(lookup))
      .await(
          [self, held](debit_lookup_read& read) {
            if (!read.ok())
              return refuse_group(self, held->group, ledger::error_code::storage_failure);
            learn_from_lookup(self->state, held->lookup, read.value);
            auto& stored = held->found_in_memory;
            stored.insert(stored.end(), read.value.found.begin(), read.value.found.end());
            apply_debit_group(self, held->group, stored);
          },
          [self, held](caf::error& failure) {
            spdlog::error("account {}: debit lookup failed: {}", self->state.acct.id,
                          self->system().render(failure));
            refuse_group(self, held->group, ledger::error_code::storage_failure);
          });
}

}  // namespace actors::account_detail
