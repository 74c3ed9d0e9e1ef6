#include "server/http/views.hpp"

#include <string>

#include "ledger/limits.hpp"
#include "server/http/usage_report.hpp"

namespace server::views {

using ledger::error_code;

const char* status_name(ledger::account_status status) {
  return status == ledger::account_status::active ? "active" : "suspended";
}

const char* suspension_name(ledger::suspension_cause cause) {
  switch (cause) {
    case ledger::suspension_cause::none:
      return "none";
    case ledger::suspension_cause::retries_exhausted:
      return "retries_exhausted";
    case ledger::suspension_cause::support:
      return "support";
  }
  return "none";
}

std::string money_text(ledger::money amount) {
  return ledger::format_money(amount);
}

json retry_tier_value(uint8_t tier) {
  if (tier >= ledger::retry_tier_count) return "exhausted";
  return tier;
}

json retry_tier_percent(uint8_t tier) {
  if (tier >= ledger::retry_tier_count) return nullptr;
  return ledger::retry_tier_percent[tier];
}

json charge_view(const ledger::charge_intent& intent) {
  const bool automatic = intent.kind == ledger::charge_kind::automatic;
  json view{{"charge_seq", intent.charge_seq},
            {"kind", automatic ? "automatic" : "manual"},
            {"amount", money_text(intent.amount)},
            {"card_id", intent.card_id}};
  if (automatic) {
    view["tier"] = intent.tier;
  } else {
    view["idempotency_key"] = intent.recharge_key;
  }
  return view;
}

json charges_in_flight_view(const ledger::account& acct) {
  json charges = json::array();
  if (acct.auto_charge) charges.push_back(charge_view(*acct.auto_charge));
  for (const auto& charge : acct.manual_charges)
    charges.push_back(charge_view(charge));
  return charges;
}

json auto_recharge_view(const ledger::auto_recharge_settings& settings) {
  return json{{"enabled", settings.enabled},
              {"balance_amount", money_text(settings.threshold)},
              {"recharge_amount", money_text(settings.recharge_amount)}};
}

int status_of(error_code code) {
  switch (code) {
    case error_code::ok:
    case error_code::duplicate:
      return http_ok;
    case error_code::account_not_found:
    case error_code::card_not_found:
    case error_code::charge_not_found:
    case error_code::hold_not_found:
      return http_not_found;
    case error_code::hold_expired:
    case error_code::hold_released:
    case error_code::hold_captured:
    case error_code::exists_with_different_fields:
    case error_code::account_exists:
    case error_code::account_suspended:
    case error_code::insufficient_funds:
    case error_code::no_card:
    case error_code::card_unusable:
      return http_conflict;
    case error_code::card_declined:
      return http_payment_required;
    case error_code::gateway_unavailable:
    case error_code::limit_exceeded:
    case error_code::storage_failure:
      return http_unavailable;
    case error_code::storage_full:
      return http_insufficient_storage;
    case error_code::internal_error:
      return http_internal_error;
    case error_code::unauthorized:
    case error_code::wrong_password:
    case error_code::temporary_credentials_expired:
      return http_unauthorized;
    case error_code::password_change_required:
      return http_forbidden;
    case error_code::too_many_attempts:
      return http_too_many_requests;
    default:
      // malformed_request, invalid_amount, below/above the recharge limits, invalid_card,
      // card_expired, password_mismatch, weak_password, same_password.
      return http_bad_request;
  }
}

std::string describe(error_code code) {
  std::string text{ledger::describe(code)};
  // What only the HTTP API can say.
  if (code == error_code::unauthorized)
    text += " (Authorization: Bearer <session_token>, or the platform key in X-Platform-Key)";
  if (code == error_code::password_change_required) text += ": POST /v1/accounts/{id}/password";
  return text;
}

json error_body(error_code code, std::string_view message) {
  json body{{"error", std::string{ledger::to_string(code)}}, {"message", std::string{message}}};
  if (code == error_code::above_maximum_recharge) {
    body["hint"] = "contact support to raise the maximum recharge of this account";
  }
  return body;
}

json card_view(const ledger::stored_card& card, uint32_t default_card_id) {
  return json{{"card_id", card.card_id},
              {"brand", card.brand},
              {"last4", card.last4},
              {"masked_number", ledger::masked_card_number(card.last4)},
              {"exp_month", card.exp_month},
              {"exp_year", card.exp_year},
              {"default", card.card_id == default_card_id},
              // A hard decline (lost, stolen, expired, closed...): never charged again.
              {"unusable", card.unusable}};
}

json cards_view(const ledger::account& acct) {
  json cards = json::array();
  for (const auto& card : acct.cards)
    cards.push_back(card_view(card, acct.default_card_id));
  return cards;
}

json velocity_cap_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms) {
  const ledger::velocity_usage usage = ledger::velocity_usage_at(acct, rules, now_ms);
  constexpr int64_t ms_per_hour = 3600 * 1000;
  return json{{"charges", usage.cap.charges},
              {"amount", money_text(usage.cap.amount)},
              {"source", usage.cap_from_account ? "account" : "policy"},
              {"window_hours", ledger::limits::velocity_window_ms / ms_per_hour},
              {"charges_used", usage.charges},
              {"amount_used", money_text(usage.amount)},
              {"reached", usage.reached},
              {"held_back", usage.deferred},
              {"frees_at_ms", usage.frees_at_ms != 0 ? json(usage.frees_at_ms) : json(nullptr)}};
}

