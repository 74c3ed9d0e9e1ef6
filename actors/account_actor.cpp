#include "actors/account_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <list>
#include <map>
#include <memory>
#include <type_traits>

#include "actors/debit_batch.hpp"
#include "actors/debit_window.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"

namespace actors {
namespace {

// Work that waits for one submitted change_set to become durable, in submission order.
struct pending_commit {
  uint32_t token = 0;
  caf::actor stream_reply_to;  // debits: where the debit_reply goes
  debit_reply stream_reply;
  caf::response_promise promise;  // commands: the request to answer
  bool has_promise = false;
  account_reply reply;
  std::optional<ledger::charge_intent> charge_to_send;  // durable now: send to the gateway
  std::optional<std::string> recharge_to_forget;
};

// What an account holds only while it has work in flight: writes not yet durable, debits
// and recharge keys applied but not yet durable, manual recharges waiting for the gateway.
// Allocated when the work starts and freed when it is all done, so that an account at rest
// costs one pointer for all of it. The whole account_state is kept at 192 bytes: CAF puts
// the actor (1,024 bytes with the state) after a 64-byte control block, and 1,280 bytes is
// a jemalloc size class (1,344 would cost 1,536; docs/performance.md, memory per account).
struct in_flight_state {
  // Waiting for a committed message, in submission order. Debit groups (debit_batch.hpp)
  // need none: their results go to the front end through the writer's result_batcher, and
  // the debit window's ticket says when they are durable. A std::list, not a std::deque:
  // libstdc++'s deque allocates ~600 bytes even when empty.
  std::list<pending_commit> pending;
  // Debits applied but not yet durable (debit_window.hpp), and the ticket of the last
  // debit write, which later answers wait for.
  debit_window debits;
  std::map<std::string, ledger::recharge_record> uncommitted_recharges;
  // Manual recharges whose requester waits for the gateway's answer, by charge_seq.
  std::map<uint64_t, caf::response_promise> recharge_waiters;
  std::map<uint64_t, std::chrono::milliseconds> lookup_backoff;  // by charge_seq

  bool empty() const {
    return pending.empty() && debits.empty() && uncommitted_recharges.empty() &&
           recharge_waiters.empty() && lookup_backoff.empty();
  }
};

// What an account knows of the highest debit id it holds (find_prior_debit).
enum class debit_ids : uint8_t {
  unknown,         // just activated
  looked_up_once,  // one debit needed a storage lookup: the next learns the highest id
  known,           // highest_debit_id is the highest id stored or in flight
};

struct account_state {
  // Not owned: the node owns the context (and the writer and database it points to, which
  // every account uses anyway) and outlives its accounts. A shared_ptr here cost the 8
  // bytes that highest_debit_id needs within the 192 (see in_flight_state).
  const account_context* context = nullptr;
  ledger::account acct;
  std::unique_ptr<in_flight_state> in_flight;  // null while nothing is in flight
  // With debit_ids == known, every debit of this account, stored or in flight, has an id
  // <= this: a higher id is new without a storage lookup (find_prior_debit).
  uint64_t highest_debit_id = 0;
  // Routed messages, compared by the shard on passivation. 32 bits wrap harmlessly: the
  // shard's count wraps the same way and only equality is compared.
  uint32_t messages_received = 0;
  uint32_t next_token = 1;  // tokens are compared for equality with the oldest pending one
  // acct.billing_credentials are read from storage on the first credentials command.
  bool credentials_loaded = false;
  bool exists = false;
  debit_ids debit_ids_state = debit_ids::unknown;

  static inline const char* name = "account";

