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

std::vector<std::optional<actors::debit_reply>> node_client::debit(
    std::vector<actors::debit_request> requests) const {
  std::vector<std::optional<actors::debit_reply>> replies(requests.size());
  caf::scoped_actor self{system_};
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].tag = i;
    self->send(node_.accounts().route(requests[i].account_id), requests[i]);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  size_t received = 0;
  bool timed_out = false;
  while (received < requests.size() && !timed_out) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    self->receive(
        [&](actors::debit_reply& reply) {
          // Each tag is answered once; a tag out of range would be a bug elsewhere.
          if (reply.tag < replies.size() && !replies[reply.tag]) {
            replies[reply.tag] = reply;
            ++received;
          }
        },
        caf::after(left) >> [&] { timed_out = true; });
  }
  return replies;
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
