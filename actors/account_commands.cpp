// The account actor's commands other than debits (account_state.hpp): create, get, manual
// recharges, auto-recharge settings, cards, support's commands, and billing credentials.
// A command that needs a stored record first (a recharge's idempotency key, the
// credentials) asks the account's storage reader and awaits the answer.
#include <spdlog/spdlog.h>

#include <type_traits>

#include "actors/account_state.hpp"

namespace actors::account_detail {
namespace {

template <class T, class = void>
struct is_credentials_command : std::false_type {};
template <class T>
struct is_credentials_command<T, std::void_t<decltype(T::credentials_command)>> : std::true_type {};

ledger::outcome refused(ledger::error_code code) {
  ledger::outcome out;
  out.code = code;
  return out;
}

// Applies one non-debit, non-credentials command; returns the outcome and fills `changes`.
// `stored_recharge`: for a recharge, the record stored under its key (nullptr: none).
struct command_visitor {
  account_self self;
  ledger::storage::change_set& changes;
  pending_commit& work;
  const ledger::recharge_record* stored_recharge = nullptr;
  int64_t now_ms = 0;  // the server's clock when the command runs

  ledger::account& acct() { return self->state.acct; }
  const ledger::policy& rules() { return context_of(self).rules; }
  ledger::command_context ctx() { return command_context_of(self, now_ms); }

  ledger::outcome operator()(const commands::create&) {
    if (self->state.exists) return refused(ledger::error_code::account_exists);
    self->state.exists = true;
    changes.put_account_state(acct());
    return ledger::outcome{};
  }
  ledger::outcome operator()(const commands::get&) { return ledger::outcome{}; }
  ledger::outcome operator()(const commands::recharge& cmd) {
    auto& uncommitted = in_flight_of(self->state).uncommitted_recharges;
    const ledger::recharge_record* prior = stored_recharge;
    if (auto it = uncommitted.find(cmd.key); it != uncommitted.end()) prior = &it->second;
    auto out =
        ledger::begin_manual_recharge(acct(), rules(), cmd.key, cmd.amount, cmd.card_id, prior);
    if (out.code == ledger::error_code::duplicate && prior != nullptr) {
      replay(*prior);
      return out;
    }
    if (!out.ok()) return out;
    ledger::recharge_record record{cmd.key, cmd.amount, cmd.card_id, out.charge->charge_seq,
                                   {},      {},         {}};
    uncommitted[cmd.key] = record;
    in_flight_of(self->state).recharges_in_flight[record.charge_seq] = record;
    changes.put_recharge(acct().id, record);
    work.recharge_to_forget = cmd.key;
    return out;
  }
  // A retry of a manual recharge answers the original outcome (issue 17): captured, failed
  // with the original code and reason, or still pending at the gateway.
  void replay(const ledger::recharge_record& prior) {
    work.reply.replayed = prior;
    const bool in_flight = std::any_of(
        acct().manual_charges.begin(), acct().manual_charges.end(),
        [&](const ledger::charge_intent& c) { return c.charge_seq == prior.charge_seq; });
    if (in_flight) {
      work.reply.charge = charge_state::pending;
    } else if (prior.outcome == ledger::recharge_outcome::captured) {
      work.reply.charge = charge_state::captured;
    } else if (prior.outcome == ledger::recharge_outcome::failed) {
      work.reply.charge = charge_state::failed;
      work.reply.charge_failure = prior.failure;
      work.reply.decline_reason = prior.decline_reason;
    }  // else: written before outcomes were kept; the journal tells
  }
  ledger::outcome operator()(const commands::set_auto_recharge& cmd) {
    return ledger::set_auto_recharge(acct(), ctx(), cmd.settings);
  }
  ledger::outcome operator()(const commands::add_card& cmd) {
    auto out = ledger::add_card(acct(), ctx(), cmd.card);
    if (out.ok()) changes.put_cards(acct());
    return out;
  }
  ledger::outcome operator()(const commands::remove_card& cmd) {
    auto out = ledger::remove_card(acct(), cmd.card_id);
    if (out.ok()) changes.put_cards(acct());
    return out;
  }
  ledger::outcome operator()(const commands::set_default_card& cmd) {
    return ledger::set_default_card(acct(), ctx(), cmd.card_id);
  }
  // The order travels in the account state (storage/codec.hpp), written with every command.
  ledger::outcome operator()(const commands::set_card_order& cmd) {
    return ledger::set_card_order(acct(), ctx(), cmd.card_ids);
  }
  ledger::outcome operator()(const commands::set_maximum_recharge& cmd) {
    return ledger::set_maximum_recharge(acct(), rules(), cmd.maximum, cmd.recharge_amount);
  }
  ledger::outcome operator()(const commands::set_notification_threshold& cmd) {
    return ledger::set_notification_threshold(acct(), ctx(), cmd.threshold);
  }
  ledger::outcome operator()(const commands::set_velocity_cap& cmd) {
    return ledger::set_velocity_cap(acct(), ctx(), cmd.cap, cmd.recharge_amount);
  }
  ledger::outcome operator()(const commands::suspend&) { return ledger::suspend(acct(), ctx()); }
  ledger::outcome operator()(const commands::resume&) { return ledger::resume(acct(), ctx()); }
  ledger::outcome operator()(const commands::reset_retry_tier&) {
    return ledger::reset_retry_tier(acct(), ctx());
  }
  ledger::outcome operator()(const commands::adjust& cmd) {
    return ledger::adjust_balance(acct(), ctx(), cmd.amount, cmd.adjustment_id);
  }

