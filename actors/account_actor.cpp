// The account actor's behaviour, its writes and their commits, and passivation. The rest of
// it lives beside this file by responsibility (account_state.hpp has the map).
#include "actors/account_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/account_state.hpp"

namespace actors {
namespace account_detail {

void persist_outcome(account_state& st, ledger::storage::change_set& changes,
                     const ledger::outcome& out) {
  if (!out.ok()) return;
  changes.put_account_state(st.acct);
  if (out.events & ledger::event_card_unusable) changes.put_cards(st.acct);
  if (out.entry) persist_journal(st, changes, *out.entry);
  if (out.charge) changes.put_intent(st.acct.id, *out.charge);
  persist_notices(changes, st.acct, out);
}

void persist_journal(account_state& st, ledger::storage::change_set& changes,
                     const ledger::journal_entry& entry) {
  if (!st.usage_tail) st.usage_tail = std::make_unique<ledger::usage_tail>();
  changes.put_journal(entry, *st.usage_tail);
  if (st.usage_tail->empty()) st.usage_tail.reset();  // merged: nothing left to count
}

void persist_notices(ledger::storage::change_set& changes, const ledger::account& acct,
                     const ledger::outcome& out) {
  if (!out.ok()) return;
  for (const auto& told : out.notices)
    changes.put_notice(acct.id, told);
}

void persist_holds(account_self self, ledger::storage::change_set& changes,
                   const ledger::outcome& out, const hold_expiries& indexed_before) {
  if (!out.ok() || out.holds.empty()) return;
  auto& uncommitted = in_flight_of(self->state).uncommitted_holds;
  for (const auto& hold : out.holds) {
    uncommitted[hold.hold_id()] = uncommitted_hold{hold, 0};
    if (hold.state == ledger::hold_state::expired) {
      // Its index entry is left to a sweep round's range erase (hold_expiry.hpp).
      changes.put_swept_hold(self->state.acct.id, hold);
      continue;
    }
    auto before = indexed_before.find(hold.hold_id());
    changes.put_hold(self->state.acct.id, hold,
                     before == indexed_before.end() ? 0 : before->second);
  }
}

bool release_due_holds(account_self self, int64_t now_ms, ledger::storage::change_set& changes) {
  auto& acct = self->state.acct;
  if (now_ms <= 0 || !acct.holds) return false;
  ledger::outcome expired = ledger::expire_holds(acct, command_context_of(self, now_ms));
  if (expired.holds.empty()) return false;
  // The caller writes the state record, once for this and what it does next.
  // Only expired holds: persist_holds leaves their index entries, so needs no expiries.
  persist_holds(self, changes, expired, hold_expiries{});
  persist_notices(changes, acct, expired);
  count_events(self, expired);
  return true;
}

hold_expiries open_hold_expiries(const ledger::account& acct) {
  hold_expiries indexed;
  if (!acct.holds) return indexed;
  for (const auto& hold : *acct.holds)
    indexed.emplace(hold.hold_id(), hold.expires_at_ms);
  return indexed;
}

namespace {

// Tells the event sink about an accepted outcome, only while someone listens.
void publish_event(account_self self, const ledger::outcome& out) {
  const auto& ctx = context_of(self);
  if (!ctx.events || !ctx.event_listeners ||
      ctx.event_listeners->load(std::memory_order_relaxed) == 0)
    return;
  if (!out.ok() || (!out.entry && out.events == ledger::event_none)) return;
  const auto& acct = self->state.acct;
  account_event event;
  event.account_id = acct.id;
  event.events = out.events;
  if (out.entry) {
    event.entry_kind = out.entry->kind;
    event.amount = out.entry->amount;
  }
  event.balance_after = acct.balance;
  event.retry_tier = acct.retry_tier;
  event.status = acct.status;
  caf::anon_send(ctx.events, std::move(event));
}

// A charge the velocity cap held back keeps the account resident until it starts: its timer
// lives here (schedule_velocity_wake).
bool is_idle(const account_state& st) {
  return nothing_pending(st) && !st.acct.auto_charge && st.acct.manual_charges.empty() &&
         !(st.acct.extras && st.acct.extras->deferred);
}

// The shard asked (evict_atom, false): report idle if nothing is in flight.
void maybe_report_idle(account_self self) {
  forget_durable(self);
  if (!is_idle(self->state)) return;
  self->send(caf::actor_cast<shard_actor>(self->current_sender()), idle_atom::value,
             self->state.acct.id, self->state.messages_received);
}

void on_committed(account_self self, uint32_t token, ledger::error_code code) {
  auto& st = self->state;
  forget_durable(self);
  // Commits come back in submission order, one per pending entry.
  LEDGER_ASSERT(!nothing_pending(st) && st.in_flight->pending.front().token == token);
  auto& in_flight = *st.in_flight;
  pending_commit work = std::move(in_flight.pending.front());
  in_flight.pending.pop_front();
  if (code != ledger::error_code::ok) {
    // Memory is ahead of disk: answer nothing as done, and stop the process.
    if (work.has_promise) work.promise.deliver(account_reply{code, st.acct, {}, {}, {}, {}, {}});
    return fail_storage(self, "durable write failed for account " + std::to_string(st.acct.id));
  }
  if (work.recharge_to_forget) in_flight.uncommitted_recharges.erase(*work.recharge_to_forget);
  if (work.charge_to_send) send_charge(self, *work.charge_to_send, false);
  if (work.has_promise) work.promise.deliver(std::move(work.reply));
  release_idle_memory(st);
  // No idle report here: an account passivates only when its shard's sweep finds it idle
  // for idle_timeout (or the shard is over its resident maximum), not after every write.
}

// A bug threw inside a handler: this account's memory can no longer be trusted, and the
// shard would keep routing to a dead actor. Stop the process; a restart reloads the account
// from disk, which holds exactly what was acknowledged.
void stop_on_exception(account_self self) {
  self->set_exception_handler([self](std::exception_ptr& failure) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    fail_storage(self, "account actor " + std::to_string(self->state.acct.id) + " failed: " + what);
    return caf::make_error(caf::sec::runtime_error, std::move(what));
  });
}

account_actor::behavior_type account_behavior(account_self self, const account_context* ctx,
                                              ledger::account acct, bool exists,
                                              ledger::usage_tail usage_tail) {
  auto& st = self->state;
  st.context = ctx;
  st.acct = std::move(acct);
  st.exists = exists;
  if (!usage_tail.empty()) st.usage_tail = std::make_unique<ledger::usage_tail>(usage_tail);
  if (exists && ledger::fit_recharge_to_maximum(st.acct, ctx->rules)) {
    // Written with the account's next state write; nothing can charge before this.
    spdlog::warn("account {}: auto-recharge amount lowered to the maximum recharge {}", st.acct.id,
                 ledger::format_money(st.acct.auto_recharge.recharge_amount));
  }
  resolve_open_intents(self);
  schedule_velocity_wake(self);
  stop_on_exception(self);
  return {
      [=](debit_group& group) {
        ++self->state.messages_received;
        handle_debit_group(self, std::move(group));
      },
      [=](command_atom, const account_request& request) {
        ++self->state.messages_received;
        auto promise = self->make_response_promise<account_reply>();
        handle_command(self, request, promise);
        return promise;
      },
      [=](committed_atom, uint32_t token, ledger::error_code code) {
        on_committed(self, token, code);
      },
      [=](charge_done_atom, const charge_answer& answer) { handle_charge_answer(self, answer); },
      [=](retry_atom, uint64_t charge_seq) { retry_lookup(self, charge_seq); },
      [=](velocity_atom) { resume_held_back_charge(self); },
      // One handler for both steps of passivation: every handler costs memory in each
      // resident account's behavior (docs/performance.md, memory per account).
      [=](evict_atom, bool leave_now) {
        if (leave_now)
          self->quit();
        else
          maybe_report_idle(self);
      },
  };
}

}  // namespace

void count_events(account_self self, const ledger::outcome& out) {
  publish_event(self, out);
  auto* counters = context_of(self).counters;
  if (out.charge) {
    bump(counters->charges_started);
    counters->charges_in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  if (out.events & ledger::event_suspended) {
    bump(counters->suspensions);
    spdlog::info("account {} suspended ({})", self->state.acct.id,
                 self->state.acct.suspension == ledger::suspension_cause::support
                     ? "support"
                     : "retry tiers exhausted");
  }
  if (out.events & ledger::event_reactivated) {
    spdlog::info("account {} active again", self->state.acct.id);
  }
  if (out.events & ledger::event_velocity_capped) {
    bump(counters->velocity_capped);
    const auto usage =
        ledger::velocity_usage_at(self->state.acct, context_of(self).rules, wall_clock_ms());
    spdlog::warn(
        "account {}: automatic charge held back by the velocity cap ({} charges, {} "
        "in 24 h; used {} and {}); it starts when the window frees room",
        self->state.acct.id, usage.cap.charges, ledger::format_money(usage.cap.amount),
        usage.charges, ledger::format_money(usage.amount));
    schedule_velocity_wake(self);
  }
  if (out.ok()) {
    for (const auto& hold : out.holds) {
      if (hold.state == ledger::hold_state::open && hold.extensions == 0)
        bump(counters->holds_authorized);
      if (hold.state == ledger::hold_state::captured) bump(counters->holds_captured);
      if (hold.state == ledger::hold_state::released) bump(counters->holds_released);
      if (hold.state == ledger::hold_state::expired) bump(counters->holds_expired);
    }
  }
}

void submit(account_self self, ledger::storage::change_set changes, pending_commit work) {
  auto& st = self->state;
  work.token = st.next_token++;
  const uint32_t token = work.token;
  auto& in_flight = in_flight_of(st);
  in_flight.pending.push_back(std::move(work));
  auto me = caf::actor_cast<account_actor>(self);
  uint64_t ticket = 0;
  const auto accepted = st.context->writer->submit(
      std::move(changes),
      [me, token](ledger::error_code code) {
        caf::anon_send(me, committed_atom::value, token, code);
      },
      ticket);
  if (accepted != ledger::error_code::ok) {
    // writer_has_room() said there was room, so this is a failed or stopping writer, or an
    // invalid change_set (a bug): memory is ahead of disk either way.
    caf::anon_send(me, committed_atom::value, token, accepted);
    return;
  }
  // Any answer after this one waits for its ticket (debit_window::submitted).
  mark_submitted(in_flight, ticket);
}

void mark_submitted(in_flight_state& in_flight, uint64_t ticket) {
  in_flight.debits.submitted(ticket);
  for (auto& [hold_id, hold] : in_flight.uncommitted_holds) {
    if (hold.ticket == 0) hold.ticket = ticket;
  }
}

void forget_durable(account_self self) {
  auto& st = self->state;
  // Every submitted write has a ticket in the debit window (mark_submitted): when it has
  // nothing undurable, the uncommitted holds were forgotten with it.
  if (!st.in_flight || !st.in_flight->debits.anything_undurable()) return;
  const uint64_t durable = st.context->writer->durable_ticket();
  st.in_flight->debits.forget(durable);
  auto& holds = st.in_flight->uncommitted_holds;
  for (auto it = holds.begin(); it != holds.end();) {
    const bool written = it->second.ticket != 0 && it->second.ticket <= durable;
    it = written ? holds.erase(it) : std::next(it);
  }
  release_idle_memory(st);
}

void fail_storage(account_self self, const std::string& reason) {
  self->state.context->on_storage_failure(reason);
}

}  // namespace account_detail

account_actor spawn_account(caf::actor_system& system, const account_context* context,
                            ledger::account state, bool exists,
                            const ledger::usage_tail& usage_tail) {
  // Counted down by ~account_state. Every spawned account is sent a message at once, and
  // CAF initializes an actor (account_behavior sets its context) before its first message,
  // even an exit message, so every count is matched.
  context->counters->live_account_actors.fetch_add(1, std::memory_order_relaxed);
  return system.spawn<caf::lazy_init>(account_detail::account_behavior, context, std::move(state),
                                      exists, usage_tail);
}

}  // namespace actors
