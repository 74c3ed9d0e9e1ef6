// The account actor's card charges (account_state.hpp). A charge intent is sent to the
// gateway only after it is durable; an unknown outcome is asked about again by key with a
// growing backoff, and a key the processor never saw is submitted again. Never a blind
// second charge.
#include <spdlog/spdlog.h>

#include "actors/account_state.hpp"
#include "actors/limits.hpp"

namespace actors::account_detail {
namespace {

const ledger::charge_intent* find_intent(const ledger::account& acct, uint64_t charge_seq) {
  if (acct.auto_charge && acct.auto_charge->charge_seq == charge_seq) return &*acct.auto_charge;
  for (const auto& charge : acct.manual_charges) {
    if (charge.charge_seq == charge_seq) return &charge;
  }
  return nullptr;
}

void schedule_lookup(account_self self, uint64_t charge_seq) {
  const auto& ctx = context_of(self);
  auto [it, inserted] =
      in_flight_of(self->state).lookup_backoff.emplace(charge_seq, ctx.lookup_backoff_min);
  if (!inserted) it->second = std::min(it->second * 2, ctx.lookup_backoff_max);
  self->delayed_send(self, it->second, retry_atom::value, charge_seq);
}

// The manual recharge's requester, if it still waits for this charge: answered after the
// outcome is durable.
void answer_waiter(account_self self, const charge_answer& answer, const ledger::outcome& out,
                   pending_commit& work) {
  auto& waiters = in_flight_of(self->state).recharge_waiters;
  auto waiter = waiters.find(answer.charge_seq);
  if (waiter == waiters.end()) return;
  const bool captured = answer.status == gateway::charge_status::captured;
  work.has_promise = true;
  work.promise = std::move(waiter->second);
  waiters.erase(waiter);
  work.reply.code = captured ? ledger::error_code::ok : answer.failure;
  work.reply.snapshot = self->state.acct;
  work.reply.entry = out.entry;
  work.reply.charge = captured ? charge_state::captured : charge_state::failed;
  work.reply.charge_failure = answer.failure;
  work.reply.decline_reason = answer.reason;
}

// A manual recharge's record, written again with its charge's outcome in the same write as
// the outcome itself, so that a replay answers what happened.
void record_recharge_outcome(account_self self, const charge_answer& answer,
                             ledger::recharge_record record, ledger::storage::change_set& changes,
                             pending_commit& work) {
  const bool captured = answer.status == gateway::charge_status::captured;
  record.outcome = captured ? ledger::recharge_outcome::captured : ledger::recharge_outcome::failed;
  record.failure = captured ? ledger::error_code::ok : answer.failure;
  record.decline_reason = captured ? std::string{} : answer.reason;
  auto& in_flight = in_flight_of(self->state);
  in_flight.uncommitted_recharges[record.key] = record;
  work.recharge_to_forget = record.key;
  changes.put_recharge(self->state.acct.id, record);
}

// Applies a final answer (captured or failed). `record`: a manual recharge's record, to be
// written with the outcome (nullptr for an automatic charge, or a record storage lacked).
void apply_final_answer(account_self self, const charge_answer& answer,
                        const ledger::recharge_record* record) {
  auto& st = self->state;
  auto* counters = context_of(self).counters;
  const bool captured = answer.status == gateway::charge_status::captured;
  bump(captured ? counters->charges_captured : counters->charges_failed);
  counters->charges_in_flight.fetch_sub(1, std::memory_order_relaxed);
  in_flight_of(st).lookup_backoff.erase(answer.charge_seq);
  const ledger::charge_result result{answer.charge_seq, captured, answer.failure,
                                     answer.hard_decline};
  ledger::outcome out =
      ledger::apply_charge_result(st.acct, command_context_of(self, wall_clock_ms()), result);
  // The intent was found before, and nothing ran on the account since, so the core must
  // accept its result.
  LEDGER_ASSERT(out.ok());
  // The processor's words go with the failure (the gateway actor bounded them).
  for (auto& told : out.notices) {
    if (told.type == ledger::notice_type::charge_failed) told.reason = answer.reason;
  }
  ledger::storage::change_set changes;
  changes.delete_intent(st.acct.id, answer.charge_seq);
  persist_outcome(st, changes, out);
  count_events(self, out);
  pending_commit work;
  work.charge_to_send = out.charge;
  if (record != nullptr) record_recharge_outcome(self, answer, *record, changes, work);
  answer_waiter(self, answer, out, work);
  submit(self, std::move(changes), std::move(work));
}

}  // namespace

void send_charge(account_self self, const ledger::charge_intent& intent, bool lookup_only) {
  charge_order order{self->state.acct.id, intent, lookup_only};
  self->send(context_of(self).gateway, charge_atom::value, std::move(order));
}

void retry_lookup(account_self self, uint64_t charge_seq) {
  if (const auto* intent = find_intent(self->state.acct, charge_seq))
    send_charge(self, *intent, true);
}

namespace {

// The gateway answered (captured, failed or not found) or did not (unknown): tracked over
// every account, so that a processor that stops answering is a warning, a metric and a
// degraded /healthz (issue 18), and its recovery an info line.
void note_gateway_health(metrics& counters, bool answered) {
  if (answered) {
    const int64_t was = counters.gateway_unanswered_in_a_row.exchange(0, std::memory_order_relaxed);
    if (was >= gateway_unanswered_degraded) {
      spdlog::info("card gateway answering again after {} unanswered charges", was);
    }
    counters.gateway_unanswered_since_ms.store(0, std::memory_order_relaxed);
    return;
  }
  const int64_t now = wall_clock_ms();
  int64_t none = 0;
  counters.gateway_unanswered_since_ms.compare_exchange_strong(none, now,
                                                               std::memory_order_relaxed);
  const int64_t in_a_row =
      counters.gateway_unanswered_in_a_row.fetch_add(1, std::memory_order_relaxed) + 1;
  if (in_a_row == gateway_unanswered_degraded) {
    spdlog::warn(
        "card gateway not answering: {} charges in a row without an answer; /healthz "
        "says degraded until it answers",
        in_a_row);
  }
}

}  // namespace

void handle_charge_answer(account_self self, const charge_answer& answer) {
  auto& st = self->state;
  const ledger::charge_intent* intent = find_intent(st.acct, answer.charge_seq);
  if (intent == nullptr) return;  // a late duplicate answer: already applied
  auto* counters = context_of(self).counters;
  note_gateway_health(*counters, answer.status != gateway::charge_status::unknown);
  switch (answer.status) {
    case gateway::charge_status::unknown:
      bump(counters->charges_unknown);
      return schedule_lookup(self, answer.charge_seq);
    case gateway::charge_status::not_found:
      // The processor never saw the key: nothing was charged, so submitting it is safe.
      return send_charge(self, *intent, false);
    case gateway::charge_status::captured:
    case gateway::charge_status::failed:
      break;
  }
  if (intent->kind != ledger::charge_kind::manual) return apply_final_answer(self, answer, nullptr);
  auto& records = in_flight_of(st).recharges_in_flight;
  if (auto known = records.find(answer.charge_seq); known != records.end()) {
    const ledger::recharge_record record = std::move(known->second);
    records.erase(known);
    return apply_final_answer(self, answer, &record);
  }
  // Started before a restart: its record is in storage. Nothing else runs on this account
  // until the read is answered, so the intent is still open then.
  self->request(reader_of(self), reader_wait, read_recharge_atom::value, st.acct.id,
                intent->recharge_key)
      .await(
          [self, answer](recharge_read& read) {
            // Unreadable now: the charge stays open and the gateway is asked again later,
            // rather than an outcome applied that a replay could not tell.
            if (!read.ok()) return schedule_lookup(self, answer.charge_seq);
            if (!read.value) {
              spdlog::error(
                  "account {}: manual recharge {} has no record; its outcome is "
                  "applied without one",
                  self->state.acct.id, answer.charge_seq);
            }
            apply_final_answer(self, answer, read.value ? &*read.value : nullptr);
          },
          [self, answer](caf::error& failure) {
            spdlog::error("account {}: reading a manual recharge's record failed: {}",
                          self->state.acct.id, self->system().render(failure));
            schedule_lookup(self, answer.charge_seq);
          });
}

void resolve_open_intents(account_self self) {
  const auto& acct = self->state.acct;
  auto* counters = context_of(self).counters;
  if (acct.auto_charge) {
    counters->charges_in_flight.fetch_add(1, std::memory_order_relaxed);
    send_charge(self, *acct.auto_charge, true);
  }
  for (const auto& charge : acct.manual_charges) {
    counters->charges_in_flight.fetch_add(1, std::memory_order_relaxed);
    send_charge(self, charge, true);
  }
}

void schedule_velocity_wake(account_self self) {
  auto& st = self->state;
  if (st.velocity_wake_scheduled || !st.exists || !st.acct.extras || !st.acct.extras->deferred) {
    return;
  }
  const int64_t now_ms = wall_clock_ms();
  const auto usage = ledger::velocity_usage_at(st.acct, context_of(self).rules, now_ms);
  // Not reached: room now. Reached with nothing that frees it (R above the cap's amount,
  // which loading fits away): look again after a window.
  int64_t delay_ms = 0;
  if (usage.reached) {
    delay_ms =
        usage.frees_at_ms != 0 ? usage.frees_at_ms - now_ms : ledger::limits::velocity_window_ms;
  }
  st.velocity_wake_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0)),
                     velocity_atom::value);
}

void resume_held_back_charge(account_self self) {
  auto& st = self->state;
  st.velocity_wake_scheduled = false;
  const int64_t now_ms = wall_clock_ms();
  if (!ledger::deferred_charge_ready(st.acct, context_of(self).rules, now_ms)) {
    return schedule_velocity_wake(self);  // early (a clock step), or no longer held back
  }
  if (!writer_has_room(self)) {
    st.velocity_wake_scheduled = true;
    self->delayed_send(self, velocity_wake_retry, velocity_atom::value);
    return;
  }
  ledger::outcome out = ledger::resume_deferred_charge(st.acct, command_context_of(self, now_ms));
  ledger::storage::change_set changes;
  persist_outcome(st, changes, out);
  count_events(self, out);
  pending_commit work;
  work.charge_to_send = out.charge;
  submit(self, std::move(changes), std::move(work));
  schedule_velocity_wake(self);
}

}  // namespace actors::account_detail
