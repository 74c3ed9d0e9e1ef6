#include "actors/directory.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <list>
#include <unordered_map>

#include "actors/debit_batch.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "storage/database.hpp"

namespace actors {
namespace {

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using steady_clock = std::chrono::steady_clock;

struct resident {
  caf::actor handle;
  uint32_t forwarded = 0;                 // wraps like the account's messages_received
  steady_clock::time_point last_routed;   // for the idle sweep
  std::list<uint64_t>::iterator recency;  // position in shard_state::recency
};

struct shard_state {
  std::shared_ptr<const account_context> context;
  size_t resident_max = 0;
  std::unordered_map<uint64_t, resident> accounts;
  std::list<uint64_t> recency;  // least recently used first

  static inline const char* name = "directory_shard";
};

using shard_actor = caf::stateful_actor<shard_state>;

void ask_oldest_to_leave(shard_actor* self) {
  auto& st = self->state;
  if (st.accounts.size() <= st.resident_max) return;
  // Ask a few of the least recently used; only idle ones will report back and leave. The
  // asked ones move to the back of the recency order, so that the next activation asks
  // others: asking the same busy ones again let the resident count overshoot its maximum
  // by half under uniform load over 10,000,000 accounts (bench/restart).
  for (int asked = 0; asked < 8 && !st.recency.empty(); ++asked) {
    const uint64_t id = st.recency.front();
    auto& entry = st.accounts.at(id);
    self->send(entry.handle, evict_atom::value, false);
    st.recency.splice(st.recency.end(), st.recency, entry.recency);
    entry.last_routed = steady_clock::now();  // the recency order stays the sweep's order
  }
}

// How stale an account's place in the recency order may get. Moving an account to the
// back on every message cost a few cache misses per debit (three list nodes of accounts
// touched long ago); an account routed to again within this keeps its place and its
// last_routed, so the idle sweep and the eviction order are right to within this much.
steady_clock::duration recency_granularity(const account_context& context) {
  return std::min<steady_clock::duration>(std::chrono::seconds(1), context.idle_timeout / 16);
}

// The resident actor for `account_id`, activating it from storage if needed:
// account_not_found when the account does not exist and `create` is false, storage_failure
// when it cannot be read. `now`: the time of the message being routed.
ledger::result<resident*> find_or_activate(shard_actor* self, uint64_t account_id, bool create,
                                           steady_clock::time_point now) {
  auto& st = self->state;
  if (account_id == 0) return ledger::error_code::account_not_found;  // ids are non-zero
  if (auto it = st.accounts.find(account_id); it != st.accounts.end()) {
    if (now - it->second.last_routed >= recency_granularity(*st.context)) {
      st.recency.splice(st.recency.end(), st.recency, it->second.recency);
      it->second.last_routed = now;
    }
    return &it->second;
  }
  auto read = st.context->database->load_account(account_id);
  if (!read) {
    spdlog::error("loading account {} failed: {}", account_id, read.error().message);
    return ledger::error_code::storage_failure;
  }
  std::optional<ledger::account> loaded = std::move(*read);
  if (!loaded && !create) return ledger::error_code::account_not_found;
  const bool exists = loaded.has_value();
  ledger::account acct = exists ? std::move(*loaded) : ledger::make_account(account_id);
  auto handle = spawn_account(self->system(), st.context.get(), std::move(acct), exists);
  // Not linked: a link costs an attachable on each side (memory per resident account) and
  // unlinking scans the shard's list of attachables, so every passivation would cost time
  // linear in the resident accounts. The shard's exit handler stops its accounts instead.
  bump(st.context->counters->activations);
  st.context->counters->resident_accounts.fetch_add(1, std::memory_order_relaxed);
  st.recency.push_back(account_id);
  auto [it, inserted] = st.accounts.emplace(
      account_id, resident{std::move(handle), 0, now, std::prev(st.recency.end())});
  ask_oldest_to_leave(self);
  return &it->second;
}

// Splits a front end's group into one group per account, keeping each account's debits in
// arrival order, and forwards each as one message. Debits of accounts that cannot be
// activated are answered at once: no actor exists for them, so nothing is pending.
void route_debit_group(shard_actor* self, debit_group& group) {
  std::unordered_map<uint64_t, size_t> part_of;
  std::vector<debit_group> parts;
  part_of.reserve(group.items.size());
  parts.reserve(group.items.size());
  for (const auto& item : group.items) {
    auto [it, inserted] = part_of.emplace(item.account_id, parts.size());
    if (inserted) parts.push_back(debit_group{group.reply_to, group.batch_id, {}});
    parts[it->second].items.push_back(item);
  }
  std::vector<debit_outcome> refused;
  const auto now = steady_clock::now();
  for (auto& part : parts) {
    auto target = find_or_activate(self, part.items.front().account_id, false, now);
    if (!target) {
      for (const auto& item : part.items)
        refused.push_back(debit_outcome{item.index, target.code(), {}});
      continue;
    }
    ++(*target)->forwarded;
    self->send((*target)->handle, std::move(part));
  }
  if (!refused.empty()) {
    for (const auto& r : refused)
      self->state.context->counters->count_reply(r.code);
    self->send(group.reply_to, debit_group_results{group.batch_id, std::move(refused)});
  }
}

// How often a shard looks for accounts that have been idle for idle_timeout.
std::chrono::milliseconds sweep_period(const account_context& context) {
  return std::max(std::chrono::milliseconds(10), context.idle_timeout / 2);
}

// Asks the accounts that received nothing for idle_timeout to report idle (they do only if
// nothing is in flight; the shard then passivates them). One timer per shard instead of a
// receive timeout per account: CAF re-arms a receive timeout on every message through its
// clock thread, which cost about 13 % of the server's CPU under the stream's load.
void sweep_idle(shard_actor* self) {
  auto& st = self->state;
  const auto idle_since = steady_clock::now() - st.context->idle_timeout;
  for (uint64_t id : st.recency) {  // least recently used first
    const auto& entry = st.accounts.at(id);
    if (entry.last_routed > idle_since) break;
    self->send(entry.handle, evict_atom::value, false);
  }
  self->delayed_send(self, sweep_period(*st.context), sweep_atom::value);
}

void on_idle(shard_actor* self, uint64_t account_id, uint32_t received) {
  auto& st = self->state;
  auto it = st.accounts.find(account_id);
  if (it == st.accounts.end() || it->second.forwarded != received) return;
  self->send(it->second.handle, evict_atom::value, true);
  st.recency.erase(it->second.recency);
  st.accounts.erase(it);
  bump(st.context->counters->passivations);
  st.context->counters->resident_accounts.fetch_sub(1, std::memory_order_relaxed);
}

caf::behavior shard_behavior(shard_actor* self, std::shared_ptr<const account_context> context,
                             size_t resident_max) {
  self->state.context = std::move(context);
  self->state.resident_max = resident_max;
  self->delayed_send(self, sweep_period(*self->state.context), sweep_atom::value);
  // When the shard is told to stop, its accounts stop with it.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (const auto& entry : self->state.accounts)
      self->send_exit(entry.second.handle, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [=](sweep_atom) { sweep_idle(self); },
      [=](debit_request& request) {
        auto target = find_or_activate(self, request.account_id, false, steady_clock::now());
        if (!target) {
          // Nothing to order against: no actor exists for the account, and none is pending.
          auto sender = caf::actor_cast<caf::actor>(self->current_sender());
          if (sender) self->send(sender, debit_reply{request.tag, target.code(), {}});
          return;
        }
        ++(*target)->forwarded;
        self->delegate((*target)->handle, std::move(request));
      },
      [=](debit_group& group) { route_debit_group(self, group); },
      [=](command_atom a, account_request& request) {
        const bool create = std::holds_alternative<commands::create>(request.cmd);
        auto target = find_or_activate(self, request.account_id, create, steady_clock::now());
        auto promise = self->make_response_promise();
        if (!target) {
          promise.deliver(account_reply{target.code(), {}, {}, {}, {}});
          return;
        }
        ++(*target)->forwarded;
        promise.delegate((*target)->handle, a, std::move(request));
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