  account_state() = default;
  account_state(const account_state&) = delete;
  account_state& operator=(const account_state&) = delete;
  // Runs when the actor exits (CAF destroys the state in on_exit): the node counts the
  // accounts that may still touch its writer and database (spawn_account counts up).
  ~account_state() {
    if (context) context->counters->live_account_actors.fetch_sub(1, std::memory_order_release);
  }
};
static_assert(sizeof(account_state) <= 192, "see in_flight_state: memory per account");

using account_actor = caf::stateful_actor<account_state>;

const account_context& context_of(account_actor* self) {
  return *self->state.context;
}

in_flight_state& in_flight_of(account_state& st) {
  if (!st.in_flight) st.in_flight = std::make_unique<in_flight_state>();
  return *st.in_flight;
}

// Nothing submitted is still waiting for the disk (as of the last forget_durable).
bool nothing_pending(const account_state& st) {
  return !st.in_flight ||
         (st.in_flight->pending.empty() && !st.in_flight->debits.anything_undurable());
}

const ledger::debit_record* find_uncommitted_debit(const account_state& st, uint64_t debit_id) {
  return st.in_flight ? st.in_flight->debits.find(debit_id) : nullptr;
}

// Gives back what an account holds only while work is in flight, once it is all done.
void release_idle_memory(account_state& st) {
  if (st.in_flight && st.in_flight->empty()) st.in_flight.reset();
}

bool is_idle(const account_state& st) {
  return nothing_pending(st) && !st.acct.auto_charge && st.acct.manual_charges.empty();
}

// Records what an accepted outcome changed. Cards are written only when they changed.
void persist_outcome(ledger::storage::change_set& changes, const ledger::account& acct,
                     const ledger::outcome& out) {
  if (!out.ok()) return;
  changes.put_account_state(acct);
  if (out.entry) changes.put_journal(*out.entry);
  if (out.charge) changes.put_intent(acct.id, *out.charge);
}

// True when an accepted debit changed more of the account than its balance and journal_seq
// (it started an automatic charge, or suspended the account). Only then is the account's
// state record rewritten: otherwise storage reads the balance back from the journal's last
// entry (docs/storage.md, "the journal tail"), which saves one random-key write per debit.
bool debit_changed_state(const ledger::outcome& out) {
  return out.ok() && (out.events != ledger::event_none || out.charge.has_value());
}

// Tells the event sink about an accepted outcome, only while someone listens.
void publish_event(account_actor* self, const ledger::outcome& out) {
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
  self->send(ctx.events, std::move(event));
}

void count_events(account_actor* self, const ledger::outcome& out) {
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
}

void submit(account_actor* self, ledger::storage::change_set changes, pending_commit work) {
  auto& st = self->state;
  work.token = st.next_token++;
  const uint32_t token = work.token;
  auto& in_flight = in_flight_of(st);
  in_flight.pending.push_back(std::move(work));
  auto me = caf::actor_cast<caf::actor>(self);
  uint64_t ticket = 0;
  const auto accepted = st.context->writer->submit(
      std::move(changes),
      [me, token](ledger::error_code code) {
        caf::anon_send(me, committed_atom::value, token, code);
      },
      ticket);
  // The debit it may hold, and any answer after it, wait for this ticket.
  if (accepted == ledger::error_code::ok) in_flight.debits.submitted(ticket);
  if (accepted != ledger::error_code::ok) {
    // writer_has_room() said there was room, so this is a failed or stopping writer, or an
    // invalid change_set (a bug): memory is ahead of disk either way.
    caf::anon_send(me, committed_atom::value, token, accepted);
  }
}

void send_charge(account_actor* self, const ledger::charge_intent& intent, bool lookup_only) {
  charge_order order{self->state.acct.id, intent, lookup_only};
  self->send(context_of(self).gateway, charge_atom::value, std::move(order));
}

// Forgets the debits the writer has made durable (storage answers for them now).
void forget_durable(account_actor* self) {
  auto& st = self->state;
  if (!st.in_flight || !st.in_flight->debits.anything_undurable()) return;
  st.in_flight->debits.forget(st.context->writer->durable_ticket());
  release_idle_memory(st);
}

void maybe_report_idle(account_actor* self) {
  forget_durable(self);
  if (is_idle(self->state)) {
    // The shard asked (evict_atom): answer it.
    self->send(caf::actor_cast<caf::actor>(self->current_sender()), idle_atom::value,
               self->state.acct.id, self->state.messages_received);
  }
}

void on_committed(account_actor* self, uint32_t token, ledger::error_code code) {
  auto& st = self->state;
  forget_durable(self);
  LEDGER_ASSERT(!nothing_pending(st) && st.in_flight->pending.front().token == token);
  auto& in_flight = *st.in_flight;
  pending_commit work = std::move(in_flight.pending.front());
  in_flight.pending.pop_front();
  if (code != ledger::error_code::ok) {
    // Memory is ahead of disk: answer nothing as done, and stop the process.
    if (work.stream_reply_to) {
      work.stream_reply.code = code;
      self->send(work.stream_reply_to, std::move(work.stream_reply));
    }
    if (work.has_promise) work.promise.deliver(account_reply{code, st.acct, {}, {}, {}});
    st.context->on_storage_failure("durable write failed for account " +
                                   std::to_string(st.acct.id));
    return;
  }
  if (work.recharge_to_forget) in_flight.uncommitted_recharges.erase(*work.recharge_to_forget);
  if (work.charge_to_send) send_charge(self, *work.charge_to_send, false);
  if (work.stream_reply_to) {
    context_of(self).counters->count_reply(work.stream_reply.code);
    self->send(work.stream_reply_to, std::move(work.stream_reply));
  }
  if (work.has_promise) work.promise.deliver(std::move(work.reply));
  release_idle_memory(st);
  // No idle report here: an account passivates only when its shard's sweep finds it idle
  // for idle_timeout (or the shard is over its resident maximum), not after every write.
}

// True when the writer has room for one more change_set. Checked before a command touches
// memory, so that a refused submit can never leave memory ahead of disk. The reserve covers
// the other scheduler threads submitting between this check and submit().
bool writer_has_room(account_actor* self) {
  const auto& ctx = context_of(self);
  return ctx.writer->queue_depth() + writer_reserve < ctx.writer_queue_max;
}

void reply_now(account_actor* self, const debit_request& request, ledger::error_code code) {
  context_of(self).counters->count_reply(code);
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  if (sender) self->send(sender, debit_reply{request.tag, code, self->state.acct.balance});
}

// The earlier debit with this id, if any: from memory while it is not yet durable, else from
// storage. A non-positive amount is refused by the core before any lookup matters. False on
// a storage failure.
//
// Debit ids that grow over time (time-ordered ids, as usage platforms mint them) skip the
// storage lookup: an account that received a second debit while resident learns its
// highest debit id once (one seek), and a debit id above it cannot be a retry. The first
// debit after an activation does the point lookup, so that an account activated for one
// debit (10,000,000 accounts, bench/restart) pays no seek on top.
bool find_prior_debit(account_state& st, uint64_t debit_id, ledger::money amount,
                      std::optional<ledger::debit_record>& prior) {
  if (const auto* pending = find_uncommitted_debit(st, debit_id)) {
    prior = *pending;
    return true;
  }
  if (!amount.is_positive()) return true;
  if (st.debit_ids_state == debit_ids::looked_up_once) {
    auto highest = st.context->database->highest_debit_id(st.acct.id);
    if (!highest) return false;
    // What is in flight is not in storage yet.
    const uint64_t in_flight = st.in_flight ? st.in_flight->debits.highest_debit_id() : 0;
    st.highest_debit_id = std::max(*highest, in_flight);
    st.debit_ids_state = debit_ids::known;
  }
  if (st.debit_ids_state == debit_ids::known && debit_id > st.highest_debit_id) return true;
  auto found = st.context->database->find_debit(st.acct.id, debit_id);
  if (!found) return false;
  if (st.debit_ids_state == debit_ids::unknown) st.debit_ids_state = debit_ids::looked_up_once;
  prior = std::move(*found);
  return true;
}

// Keeps highest_debit_id true after a debit was applied (it is in flight now).
void note_applied_debit(account_state& st, uint64_t debit_id) {
  if (st.debit_ids_state == debit_ids::known)
    st.highest_debit_id = std::max(st.highest_debit_id, debit_id);
}

void handle_debit(account_actor* self, const debit_request& request) {
  auto& st = self->state;
  if (!st.exists) return reply_now(self, request, ledger::error_code::account_not_found);
  if (!writer_has_room(self)) return reply_now(self, request, ledger::error_code::limit_exceeded);
  std::optional<ledger::debit_record> prior;
  if (!find_prior_debit(st, request.debit_id, request.amount, prior))
    return reply_now(self, request, ledger::error_code::storage_failure);
  ledger::outcome out =
      ledger::apply_debit(st.acct, request.debit_id, request.amount, prior ? &*prior : nullptr);
  auto* counters = context_of(self).counters;
  bump(out.ok() ? counters->debits_applied : counters->debits_rejected);
  if (!out.ok() && nothing_pending(st)) {
    // Everything this decision read is durable already: answer at once.
    return reply_now(self, request, out.code);
  }
  pending_commit work;
  work.stream_reply_to = caf::actor_cast<caf::actor>(self->current_sender());
  work.stream_reply = debit_reply{request.tag, out.code, st.acct.balance};
  ledger::storage::change_set changes;
  if (out.ok()) {
    ledger::debit_record record{request.debit_id, request.amount, out.entry->seq};
    in_flight_of(st).debits.add(record);
    note_applied_debit(st, record.debit_id);
    changes.put_debit(st.acct.id, record);
    changes.put_journal(*out.entry);
    if (out.charge) changes.put_intent(st.acct.id, *out.charge);
    if (debit_changed_state(out)) changes.put_account_state(st.acct);
  }
  count_events(self, out);
  work.charge_to_send = out.charge;
  if (context_of(self).planted_bug_ack_before_write && work.stream_reply_to) {
    self->send(work.stream_reply_to, work.stream_reply);  // the bug: before the write
    work.stream_reply_to = caf::actor{};
  }
  submit(self, std::move(changes), std::move(work));
}

// ---- billing credentials ----------------------------------------------------------------

template <class T, class = void>
struct is_credentials_command : std::false_type {};
template <class T>
struct is_credentials_command<T, std::void_t<decltype(T::credentials_command)>> : std::true_type {};
template <class T>
constexpr bool is_credentials_command_v(const T&) {
  return is_credentials_command<T>::value;
}

// Decides one credentials command on acct.billing_credentials (ledger/credentials.hpp).
struct credentials_visitor {
  account_actor* self;

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

// Reads the credentials from storage once per activation; false when the read failed.
bool load_credentials(account_actor* self) {
  auto& st = self->state;
  if (st.credentials_loaded) return true;
  auto stored = st.context->database->load_credentials(st.acct.id);
  if (!stored) {
    spdlog::error("account {}: cannot read credentials: {}", st.acct.id, stored.error().message);
    return false;
  }
  st.acct.billing_credentials = stored->value_or(ledger::credentials{});
  st.credentials_loaded = true;
  return true;
}

// Unlike the other commands, a refusal may change state (a failed login is counted), so
// the credentials are written whenever they changed, and then the reply waits for the disk.
void handle_credentials(account_actor* self, const account_request& request) {
  auto& st = self->state;
  auto promise = self->make_response_promise();
  auto answer_now = [&](ledger::error_code code) {
    promise.deliver(account_reply{code, st.acct, {}, {}, {}});
  };
  if (!st.exists) return answer_now(ledger::error_code::account_not_found);
  if (!writer_has_room(self)) return answer_now(ledger::error_code::limit_exceeded);
  if (!load_credentials(self)) return answer_now(ledger::error_code::storage_failure);
  const ledger::credentials before = st.acct.billing_credentials.value_or_default();
  const ledger::error_code code = std::visit(credentials_visitor{self}, request.cmd);
  const bool changed = !(st.acct.billing_credentials.value_or_default() == before);
  // Nothing undurable to wait for: a read or an unchanged refusal is answered at once.
  if (!changed && nothing_pending(st)) return answer_now(code);
  ledger::storage::change_set changes;
  if (changed) changes.put_credentials(st.acct);
  pending_commit work;
  work.has_promise = true;
  work.promise = std::move(promise);
  work.reply.code = code;
  work.reply.snapshot = st.acct;
  submit(self, std::move(changes), std::move(work));
}

// ---- the stream's batched path (debit_batch.hpp) ----------------------------------------

void send_group_results(account_actor* self, const debit_group& group,
                        std::vector<debit_outcome> results) {
  auto* counters = context_of(self).counters;
  for (const auto& r : results)
    counters->count_reply(r.code);
  self->send(group.reply_to, debit_group_results{group.batch_id, std::move(results)});
}

// Submits one debit group's change_set. The completion (on the writer thread) hands the
// results to the result_batcher, which sends them after the write; the actor hears back
// only when a charge must wait for the write. Either way the queue entry keeps later
// refusals and passivation waiting until the group is durable.
void submit_debit_group(account_actor* self, ledger::storage::change_set changes,
                        const debit_group& group, std::vector<debit_outcome> results,
                        pending_commit work) {
  auto& st = self->state;
  const account_context* ctx = st.context;
  const bool needs_message = work.charge_to_send.has_value();
  work.token = st.next_token++;
  caf::actor me = needs_message ? caf::actor_cast<caf::actor>(self) : caf::actor{};
  auto done = [ctx, me, token = work.token, reply_to = group.reply_to, batch_id = group.batch_id,
               results = std::move(results)](ledger::error_code code) mutable {
    for (auto& r : results) {
      if (code != ledger::error_code::ok) r.code = code;
      ctx->counters->count_reply(r.code);
    }
    if (!results.empty()) ctx->batcher->add(reply_to, batch_id, std::move(results));
    if (me) caf::anon_send(me, committed_atom::value, token, code);
    if (code != ledger::error_code::ok && !me) {
      ctx->on_storage_failure("durable write of a debit group failed");
    }
  };
  uint64_t ticket = 0;
  const auto accepted = ctx->writer->submit(std::move(changes), std::move(done), ticket);
  if (accepted == ledger::error_code::ok) in_flight_of(st).debits.submitted(ticket);
  if (accepted != ledger::error_code::ok) {
    // writer_has_room() said there was room: a failed or stopping writer, or a bug.
    std::vector<debit_outcome> failed;
    for (const auto& item : group.items) {
      ctx->counters->count_reply(accepted);
      failed.push_back(debit_outcome{item.index, accepted, st.acct.balance});
    }
    self->send(group.reply_to, debit_group_results{group.batch_id, std::move(failed)});
    ctx->on_storage_failure("cannot submit a debit group to the writer");
    return;
  }
  if (needs_message) in_flight_of(st).pending.push_back(std::move(work));
}

// Applies one account's debits in arrival order and persists them as ONE change_set: a
// debit record and a journal entry per accepted debit; the account state only when a debit
// changed more than the balance (debit_changed_state).
void handle_debit_group(account_actor* self, const debit_group& group) {
  auto& st = self->state;
  forget_durable(self);
  std::vector<debit_outcome> results;
  results.reserve(group.items.size());
  if (!st.exists || !writer_has_room(self)) {
    const auto code =
        st.exists ? ledger::error_code::limit_exceeded : ledger::error_code::account_not_found;
    for (const auto& item : group.items)
      results.push_back(debit_outcome{item.index, code, st.acct.balance});
    return send_group_results(self, group, std::move(results));
  }
  auto* counters = context_of(self).counters;
  ledger::storage::change_set changes;
  pending_commit work;
  bool state_changed = false;
  for (const auto& item : group.items) {
    std::optional<ledger::debit_record> prior;
    if (!find_prior_debit(st, item.debit_id, item.amount, prior)) {
      results.push_back(debit_outcome{item.index, ledger::error_code::storage_failure, {}});
      continue;
    }
    ledger::outcome out =
        ledger::apply_debit(st.acct, item.debit_id, item.amount, prior ? &*prior : nullptr);
    bump(out.ok() ? counters->debits_applied : counters->debits_rejected);
    if (out.ok()) {
      const ledger::debit_record record{item.debit_id, item.amount, out.entry->seq};
      in_flight_of(st).debits.add(record);
      note_applied_debit(st, record.debit_id);
      changes.put_debit(st.acct.id, record);
      changes.put_journal(*out.entry);
      if (out.charge) {
        changes.put_intent(st.acct.id, *out.charge);
        work.charge_to_send = out.charge;
      }
      state_changed = state_changed || debit_changed_state(out);
    }
    count_events(self, out);
    results.push_back(debit_outcome{item.index, out.code, st.acct.balance});
  }
  if (state_changed) changes.put_account_state(st.acct);
  if (changes.empty() && nothing_pending(st)) {
    // Only refusals, and everything they read is durable already: answer at once.
    return send_group_results(self, group, std::move(results));
  }
  if (context_of(self).planted_bug_ack_before_write) {
    send_group_results(self, group, std::move(results));  // the bug: before the write
    results.clear();
  }
  submit_debit_group(self, std::move(changes), group, std::move(results), std::move(work));
}

// Applies one non-debit command; returns the outcome and fills `changes`.
struct command_visitor {
  account_actor* self;
  ledger::storage::change_set& changes;
  pending_commit& work;

