#include "server/webhooks/payload.hpp"

#include "server/webhooks/dispatcher.hpp"

#include <string>

namespace server::webhooks {
namespace {

using ledger::notice_type;
using nlohmann::json;

std::string money_text(ledger::money amount) {
  return ledger::format_money(amount);
}

const char* suspension_text(uint64_t cause) {
  switch (static_cast<ledger::suspension_cause>(cause)) {
    case ledger::suspension_cause::retries_exhausted:
      return "retries_exhausted";
    case ledger::suspension_cause::support:
      return "support";
    case ledger::suspension_cause::none:
      break;
  }
  return "none";
}

void add_charge(json& view, const ledger::notice& told) {
  view["charge_seq"] = std::to_string(told.reference);
  view["amount"] = money_text(told.amount);
  view["kind"] = told.charge == ledger::notice_charge::manual ? "manual" : "automatic";
  view["tier"] = told.tier;
}

}  // namespace

json notice_view(const ledger::storage::outbox_notice& record) {
  const ledger::notice& told = record.told;
  json view{{"id", std::to_string(record.position)},
            {"type", std::string{ledger::to_string(told.type)}},
            {"account_id", std::to_string(record.account_id)},
            {"account_seq", told.account_seq},
            {"created_at_ms", told.at_ms},
            {"balance", money_text(told.balance)},
            {"available", money_text(told.available)}};
  switch (told.type) {
    case notice_type::balance_low:
      view["threshold"] = money_text(told.amount);
      break;
    case notice_type::balance_depleted:
    case notice_type::reactivated:
      break;
    case notice_type::charge_captured:
      add_charge(view, told);
      break;
    case notice_type::charge_failed:
      add_charge(view, told);
      view["error"] = std::string{ledger::to_string(told.failure)};
      view["reason"] = told.reason;
      break;
    case notice_type::tier_advanced:
      view["retry_tier"] = told.tier;
      break;
    case notice_type::suspended:
      view["cause"] = suspension_text(told.reference);
      break;
    case notice_type::velocity_capped:
      view["recharge_amount"] = money_text(told.amount);
      break;
    case notice_type::card_unusable:
      view["card_id"] = told.reference;
      break;
    case notice_type::hold_expired: {
      view["amount"] = money_text(told.amount);
      json holds = json::array();
      for (const ledger::released_hold& hold : told.holds) {
        holds.push_back(
            {{"hold_id", std::to_string(hold.hold_id)}, {"amount", money_text(hold.amount)}});
      }
      view["holds"] = std::move(holds);
      break;
    }
  }
  return view;
}

json endpoint_view(const endpoint_status& status) {
  const auto& endpoint = status.endpoint;
  const auto time_or_null = [](int64_t ms) { return ms != 0 ? json(ms) : json(nullptr); };
  return json{{"id", endpoint.id},
              {"url", endpoint.url},
              {"event_types", event_names(endpoint.event_mask)},
              {"created_at_ms", endpoint.created_at_ms},
              {"delivered_through", std::to_string(endpoint.delivered_through)},
              {"backlog", status.backlog},
              {"delivered", status.delivered},
              {"failures", status.failures},
              {"dropped", status.dropped},
              {"failing_since_ms", time_or_null(status.failing_since_ms)},
              {"next_attempt_at_ms", time_or_null(status.next_attempt_at_ms)},
              {"last_error", status.last_error}};
}

}  // namespace server::webhooks