json account_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms) {
  return json{
      {"id", std::to_string(acct.id)},
      {"state", status_name(acct.status)},
      {"suspension_cause", suspension_name(acct.suspension)},
      {"balance", money_text(acct.balance)},
      {"held", money_text(ledger::held(acct))},
      {"available", money_text(ledger::available(acct))},
      {"open_holds", acct.holds ? acct.holds->size() : 0},
      {"auto_recharge", auto_recharge_view(acct.auto_recharge)},
      {"retry_tier", retry_tier_value(acct.retry_tier)},
      {"retry_tier_percent", retry_tier_percent(acct.retry_tier)},
      {"maximum_recharge", money_text(ledger::maximum_recharge(acct, rules))},
      {"minimum_recharge", money_text(rules.minimum_recharge)},
      {"velocity_cap", velocity_cap_view(acct, rules, now_ms)},
      {"notification_threshold", money_text(ledger::notification_threshold(acct, rules))},
      {"cards", cards_view(acct)},
      {"default_card_id", acct.default_card_id},
      {"charges_in_flight", charges_in_flight_view(acct)},
      {"journal_seq", acct.journal_seq},
  };
}

const char* hold_state_name(ledger::hold_state state) {
  switch (state) {
    case ledger::hold_state::open:
      return "open";
    case ledger::hold_state::captured:
      return "captured";
    case ledger::hold_state::released:
      return "released";
    case ledger::hold_state::expired:
      return "expired";
  }
  return "unknown";
}

json hold_view(const ledger::hold_record& hold) {
  json view{
      {"hold_id", std::to_string(hold.hold_id())},
      {"state", hold_state_name(hold.state)},
      {"amount", money_text(hold.request.amount)},
      {"min_amount", money_text(hold.request.min_amount)},
      {"granted", money_text(hold.granted)},
      {"held", money_text(hold.state == ledger::hold_state::open ? hold.held : ledger::money{})},
      {"expires_at_ms", hold.expires_at_ms},
      {"extensions", hold.extensions}};
  if (hold.state == ledger::hold_state::captured) {
    view["captured"] = money_text(hold.captured);
    view["journal_seq"] = hold.journal_seq;
  }
  return view;
}

json holds_view(const ledger::account& acct) {
  json list = json::array();
  if (acct.holds) {
    for (const auto& hold : *acct.holds)
      list.push_back(hold_view(hold));
  }
  return list;
}

json journal_entry_view(const ledger::journal_entry& entry) {
  return json{{"seq", entry.seq},
              {"kind", std::string{ledger::to_string(entry.kind)}},
              {"contra", std::string{ledger::to_string(entry.contra)}},
              {"amount", money_text(entry.amount)},
              {"balance_after", money_text(entry.balance_after)},
              {"reference", std::to_string(entry.reference)},
              // null: written before entries carried a time (issue 19).
              {"time", entry.time_us > 0 ? json(usage::format_time(entry.time_us)) : json()}};
}

}  // namespace server::views