  ledger::account& acct() { return self->state.acct; }
  const ledger::policy& rules() { return context_of(self).rules; }

  ledger::outcome operator()(const commands::create&) {
    if (self->state.exists) return ledger::outcome{ledger::error_code::account_exists, {}, {}, 0};
    self->state.exists = true;
    changes.put_account_state(acct());
    return ledger::outcome{};
  }
  ledger::outcome operator()(const commands::get&) { return ledger::outcome{}; }
  ledger::outcome operator()(const commands::recharge& cmd) {
    auto& st = self->state;
    const ledger::recharge_record* prior = nullptr;
    std::optional<ledger::recharge_record> stored;
    auto& uncommitted = in_flight_of(st).uncommitted_recharges;
    if (auto it = uncommitted.find(cmd.key); it != uncommitted.end()) {
      prior = &it->second;
    } else {
      auto found = st.context->database->find_recharge(acct().id, cmd.key);
      if (!found) return ledger::outcome{ledger::error_code::storage_failure, {}, {}, 0};
      stored = std::move(*found);
      if (stored) prior = &*stored;
    }
    auto out =
        ledger::begin_manual_recharge(acct(), rules(), cmd.key, cmd.amount, cmd.card_id, prior);
    if (out.code == ledger::error_code::duplicate && prior != nullptr) {
      const bool in_flight = std::any_of(
          acct().manual_charges.begin(), acct().manual_charges.end(),
          [&](const ledger::charge_intent& c) { return c.charge_seq == prior->charge_seq; });
      work.reply.charge = in_flight ? charge_state::pending : charge_state::none;
    }
    if (!out.ok()) return out;
    ledger::recharge_record record{cmd.key, cmd.amount, cmd.card_id, out.charge->charge_seq};
    uncommitted[cmd.key] = record;
    changes.put_recharge(acct().id, record);
    work.recharge_to_forget = cmd.key;
    return out;
  }
  ledger::outcome operator()(const commands::set_auto_recharge& cmd) {
    return ledger::set_auto_recharge(acct(), rules(), cmd.settings);
  }
  ledger::outcome operator()(const commands::add_card& cmd) {
    auto out = ledger::add_card(acct(), cmd.card);
    if (out.ok()) changes.put_cards(acct());
    return out;
  }
  ledger::outcome operator()(const commands::remove_card& cmd) {
    auto out = ledger::remove_card(acct(), cmd.card_id);
    if (out.ok()) changes.put_cards(acct());
    return out;
  }
  ledger::outcome operator()(const commands::set_default_card& cmd) {
    return ledger::set_default_card(acct(), cmd.card_id);
  }
  ledger::outcome operator()(const commands::set_maximum_recharge& cmd) {
    return ledger::set_maximum_recharge(acct(), rules(), cmd.maximum);
  }
  ledger::outcome operator()(const commands::suspend&) { return ledger::suspend(acct()); }
  ledger::outcome operator()(const commands::resume&) { return ledger::resume(acct()); }
  ledger::outcome operator()(const commands::reset_retry_tier&) {
    return ledger::reset_retry_tier(acct());
  }
  ledger::outcome operator()(const commands::adjust& cmd) {
    return ledger::adjust_balance(acct(), cmd.amount, cmd.adjustment_id);
  }
  // Credentials commands are handled by handle_credentials and never reach this visitor.
  template <class credentials_cmd,
            class = std::enable_if_t<is_credentials_command<credentials_cmd>::value>>
  ledger::outcome operator()(const credentials_cmd&) {
    return ledger::outcome{ledger::error_code::internal_error, {}, {}, 0};
  }
};

void handle_command(account_actor* self, const account_request& request) {
  if (std::visit([](const auto& cmd) { return is_credentials_command_v(cmd); }, request.cmd)) {
    return handle_credentials(self, request);
  }
  auto& st = self->state;
  if (!writer_has_room(self)) {
    self->make_response_promise().deliver(
        account_reply{ledger::error_code::limit_exceeded, st.acct, {}, {}, {}});
    return;
  }
  pending_commit work;
  work.has_promise = true;
  work.promise = self->make_response_promise();
  ledger::storage::change_set changes;
  const bool is_create = std::holds_alternative<commands::create>(request.cmd);
  ledger::outcome out;
  if (!st.exists && !is_create) {
    out.code = ledger::error_code::account_not_found;
  } else {
    out = std::visit(command_visitor{self, changes, work}, request.cmd);
  }
  if (!is_create) persist_outcome(changes, st.acct, out);
  count_events(self, out);
  if (!out.ok() || std::holds_alternative<commands::get>(request.cmd)) {
    if (nothing_pending(st)) {
      // Nothing undurable to wait for: answer at once.
      work.promise.deliver(account_reply{out.code, st.acct, {}, work.reply.charge, {}});
      return;
    }
  }
  work.reply.code = out.code;
  work.reply.snapshot = st.acct;
  work.reply.entry = out.entry;
  work.charge_to_send = out.charge;
  if (out.ok() && std::holds_alternative<commands::recharge>(request.cmd)) {
    // The requester hears when the gateway has answered, not when the intent is durable.
    in_flight_of(st).recharge_waiters[out.charge->charge_seq] = work.promise;
    work.has_promise = false;
  }
  submit(self, std::move(changes), std::move(work));
}

const ledger::charge_intent* find_intent(const ledger::account& acct, uint64_t charge_seq) {
  if (acct.auto_charge && acct.auto_charge->charge_seq == charge_seq) return &*acct.auto_charge;
  for (const auto& charge : acct.manual_charges) {
    if (charge.charge_seq == charge_seq) return &charge;
  }
  return nullptr;
}

void schedule_lookup(account_actor* self, uint64_t charge_seq) {
  auto& st = self->state;
  const auto& ctx = context_of(self);
  auto [it, inserted] = in_flight_of(st).lookup_backoff.emplace(charge_seq, ctx.lookup_backoff_min);
  if (!inserted) it->second = std::min(it->second * 2, ctx.lookup_backoff_max);
  self->delayed_send(self, it->second, retry_atom::value, charge_seq);
}

void handle_charge_answer(account_actor* self, const charge_answer& answer) {
  auto& st = self->state;
  const ledger::charge_intent* intent = find_intent(st.acct, answer.charge_seq);
  if (intent == nullptr) return;  // a late duplicate answer: already applied
  auto* counters = context_of(self).counters;
  switch (answer.status) {
    case gateway::charge_status::unknown:
      bump(counters->charges_unknown);
      schedule_lookup(self, answer.charge_seq);
      return;
    case gateway::charge_status::not_found:
      // The processor never saw the key: nothing was charged, so submitting it is safe.
      send_charge(self, *intent, false);
      return;
    case gateway::charge_status::captured:
    case gateway::charge_status::failed:
      break;
  }
  const bool captured = answer.status == gateway::charge_status::captured;
  bump(captured ? counters->charges_captured : counters->charges_failed);
  counters->charges_in_flight.fetch_sub(1, std::memory_order_relaxed);
  auto& recharges = in_flight_of(st);
  recharges.lookup_backoff.erase(answer.charge_seq);
  const ledger::charge_result result{answer.charge_seq, captured, answer.failure};
  ledger::outcome out = ledger::apply_charge_result(st.acct, result);
  LEDGER_ASSERT(out.ok());
  ledger::storage::change_set changes;
  changes.delete_intent(st.acct.id, answer.charge_seq);
  persist_outcome(changes, st.acct, out);
  count_events(self, out);
  pending_commit work;
  work.charge_to_send = out.charge;
  if (auto waiter = recharges.recharge_waiters.find(answer.charge_seq);
      waiter != recharges.recharge_waiters.end()) {
    work.has_promise = true;
    work.promise = std::move(waiter->second);
    recharges.recharge_waiters.erase(waiter);
    work.reply.code = captured ? ledger::error_code::ok : answer.failure;
    work.reply.snapshot = st.acct;
    work.reply.entry = out.entry;
    work.reply.charge = captured ? charge_state::captured : charge_state::failed;
    work.reply.charge_failure = answer.failure;
  }
  submit(self, std::move(changes), std::move(work));
}

// After activation: every intent that survived in storage is resolved by asking the gateway
// about its key, never by charging blindly.
void resolve_open_intents(account_actor* self) {
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

caf::behavior account_behavior(account_actor* self, const account_context* ctx,
                               ledger::account acct, bool exists) {
  auto& st = self->state;
  st.context = ctx;
  st.acct = std::move(acct);
  st.exists = exists;
  resolve_open_intents(self);
  // A bug threw inside a handler: this account's memory can no longer be trusted, and the
  // shard would keep routing to a dead actor. Stop the process; a restart reloads the
  // account from disk, which holds exactly what was acknowledged.
  self->set_exception_handler([self](std::exception_ptr& failure) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    self->state.context->on_storage_failure("account actor " + std::to_string(self->state.acct.id) +
                                            " failed: " + what);
    return caf::make_error(caf::sec::runtime_error, std::move(what));
  });
  return {
      [=](const debit_request& request) {
        ++self->state.messages_received;
        handle_debit(self, request);
      },
      [=](const debit_group& group) {
        ++self->state.messages_received;
        handle_debit_group(self, group);
      },
      [=](command_atom, const account_request& request) {
        ++self->state.messages_received;
        handle_command(self, request);
      },
      [=](committed_atom, uint32_t token, ledger::error_code code) {
        on_committed(self, token, code);
      },
      [=](charge_done_atom, const charge_answer& answer) { handle_charge_answer(self, answer); },
      [=](retry_atom, uint64_t charge_seq) {
        if (const auto* intent = find_intent(self->state.acct, charge_seq)) {
          send_charge(self, *intent, true);
        }
      },
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

caf::actor spawn_account(caf::actor_system& system, const account_context* context,
                         ledger::account state, bool exists) {
  // Counted down by ~account_state. Every spawned account is sent a message at once, and
  // CAF initializes an actor (account_behavior sets its context) before its first message,
  // even an exit message, so every count is matched.
  context->counters->live_account_actors.fetch_add(1, std::memory_order_relaxed);
  return system.spawn<caf::lazy_init>(account_behavior, context, std::move(state), exists);
}

}  // namespace actors
