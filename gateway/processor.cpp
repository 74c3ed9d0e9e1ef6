#include "gateway/processor.hpp"

namespace gateway {
namespace {

struct status_name {
  charge_status status;
  std::string_view name;
};

constexpr status_name status_names[] = {
    {charge_status::captured, "captured"},
    {charge_status::failed, "failed"},
    {charge_status::unknown, "unknown"},
    {charge_status::not_found, "not_found"},
};

bool key_character(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c == '.' || c == '_' || c == ':' || c == '~' || c == '-';
}

}  // namespace

std::string_view to_string(charge_status status) {
  for (const status_name& entry : status_names) {
    if (entry.status == status) return entry.name;
  }
  return "unknown";
}

std::optional<charge_status> charge_status_from_string(std::string_view name) {
  for (const status_name& entry : status_names) {
    if (entry.name == name) return entry.status;
  }
  return std::nullopt;
}

decline_class classify_decline(const charge_response& response) {
  // The reasons card networks and processors give for a card that must not be tried again
  // (Stripe's decline codes name them so).
  static constexpr std::string_view hard_reasons[] = {
      "lost_card",          "stolen_card",    "pickup_card",    "fraudulent",
      "merchant_blacklist", "account_closed", "closed_account", "expired_card",
  };
  if (response.status != charge_status::failed) return decline_class::soft;
  if (response.failure == ledger::error_code::card_expired) return decline_class::hard;
  if (response.failure != ledger::error_code::card_declined) return decline_class::soft;
  for (std::string_view reason : hard_reasons) {
    if (response.reason == reason) return decline_class::hard;
  }
  return decline_class::soft;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > idempotency_key_length_max) return false;
  for (char c : key) {
    if (!key_character(c)) return false;
  }
  return true;
}

}  // namespace gateway
