#include "actors/gateway_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "gateway/processor.hpp"
#include "ledger/limits.hpp"

namespace actors {
namespace {

// At most `bytes_max` bytes of `text`, never ending inside a UTF-8 sequence (the reason is
// stored, and shown in JSON, which must stay valid UTF-8).
std::string utf8_prefix(const std::string& text, size_t bytes_max) {
  if (text.size() <= bytes_max) return text;
  size_t end = bytes_max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

charge_answer answer_for(const charge_order& order, const gateway::charge_response& response) {
  if (response.status != gateway::charge_status::failed) {
    return charge_answer{order.intent.charge_seq, response.status, response.failure, {}, false};
  }
  // A failure must name why: a processor that answered "failed" without a code did not
  // charge (its answer was final), which is what gateway_unavailable says.
  const auto failure = response.failure == ledger::error_code::ok
                           ? ledger::error_code::gateway_unavailable
                           : response.failure;
  return charge_answer{order.intent.charge_seq, response.status, failure,
                       utf8_prefix(response.reason, ledger::limits::decline_reason_length_max),
                       gateway::classify_decline(response) == gateway::decline_class::hard};
}

caf::behavior gateway_worker(caf::event_based_actor* self,
                             std::shared_ptr<gateway::processor> processor) {
  return {
      [=](charge_atom, const charge_order& order) {
        const auto key = ledger::charge_idempotency_key(order.account_id, order.intent.charge_seq);
        gateway::charge_response response;
        if (order.lookup_only) {
          response = processor->lookup(key);
        } else {
          response = processor->charge(gateway::charge_request{
              key, order.intent.card_token, order.intent.amount, order.account_id});
        }
        spdlog::debug("charge {} {}: {}", key, order.lookup_only ? "lookup" : "submit",
                      gateway::to_string(response.status));
        auto sender = caf::actor_cast<account_actor>(self->current_sender());
        if (sender) self->send(sender, charge_done_atom::value, answer_for(order, response));
      },
      [=](tokenize_atom, const ledger::card_input& card, ledger::year_month today) {
        auto tokenized = processor->tokenize(card, today);
        if (!tokenized) return caf::make_message(tokenized.code(), ledger::stored_card{});
        return caf::make_message(ledger::error_code::ok, std::move(tokenized).value());
      },
  };
}

}  // namespace

gateway_actor spawn_gateway(caf::actor_system& system,
                            std::shared_ptr<gateway::processor> processor, size_t workers) {
  auto factory = [&system, processor] {
    return system.spawn<caf::detached>(gateway_worker, processor);
  };
  // CAF 0.17's actor_pool is untyped; every worker implements gateway_actor.
  return caf::actor_cast<gateway_actor>(caf::actor_pool::make(system.dummy_execution_unit(),
                                                              std::max<size_t>(1, workers), factory,
                                                              caf::actor_pool::round_robin()));
}

}  // namespace actors