  // Credentials commands go to run_credentials and never reach this visitor.
  template <class credentials_cmd,
            class = std::enable_if_t<is_credentials_command<credentials_cmd>::value>>
  ledger::outcome operator()(const credentials_cmd&) {
    return refused(ledger::error_code::internal_error);
  }
};

// Decides one credentials command on acct.billing_credentials (ledger/credentials.hpp).
struct credentials_visitor {
  account_self self;

  ledger::credentials& creds() { return self->state.acct.billing_credentials.get_or_create(); }
  const ledger::credential_policy& rules() { return context_of(self).rules.credentials; }

  ledger::error_code operator()(const commands::credentials_snapshot&) {
    return ledger::error_code::ok;
  }
  ledger::error_code operator()(const commands::record_login& cmd) {
    return ledger::record_login(creds(), rules(), cmd.attempt, cmd.now_ms);
  }
  ledger::error_code operator()(const commands::authorize& cmd) {
    return ledger::authorize(creds(), cmd.token_hash, cmd.now_ms, cmd.for_password_change);
  }
  ledger::error_code operator()(const commands::change_password& cmd) {
    return ledger::change_password(creds(), rules(), cmd.change, cmd.now_ms);
  }
  ledger::error_code operator()(const commands::issue_temporary_credentials& cmd) {
    return ledger::issue_temporary_credentials(creds(), rules(), cmd.temporary_hash, cmd.now_ms);
  }
  ledger::error_code operator()(const commands::logout& cmd) {
    return ledger::logout(creds(), cmd.token_hash, cmd.now_ms);
  }
  template <class other_cmd, class = std::enable_if_t<!is_credentials_command<other_cmd>::value>>
  ledger::error_code operator()(const other_cmd&) {
    return ledger::error_code::internal_error;  // routed by handle_command, never here
  }
};

void answer_now(account_self self, reply_promise& promise, ledger::error_code code,
                charge_state charge = charge_state::none) {
  promise.deliver(account_reply{code, self->state.acct, {}, charge, {}, {}, {}});
}

// Unlike the other commands, a refusal may change state (a failed login is counted), so
// the credentials are written whenever they changed, and then the reply waits for the disk.
void run_credentials(account_self self, const account_request& request, reply_promise promise) {
  auto& st = self->state;
  if (!writer_has_room(self)) return answer_now(self, promise, ledger::error_code::limit_exceeded);
  const ledger::credentials before = st.acct.billing_credentials.value_or_default();
  const ledger::error_code code = std::visit(credentials_visitor{self}, request.cmd);
  const bool changed = !(st.acct.billing_credentials.value_or_default() == before);
  // Nothing undurable to wait for: a read or an unchanged refusal is answered at once.
  if (!changed && nothing_pending(st)) return answer_now(self, promise, code);
  ledger::storage::change_set changes;
  if (changed) changes.put_credentials(st.acct);
  pending_commit work;
  work.has_promise = true;
  work.promise = std::move(promise);
  work.reply.code = code;
  work.reply.snapshot = st.acct;
  submit(self, std::move(changes), std::move(work));
}

// The credentials are read from storage once per activation, by the reader.
void handle_credentials(account_self self, const account_request& request, reply_promise promise) {
  if (!self->state.exists) return answer_now(self, promise, ledger::error_code::account_not_found);
  if (self->state.credentials_loaded) return run_credentials(self, request, std::move(promise));
  self->request(reader_of(self), reader_wait, read_credentials_atom::value, self->state.acct.id)
      .await(
          [self, request, promise](credentials_read& read) mutable {
            if (!read.ok()) return answer_now(self, promise, ledger::error_code::storage_failure);
            self->state.acct.billing_credentials = read.value.value_or(ledger::credentials{});
            self->state.credentials_loaded = true;
            run_credentials(self, request, std::move(promise));
          },
          [self, promise](caf::error&) mutable {
            answer_now(self, promise, ledger::error_code::storage_failure);
          });
}

// Below the disk's reserve every command of a client or support that writes is refused
// (storage_full); reads are not (nor is the expiry sweep, which only settles holds that
// exist: account_expiry.cpp).
bool adds_data(const command& cmd) {
  return !std::holds_alternative<commands::get>(cmd);
}

// Runs a command once what it needs from storage is known.
void run_command(account_self self, const account_request& request, reply_promise promise,
                 const ledger::recharge_record* stored_recharge) {
  auto& st = self->state;
  if (!writer_has_room(self)) return answer_now(self, promise, ledger::error_code::limit_exceeded);
  if (adds_data(request.cmd) && !disk_has_room(self))
    return answer_now(self, promise, ledger::error_code::storage_full);
  pending_commit work;
  ledger::storage::change_set changes;
  const bool is_create = std::holds_alternative<commands::create>(request.cmd);
  const hold_expiries indexed_before = open_hold_expiries(st.acct);
  ledger::outcome out =
      !st.exists && !is_create
          ? refused(ledger::error_code::account_not_found)
          : std::visit(command_visitor{self, changes, work, stored_recharge, wall_clock_ms()},
                       request.cmd);
  if (!is_create) persist_outcome(st, changes, out);
  persist_holds(self, changes, out, indexed_before);
  count_events(self, out);
  const bool read_only = !out.ok() || std::holds_alternative<commands::get>(request.cmd);
  // Nothing undurable to wait for: answer at once.
  work.reply.code = out.code;
  work.reply.snapshot = st.acct;
  work.reply.entry = out.entry;
  if (read_only && nothing_pending(st)) {
    promise.deliver(std::move(work.reply));
    return;
  }
  work.charge_to_send = out.charge;
  if (out.ok() && std::holds_alternative<commands::recharge>(request.cmd)) {
    // The requester hears when the gateway has answered, not when the intent is durable.
    in_flight_of(st).recharge_waiters[out.charge->charge_seq] = std::move(promise);
  } else {
    work.has_promise = true;
    work.promise = std::move(promise);
  }
  submit(self, std::move(changes), std::move(work));
}

// A recharge whose key is not in flight asks storage whether the key was used before.
bool needs_stored_recharge(const account_state& st, const account_request& request) {
  const auto* recharge = std::get_if<commands::recharge>(&request.cmd);
  if (recharge == nullptr || !st.exists) return false;
  return !st.in_flight || st.in_flight->uncommitted_recharges.count(recharge->key) == 0;
}

}  // namespace

void handle_command(account_self self, const account_request& request, reply_promise promise) {
  const bool credentials = std::visit(
      [](const auto& cmd) { return is_credentials_command<std::decay_t<decltype(cmd)>>::value; },
      request.cmd);
  if (credentials) return handle_credentials(self, request, std::move(promise));
  if (!needs_stored_recharge(self->state, request))
    return run_command(self, request, std::move(promise), nullptr);
  const auto& key = std::get<commands::recharge>(request.cmd).key;
  self->request(reader_of(self), reader_wait, read_recharge_atom::value, self->state.acct.id, key)
      .await(
          [self, request, promise](recharge_read& read) mutable {
            if (!read.ok()) return answer_now(self, promise, ledger::error_code::storage_failure);
            run_command(self, request, std::move(promise), read.value ? &*read.value : nullptr);
          },
          [self, promise](caf::error&) mutable {
            answer_now(self, promise, ledger::error_code::storage_failure);
          });
}

}  // namespace actors::account_detail
