#include "actors/directory.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <list>
#include <unordered_map>
#include <variant>

#include "actors/debit_batch.hpp"
#include "actors/limits.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "actors/storage_reader.hpp"

namespace actors {
namespace {

using steady_clock = std::chrono::steady_clock;

struct resident {
  account_actor handle;
  uint32_t forwarded = 0;                 // wraps like the account's messages_received
  steady_clock::time_point last_routed;   // for the idle sweep
  std::list<uint64_t>::iterator recency;  // position in shard_state::recency
};

// A command waiting, with its requester's promise, for its account to be activated.
struct held_command {
  account_request request;
  caf::typed_response_promise<account_reply> promise;
};
using held_message = std::variant<debit_group, held_command>;

struct shard_state {
  std::shared_ptr<const account_context> context;
  size_t resident_max = 0;
  std::unordered_map<uint64_t, resident> accounts;
  std::list<uint64_t> recency;  // least recently used first
  // Accounts whose storage read is in flight, with the messages routed to them meanwhile,
  // in arrival order. Bounded by what the front ends may have in flight (the stream's
  // debits_in_flight_max, the HTTP threads).
  std::unordered_map<uint64_t, std::vector<held_message>> activating;
  size_t next_reader = 0;

  static inline const char* name = "directory_shard";
};

// The shard's `self` (its interface: interfaces.hpp).
using shard_self = shard_actor::stateful_pointer<shard_state>;

void ask_oldest_to_leave(shard_self self) {
  auto& st = self->state;
  if (st.accounts.size() <= st.resident_max) return;
  // Ask a few of the least recently used; only idle ones will report back and leave. The
  // asked ones move to the back of the recency order, so that the next activation asks
  // others: asking the same busy ones again let the resident count overshoot its maximum
  // by half under uniform load over 10,000,000 accounts (bench/restart).
  const auto now = steady_clock::now();
  for (size_t asked = 0; asked < eviction_asks_per_activation && !st.recency.empty(); ++asked) {
    const uint64_t id = st.recency.front();
    auto& entry = st.accounts.at(id);
    self->send(entry.handle, evict_atom::value, false);
    st.recency.splice(st.recency.end(), st.recency, entry.recency);
    entry.last_routed = now;  // the recency order stays the sweep's order
  }
}

// The resident actor for `account_id`, or nullptr. An account routed to again within
// recency_granularity keeps its place in the recency order (limits.hpp).
resident* find_resident(shard_self self, uint64_t account_id, steady_clock::time_point now) {
  auto& st = self->state;
  auto it = st.accounts.find(account_id);
  if (it == st.accounts.end()) return nullptr;
  if (now - it->second.last_routed >= recency_granularity(st.context->idle_timeout)) {
    st.recency.splice(st.recency.end(), st.recency, it->second.recency);
    it->second.last_routed = now;
  }
  return &it->second;
}

resident& activate(shard_self self, ledger::account acct, bool exists,
                   const ledger::usage_tail& usage_tail = {}) {
  auto& st = self->state;
  const uint64_t account_id = acct.id;
  auto handle =
      spawn_account(self->system(), st.context.get(), std::move(acct), exists, usage_tail);
  // Not linked: a link costs an attachable on each side (memory per resident account) and
  // unlinking scans the shard's list of attachables, so every passivation would cost time
  // linear in the resident accounts. The shard's exit handler stops its accounts instead.
  bump(st.context->counters->activations);
  st.context->counters->resident_accounts.fetch_add(1, std::memory_order_relaxed);
  st.recency.push_back(account_id);
  auto [it, inserted] = st.accounts.emplace(
      account_id, resident{std::move(handle), 0, steady_clock::now(), std::prev(st.recency.end())});
  ask_oldest_to_leave(self);
  return it->second;
}

void forward(shard_self self, resident& target, held_message&& message) {
  ++target.forwarded;
  if (auto* group = std::get_if<debit_group>(&message)) {
    self->send(target.handle, std::move(*group));
    return;
  }
  auto& command = std::get<held_command>(message);
  command.promise.delegate(target.handle, command_atom::value, std::move(command.request));
}

// Answers a message whose account has no actor: nothing is pending for it anywhere.
void refuse(shard_self self, held_message&& message, ledger::error_code code) {
  if (auto* group = std::get_if<debit_group>(&message)) {
    debit_group_results refused{group->batch_id, {}, {}};
    for (const auto& item : group->items) {
      self->state.context->counters->count_reply(code);
      refused.results.push_back(debit_outcome{item.index, code, {}});
    }
    for (const auto& item : group->holds) {
      self->state.context->counters->count_reply(code);
      refused.holds.push_back(hold_outcome{item.index, code, {}, {}, {}});
    }
    caf::anon_send(group->reply_to, std::move(refused));
    return;
  }
  std::get<held_command>(message).promise.deliver(account_reply{code, {}, {}, {}, {}, {}, {}});
}

bool creates_account(const held_message& message) {
  const auto* command = std::get_if<held_command>(&message);
  return command && std::holds_alternative<commands::create>(command->request.cmd);
}

// What the reader looks up with the account: the debit ids of the message that activates it.
account_activation activation_for(uint64_t account_id, const held_message& first) {
  account_activation request{account_id, {}};
  if (const auto* group = std::get_if<debit_group>(&first)) {
    for (const auto& item : group->items)
      request.debit_ids.push_back(item.debit_id);
    std::sort(request.debit_ids.begin(), request.debit_ids.end());
    request.debit_ids.erase(std::unique(request.debit_ids.begin(), request.debit_ids.end()),
                            request.debit_ids.end());
    request.learn_highest_debit_id = request.debit_ids.size() > 1;
  }
  return request;
}

// The reader answered for an activating account: spawn it (when it exists, or when a held
// message creates it) and hand it the held messages in arrival order, the first with the
// stored debits the reader found among its debit ids.
void on_account_read(shard_self self, uint64_t account_id, account_read read) {
  auto& st = self->state;
  auto node = st.activating.extract(account_id);
  if (node.empty()) return;
  if (auto* group = std::get_if<debit_group>(&node.mapped().front()); group && read.ok()) {
    group->stored = std::move(read.value.stored_debits);
    group->stored_highest_known = read.value.highest_debit_id_known;
    group->stored_highest_debit_id = read.value.highest_debit_id;
  }
  for (auto& message : node.mapped()) {
    if (auto it = st.accounts.find(account_id); it != st.accounts.end()) {
      forward(self, it->second, std::move(message));
    } else if (!read.ok()) {
      refuse(self, std::move(message), ledger::error_code::storage_failure);
    } else if (read.value.account) {
      forward(self, activate(self, std::move(*read.value.account), true, read.value.usage_tail),
              std::move(message));
    } else if (creates_account(message)) {
      forward(self, activate(self, ledger::make_account(account_id), false), std::move(message));
    } else {
      refuse(self, std::move(message), ledger::error_code::account_not_found);
    }
  }
}

// Reads the accounts of `batch` on one reader (round robin: the shard keeps each account's
// order itself, so any reader will do) and activates each when its answer comes.
void request_activations(shard_self self, activation_batch batch) {
  auto& st = self->state;
  if (batch.accounts.empty()) return;
  if (batch.accounts.size() > activation_batch_max) {
    // Several smaller reads: the first accounts are forwarded while the reader (or the
    // next reader) loads the rest.
    activation_batch rest;
    rest.accounts.assign(std::make_move_iterator(batch.accounts.begin() + activation_batch_max),
                         std::make_move_iterator(batch.accounts.end()));
    batch.accounts.resize(activation_batch_max);
    request_activations(self, std::move(batch));
    return request_activations(self, std::move(rest));
  }
  const auto& readers = st.context->readers->workers();
  const auto& reader = readers[st.next_reader++ % readers.size()];
  std::vector<uint64_t> ids;
  ids.reserve(batch.accounts.size());
  for (const auto& account : batch.accounts)
    ids.push_back(account.account_id);
  self->request(reader, reader_wait, std::move(batch))
      .then(
          [self, ids](activations_read& answer) {
            LEDGER_ASSERT(answer.reads.size() == ids.size());
            for (size_t i = 0; i < ids.size(); ++i)
              on_account_read(self, ids[i], std::move(answer.reads[i]));
          },
          [self, ids](caf::error& failure) {
            spdlog::error("activating {} accounts failed: {}", ids.size(),
                          self->system().render(failure));
            for (const uint64_t id : ids)
              on_account_read(self, id, account_read{{}, "no answer from the reader"});
          });
}

// Routes one message to its account: at once when resident; else it waits in the shard
// for the account's storage read, which `batch` gathers when this message is the first.
void route(shard_self self, uint64_t account_id, held_message&& message,
           steady_clock::time_point now, activation_batch& batch) {
  auto& st = self->state;
  if (account_id == 0)
    return refuse(self, std::move(message), ledger::error_code::account_not_found);
  if (auto* target = find_resident(self, account_id, now))
    return forward(self, *target, std::move(message));
  auto [it, first] = st.activating.try_emplace(account_id);
  it->second.push_back(std::move(message));
  if (first) batch.accounts.push_back(activation_for(account_id, it->second.front()));
}

// Splits a front end's group into one group per account, keeping each account's debits (or
// hold operations) in arrival order, and routes each as one message; the cold accounts
// among them are read from storage together.
void route_debit_group(shard_self self, debit_group& group) {
  std::unordered_map<uint64_t, size_t> part_of;
  std::vector<std::pair<uint64_t, debit_group>> parts;  // by account, in first arrival order
  part_of.reserve(group.items.size() + group.holds.size());
  parts.reserve(group.items.size() + group.holds.size());
  auto part_for = [&](uint64_t account_id) -> debit_group& {
    auto [it, inserted] = part_of.emplace(account_id, parts.size());
    if (inserted)
      parts.emplace_back(account_id, debit_group{group.reply_to, group.batch_id, {}, {}, {}});
    return parts[it->second].second;
  };
  for (const auto& item : group.items)
    part_for(item.account_id).items.push_back(item);
  for (auto& item : group.holds)
    part_for(item.account_id).holds.push_back(std::move(item));
  const auto now = steady_clock::now();
  activation_batch cold;
  for (auto& [account_id, part] : parts)
    route(self, account_id, held_message{std::move(part)}, now, cold);
  request_activations(self, std::move(cold));
}

// Asks the accounts that received nothing for idle_timeout to report idle (they do only if
// nothing is in flight; the shard then passivates them). One timer per shard instead of a
// receive timeout per account: CAF re-arms a receive timeout on every message through its
// clock thread, which cost about 13 % of the server's CPU under the stream's load.
void sweep_idle(shard_self self) {
  auto& st = self->state;
  const auto idle_since = steady_clock::now() - st.context->idle_timeout;
  for (uint64_t id : st.recency) {  // least recently used first
    const auto& entry = st.accounts.at(id);
    if (entry.last_routed > idle_since) break;
    self->send(entry.handle, evict_atom::value, false);
  }
  self->delayed_send(self, sweep_period(st.context->idle_timeout), sweep_atom::value);
}

void on_idle(shard_self self, uint64_t account_id, uint32_t received) {
  auto& st = self->state;
  auto it = st.accounts.find(account_id);
  if (it == st.accounts.end() || it->second.forwarded != received) return;
  self->send(it->second.handle, evict_atom::value, true);
  st.recency.erase(it->second.recency);
  st.accounts.erase(it);
  bump(st.context->counters->passivations);
  st.context->counters->resident_accounts.fetch_sub(1, std::memory_order_relaxed);
}

shard_actor::behavior_type shard_behavior(shard_self self,
                                          std::shared_ptr<const account_context> context,
                                          size_t resident_max) {
  self->state.context = std::move(context);
  self->state.resident_max = resident_max;
  self->delayed_send(self, sweep_period(self->state.context->idle_timeout), sweep_atom::value);
  // When the shard is told to stop, its accounts stop with it.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (const auto& entry : self->state.accounts)
      self->send_exit(entry.second.handle, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [=](sweep_atom) { sweep_idle(self); },
      [=](debit_group& group) { route_debit_group(self, group); },
      [=](command_atom, account_request& request) {
        const uint64_t account_id = request.account_id;
        auto promise = self->make_response_promise<account_reply>();
        activation_batch cold;
        route(self, account_id, held_message{held_command{std::move(request), promise}},
              steady_clock::now(), cold);
        request_activations(self, std::move(cold));
        return promise;
      },
      [=](idle_atom, uint64_t account_id, uint32_t received) {
        on_idle(self, account_id, received);
      },
  };
}

}  // namespace

directory::directory(caf::actor_system& system, std::shared_ptr<const account_context> context,
                     const directory_options& options) {
  const size_t count = std::max<size_t>(1, options.shard_count);
  const size_t per_shard = std::max<size_t>(1, options.resident_accounts_max / count);
  for (size_t i = 0; i < count; ++i) {
    shards_.push_back(system.spawn(shard_behavior, context, per_shard));
  }
}

}  // namespace actors
