#include "server/http/node_client.hpp"

#include <caf/all.hpp>

#include "actors/node.hpp"

namespace server {
namespace {

call_failure failure_of(const caf::error& error) {
  return error == caf::sec::request_timeout ? call_failure::timeout : call_failure::failed;
}

}  // namespace

call_result<actors::account_reply> node_client::command(uint64_t account_id,
                                                        actors::command cmd) const {
  caf::scoped_actor self{system_};
  call_result<actors::account_reply> result;
  self->request(node_.accounts().route(account_id), timeout_, actors::command_atom::value,
                actors::account_request{account_id, std::move(cmd)})
      .receive([&](actors::account_reply& reply) { result.answer = std::move(reply); },
               [&](caf::error& error) { result.failure = failure_of(error); });
  return result;
}

std::vector<std::optional<actors::debit_outcome>> node_client::debit(
    std::vector<actors::debit_item> debits) const {
  const auto& accounts = node_.accounts();
  std::vector<actors::debit_group> groups(accounts.shards().size());
  for (size_t i = 0; i < debits.size(); ++i) {
    debits[i].index = static_cast<uint32_t>(i);
    groups[accounts.shard_of(debits[i].account_id)].items.push_back(debits[i]);
  }
  return send_groups(std::move(groups), debits.size(), 0).debits;
}

std::vector<std::optional<actors::hold_outcome>> node_client::holds(
    std::vector<actors::hold_item> operations) const {
  const auto& accounts = node_.accounts();
  std::vector<actors::debit_group> groups(accounts.shards().size());
  const size_t count = operations.size();
  for (size_t i = 0; i < count; ++i) {
    operations[i].index = static_cast<uint32_t>(i);
    groups[accounts.shard_of(operations[i].account_id)].holds.push_back(std::move(operations[i]));
  }
  return send_groups(std::move(groups), 0, count).holds;
}

node_client::group_answers node_client::send_groups(std::vector<actors::debit_group> groups,
                                                    size_t debits, size_t holds) const {
  group_answers answers;
  answers.debits.resize(debits);
  answers.holds.resize(holds);
  caf::scoped_actor self{system_};
  const auto& shards = node_.accounts().shards();
  for (size_t s = 0; s < groups.size(); ++s) {
    if (groups[s].items.empty() && groups[s].holds.empty()) continue;
    groups[s].reply_to = caf::actor_cast<caf::actor>(self);
    self->send(shards[s], std::move(groups[s]));
  }
  size_t received = 0;
  auto take = [&](const actors::debit_group_results& results) {
    // Each index is answered once; one out of range would be a bug elsewhere.
    for (const auto& outcome : results.results) {
      LEDGER_ASSERT(outcome.index < debits && !answers.debits[outcome.index]);
      answers.debits[outcome.index] = outcome;
      ++received;
    }
    for (const auto& outcome : results.holds) {
      LEDGER_ASSERT(outcome.index < holds && !answers.holds[outcome.index]);
      answers.holds[outcome.index] = outcome;
      ++received;
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool timed_out = false;
  while (received < debits + holds && !timed_out) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    self->receive([&](const actors::debit_group_results& results) { take(results); },
                  [&](const actors::debit_results_bundle& bundle) {
                    for (const auto& results : bundle.groups)
                      take(results);
                  },
                  caf::after(left) >> [&] { timed_out = true; });
  }
  return answers;
}

call_result<std::pair<ledger::error_code, ledger::stored_card>> node_client::tokenize(
    const ledger::card_input& card, ledger::year_month today) const {
  caf::scoped_actor self{system_};
  call_result<std::pair<ledger::error_code, ledger::stored_card>> result;
  self->request(node_.gateway(), timeout_, actors::tokenize_atom::value, card, today)
      .receive([&](ledger::error_code code,
                   ledger::stored_card& stored) { result.answer.emplace(code, std::move(stored)); },
               [&](caf::error& error) { result.failure = failure_of(error); });
  return result;
}

}  // namespace server
